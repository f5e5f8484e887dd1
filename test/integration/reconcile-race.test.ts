/**
 * `smt reconcile --repair` while `smt ingest` keeps writing the days it repairs: the repair is
 * paused between its steps (its test hooks) and the daemon ingests new versions and a new meter
 * of those days right there. Afterwards every ClickHouse rollup equals the sums of `readings`.
 */
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RepairStep, reconcile } from '../../src/core/aggregate/reconcile.js';
import { type AggregatePorts, aggregate, openAggregatePorts } from '../../src/core/aggregate/service.js';
import { waitForMutations } from '../../src/core/clickhouse/repair.js';
import { encode } from '../../src/core/codecs/index.js';
import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { type Logger, silentLogger } from '../../src/core/log.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { meterDay } from '../helpers/blocks.js';
import { fleetEnv, fleetMeter, ZONE } from '../helpers/ingest-fleet.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

type Ports = AggregatePorts & { close(): Promise<void>; pool: pg.Pool; cassandra: cassandra.Client } & {
  clickhouse: { client: ClickHouseClient; database: string };
};
const DAYS = ['2026-10-23', '2026-10-24'];
const DAY = '2026-10-24';
const PER_DAY = 96;
let stores: IsolatedStores;
let config: SmtConfig;
let ports: Ports;
let db: string;
let meters = 4;

/** Quarter-hour values in eighths: every sum is exact whatever the order ClickHouse adds them in. */
const valueAt = (round: number, meter: number, i: number) => (((i + meter) % 8) + round) / 8;

async function register(n: number): Promise<void> {
  await new MeterRepository(ports.pool).upsert(Array.from({ length: n }, (_, k) => fleetMeter(`P-${k}`, k)));
}

/** Every meter's readings of `days`, values of `round` (a round after the first re-sends new values). */
async function produce(round: number, days: readonly string[]): Promise<void> {
  const producer = await createProducer(config);
  try {
    const messages = [];
    for (let n = 0; n < meters; n++)
      for (const d of days) {
        const b = meterDay(`P-${n}`, d, ZONE, (i) => valueAt(round, n, i));
        messages.push({
          key: b.meterId,
          value: Buffer.from(encode('json', [b]) as string),
          format: 'json' as const,
        });
      }
    await producer.sendRaw(topicNames(config).raw, messages);
  } finally {
    await producer.close();
  }
}

const ingest = (logger: Logger = silentLogger) => runIngest(config, { untilIdle: true, logger });

async function rows<T>(query: string): Promise<T[]> {
  return (await ports.clickhouse.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Damage for real: some readings of a meter-day deleted from `readings`, its rollups left counting them. */
async function damage(meterId: string, hour: number): Promise<void> {
  await ports.clickhouse.client.command({
    query: `ALTER TABLE ${db}.readings DELETE WHERE meter_id = '${meterId}' AND local_date = toDate('${DAY}') AND toHour(ts) = ${hour}`,
  });
  await waitForMutations(ports.clickhouse.client, db);
}

/**
 * Each rollup next to what `readings` (latest versions) sums to, one line per group, as
 * `key → readings / kWh [/ meters | / estimated]`; the two lists are equal when the rollups are exact.
 */
async function rollupsAndReadings(): Promise<{ rollups: string[]; readings: string[] }> {
  const specs = [
    {
      table: 'rollup_dims_daily',
      key: 'toString(local_date), channel, region, segment, tariff',
      of: 'toString(local_date), channel, region, segment, tariff',
      held: 'uniqMerge(meters)',
      truth: 'uniq(meter_id)',
    },
    {
      table: 'rollup_dims_hourly',
      key: 'toString(hour), channel, region, segment, tariff',
      of: 'toString(toStartOfHour(ts)), channel, region, segment, tariff',
      held: 'uniqMerge(meters)',
      truth: 'uniq(meter_id)',
    },
    {
      table: 'rollup_meter_daily',
      key: 'meter_id, channel, toString(local_date)',
      of: 'meter_id, channel, toString(local_date)',
      held: 'sumMerge(estimated)',
      truth: 'sum(origin != 0)',
    },
    {
      table: 'rollup_meter_hourly',
      key: 'meter_id, channel, toString(hour)',
      of: 'meter_id, channel, toString(toStartOfHour(ts))',
      held: 'sumMerge(estimated)',
      truth: 'sum(origin != 0)',
    },
  ];
  const out = { rollups: [] as string[], readings: [] as string[] };
  for (const s of specs) {
    const line = (r: { k: string[]; n: string; kwh: number; x: string }) =>
      `${s.table} ${r.k.join('|')} → ${r.n} / ${r.kwh} / ${r.x}`;
    const held = await rows<{ k: string[]; n: string; kwh: number; x: string }>(
      `SELECT [${s.key}] AS k, toString(sumMerge(readings)) AS n, sumMerge(value_sum) AS kwh, toString(${s.held}) AS x
         FROM ${db}.${s.table} GROUP BY k HAVING n != '0' ORDER BY k`,
    );
    const truth = await rows<{ k: string[]; n: string; kwh: number; x: string }>(
      `SELECT [${s.of}] AS k, toString(count()) AS n, sum(value) AS kwh, toString(${s.truth}) AS x
         FROM ${db}.readings FINAL WHERE missing = 0 GROUP BY k ORDER BY k`,
    );
    out.rollups.push(...held.map(line));
    out.readings.push(...truth.map(line));
  }
  return out;
}

async function dayTotals(): Promise<{ n: number; kwh: number; meters: number }> {
  const [r] = await rows<{ n: string; kwh: number; m: string }>(
    `SELECT toString(sumMerge(readings)) AS n, sumMerge(value_sum) AS kwh, toString(uniqMerge(meters)) AS m
       FROM ${db}.rollup_dims_daily WHERE local_date = toDate('${DAY}')`,
  );
  return { n: Number(r!.n), kwh: r!.kwh, meters: Number(r!.m) };
}

const energyOf = (round: number, n: number) => {
  let kwh = 0;
  for (let m = 0; m < n; m++) for (let i = 0; i < PER_DAY; i++) kwh += valueAt(round, m, i);
  return kwh;
};

beforeAll(async () => {
  stores = await isolatedStores('rrace');
  const env = fleetEnv(stores.env, `rr${randomBytes(3).toString('hex')}`, {
    SMT_INGEST_SESSION_TIMEOUT_MS: '20000',
  });
  config = loadConfig({ env: { ...process.env, ...env } });
  await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
  await ensureTopics(config);
  ports = (await openAggregatePorts(config, { clickhouse: true })) as Ports;
  db = config.string('clickhouse.database');
  await register(meters);
  await produce(0, DAYS);
  expect((await ingest()).stored).toBe(meters * DAYS.length * PER_DAY);
  await aggregate(ports, { period: 'day', from: DAYS[0]!, to: DAYS[1]! });
}, 180_000);

afterAll(async () => {
  await ports?.close();
  await stores?.drop();
});

describe('smt reconcile --repair while ingest writes the same days', () => {
  it('readings ingested between the repair deleting and deriving again are counted once', async () => {
    await damage('P-0', 5);
    let round = 0;
    const steps: RepairStep[] = [];
    const repaired = await reconcile(ports, {
      from: DAYS[0]!,
      to: DAYS[1]!,
      repair: true,
      hooks: {
        afterStep: async (step) => {
          steps.push(step);
          if (step !== 'deleted') return;
          // right in the window: a fifth meter and new values for every meter of the repaired day
          // (the damaged meter-day included), ingested to the end
          meters = 5;
          await register(meters);
          await produce(++round, [DAY]);
          expect((await ingest()).stored).toBe(meters * PER_DAY);
        },
      },
    });
    expect(steps).toContain('deleted');
    const { rollups, readings } = await rollupsAndReadings();
    expect(rollups).toEqual(readings);
    expect(await dayTotals()).toEqual({ n: meters * PER_DAY, kwh: energyOf(round, meters), meters });
    // still differing: the daily aggregate of the repaired meter-day, behind the values ingested
    // meanwhile (ingest queues it for recalculation; the repair found it equal)
    expect(repaired.repaired).toEqual({ clickhouse: 1, postgres: 0, rollupDays: 1, remaining: 1 });
    const again = await reconcile(ports, { from: DAYS[0]!, to: DAYS[1]! });
    expect(again.byStore.clickhouse).toBe(0);
    expect(again.rollupDifferences).toEqual([]);
  }, 240_000);

  it('ingest waits while the repair derives the rollups again, and is counted once afterwards', async () => {
    await aggregate(ports, { period: 'day', from: DAYS[0]!, to: DAYS[1]! });
    await damage('P-1', 6);
    const count = async () =>
      Number((await rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${db}.readings`))[0]!.n);
    let running: ReturnType<typeof ingest> | undefined;
    let fenced = -1;
    let heldOff = -2;
    const repaired = await reconcile(ports, {
      from: DAYS[0]!,
      to: DAYS[1]!,
      repair: true,
      hooks: {
        afterStep: async (step) => {
          if (step !== 'fenced') return;
          fenced = await count();
          await produce(7, [DAY]);
          running = ingest();
          // until the daemon's slice waits for its watermark lease (a lock wait, not a timing)
          for (let i = 0; i < 600; i++) {
            const w = await ports.pool.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'smt.ingest_watermarks'::regclass`,
            );
            if (Number(w.rows[0]!.n) > 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          heldOff = await count();
        },
      },
    });
    expect(running).toBeDefined();
    // while fenced, the daemon's slice waited for its lease and wrote nothing to ClickHouse
    expect(heldOff).toBe(fenced);
    // what the second pass finds depends on how far ingest got meanwhile: not asserted
    expect(repaired.repaired).toMatchObject({ clickhouse: 1, postgres: 0, rollupDays: 1 });
    expect((await running!).stored).toBe(meters * PER_DAY);
    const { rollups, readings } = await rollupsAndReadings();
    expect(rollups).toEqual(readings);
    expect(await dayTotals()).toEqual({ n: meters * PER_DAY, kwh: energyOf(7, meters), meters });
  }, 240_000);

  it('a slice in flight when the repair holds ingest off is waited for, and counted once', async () => {
    await aggregate(ports, { period: 'day', from: DAYS[0]!, to: DAYS[1]! });
    await damage('P-2', 7);
    let running: ReturnType<typeof ingest> | undefined;
    const repaired = await reconcile(ports, {
      from: DAYS[0]!,
      to: DAYS[1]!,
      repair: true,
      hooks: {
        afterStep: async (step) => {
          if (step !== 'deleted') return;
          await produce(9, [DAY]);
          // the daemon's first slice stops after writing the series, before ClickHouse, its lease
          // held: the repair asks for the fence right then (read again now, the series is ahead of
          // ClickHouse, and the slice inserts its readings afterwards)
          let stalled: () => void = () => {};
          const seen = new Promise<void>((r) => (stalled = r));
          process.env.SMT_FAULT_STALL_AFTER = 'series:3000';
          running = ingest({
            log: (_level, msg) => {
              if (msg === 'fault harness: stalling the slice') stalled();
            },
          });
          await seen;
          delete process.env.SMT_FAULT_STALL_AFTER;
        },
      },
    });
    expect(running).toBeDefined();
    expect(repaired.repaired).toMatchObject({ clickhouse: 1, postgres: 0, rollupDays: 1 });
    expect((await running!).stored).toBe(meters * PER_DAY);
    const { rollups, readings } = await rollupsAndReadings();
    expect(rollups).toEqual(readings);
    expect(await dayTotals()).toEqual({ n: meters * PER_DAY, kwh: energyOf(9, meters), meters });
    const again = await reconcile(ports, { from: DAYS[0]!, to: DAYS[1]! });
    expect(again.byStore.clickhouse).toBe(0);
    expect(again.rollupDifferences).toEqual([]);
  }, 240_000);

  it('repairs a meter-day of a half-hour zone: the UTC hour it shares with the day before counts once', async () => {
    const zone = 'Asia/Kolkata';
    await new MeterRepository(ports.pool).upsert([
      {
        meterId: 'K-0',
        accountId: 'AK',
        tariffId: 'T',
        regionId: 'IN',
        segment: 'residential',
        timezone: zone,
        intervalMinutes: 15,
        status: 'active',
        ratedKw: 17,
        installedAt: new Date('2025-01-01T00:00:00Z'),
        removedAt: null,
      },
    ]);
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(
        topicNames(config).raw,
        DAYS.map((d) => {
          const b = meterDay('K-0', d, zone, (i) => valueAt(2, 0, i));
          return {
            key: b.meterId,
            value: Buffer.from(encode('json', [b]) as string),
            format: 'json' as const,
          };
        }),
      );
    } finally {
      await producer.close();
    }
    expect((await ingest()).stored).toBe(DAYS.length * PER_DAY);
    // 18:00 UTC holds 23:30–23:45 of the 23rd and 00:00–00:15 of the 24th (IST, +05:30)
    await damage('K-0', 18);
    const repaired = await reconcile(ports, {
      from: DAYS[0]!,
      to: DAYS[1]!,
      scope: { meterIds: ['K-0'] },
      repair: true,
    });
    // PostgreSQL: K-0's days were never aggregated; rollup days: the damaged hours' days (both)
    expect(repaired.repaired).toEqual({ clickhouse: 1, postgres: 2, rollupDays: 2, remaining: 0 });
    const [shared] = await rows<{ n: string }>(
      `SELECT toString(sumMerge(readings)) AS n FROM ${db}.rollup_meter_hourly WHERE meter_id = 'K-0' AND hour = toDateTime('2026-10-23 18:00:00', 'UTC')`,
    );
    expect(shared!.n).toBe('4');
    const { rollups, readings } = await rollupsAndReadings();
    expect(rollups).toEqual(readings);
  }, 240_000);
});
