/**
 * npm run bench:aggregate [-- --meters 25000 --days 10]  (250,000 meter-days by default)
 *
 * `smt aggregate --period day` against the local stack in throwaway stores: the series of
 * METERS × DAYS meter-days (96 quarter-hours each) is written to Cassandra and ClickHouse, then
 * aggregated into PostgreSQL reading the series from each source — a first run (every row
 * inserted) and a rerun (every row compared, none changed), each once the stores have gone idle
 * (the set-up's compactions and merges are not counted). Prints meter-days/s and the CPU
 * seconds of node and of each store; writes bench/results/aggregate.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { meterDayChunks } from '../src/core/aggregate/chunks.js';
import {
  type AggregateResult,
  type AggregateSource,
  aggregate,
  openAggregatePorts,
  readFacts,
} from '../src/core/aggregate/service.js';
import { CassandraSeriesStore } from '../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../src/core/clickhouse/reading-store.js';
import { forEachBounded } from '../src/core/concurrency.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { MeterRepository } from '../src/core/postgres/meter-repository.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../src/core/readings/quality.js';
import type { Meter } from '../src/core/registry/meter.js';
import { emptyDay, type SeriesDay } from '../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../src/core/time/local-date.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { serviceStats, settle } from './process-stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 25_000);
const DAYS = arg('days', 10);
const ZONE = 'Europe/Stockholm';
const FIRST = '2026-03-01';
const FIRST_DAY = parseLocalDate(FIRST);
const LAST = formatLocalDate(FIRST_DAY + DAYS - 1);
const PASSED = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const STORES = ['cassandra', 'clickhouse', 'postgres'] as const;

const meterId = (m: number) => `AG-${String(m).padStart(7, '0')}`;

function meter(m: number): Meter {
  return {
    meterId: meterId(m),
    accountId: `ACC-${m}`,
    tariffId: `T${m % 3}`,
    regionId: `SE${1 + (m % 4)}`,
    segment: m % 10 === 0 ? 'commercial' : 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: null,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
}

function day(m: number, d: number, version: number): SeriesDay {
  const s = emptyDay(
    { meterId: meterId(m), channel: 'active_import_kwh', day: formatLocalDate(FIRST_DAY + d) },
    ZONE,
    15,
  );
  for (let p = 0; p < s.values.length; p++) {
    // every 50th meter-day has a gap of 4 intervals
    if ((m + d) % 50 === 0 && p >= 40 && p < 44) continue;
    s.values[p] = ((m * 7 + d * 3 + p * 13) % 1000) / 1000;
    s.quality[p] = PASSED;
    s.writeIdx[p] = 0;
  }
  s.writes.push({ version, source: `smt.readings.raw/${m % 6}/${m * DAYS + d}` });
  s.version = version;
  s.writtenAt = Math.floor(version / 1000);
  s.writer = 'ingest:bench';
  s.reason = 'readings received';
  return s;
}

async function withRetries<T>(write: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      log(`setup write failed (${(err as Error).message}), attempt ${i + 1} of ${attempts}`);
      await new Promise((r) => setTimeout(r, 2000 * i));
    }
  }
}

interface Run {
  source: AggregateSource;
  run: 'first' | 'rerun';
  meterDays: number;
  seconds: number;
  meterDaysPerSecond: number;
  /** how long the stores took to go idle before the run (settle) */
  settled: { seconds: number; idle: boolean };
  changed: number;
  nodeCpuSeconds: number;
  storeCpuSeconds: Record<string, number>;
}

async function main() {
  const stores = await isolatedStores('bench_agg');
  const ports = await openAggregatePorts(stores.config, { clickhouse: true });
  const ch = createClickHouseClient(stores.config);
  const runs: Run[] = [];
  const readOnly: Record<string, number> = {};
  const failures: { source: string; run: string; error: string }[] = [];
  try {
    await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
    log(`registering ${METERS} meters`);
    const repo = new MeterRepository(ports.pool);
    for (let i = 0; i < METERS; i += 10_000)
      await repo.upsert(Array.from({ length: Math.min(10_000, METERS - i) }, (_, k) => meter(i + k)));
    const series = new CassandraSeriesStore(ports.cassandra, stores.config.string('cassandra.keyspace'));
    const readings = new ClickHouseReadingStore(ch, stores.config.string('clickhouse.database'));
    log(`writing ${METERS * DAYS} meter-days to Cassandra and ClickHouse`);
    const t0 = performance.now();
    let version = 1_780_000_000_000_000;
    const BATCH = 1_000;
    for (let d = 0; d < DAYS; d++) {
      for (let m = 0; m < METERS; m += BATCH) {
        const days = Array.from({ length: Math.min(BATCH, METERS - m) }, (_, k) => day(m + k, d, ++version));
        // setup only: a write timed out on a busy node is written again (same versions, idempotent)
        await withRetries(() => series.write(days));
        await withRetries(() =>
          readings.insert(
            days.map((s) => ({
              day: s,
              positions: [...s.values.keys()].filter((p) => !Number.isNaN(s.values[p]!)),
              meter: { ...meter(0), meterId: s.meterId },
            })),
            Date.now(),
          ),
        );
      }
      log(`  day ${d + 1}/${DAYS} (${Math.round((performance.now() - t0) / 1000)} s)`);
    }

    const measure = async (source: AggregateSource, run: Run['run']) => {
      if (run === 'first') await ports.pool.query('TRUNCATE smt.daily_aggregates, smt.dims_daily_aggregates');
      // the set-up's and the previous run's compactions, merges and vacuums are not this run's cost
      const settled = await settle(STORES, { idleShare: 0.1, maxSeconds: 120 });
      log(`${source} ${run}: stores ${settled.idle ? 'idle' : 'still busy'} after ${settled.seconds} s`);
      const before = Object.fromEntries(STORES.map((s) => [s, serviceStats(s).cpuSeconds]));
      const cpu0 = process.cpuUsage();
      const r: AggregateResult = await aggregate(ports, { period: 'day', from: FIRST, to: LAST, source });
      const cpu = process.cpuUsage(cpu0);
      const x: Run = {
        source,
        run,
        meterDays: r.meterDays,
        seconds: r.seconds,
        meterDaysPerSecond: r.meterDaysPerSecond,
        settled,
        changed: r.daily.inserted + r.daily.updated,
        nodeCpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
        storeCpuSeconds: Object.fromEntries(
          STORES.map((s) => [s, Math.round((serviceStats(s).cpuSeconds - before[s]!) * 100) / 100]),
        ),
      };
      runs.push(x);
      log(
        `${source} ${run}: ${x.meterDaysPerSecond} meter-days/s (${x.seconds} s, ${x.changed} rows changed)`,
      );
    };
    for (const source of ['clickhouse', 'cassandra'] as const) {
      const meters = await ports.store.meters({});
      const chunks = meterDayChunks(meters, { from: FIRST, to: LAST }, ['active_import_kwh'], 10_000);
      const t = performance.now();
      const ok = await forEachBounded(chunks, 3, (c) =>
        readFacts(ports, source, c.keys, {
          meterIds: c.meterIds,
          channels: ['active_import_kwh'],
          from: FIRST,
          to: LAST,
          timezoneOf: () => ZONE,
          contiguous: true,
        }),
      ).then(
        () => true,
        (err: Error) => {
          log(`${source} read only failed: ${err.message}`);
          failures.push({ source, run: 'read only', error: err.message });
          return false;
        },
      );
      if (!ok) continue;
      readOnly[source] = Math.round((METERS * DAYS) / ((performance.now() - t) / 1000));
      log(`${source}: read only ${readOnly[source]} meter-days/s`);
    }
    for (const [source, run] of [
      ['clickhouse', 'first'],
      ['clickhouse', 'rerun'],
      ['cassandra', 'first'],
      ['cassandra', 'rerun'],
    ] as const) {
      // a busy node may time a read out: record it and go on with the next measurement
      await measure(source, run).catch((err: Error) => {
        log(`${source} ${run} failed: ${err.message}`);
        failures.push({ source, run, error: err.message });
      });
    }
  } finally {
    await ch.close();
    await ports.close();
    // a drop timed out on a busy node must not lose the measurements (it did once)
    await stores.drop().catch((err: Error) => log(`dropping the throwaway stores failed: ${err.message}`));
  }

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    meters: METERS,
    days: DAYS,
    meterDays: METERS * DAYS,
    target: { meterDays: 2_500_000, seconds: 60, meterDaysPerSecond: Math.ceil(2_500_000 / 60) },
    readOnlyMeterDaysPerSecond: readOnly,
    failures,
    runs,
  };
  console.table(
    runs.map((r) => ({
      source: r.source,
      run: r.run,
      'meter-days/s': r.meterDaysPerSecond,
      seconds: r.seconds,
      changed: r.changed,
      'node cpu s': r.nodeCpuSeconds,
      ...Object.fromEntries(Object.entries(r.storeCpuSeconds).map(([k, v]) => [`${k} cpu s`, v])),
    })),
  );
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/aggregate.json'), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
