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

    const repaired = await reconcile(ports, { from: '2026-03-29', to: '2026-03-30', repair: true });
    expect(repaired.repaired).toEqual({ clickhouse: 1, postgres: 1, remaining: 0 });
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
  });
});
