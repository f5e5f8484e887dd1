import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackfillResult, runBackfill } from '../../src/core/backfill/service.js';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraRawArchive } from '../../src/core/cassandra/raw-archive.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { encode } from '../../src/core/codecs/index.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { createProducer, type MessageProducer } from '../../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { silentLogger } from '../../src/core/log.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { PostgresBookkeeping } from '../../src/core/postgres/bookkeeping.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { NO_SEQUENCE } from '../../src/core/readings/block.js';
import { Origin, originOf, stateOf, ValidationState } from '../../src/core/readings/quality.js';
import { RegistryCache } from '../../src/core/registry/registry-cache.js';
import type { SeriesPorts } from '../../src/core/series/ports.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { VeeEngine } from '../../src/core/vee/engine.js';
import { DEFAULT_RULE_SET_PATH, loadDefaultRuleSet } from '../../src/core/vee/rule-set.js';
import { ingestDays } from '../helpers/ingest-days.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { seriesDays } from '../helpers/series.js';
import { fixtureMeter } from '../helpers/series-fixtures.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const METERS = ['BF1', 'BF2', 'BF3'].map((id) => fixtureMeter(id, 'SE3', 'residential', 'T1'));
const ZONE = 'Europe/Stockholm';
let stores: IsolatedStores;
let config: SmtConfig;
let env: Record<string, string>;
let close: () => Promise<void>;
let checkpoints: () => Promise<number>;
let register: (ids: string[]) => Promise<void>;
let sql: (q: string) => Promise<{ rows: unknown[] }>;
let ingest: (meterId: string, day: string, value: (i: number) => number) => Promise<void>;
/** the default rules with run.flat switched off: a flat day is no longer flagged */
const NO_FLAT = path.join(os.tmpdir(), `smt-rules-noflat-${process.pid}.yaml`);

beforeAll(async () => {
  stores = await isolatedStores('backfill');
  env = { ...stores.env, ...ingestTopicsEnv(Math.random().toString(36).slice(2, 8), 'bf') };
  const { loadConfig } = await import('../../src/core/config/config.js');
  config = loadConfig({ env: { ...process.env, ...env } });
  await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
  writeFileSync(
    NO_FLAT,
    readFileSync(DEFAULT_RULE_SET_PATH, 'utf8').replace(
      /run\.flat:\s*\{[^}]*\}/,
      'run.flat: { action: off }',
    ),
  );
  const pool = createPostgresPool(config);
  await new MeterRepository(pool).upsert(METERS);
  const registry = new RegistryCache(new MeterRepository(pool));
  await registry.load();
  sql = (q) => pool.query(q);
  register = async (ids) => {
    await new MeterRepository(pool).upsert(ids.map((id) => fixtureMeter(id, 'SE3', 'residential', 'T1')));
    await registry.load();
  };
  const cass = createCassandraClient(config, { useKeyspace: true });
  const ch = createClickHouseClient(config);
  await ensureTopics(config);
  const producer: MessageProducer = await createProducer(config);
  const ks = config.string('cassandra.keyspace');
  const ports: SeriesPorts = {
    series: new CassandraSeriesStore(cass, ks),
    raw: new CassandraRawArchive(cass, ks),
    analytics: new ClickHouseReadingStore(ch, config.string('clickhouse.database')),
    bookkeeping: new PostgresBookkeeping(pool),
    topics: { send: (t, m) => producer.sendJson(t, m) },
    topicNames: topicNames(config),
  };
  const engine = new VeeEngine(loadDefaultRuleSet());
  const state = { offset: 0, last: 0 };
  ingest = (meterId, day, value) =>
    ingestDays(ports, { engine, registry: registry.current, zone: ZONE, topic: env.SMT_TOPIC_RAW!, state }, [
      { meterId, day, value },
    ]);
  checkpoints = async () =>
    Number(
      (await pool.query("SELECT count(*) AS n FROM smt.job_checkpoints WHERE job_name = 'backfill'")).rows[0]
        .n,
    );
  close = async () => {
    await producer.close();
    await ch.close();
    await cass.shutdown();
    await pool.end();
  };
  for (const m of METERS) {
    await ingest(m.meterId, '2026-03-28', (i) => 0.1 + ((i * 7) % 10) / 100);
    await ingest(m.meterId, '2026-03-29', () => 0.25); // flat all day: run.flat flags all 92
  }
}, 180_000);

afterAll(async () => {
  await close?.();
  await stores?.drop();
});

const states = async (meterId: string, day: string) => {
  const [d] = await seriesDays(config, meterId, day, day);
  return {
    version: d!.version,
    states: [...new Set([...d!.quality].map((q) => stateOf(q)))],
    rules: d!.rules.size,
  };
};

function cli(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string; kill: () => void }> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', '--no-warnings', path.join(ROOT, 'bin/dev.js'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, NODE_OPTIONS: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    const kill = () => p.kill('SIGKILL');
    p.on('exit', (status) => resolve({ status, stdout, stderr, kill }));
    started.push(kill);
  });
}
const started: (() => void)[] = [];

describe('smt backfill', () => {
  it('--dry-run previews a rule-set change over history and writes nothing', async () => {
    const before = await states('BF1', '2026-03-29');
    expect(before).toEqual({ version: before.version, states: [ValidationState.Accepted], rules: 92 });
    const r = await runBackfill(config, {
      from: '2026-03-28',
      to: '2026-03-29',
      stages: ['revalidate', 'estimate', 'aggregate'],
      rules: NO_FLAT,
      dryRun: true,
    });
    expect(r).toMatchObject({ dryRun: true, chunks: 1, meterDays: 6 });
    expect(r.totals.revalidate).toEqual({
      deliveries: 6,
      undecodable: 0,
      readings: 3 * (96 + 92),
      notOwned: 0,
      valueChanged: 0,
      stateChanged: 3 * 92,
      rulesChanged: 3 * 92,
      nowRejected: 0,
      nowAccepted: 0,
      alreadyDone: 0,
    });
    expect(r.totals.daysWritten).toBe(3);
    // complete days: the estimate stage finds no gap
    expect(r.totals.estimate).toEqual({
      changedDays: 0,
      gaps: 0,
      missing: 0,
      filled: 0,
      unfilled: 0,
      keptActuals: 0,
    });
    expect(await states('BF1', '2026-03-29')).toEqual(before);
  });

  it('two processes share the job; one killed mid-run, the other finishes; a restart gives the same result', async () => {
    const v28 = (await states('BF2', '2026-03-28')).version;
    const args = [
      'backfill',
      '--from',
      '2026-03-28',
      '--to',
      '2026-03-29',
      '--rules',
      NO_FLAT,
      '--chunk-days',
      '1',
      '--rate',
      '1',
      '--chunk-timeout',
      '4',
      '--concurrency',
      '1',
      '--json',
    ];
    const a = cli(args);
    const b = cli(args);
    // kill -9 the first process as soon as the first chunk is done: the job is mid-run
    const before = await checkpoints();
    while ((await checkpoints()) === before) await new Promise((r) => setTimeout(r, 100));
    started[0]!();
    expect((await checkpoints()) - before).toBeLessThan(3);
    // ingest keeps writing other days of the same meters meanwhile
    for (const m of METERS) await ingest(m.meterId, '2026-03-30', () => 0.3);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.status).toBe(null); // killed
    expect(rb.status).toBe(0);
    // --json: the result and nothing else on stdout, no progress on stderr
    const result = JSON.parse(rb.stdout) as BackfillResult;
    expect(rb.stderr).not.toMatch(/meter-days|backfill \(|ETA/);
    // chunks are whole meters: one meter × 2 days each
    expect(result).toMatchObject({ chunks: 3, meterDays: 6, engine: 'pg-boss' });
    // a chunk the killed process had written but not checkpointed is done again: its readings and
    // days count as already done by this job, not as changed twice
    const v = result.totals.revalidate!;
    expect(v.stateChanged + v.alreadyDone).toBe(3 * 92);
    expect(result.totals.daysWritten + result.totals.daysAlreadyWritten).toBe(3);
    for (const m of METERS)
      expect(await states(m.meterId, '2026-03-29')).toMatchObject({
        states: [ValidationState.Passed],
        rules: 0,
      });
    // days where nothing changed keep their version; the day ingest wrote meanwhile is intact
    expect((await states('BF2', '2026-03-28')).version).toBe(v28);
    expect(await states('BF2', '2026-03-30')).toMatchObject({ states: [ValidationState.Accepted] });
    // restarted with the same arguments: nothing left to do, the same result
    const again = await cli(args);
    expect(again.status).toBe(0);
    const r2 = JSON.parse(again.stdout) as BackfillResult;
    expect(r2.chunksByThisProcess).toBe(0);
    expect(r2.totals).toEqual(result.totals);
    // another run over the same days writes no new version: nothing changed any more
    const fresh = await runBackfill(config, {
      from: '2026-03-28',
      to: '2026-03-29',
      stages: ['revalidate'],
      rules: NO_FLAT,
    });
    expect(fresh.totals.daysWritten).toBe(0);
    expect(fresh.totals.revalidate!.stateChanged).toBe(0);
  }, 240_000);

  it('a lone process killed with kill -9 and restarted does exactly the chunks left', async () => {
    // a rule set of its own (another job): run.flat flags again what the job before passed
    const FLAT = path.join(os.tmpdir(), `smt-rules-flat-${process.pid}.yaml`);
    writeFileSync(
      FLAT,
      readFileSync(DEFAULT_RULE_SET_PATH, 'utf8').replace(/^name: .*$/m, 'name: flat-again'),
    );
    const args = [
      'backfill',
      '--from',
      '2026-03-29',
      '--to',
      '2026-03-29',
      '--rules',
      FLAT,
      '--stages',
      'revalidate',
      '--chunk-days',
      '1',
      '--rate',
      '1',
      '--chunk-timeout',
      '3',
      '--concurrency',
      '1',
      '--json',
    ];
    const before = await checkpoints();
    const first = cli(args);
    while ((await checkpoints()) === before) await new Promise((r) => setTimeout(r, 100));
    started[started.length - 1]!();
    expect((await first).status).toBe(null); // killed
    const left = 3 - ((await checkpoints()) - before);
    expect(left).toBeGreaterThan(0);
    const again = await cli(args);
    expect(again.status).toBe(0);
    const r = JSON.parse(again.stdout) as BackfillResult;
    expect(r.chunksByThisProcess).toBe(left);
    // the same result as one uninterrupted run: every flat DST day flagged again, once
    expect(r.totals.revalidate!.stateChanged + r.totals.revalidate!.alreadyDone).toBe(3 * 92);
    expect(r.totals.daysWritten + r.totals.daysAlreadyWritten).toBe(3);
    for (const m of METERS)
      expect(await states(m.meterId, '2026-03-29')).toMatchObject({
        states: [ValidationState.Accepted],
        rules: 92,
      });
  }, 240_000);

  it('leaves readings a newer delivery set alone (versions decide, no lost update)', async () => {
    await register(['BF5']);
    await ingest('BF5', '2026-03-29', () => 0.25); // flat: flagged
    await ingest('BF5', '2026-03-29', (i) => 0.2 + (i % 5) / 100); // a later delivery replaces it
    const v = (await states('BF5', '2026-03-29')).version;
    const r = await runBackfill(config, {
      from: '2026-03-29',
      to: '2026-03-29',
      scope: { meterIds: ['BF5'] },
      stages: ['revalidate'],
      rules: NO_FLAT,
    });
    expect(r.totals.revalidate).toMatchObject({
      deliveries: 2,
      readings: 2 * 92,
      notOwned: 92,
      stateChanged: 0,
    });
    expect(r.totals.daysWritten).toBe(0);
    const [d] = await seriesDays(config, 'BF5', '2026-03-29', '2026-03-29');
    expect(d!.version).toBe(v);
    expect(d!.values[7]).toBe(0.2 + 2 / 100);
  }, 120_000);

  it('--stages estimate fills the gaps of a DST day with the estimation chain, once', async () => {
    await register(['BF4']);
    // 2026-03-29 in Stockholm has 92 quarter-hours; positions 40–43 (one hour) never arrived
    await ingest('BF4', '2026-03-29', (i) => (i >= 40 && i < 44 ? Number.NaN : 0.1 + i / 100));
    const run = (dryRun: boolean) =>
      runBackfill(config, {
        from: '2026-03-29',
        to: '2026-03-29',
        scope: { meterIds: ['BF4'] },
        stages: ['estimate', 'aggregate'],
        dryRun,
      });
    const plan = await run(true);
    const first = await run(false);
    expect(plan.totals.estimate).toEqual({ ...first.totals.estimate });
    expect(first.totals.estimate).toEqual({
      changedDays: 1,
      gaps: 1,
      missing: 4,
      filled: 4,
      unfilled: 0,
      keptActuals: 0,
    });
    const [d] = await seriesDays(config, 'BF4', '2026-03-29', '2026-03-29');
    expect(d!.values.length).toBe(92);
    // an hour is within linear interpolation's reach: between 0.49 (position 39) and 0.54 (44)
    expect([...d!.values.subarray(40, 44)].map((x) => Math.round(x * 1e9) / 1e9)).toEqual([
      0.5, 0.51, 0.52, 0.53,
    ]);
    expect([...d!.quality.subarray(40, 44)].map((q) => originOf(q))).toEqual(Array(4).fill(Origin.Estimated));
    expect(originOf(d!.quality[39]!)).toBe(Origin.Actual);
    // the daily aggregate counts the 4 estimates of the 92 expected intervals
    const row = await sql(
      "SELECT intervals_expected, intervals_actual, intervals_estimated, intervals_missing FROM smt.daily_aggregates WHERE meter_id = 'BF4' AND local_date = '2026-03-29'",
    );
    expect(row.rows).toEqual([
      { intervals_expected: 92, intervals_actual: 88, intervals_estimated: 4, intervals_missing: 0 },
    ]);
    // a second job over the day finds no gap left
    const second = await runBackfill(config, {
      from: '2026-03-29',
      to: '2026-03-29',
      scope: { meterIds: ['BF4'] },
      stages: ['estimate'],
    });
    expect(second.totals.estimate).toMatchObject({ changedDays: 0, gaps: 0, filled: 0 });
  }, 180_000);
  it('smt ingest writing the same meter-day while the backfill re-validates it: both changes kept, every store exact', async () => {
    await register(['BF6']);
    const day = '2026-03-29'; // DST: 92 quarter-hours
    // flat (run.flat flags it) and the last 12 quarter-hours not received yet
    await ingest('BF6', day, (i) => (i >= 80 ? Number.NaN : 0.25));
    const starts = LocalCalendar.for(ZONE).intervalStarts(day, 15).slice(80);
    const late = {
      meterId: 'BF6',
      channel: 'active_import_kwh',
      intervalMinutes: 15 as const,
      starts,
      values: Float64Array.from(starts, (_, i) => 0.3 + i / 100),
      status: new Uint32Array(starts.length),
      sequence: new Int32Array(starts.length).fill(NO_SEQUENCE),
      commQuality: Number.NaN,
    };
    let ingested: Awaited<ReturnType<typeof runIngest>> | undefined;
    const r = await runBackfill(config, {
      from: day,
      to: day,
      scope: { meterIds: ['BF6'] },
      stages: ['revalidate', 'aggregate'],
      rules: NO_FLAT,
      // the late readings arrive and smt ingest stores them after the backfill read the day
      // and before it writes its re-validation of it
      afterChunkRead: async () => {
        const producer = await createProducer(config);
        try {
          await producer.sendRaw(topicNames(config).raw, [
            { key: 'BF6', value: Buffer.from(encode('json', [late]) as string), format: 'json' },
          ]);
        } finally {
          await producer.close();
        }
        ingested = await runIngest(config, { untilIdle: true, logger: silentLogger });
      },
    });
    expect(ingested).toMatchObject({ stored: 12, newVersions: 0 });
    expect(r.totals.revalidate).toMatchObject({ deliveries: 1, readings: 80, stateChanged: 80, notOwned: 0 });
    expect(r.totals.daysWritten).toBe(1);
    // the series: the backfill's version supersedes ingest's, with both changes
    const [d] = await seriesDays(config, 'BF6', day, day);
    const cass = createCassandraClient(config, { useKeyspace: true });
    const history = await new CassandraSeriesStore(cass, config.string('cassandra.keyspace'))
      .versions({ meterId: 'BF6', channel: 'active_import_kwh', day })
      .finally(() => cass.shutdown());
    expect(history.map((v) => v.writer.split(':')[0])).toEqual(['backfill', 'ingest', 'ingest']);
    expect(d!.version).toBe(history[0]!.version);
    expect(d!.supersedes).toBe(history[1]!.version);
    expect([...d!.values]).toEqual([...Array(80).fill(0.25), ...late.values]);
    expect(d!.rules.size).toBe(0);
    expect([...new Set([...d!.quality].map((q) => stateOf(q)))]).toEqual([ValidationState.Passed]);
    const sum = [...d!.values].reduce((a, b) => a + b, 0);
    // ClickHouse: the latest version of every reading, and rollups that count each reading once
    const ch = createClickHouseClient(config);
    const db = config.string('clickhouse.database');
    const one = async <T>(query: string) =>
      (await (await ch.query({ query, format: 'JSONEachRow' })).json<T>())[0]!;
    try {
      const held = await one<{ n: string; kwh: number; passed: string }>(
        `SELECT count() AS n, sum(value) AS kwh, countIf(validation_state = ${ValidationState.Passed}) AS passed
         FROM ${db}.readings FINAL WHERE meter_id = 'BF6' AND local_date = '${day}'`,
      );
      expect(Number(held.n)).toBe(92);
      expect(Number(held.passed)).toBe(92);
      expect(held.kwh).toBeCloseTo(sum, 9);
      const rolled = await one<{ n: string; kwh: number }>(
        `SELECT sumMerge(readings) AS n, sumMerge(value_sum) AS kwh FROM ${db}.rollup_meter_daily
         WHERE meter_id = 'BF6' AND local_date = '${day}'`,
      );
      expect(Number(rolled.n)).toBe(92);
      expect(rolled.kwh).toBeCloseTo(sum, 9);
    } finally {
      await ch.close();
    }
    // PostgreSQL: the daily aggregate of the version that holds both
    const row = await sql(
      `SELECT value_sum::float8 AS kwh, intervals_actual, intervals_missing, series_version::text AS v
       FROM smt.daily_aggregates WHERE meter_id = 'BF6' AND local_date = '${day}'`,
    );
    expect(row.rows.length).toBe(1);
    const [agg] = row.rows as {
      kwh: number;
      intervals_actual: number;
      intervals_missing: number;
      v: string;
    }[];
    expect(agg).toMatchObject({ intervals_actual: 92, intervals_missing: 0, v: String(d!.version) });
    expect(agg!.kwh).toBeCloseTo(sum, 6);
  }, 180_000);
});
