import type { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import type { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';

export const FIXTURE_ZONE = 'Europe/Stockholm';
export const CH = 'active_import_kwh';
export const PASSED = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
export const ESTIMATED = packFields(
  Origin.Estimated,
  ValidationState.Passed,
  Method.LinearInterpolation,
  Reason.NoDataReceived,
);
export const CORRECTED = packFields(
  Origin.Substituted,
  ValidationState.Passed,
  Method.OperatorEdit,
  Reason.DataCorrection,
);

export function fixtureMeter(
  meterId: string,
  regionId: string,
  segment: Meter['segment'],
  tariffId: string,
): Meter {
  return {
    meterId,
    accountId: `ACC-${meterId}`,
    tariffId,
    regionId,
    segment,
    timezone: FIXTURE_ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: null,
    installedAt: new Date('2026-01-01T00:00:00Z'),
    removedAt: null,
  };
}

let version = 1_780_000_000_000_000;

/**
 * A new version of a meter-day with the values and qualities `fill` sets (NaN = missing), written
 * to the Cassandra series and its ClickHouse copy the way the series write model does.
 */
export async function writeSeriesDay(
  stores: { series: CassandraSeriesStore; readings: ClickHouseReadingStore },
  meter: Meter,
  date: string,
  fill: (d: SeriesDay) => void,
  supersedes: number | null = null,
): Promise<SeriesDay> {
  const d = emptyDay(
    { meterId: meter.meterId, channel: CH, day: date },
    meter.timezone,
    meter.intervalMinutes,
  );
  version += 1_000;
  d.writes.push({ version, source: `test/${version}` });
  fill(d);
  for (let i = 0; i < d.values.length; i++) if (!Number.isNaN(d.values[i]!)) d.writeIdx[i] = 0;
  d.version = version;
  d.supersedes = supersedes;
  d.writtenAt = Date.now();
  d.writer = 'test';
  d.reason = 'fixture';
  await stores.series.write([d]);
  const positions = [...d.values.keys()].filter((i) => !Number.isNaN(d.values[i]!));
  await stores.readings.insert([{ day: d, positions, meter }], Date.now());
  return d;
}
