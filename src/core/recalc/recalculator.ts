/**
 * What `smt recalc` does with a batch of queued meter-days: hand them to the one aggregation
 * engine (`aggregateDays` in src/core/aggregate), which re-derives their daily rows from the
 * current series and refreshes the weekly, monthly and region × segment × tariff rows that already
 * exist for them. The queue mechanics (claim, lease, resume) live in service.ts.
 */
import { type AggregatePorts, aggregateDays } from '../aggregate/service.js';
import { dayKey, type SeriesDayKey } from '../series/day.js';

export interface DayRecalculator {
  /** Re-derives these meter-days; returns the ones it could not, by `dayKey`, with the reason. */
  recalcDays(days: readonly SeriesDayKey[]): Promise<Map<string, string>>;
}

export function aggregateRecalculator(ports: AggregatePorts): DayRecalculator {
  return {
    async recalcDays(days) {
      const ids = [...new Set(days.map((d) => d.meterId))];
      // aggregateDays skips meters it does not know; a queue item for one must not pass as done
      const known = new Set((await ports.store.meters({ meterIds: ids })).map((m) => m.meterId));
      await aggregateDays(
        ports,
        days.filter((d) => known.has(d.meterId)),
      );
      const skipped = new Map<string, string>();
      for (const d of days)
        if (!known.has(d.meterId))
          skipped.set(
            dayKey(d.meterId, d.channel, d.day),
            `meter ${d.meterId} is not registered or is inactive: register it (smt meters import) before recalculating its days`,
          );
      return skipped;
    },
  };
}
