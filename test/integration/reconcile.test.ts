import type { ClickHouseClient } from '@clickhouse/client';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/core/aggregate/reconcile.js';
import { type AggregatePorts, aggregate, openAggregatePorts } from '../../src/core/aggregate/service.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { CH, fixtureMeter, PASSED, writeSeriesDay } from '../helpers/series-fixtures.js';

type Ports = AggregatePorts & { close(): Promise<void>; pool: pg.Pool; cassandra: cassandra.Client } & {
  clickhouse: { client: ClickHouseClient; database: string };
};
let stores: IsolatedStores;
let ports: Ports;
let db: string;
const METERS = [
  fixtureMeter('R1', 'SE3', 'residential', 'T1'),
  fixtureMeter('R2', 'SE3', 'residential', 'T1'),
];

async function chFigures(meterId: string, day: string) {
  const rs = await ports.clickhouse.client.query({
    query: `SELECT count() AS n, sum(value) AS kwh FROM ${db}.readings FINAL WHERE meter_id = '${meterId}' AND local_date = toDate('${day}')`,
    format: 'JSONEachRow',
  });
  const [r] = await rs.json<{ n: string | number; kwh: number }>();
  return { n: Number(r!.n), kwh: r!.kwh };
}

beforeAll(async () => {
  stores = await isolatedStores('reconcile');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
  ports = (await openAggregatePorts(stores.config, { clickhouse: true })) as Ports;
  db = stores.config.string('clickhouse.database');
  const fixtures = {
    series: new CassandraSeriesStore(ports.cassandra, stores.config.string('cassandra.keyspace')),
    readings: new ClickHouseReadingStore(ports.clickhouse.client, db),
  };
  await new MeterRepository(ports.pool).upsert(METERS);
  for (const m of METERS)
    for (const day of ['2026-03-29', '2026-03-30'])
      await writeSeriesDay(fixtures, m, day, (d) => {
        d.values.fill(m.meterId === 'R1' ? 0.25 : 0.5);
        d.quality.fill(PASSED);
      });
  await aggregate(ports, { period: 'day', from: '2026-03-29', to: '2026-03-30' });
}, 120_000);

afterAll(async () => {
  await ports?.close();
  await stores?.drop();
});

async function dimsDaily(day: string) {
  const rs = await ports.clickhouse.client.query({
    query: `SELECT sumMerge(readings) AS n, sumMerge(value_sum) AS kwh, uniqMerge(meters) AS meters FROM ${db}.rollup_dims_daily
             WHERE local_date = toDate('${day}') GROUP BY region, segment, tariff`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ n: string; kwh: number; meters: string }>()).map((x) => ({
    n: Number(x.n),
    kwh: x.kwh,
    meters: Number(x.meters),
  }));
}

async function dimsHourly(day: string) {
  const rs = await ports.clickhouse.client.query({
    query: `SELECT sumMerge(readings) AS n, sumMerge(value_sum) AS kwh FROM ${db}.rollup_dims_hourly
             WHERE toDate(hour) = toDate('${day}')`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ n: string; kwh: number }>()).map((x) => ({ n: Number(x.n), kwh: x.kwh }));
}

describe('smt reconcile', () => {
  it('finds nothing when the copies agree', async () => {
    const r = await reconcile(ports, { from: '2026-03-29', to: '2026-03-30' });
    expect(r).toMatchObject({
      meters: 2,
      meterDays: 4,
      differences: [],
      byStore: { clickhouse: 0, postgres: 0 },
    });
  });

  it('lists the damaged meter-days of each copy and repairs exactly those from the series', async () => {
    // damage for real: readings deleted in ClickHouse, a PostgreSQL aggregate altered
    const ch = createClickHouseClient(stores.config);
    try {
      await ch.command({
        query: `ALTER TABLE ${db}.readings DELETE WHERE meter_id = 'R1' AND local_date = toDate('2026-03-29') AND toHour(ts) = 5`,
      });
      for (let i = 0; i < 100; i++) {
        const rs = await ch.query({
          query: `SELECT count() AS n FROM system.mutations WHERE database = '${db}' AND is_done = 0`,
          format: 'JSONEachRow',
        });
        if (Number((await rs.json<{ n: string }>())[0]!.n) === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await ch.close();
    }
    expect(await chFigures('R1', '2026-03-29')).toEqual({ n: 88, kwh: 22 });
    await ports.pool.query(
      `UPDATE smt.daily_aggregates SET value_sum = 47.5 WHERE meter_id = 'R2' AND local_date = '2026-03-30'`,
    );

    const found = runCli(['reconcile', '--from', '2026-03-29', '--to', '2026-03-30', '--json'], stores.env);
    expect(found.status).toBe(3);
    const r = json<Awaited<ReturnType<typeof reconcile>>>(found);
    expect(r.differences).toEqual([
      {
        meterId: 'R1',
        channel: CH,
        day: '2026-03-29',
        series: { readings: 92, energy: 23 },
        clickhouse: { readings: 88, energy: 22 },
        postgres: { readings: 92, energy: 23 },
        differs: ['clickhouse'],
      },
      {
        meterId: 'R2',
        channel: CH,
        day: '2026-03-30',
        series: { readings: 96, energy: 48 },
        clickhouse: { readings: 96, energy: 48 },
        postgres: { readings: 96, energy: 47.5 },
        differs: ['postgres'],
      },
    ]);

    // the readings deleted from ClickHouse are still counted by the region × segment × tariff rollups
    // (2026-03-29 is the 92-interval DST day)
    expect(r.rollupDifferences).toEqual([
      {
        period: 'day',
        at: '2026-03-29',
        channel: CH,
        region: 'SE3',
        segment: 'residential',
        tariff: 'T1',
        rollup: { readings: 184, energy: 69 },
        readings: { readings: 180, energy: 68 },
      },
      {
        period: 'hour',
        at: '2026-03-29T05:00:00Z',
        channel: CH,
        region: 'SE3',
        segment: 'residential',
        tariff: 'T1',
        rollup: { readings: 8, energy: 3 },
        readings: { readings: 4, energy: 2 },
      },
    ]);

    const repaired = await reconcile(ports, { from: '2026-03-29', to: '2026-03-30', repair: true });
    expect(repaired.repaired).toEqual({ clickhouse: 1, postgres: 1, rollupDays: 1, remaining: 0 });
    // the re-inserted readings are counted once by the rollups over every meter
    expect(await dimsDaily('2026-03-29')).toEqual([{ n: 184, kwh: 69, meters: 2 }]);
    expect(await chFigures('R1', '2026-03-29')).toEqual({ n: 92, kwh: 23 });
    const pgRow = await ports.pool.query(
      `SELECT value_sum::text AS v FROM smt.daily_aggregates WHERE meter_id = 'R2' AND local_date = '2026-03-30'`,
    );
    expect(pgRow.rows).toEqual([{ v: '48.000000' }]);
    // the per-meter provisional rollup of the repaired day counts each reading once
    const rollup = await ports.clickhouse.client.query({
      query: `SELECT sumMerge(readings) AS n, sumMerge(value_sum) AS kwh FROM ${db}.rollup_meter_daily WHERE meter_id = 'R1' AND local_date = toDate('2026-03-29')`,
      format: 'JSONEachRow',
    });
    expect(
      (await rollup.json<{ n: string; kwh: number }>()).map((x) => ({ n: Number(x.n), kwh: x.kwh })),
    ).toEqual([{ n: 92, kwh: 23 }]);
    const clean = runCli(['reconcile', '--from', '2026-03-29', '--to', '2026-03-30'], stores.env);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/differences\s+│ 0 \(ClickHouse 0, PostgreSQL 0\)/);
  }, 240_000); // two CLI runs: slow on a loaded machine

  it('finds a damaged region × segment × tariff rollup and sums exactly its days again', async () => {
    expect(await dimsDaily('2026-03-30')).toEqual([{ n: 192, kwh: 72, meters: 2 }]);
    const hourlyBefore = await dimsHourly('2026-03-30');
    // damage: a stray state row in the daily and in one hourly group of 2026-03-30
    await ports.clickhouse.client.command({
      query: `INSERT INTO ${db}.rollup_dims_daily SELECT toDate('2026-03-30'), '${CH}', 'SE3', 'residential', 'T1',
                sumState(toFloat64(5)), sumState(toInt64(3)), uniqState('X')`,
    });
    await ports.clickhouse.client.command({
      query: `INSERT INTO ${db}.rollup_dims_hourly SELECT toDateTime('2026-03-30 10:00:00', 'UTC'), '${CH}', 'SE3', 'residential', 'T1',
                sumState(toFloat64(-1)), sumState(toInt64(-2)), uniqStateIf('X', 0)`,
    });
    const found = await reconcile(ports, { from: '2026-03-29', to: '2026-03-30' });
    expect(found.differences).toEqual([]);
    expect(found.rollupDifferences).toEqual([
      {
        period: 'day',
        at: '2026-03-30',
        channel: CH,
        region: 'SE3',
        segment: 'residential',
        tariff: 'T1',
        rollup: { readings: 195, energy: 77 },
        readings: { readings: 192, energy: 72 },
      },
      {
        period: 'hour',
        at: '2026-03-30T10:00:00Z',
        channel: CH,
        region: 'SE3',
        segment: 'residential',
        tariff: 'T1',
        rollup: { readings: 6, energy: 2 },
        readings: { readings: 8, energy: 3 },
      },
    ]);
    const fixed = await reconcile(ports, { from: '2026-03-29', to: '2026-03-30', repair: true });
    expect(fixed.repaired).toEqual({ clickhouse: 0, postgres: 0, rollupDays: 1, remaining: 0 });
    expect(await dimsDaily('2026-03-30')).toEqual([{ n: 192, kwh: 72, meters: 2 }]);
    expect(await dimsHourly('2026-03-30')).toEqual(hourlyBefore);
    expect(await dimsDaily('2026-03-29')).toEqual([{ n: 184, kwh: 69, meters: 2 }]);
  });
});
