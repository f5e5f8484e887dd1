/**
 * What `smt recalc` does with one queued meter-day: re-derive its validated daily aggregate from
 * the current series.
 *
 * TODO(lead): the `aggregates` branch builds `smt aggregate` into smt.daily_aggregates. When it is
 * merged, make `seriesDayRecalculator` call its one-day derivation (and its monthly roll-up and
 * billing determinants) instead of the minimal upsert below, so there is one definition of a
 * daily aggregate. The queue mechanics (claim, lease, resume) do not change.
 */
import type pg from 'pg';
import { postgresCall } from '../postgres/errors.js';
import { Origin, originOf } from '../readings/quality.js';
import type { SeriesReader } from '../series/ports.js';

export interface DayRecalculator {
  recalcDay(meterId: string, channel: string, localDate: string): Promise<void>;
}

export function seriesDayRecalculator(reader: SeriesReader, pool: pg.Pool): DayRecalculator {
  return {
    async recalcDay(meterId, channel, localDate) {
      const [day] = await reader.days({ meterId, channel, from: localDate, to: localDate });
      let sum = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let actual = 0;
      let estimated = 0;
      const n = day?.values.length ?? 0;
      for (let p = 0; p < n; p++) {
        const v = day!.values[p]!;
        if (Number.isNaN(v)) continue;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
        if (originOf(day!.quality[p]!) === Origin.Actual) actual++;
        else estimated++;
      }
      const any = actual + estimated > 0;
      await postgresCall('writing a recalculated daily aggregate', () =>
        pool.query(
          `INSERT INTO smt.daily_aggregates AS a (meter_id, channel, local_date, value_sum, value_min, value_max,
                  intervals_expected, intervals_actual, intervals_estimated, intervals_missing)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (meter_id, channel, local_date) DO UPDATE SET value_sum = EXCLUDED.value_sum,
             value_min = EXCLUDED.value_min, value_max = EXCLUDED.value_max, intervals_expected = EXCLUDED.intervals_expected,
             intervals_actual = EXCLUDED.intervals_actual, intervals_estimated = EXCLUDED.intervals_estimated,
             intervals_missing = EXCLUDED.intervals_missing, version = a.version + 1, computed_at = now()`,
          [
            meterId,
            channel,
            localDate,
            any ? sum : null,
            any ? min : null,
            any ? max : null,
            n,
            actual,
            estimated,
            n - actual - estimated,
          ],
        ),
      );
    },
  };
}
