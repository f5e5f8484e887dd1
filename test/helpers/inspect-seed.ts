import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import { datesBetween } from '../../src/core/inspect/model.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import {
  Method,
  Origin,
  packedMissing,
  packFields,
  Reason,
  ValidationState,
} from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';

export const SEED_ZONE = 'Europe/Stockholm';
export const SEED_CHANNEL = 'active_import_kwh';
const PASSED = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);

export function seedMeter(meterId: string): Meter {
  return {
    meterId,
    accountId: `ACC-${meterId}`,
    tariffId: 'T-FLAT',
    regionId: 'SE3',
    segment: 'residential',
    timezone: SEED_ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: 11,
    installedAt: new Date('2025-06-01T00:00:00Z'),
    removedAt: null,
  };
}

/** A plain day: every interval actual and passed, written once by ingest well on time. */
export function actualDay(meterId: string, date: string): SeriesDay {
  const d = emptyDay({ meterId, channel: SEED_CHANNEL, day: date }, SEED_ZONE, 15);
  // written ten minutes after the local day ended: on time for every interval
  const version = (LocalCalendar.for(SEED_ZONE).dayBounds(date).end + 600_000) * 1000;
  d.writes.push({ version, source: 'smt.readings.raw/0/1' });
  for (let i = 0; i < d.values.length; i++) {
    d.values[i] = Math.round((0.12 + 0.1 * Math.sin((i / d.values.length) * Math.PI)) * 1e4) / 1e4;
    d.quality[i] = PASSED;
    d.writeIdx[i] = 0;
  }
  d.version = version;
  d.writtenAt = version / 1000;
  d.writer = 'ingest:smt-ingest';
  d.reason = 'received';
  return d;
}

/**
 * March 2026 of one meter, in Europe/Stockholm (29 March is the 92-interval spring-forward day):
 * 10th 10:00–11:45 missing, 12th 05:00–05:45 estimated, 15th 12:30 corrected (a second version),
 * 18th 15:00 rejected, 20th 17:30–17:45 late, 25th never received, 1st–5th validated; a gap
 * record for the 10th and a late-data alert for the 20th.
 */
export function seedMonthDays(meterId: string): SeriesDay[] {
  const days: SeriesDay[] = [];
  for (const date of datesBetween('2026-03-01', '2026-03-31')) {
    if (date === '2026-03-25') continue;
    const d = actualDay(meterId, date);
    if (date === '2026-03-10') {
      for (let i = 40; i < 48; i++) {
        d.values[i] = Number.NaN;
        d.quality[i] = packedMissing();
      }
    }
    if (date === '2026-03-12') {
      for (let i = 20; i < 24; i++)
        d.quality[i] = packFields(
          Origin.Estimated,
          ValidationState.Passed,
          Method.LinearInterpolation,
          Reason.CommunicationFailure,
        );
    }
    if (date === '2026-03-18') {
      d.quality[60] = packFields(Origin.Actual, ValidationState.Failed, Method.None, Reason.FailedValidation);
      d.rules.set(60, ['physical.max_power']);
    }
    if (date === '2026-03-20') {
      const late = d.version + 3 * 86_400_000 * 1000;
      d.writes.push({ version: late, source: 'smt.readings.raw/1/99' });
      d.writeIdx[70] = 1;
      d.writeIdx[71] = 1;
      d.supersedes = d.version;
      d.version = late;
      d.writtenAt = late / 1000;
      d.reason = 'late delivery';
    }
    if (date === '2026-03-15') {
      days.push(d);
      const c = structuredClone(d);
      const v = d.version + 86_400_000 * 1000;
      c.writes = [...d.writes, { version: v, source: 'correction:alice:1' }];
      c.values[50] = 0.5;
      c.quality[50] = packFields(
        Origin.Substituted,
        ValidationState.Passed,
        Method.OperatorEdit,
        Reason.None,
      );
      c.writeIdx[50] = 1;
      c.supersedes = d.version;
      c.version = v;
      c.writtenAt = v / 1000;
      c.writer = 'correction:alice';
      c.reason = 'meter swap: register read';
      days.push(c);
      continue;
    }
    days.push(d);
  }
  return days;
}

export async function seedInspectMonth(config: SmtConfig, meterId: string): Promise<void> {
  const pool = createPostgresPool(config, { max: 1 });
  const cassandra = createCassandraClient(config, { useKeyspace: true });
  try {
    await new MeterRepository(pool).upsert([seedMeter(meterId)]);
    await new CassandraSeriesStore(cassandra, config.string('cassandra.keyspace')).write(
      seedMonthDays(meterId),
    );
    await pool.query(
      `INSERT INTO smt.ingest_meter_days (meter_id, channel, local_date, readings_received, readings_rejected, readings_late, last_received_at)
       VALUES ($1, $2, '2026-03-20', 96, 0, 2, '2026-03-23T17:00:00Z'), ($1, $2, '2026-03-18', 96, 1, 0, '2026-03-19T01:00:00Z')
       ON CONFLICT DO NOTHING`,
      [meterId, SEED_CHANNEL],
    );
    await pool.query(
      `INSERT INTO smt.daily_aggregates (meter_id, channel, local_date, intervals_expected, intervals_actual, intervals_missing)
       SELECT $1, $2, d::date, 96, 96, 0 FROM generate_series('2026-03-01'::date, '2026-03-05'::date, '1 day') d
       ON CONFLICT DO NOTHING`,
      [meterId, SEED_CHANNEL],
    );
    await pool.query(
      `INSERT INTO smt.late_data_alerts (meter_id, channel, local_date, kind, readings) VALUES ($1, $2, '2026-03-20', 'aggregated_day', 2)
       ON CONFLICT DO NOTHING`,
      [meterId, SEED_CHANNEL],
    );
    await pool.query(
      `INSERT INTO smt.gaps (meter_id, channel, gap_start, gap_end, intervals) VALUES ($1, $2, '2026-03-10T09:00:00Z', '2026-03-10T11:00:00Z', 8)
       ON CONFLICT DO NOTHING`,
      [meterId, SEED_CHANNEL],
    );
  } finally {
    await Promise.allSettled([pool.end(), cassandra.shutdown()]);
  }
}
