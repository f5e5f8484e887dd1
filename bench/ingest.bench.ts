/**
 * npm run bench:ingest [-- --meters 10000 --days 7 --latency-seconds 60 --rate 2778]
 *
 * Against the local stack (started if needed), in throwaway databases and topics:
 *  0. warm-up: the same meters × 2 days (the days before the measured week) ingested first
 *     (--warmup-meters N changes the count, 0 skips it), so the JVMs' JIT has compiled the hot paths
 *     and the figures are the steady state of a running platform. 2,000 meters were too few: half of
 *     Cassandra's CPU in the measured week was still its C2 compiler (docs/benchmarks.md);
 *  1. throughput: simulate meters × days with the default faults, then `smt ingest --until-idle` (the
 *     built CLI, in its own process); readings/s sustained, CPU µs per reading for the daemon and each
 *     service, the daemon's peak RSS;
 *  2. latency: the daemon running, readings produced at the seed's average rate (2,778/s =
 *     2.5 M meters × 96 / 86,400 s) by `smt simulate --rate` in its own process; p50/p99 from
 *     produce to acknowledged in every store.
 * Prints a table and writes bench/results/ingest.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCassandraClient } from '../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../src/core/cassandra/series-store.js';
import { loadConfig, type SmtConfig } from '../src/core/config/config.js';
import { type IngestSummary, runIngest } from '../src/core/ingest/daemon.js';
import { jsonLogger } from '../src/core/log.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { createPostgresPool } from '../src/core/postgres/client.js';
import { MeterRepository } from '../src/core/postgres/meter-repository.js';
import { Fleet } from '../src/core/simulate/fleet.js';
import { defaultStart, type SimulateSummary } from '../src/core/simulate/service.js';
import { stackUp } from '../src/core/stack/orchestrator.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { ingestTopicsEnv } from '../test/helpers/topic-env.js';
import { jitProfile, type ProcStats, percentile, SERVICES, snapshotAll } from './process-stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 10_000);
const DAYS = arg('days', 7);
const LATENCY_SECONDS = arg('latency-seconds', 60);
const RATE = arg('rate', 2_778);
const WARMUP_METERS = arg('warmup-meters', METERS);
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const logger = jsonLogger('ingest', 'warn');

function envFor(env: Record<string, string>, label: string): Record<string, string> {
  return {
    ...env,
    ...ingestTopicsEnv(label, 'bench'),
  };
}

function configFor(env: Record<string, string>, label: string): SmtConfig {
  return loadConfig({ env: { ...process.env, ...envFor(env, label) } });
}

/**
 * The simulator, the warm-up and the measured ingest each run as their own `smt` process. The
 * measured daemon is the built CLI (`node bin/run.js`, dist/), as operators run it: its CPU and peak
 * RSS are those of a daemon, not of this process with its TypeScript loader.
 */
function cliArgs(command: string, args: string[], build: 'dist' | 'src'): string[] {
  const entry =
    build === 'dist'
      ? [path.join(ROOT, 'bin/run.js')]
      : ['--import', 'tsx', '--no-warnings', path.join(ROOT, 'bin/dev.js')];
  return [...entry, command, ...args, '--json'];
}

function cliInChild<T>(
  env: Record<string, string>,
  command: string,
  args: string[],
  build: 'dist' | 'src' = 'src',
): T {
  const r = spawnSync(process.execPath, cliArgs(command, args, build), {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`smt ${command} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as T;
}

/** The same, without blocking this process's event loop (a daemon runs in it meanwhile). */
function cliInChildAsync<T>(env: Record<string, string>, command: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(command, args, 'dist'), {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as T)
        : reject(new Error(`smt ${command} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

function cpuDelta(a: Record<string, ProcStats>, b: Record<string, ProcStats>): Record<string, number> {
  return Object.fromEntries(SERVICES.map((s) => [s, b[s]!.cpuSeconds - a[s]!.cpuSeconds]));
}

async function main() {
  log('building dist/ (the measured daemon is the built CLI)…');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
  log(`stack up…`);
  await stackUp(loadConfig(), { onProgress: () => {} });
  const stores = await isolatedStores('bench');
  const label = Date.now().toString(36);
  try {
    const config = configFor(stores.env, label);
    await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
    const tz = config.string('timezone');

    if (WARMUP_METERS > 0) {
      const wlabel = `${label}w`;
      log(`warm-up: ${WARMUP_METERS} meters × 2 days…`);
      cliInChild(envFor(stores.env, wlabel), 'simulate', [
        // the two days before the measured week: nothing of the warm-up is re-delivered later
        ...['--seed', '7', '--meters', String(WARMUP_METERS), '--days', '2'],
        ...['--start', defaultStart(tz, DAYS + 2), '--format', 'json', '--faults', 'default'],
      ]);
      // the JVMs warm up; the measured daemon is a fresh process
      cliInChild(envFor(stores.env, wlabel), 'ingest', ['--until-idle']);
    }

    // 1. throughput
    log(`producing ${METERS} meters × ${DAYS} days (default faults)…`);
    const sim = cliInChild<SimulateSummary>(envFor(stores.env, label), 'simulate', [
      ...['--seed', '7', '--meters', String(METERS), '--days', String(DAYS)],
      ...['--start', defaultStart(tz, DAYS), '--format', 'json', '--faults', 'default'],
    ]);
    log(`produced ${sim.readings} readings in ${sim.seconds} s; ingesting until idle…`);
    const before = snapshotAll();
    const ingest = cliInChild<IngestSummary>(
      envFor(stores.env, label),
      'ingest',
      ['--until-idle', '--log-level', 'warn'],
      'dist',
    );
    const after = snapshotAll();
    const busySeconds = ingest.busySeconds;
    const readings = ingest.readings;
    const cpu = { node: ingest.process.busyCpuSeconds, ...cpuDelta(before, after) };
    const throughput = {
      meters: METERS,
      days: DAYS,
      readings,
      stored: ingest.stored,
      producedReadingsPerSecond: sim.readingsPerSecond,
      sustainedReadingsPerSecond: Math.round(readings / busySeconds),
      wallSeconds: Math.round(busySeconds * 10) / 10,
      cpuMicrosPerReading: Object.fromEntries(
        Object.entries(cpu).map(([k, v]) => [k, Math.round(((v * 1e6) / readings) * 100) / 100]),
      ),
      // JIT compiling inside the measured window: counted above, and shown apart because it is the
      // one-off cost of a JVM that has not compiled these paths yet (it shrinks run after run)
      jitCompileMicrosPerReading: Object.fromEntries(
        (['kafka', 'cassandra'] as const).map((s) => [
          s,
          Math.round((((after[s]!.jitCpuSeconds - before[s]!.jitCpuSeconds) * 1e6) / readings) * 100) / 100,
        ]),
      ),
      cpuCoresBusy: Object.fromEntries(
        Object.entries(cpu).map(([k, v]) => [k, Math.round((v / busySeconds) * 100) / 100]),
      ),
      rssMiB: {
        // the kernel's high-water mark of the daemon process (main thread + decode worker)
        node: ingest.process.maxRssMiB,
        ...Object.fromEntries(SERVICES.map((s) => [s, Math.round(after[s]!.rssBytes / 2 ** 20)])),
      },
      seedDayMinutes: Math.round((240e6 / (readings / busySeconds) / 60) * 10) / 10,
    };
    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    (throughput.cpuMicrosPerReading as Record<string, number>).total =
      Math.round(((total * 1e6) / readings) * 100) / 100;
    (throughput.cpuCoresBusy as Record<string, number>).total = Math.round((total / busySeconds) * 100) / 100;

    // 1b. meter-month reads through the series read API, against the keyspace just written
    const monthRead = await meterMonthReads(config, sim.start, sim.end);
    log(`meter-month reads: ${JSON.stringify(monthRead)}`);

    // 2. latency at the seed's average rate
    const latencyLabel = `${label}l`;
    const lconfig = configFor(stores.env, latencyLabel);
    const perMeterDay = 96;
    const lDays = 2;
    const lMeters = Math.max(1, Math.round((RATE * LATENCY_SECONDS) / (perMeterDay * lDays)));
    const fleet = new Fleet({
      seed: 9,
      meters: lMeters,
      timezone: tz,
      start: defaultStart(tz, lDays),
      idPrefix: 'L-',
    });
    const pool = createPostgresPool(lconfig, { max: 1 });
    try {
      await new MeterRepository(pool).upsert(Array.from({ length: lMeters }, (_, i) => fleet.meter(i)));
    } finally {
      await pool.end();
    }
    const latencies: number[] = [];
    const abort = new AbortController();
    const daemon = runIngest(lconfig, {
      logger,
      signal: abort.signal,
      onBatchDone: (messages) => {
        const now = Date.now();
        for (const m of messages) latencies.push(now - m.timestamp);
      },
    });
    await new Promise((r) => setTimeout(r, 5_000)); // let the consumer join before the clock starts
    log(`latency: ${lMeters} meters × ${lDays} days at ${RATE} readings/s (~${LATENCY_SECONDS} s)…`);
    // the producer in its own process, as producers are: it does not share the daemon's event loop
    const lsim = await cliInChildAsync<SimulateSummary>(envFor(stores.env, latencyLabel), 'simulate', [
      ...['--seed', '9', '--meters', String(lMeters), '--days', String(lDays)],
      ...['--start', defaultStart(tz, lDays), '--format', 'json', '--id-prefix', 'L-'],
      ...['--faults', 'none', '--no-register', '--rate', String(RATE)],
    ]);
    const deadline = Date.now() + 30_000;
    while (latencies.length < lsim.messages && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    abort.abort();
    await daemon;
    latencies.sort((a, b) => a - b);
    const latency = {
      rateReadingsPerSecond: RATE,
      producedReadingsPerSecond: lsim.readingsPerSecond,
      messages: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? null,
    };

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      decodeStage: process.env.SMT_INGEST_WORKERS ?? 'config default',
      jit: { kafka: jitProfile('kafka'), cassandra: jitProfile('cassandra') },
      throughput,
      monthRead,
      latency,
    };
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/ingest.json'), `${JSON.stringify(result, null, 2)}\n`);
    const rows: [string, string][] = [
      ['readings ingested', `${readings} (${METERS} meters × ${DAYS} days, default faults)`],
      ['JIT of Kafka / Cassandra (stack.jit)', `${result.jit.kafka} / ${result.jit.cassandra}`],
      ['sustained readings/s', String(throughput.sustainedReadingsPerSecond)],
      ['seed day (240 M readings) at this rate', `${throughput.seedDayMinutes} min`],
      ...Object.entries(throughput.cpuMicrosPerReading).map(
        ([k, v]) =>
          [`CPU µs/reading: ${k}`, `${v} (${throughput.cpuCoresBusy[k as 'node']} cores)`] as [
            string,
            string,
          ],
      ),
      ...Object.entries(throughput.jitCompileMicrosPerReading).map(
        ([k, v]) => [`  of which JIT compiling: ${k}`, String(v)] as [string, string],
      ),
      ...Object.entries(throughput.rssMiB).map(([k, v]) => [`RSS MiB: ${k}`, String(v)] as [string, string]),
      [
        'meter-month read through the read API p50 / p99 / max (ms)',
        `${monthRead.p50Ms} / ${monthRead.p99Ms} / ${monthRead.maxMs} (${monthRead.reads} reads, ${monthRead.days} days each)`,
      ],
      [
        'latency p50 / p99 / max (ms)',
        `${latency.p50Ms} / ${latency.p99Ms} / ${latency.maxMs} at ${RATE} readings/s`,
      ],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
  } finally {
    await stores.drop();
  }
}

/** 1,000 meters' current series over the simulated days, one read API query each, one at a time. */
async function meterMonthReads(config: SmtConfig, from: string, to: string) {
  const pool = createPostgresPool(config, { max: 1 });
  const client = createCassandraClient(config, { useKeyspace: true });
  try {
    const ids = (
      await pool.query<{ meter_id: string }>('SELECT meter_id FROM smt.meters ORDER BY meter_id')
    ).rows.map((r) => r.meter_id);
    const reader = new CassandraSeriesStore(client, config.string('cassandra.keyspace'));
    const latencies: number[] = [];
    let days = 0;
    for (let i = 0; i < 1_000; i++) {
      const meterId = ids[(i * 7919) % ids.length]!;
      const t0 = performance.now();
      days = (await reader.days({ meterId, channel: 'active_import_kwh', from, to })).length;
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    const ms = (x: number) => Math.round(x * 100) / 100;
    return {
      reads: latencies.length,
      days,
      p50Ms: ms(percentile(latencies, 50)),
      p99Ms: ms(percentile(latencies, 99)),
      maxMs: ms(latencies.at(-1)!),
    };
  } finally {
    await pool.end();
    await client.shutdown();
  }
}

await main();
