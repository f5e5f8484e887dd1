import type { ClickHouseClient } from '@clickhouse/client';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AggregatePorts,
  aggregate,
  aggregateDays,
  openAggregatePorts,
} from '../../src/core/aggregate/service.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { SeriesDay } from '../../src/core/series/day.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import {
  CH,
  CORRECTED,
  ESTIMATED,
  fixtureMeter,
  PASSED,
  writeSeriesDay,
} from '../helpers/series-fixtures.js';

let stores: IsolatedStores;
let ports: AggregatePorts & { close(): Promise<void>; pool: pg.Pool; cassandra: cassandra.Client };
let ch: ClickHouseClient;
let fixtures: { series: CassandraSeriesStore; readings: ClickHouseReadingStore };

const METERS = [
  fixtureMeter('A1', 'SE3', 'residential', 'T1'),
  fixtureMeter('A2', 'SE3', 'residential', 'T1'),
  fixtureMeter('B1', 'SE4', 'commercial', 'T2'),
];
const writeDay = (
  meterId: string,
  date: string,
  fill: (d: SeriesDay) => void,
  supersedes: number | null = null,
) => writeSeriesDay(fixtures, METERS.find((m) => m.meterId === meterId)!, date, fill, supersedes);

async function daily(meterId: string, date: string) {
  const r = await ports.pool.query(
    `SELECT value_sum::text AS energy, value_min, value_max, peak_demand_kw, peak_interval_start, intervals_expected, intervals_actual,
            intervals_estimated, intervals_missing, estimated_share, status, series_version::text AS series_version, version
       FROM smt.daily_aggregates WHERE meter_id = $1 AND channel = $2 AND local_date = $3`,
    [meterId, CH, date],
  );
  return r.rows[0];
}

let a1Mar29: SeriesDay;

beforeAll(async () => {
  stores = await isolatedStores('aggregate');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
  ports = await openAggregatePorts(stores.config, { clickhouse: true });
  ch = createClickHouseClient(stores.config);
  fixtures = {
    series: new CassandraSeriesStore(ports.cassandra, stores.config.string('cassandra.keyspace')),
    readings: new ClickHouseReadingStore(ch, stores.config.string('clickhouse.database')),
  };
  await new MeterRepository(ports.pool).upsert(METERS);
  await writeDay('A1', '2026-03-28', (d) => {
    d.values.fill(0.1);
    d.quality.fill(PASSED);
  });
  // spring forward: 92 quarter-hours; a peak of 1 kWh at 02:30 local (index 10 = 03:30 CEST), two estimates
  a1Mar29 = await writeDay('A1', '2026-03-29', (d) => {
    d.values.fill(0.25);
    d.quality.fill(PASSED);
    d.values[10] = 1;
    d.quality[40] = ESTIMATED;
    d.quality[41] = ESTIMATED;
  });
  await writeDay('A2', '2026-03-29', (d) => {
    for (let i = 0; i < 80; i++) {
      d.values[i] = 0.5;
      d.quality[i] = PASSED;
    }
  });
  // fall back: 100 quarter-hours
  await writeDay('B1', '2026-10-25', (d) => {
    d.values.fill(0.2);
    d.quality.fill(PASSED);
  });
}, 120_000);

afterAll(async () => {
  await ch?.close();
  await ports?.close();
  await stores?.drop();
});

describe('smt aggregate: authoritative daily aggregates from the series', () => {
  it('computes exact rows for DST days, estimates and days without data', async () => {
    const r = await aggregate(ports, { period: 'day', from: '2026-03-28', to: '2026-03-30' });
    expect(r).toMatchObject({
      authority: 'authoritative',
      meters: 3,
      meterDays: 9,
      daily: { inserted: 9, updated: 0, unchanged: 0 },
    });
    const a = await daily('A1', '2026-03-29');
    expect(a).toMatchObject({
      energy: '23.750000',
      value_min: 0.25,
      value_max: 1,
      peak_demand_kw: 4,
      intervals_expected: 92,
      intervals_actual: 90,
      intervals_estimated: 2,
      intervals_missing: 0,
      estimated_share: 2 / 92,
      status: 'validated',
      series_version: String(a1Mar29.version),
      version: 1,
    });
    expect((a.peak_interval_start as Date).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(await daily('A1', '2026-03-28')).toMatchObject({
      energy: '9.600000',
      intervals_expected: 96,
      intervals_actual: 96,
      status: 'validated',
    });
    expect(await daily('A1', '2026-03-30')).toMatchObject({
      energy: null,
      peak_demand_kw: null,
      intervals_expected: 96,
      intervals_actual: 0,
      intervals_missing: 96,
      estimated_share: null,
      status: 'provisional',
      series_version: '0',
    });
    expect(await daily('A2', '2026-03-29')).toMatchObject({
      energy: '40.000000',
      intervals_expected: 92,
      intervals_actual: 80,
      intervals_missing: 12,
      status: 'provisional',
    });
    const dims = await ports.pool.query(
      `SELECT region_id, segment, tariff_id, meters, value_sum::text AS energy, intervals_expected::int AS expected, intervals_missing::int AS missing
         FROM smt.dims_daily_aggregates WHERE local_date = '2026-03-29' ORDER BY region_id`,
    );
    expect(dims.rows).toEqual([
      {
        region_id: 'SE3',
        segment: 'residential',
        tariff_id: 'T1',
        meters: 2,
        energy: '63.750000',
        expected: 184,
        missing: 12,
      },
      {
        region_id: 'SE4',
        segment: 'commercial',
        tariff_id: 'T2',
        meters: 1,
        energy: null,
        expected: 92,
        missing: 92,
      },
    ]);
  });

  it('is idempotent, and reading ClickHouse instead of Cassandra gives the same rows', async () => {
    const again = await aggregate(ports, { period: 'day', from: '2026-03-28', to: '2026-03-30' });
    expect(again.daily).toEqual({ inserted: 0, updated: 0, unchanged: 9 });
    expect(again.dimsDaily).toEqual({ inserted: 0, updated: 0 });
    const viaClickHouse = await aggregate(ports, {
      period: 'day',
      from: '2026-03-28',
      to: '2026-03-30',
      source: 'clickhouse',
    });
    expect(viaClickHouse.daily).toEqual({ inserted: 0, updated: 0, unchanged: 9 });
  });

  it('a row changed by another writer is compared in full, not trusted by its hash', async () => {
    const hash = async () =>
      (
        await ports.pool.query(
          `SELECT row_hash::text AS h FROM smt.daily_aggregates WHERE meter_id = 'A2' AND local_date = '2026-03-29'`,
        )
      ).rows[0].h as string | null;
    const written = await hash();
    expect(written).toMatch(/^\d+$/);
    // an UPDATE that does not set a new hash clears it (migration 30's trigger)
    await ports.pool.query(
      `UPDATE smt.daily_aggregates SET value_sum = 1, intervals_failed = 3 WHERE meter_id = 'A2' AND local_date = '2026-03-29'`,
    );
    expect(await hash()).toBe(null);
    for (const source of ['clickhouse', 'cassandra'] as const) {
      const r = await aggregate(ports, { period: 'day', from: '2026-03-28', to: '2026-03-30', source });
      expect(r.daily).toEqual({
        inserted: 0,
        updated: source === 'clickhouse' ? 1 : 0,
        unchanged: 9 - (source === 'clickhouse' ? 1 : 0),
      });
      expect(await daily('A2', '2026-03-29')).toMatchObject({ energy: '40.000000', intervals_actual: 80 });
      expect(await hash()).toBe(written);
    }
    // a hash cleared on a row whose values are unchanged: the rerun stores it again, changes nothing
    await ports.pool.query(
      `UPDATE smt.daily_aggregates SET computed_at = computed_at WHERE meter_id = 'A2' AND local_date = '2026-03-29'`,
    );
    expect(await hash()).toBe(null);
    const r = await aggregate(ports, {
      period: 'day',
      from: '2026-03-28',
      to: '2026-03-30',
      source: 'clickhouse',
    });
    expect(r.daily).toEqual({ inserted: 0, updated: 0, unchanged: 9 });
    expect(await hash()).toBe(written);
    expect((await daily('A2', '2026-03-29')).version).toBe(2);
  });

  it('after a correction, a recomputation changes exactly the affected rows', async () => {
    await writeDay(
      'A1',
      '2026-03-29',
      (d) => {
        d.values.set(a1Mar29.values);
        d.quality.set(a1Mar29.quality);
        d.values[20] = 2;
        d.quality[20] = CORRECTED;
      },
      a1Mar29.version,
    );
    const r = await aggregate(ports, { period: 'day', from: '2026-03-28', to: '2026-03-30' });
    expect(r.daily).toEqual({ inserted: 0, updated: 1, unchanged: 8 });
    expect(r.dimsDaily).toEqual({ inserted: 0, updated: 1 });
    // ClickHouse holds both versions of the corrected day until it merges: still the same rows
    const viaClickHouse = await aggregate(ports, {
      period: 'day',
      from: '2026-03-28',
      to: '2026-03-30',
      source: 'clickhouse',
    });
    expect(viaClickHouse.daily).toEqual({ inserted: 0, updated: 0, unchanged: 9 });
    expect(await daily('A1', '2026-03-29')).toMatchObject({
      energy: '25.500000',
      peak_demand_kw: 8,
      intervals_actual: 89,
      intervals_estimated: 3,
      estimated_share: 3 / 92,
      version: 2,
    });
  });

  it('months and weeks are rolled up from local days (a DST month is exact)', async () => {
    const r = await aggregate(ports, { period: 'month', from: '2026-03-15', to: '2026-03-15' });
    expect(r).toMatchObject({
      from: '2026-03-01',
      to: '2026-03-31',
      meterDays: 93,
      monthly: { inserted: 3, updated: 0, unchanged: 0 },
    });
    const m = await ports.pool.query(
      `SELECT meter_id, value_sum::text AS energy, days_expected, days_aggregated, days_complete, intervals_expected,
              intervals_actual, intervals_missing, peak_demand_kw, status FROM smt.monthly_aggregates
        WHERE month = '2026-03-01' ORDER BY meter_id`,
    );
    expect(m.rows[0]).toEqual({
      meter_id: 'A1',
      energy: '35.100000',
      days_expected: 31,
      days_aggregated: 31,
      days_complete: 2,
      intervals_expected: 31 * 96 - 4,
      intervals_actual: 96 + 89,
      intervals_missing: 31 * 96 - 4 - 96 - 92,
      peak_demand_kw: 8,
      status: 'provisional',
    });
    const w = await aggregate(ports, {
      period: 'week',
      from: '2026-10-25',
      to: '2026-10-25',
      scope: { meterIds: ['B1'] },
    });
    expect(w).toMatchObject({
      from: '2026-10-19',
      to: '2026-10-25',
      meterDays: 7,
      weekly: { inserted: 1, updated: 0, unchanged: 0 },
    });
    const wk = await ports.pool.query(
      `SELECT value_sum::text AS energy, intervals_expected, intervals_actual FROM smt.weekly_aggregates WHERE meter_id = 'B1'`,
    );
    expect(wk.rows).toEqual([
      { energy: '20.000000', intervals_expected: 6 * 96 + 100, intervals_actual: 100 },
    ]);
  });

  it('aggregateDays recomputes exactly the given meter-days and refreshes the existing rollups', async () => {
    await writeDay('A2', '2026-03-30', (d) => {
      d.values.fill(0.5);
      d.quality.fill(PASSED);
    });
    const r = await aggregateDays(ports, [
      { meterId: 'A2', channel: CH, day: '2026-03-30' },
      { meterId: 'A1', channel: CH, day: '2026-03-29' },
    ]);
    expect(r.daily).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
    expect(r.monthly).toEqual({ inserted: 0, updated: 1 });
    expect(r.weekly).toEqual({ inserted: 0, updated: 0 });
    expect(await daily('A2', '2026-03-30')).toMatchObject({
      energy: '48.000000',
      intervals_missing: 0,
      status: 'validated',
    });
  });

  it('the CLI prints the typed result under --json and labels the figures', () => {
    const r = runCli(
      [
        'aggregate',
        '--period',
        'day',
        '--from',
        '2026-10-25',
        '--to',
        '2026-10-25',
        '--meters',
        'B1',
        '--json',
      ],
      stores.env,
    );
    expect(r.stderr).toBe('');
    // the week above computed this day already: nothing changes
    expect(json(r)).toMatchObject({
      authority: 'authoritative',
      meterDays: 1,
      daily: { inserted: 0, updated: 0, unchanged: 1 },
    });
    const t = runCli(
      ['aggregate', '--from', '2026-10-25', '--to', '2026-10-25', '--meters', 'B1'],
      stores.env,
    );
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/authoritative \(PostgreSQL aggregates/);
    expect(t.stdout).toMatch(/0 inserted, 0 updated, 1 unchanged/);
    const bad = runCli(['aggregate', '--from', '2026-02-30', '--to', '2026-03-01'], stores.env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--from 2026-02-30: not a local date/);
  });
});
