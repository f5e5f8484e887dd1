/**
 * npm run bench:backfill [-- --meters 100000]  (one local day × 100,000 meters by default)
 *
 * `smt backfill --stages revalidate,aggregate` of one day against the local stack in throwaway
 * stores: the day is ingested first (decode, validate, writeSeries: raw archive, series,
 * ClickHouse, counts), every meter's day flat so that the default rule set flags it (run.flat);
 * then the backfill re-decodes every archived delivery with a rule set that switches run.flat off
 * (every reading changes validation state: a new version of every meter-day), and aggregates the
 * day. Prints meter-days/s; writes bench/results/backfill.json. Target: 100,000 meter-days < 180 s.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBackfill } from '../src/core/backfill/service.js';
import { createCassandraClient } from '../src/core/cassandra/client.js';
import { CassandraRawArchive } from '../src/core/cassandra/raw-archive.js';
import { CassandraSeriesStore } from '../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../src/core/clickhouse/reading-store.js';
import { loadConfig } from '../src/core/config/config.js';
import { createProducer } from '../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../src/core/kafka/topics.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { PostgresBookkeeping } from '../src/core/postgres/bookkeeping.js';
import { createPostgresPool } from '../src/core/postgres/client.js';
import { MeterRepository } from '../src/core/postgres/meter-repository.js';
import { RegistryCache } from '../src/core/registry/registry-cache.js';
import type { SeriesPorts } from '../src/core/series/ports.js';
import { VeeEngine } from '../src/core/vee/engine.js';
import { DEFAULT_RULE_SET_PATH, loadDefaultRuleSet } from '../src/core/vee/rule-set.js';
import { ingestDays } from '../test/helpers/ingest-days.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { fixtureMeter } from '../test/helpers/series-fixtures.js';
import { ingestTopicsEnv } from '../test/helpers/topic-env.js';
import { serviceStats } from './process-stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 100_000);
const DAY = '2026-03-10';
const ZONE = 'Europe/Stockholm';
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const STORES = ['cassandra', 'clickhouse', 'postgres', 'kafka'] as const;

async function main() {
  const stores = await isolatedStores('bench_bf');
  const env = {
    ...stores.env,
    ...ingestTopicsEnv(Math.random().toString(36).slice(2, 8), 'bench.bf'),
    // 3 chunks in flight (closed days, aggregates' COPY, checkpoints) and the poller: with the
    // default 4 connections a loaded host's waits pass the pool's 5 s timeout and chunks fail
    SMT_POSTGRES_POOL_SIZE: String(Math.max(8, arg('concurrency', 3) + 4)),
  };
  const config = loadConfig({ env: { ...process.env, ...env } });
  const rules = path.join(os.tmpdir(), `smt-bench-noflat-${process.pid}.yaml`);
  writeFileSync(
    rules,
    readFileSync(DEFAULT_RULE_SET_PATH, 'utf8').replace(
      /run\.flat:\s*\{[^}]*\}/,
      'run.flat: { action: off }',
    ),
  );
  const pool = createPostgresPool(config);
  const cass = createCassandraClient(config, { useKeyspace: true, readTimeoutMs: 30_000 });
  const ch = createClickHouseClient(config);
  let result: unknown;
  try {
    await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
    await ensureTopics(config);
    const producer = await createProducer(config);
    const meters = Array.from({ length: METERS }, (_, m) =>
      fixtureMeter(`BF-${String(m).padStart(7, '0')}`, `SE${1 + (m % 4)}`, 'residential', `T${m % 3}`),
    );
    log(`registering ${METERS} meters`);
    const repo = new MeterRepository(pool);
    for (let i = 0; i < METERS; i += 10_000) await repo.upsert(meters.slice(i, i + 10_000));
    const registry = new RegistryCache(repo);
    await registry.load();
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
    const t0 = performance.now();
    for (let i = 0; i < METERS; i += 1_000) {
      await ingestDays(
        ports,
        { engine, registry: registry.current, zone: ZONE, topic: 'bench.raw', state },
        meters
          .slice(i, i + 1_000)
          .map((m, k) => ({ meterId: m.meterId, day: DAY, value: () => 0.1 + ((i + k) % 7) / 100 })),
      );
      if ((i / 1_000) % 10 === 0)
        log(`  ingested ${i + 1_000} meter-days (${Math.round((performance.now() - t0) / 1000)} s)`);
    }
    await producer.close();
    const ingestSeconds = (performance.now() - t0) / 1000;

    log('backfill: revalidate (run.flat off) + aggregate');
    const before = Object.fromEntries(STORES.map((s) => [s, serviceStats(s).cpuSeconds]));
    const cpu0 = process.cpuUsage();
    const r = await runBackfill(config, {
      from: DAY,
      to: DAY,
      stages: ['revalidate', 'aggregate'],
      rules,
      concurrency: arg('concurrency', 3),
      chunkMeterDays: arg('chunk', 2_000),
      chunkTimeoutSeconds: 600,
    });
    const cpu = process.cpuUsage(cpu0);
    log(
      `${r.meterDays} meter-days in ${r.seconds} s: ${r.meterDaysPerSecond} meter-days/s, ${r.totals.daysWritten} new versions`,
    );
    result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
      meters: METERS,
      day: DAY,
      ingestSeconds: Math.round(ingestSeconds),
      backfill: {
        meterDays: r.meterDays,
        chunks: r.chunks,
        seconds: r.seconds,
        meterDaysPerSecond: r.meterDaysPerSecond,
        readingsRevalidated: r.totals.revalidate?.readings,
        stateChanged: r.totals.revalidate?.stateChanged,
        newVersions: r.totals.daysWritten,
        aggregatesChanged: r.totals.aggregatesChanged,
        alreadyDone: r.totals.revalidate?.alreadyDone,
        phaseSeconds: r.phaseSeconds,
        cpuMsPerMeterDay: {
          node: Math.round(((cpu.user + cpu.system) / 1e3 / r.meterDays) * 100) / 100,
          ...Object.fromEntries(
            STORES.map((s) => [
              s,
              Math.round((((serviceStats(s).cpuSeconds - before[s]!) * 1e3) / r.meterDays) * 100) / 100,
            ]),
          ),
        },
        nodeCpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
        storeCpuSeconds: Object.fromEntries(
          STORES.map((s) => [s, Math.round((serviceStats(s).cpuSeconds - before[s]!) * 100) / 100]),
        ),
      },
      target: { meterDays: 100_000, seconds: 180 },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await ch.close();
    await cass.shutdown();
    await pool.end();
    await stores.drop();
  }
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/backfill.json'), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
