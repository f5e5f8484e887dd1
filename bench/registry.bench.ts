/**
 * npm run bench:registry [-- --meters 2500000 --old-meters 250000 --updates 10000]
 *
 * The ingest daemon's registry at utility scale, against the local stack's PostgreSQL (it must be
 * running; this never starts it), in throwaway databases:
 *  1. RegistryCache at --meters: full load time, longest event-loop block (max and p99 of
 *     monitorEventLoopDelay), memory retained after GC per meter, lookup cost, load time by page
 *     size, and an incremental refresh after updating --updates meters;
 *  2. main's loader (repo.all() → Map<string, Meter> + registrySnapshot with a zone check per
 *     meter) and RegistryCache side by side at --old-meters; the old one is not run at full size,
 *     where its zone checks alone block the event loop for minutes.
 * Run through `node --expose-gc` (the npm script does) so memory is measured after a full GC.
 * Prints a table on stderr and writes bench/results/registry.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SmtConfig } from '../src/core/config/config.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { createPostgresPool } from '../src/core/postgres/client.js';
import { MeterRepository } from '../src/core/postgres/meter-repository.js';
import type { Meter } from '../src/core/registry/meter.js';
import { RegistryCache } from '../src/core/registry/registry-cache.js';
import { Fleet } from '../src/core/simulate/fleet.js';
import { assertTimeZone } from '../src/core/time/calendar.js';
import { type MeterSnapshot, meterSnapshot } from '../src/core/vee/context.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 2_500_000);
const OLD_METERS = arg('old-meters', 250_000);
const UPDATES = arg('updates', 10_000);
const TIMEZONE = 'Europe/Stockholm';
const ID_PREFIX = 'R-';
/** Fleet.meterId without building a fleet */
const meterId = (i: number) => `${ID_PREFIX}${String(i + 1).padStart(6, '0')}`;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
const MiB = 2 ** 20;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** COPY the simulator's fleet into smt.meters (the change-stamping trigger fires as for any insert). */
async function insertFleet(config: SmtConfig, n: number): Promise<number> {
  const fleet = new Fleet({
    seed: 11,
    meters: n,
    timezone: TIMEZONE,
    start: '2026-01-01',
    idPrefix: ID_PREFIX,
  });
  const pool = createPostgresPool(config, { max: 1 });
  const t0 = performance.now();
  try {
    const client = await pool.connect();
    try {
      const copy = client.query(
        copyFrom(
          'COPY smt.meters (meter_id, account_id, tariff_id, region_id, segment, timezone, interval_minutes, status, rated_kw, installed_at, removed_at) FROM STDIN',
        ),
      );
      const tsv = (m: Meter) =>
        `${m.meterId}\t${m.accountId}\t${m.tariffId}\t${m.regionId}\t${m.segment}\t${m.timezone}\t${m.intervalMinutes}\t${m.status}\t${m.ratedKw ?? '\\N'}\t${m.installedAt.toISOString()}\t\\N\n`;
      await pipeline(
        Readable.from(
          (function* () {
            for (const chunk of fleet.chunks(10_000)) yield chunk.map(tsv).join('');
          })(),
        ),
        copy,
      );
    } finally {
      client.release();
    }
    await pool.query('VACUUM ANALYZE smt.meters');
  } finally {
    await pool.end();
  }
  return (performance.now() - t0) / 1000;
}

interface Measured<T> {
  value: T;
  seconds: number;
  /** user + system CPU of this process: unlike wall time, barely moved by other load on the machine */
  cpuSeconds: number;
  loopMaxMs: number;
  loopP99Ms: number;
  /** heap + external (typed arrays) still held after a full GC */
  retainedBytes: number;
  rssDeltaBytes: number;
  peakRssDeltaBytes: number;
}

/**
 * Memory after full GCs. V8 frees ArrayBuffer backing stores (pg's socket buffers, typed arrays)
 * on a background thread after a GC, so `external` lags: collect until it stops moving.
 */
async function settle(): Promise<NodeJS.MemoryUsage> {
  let prev = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
    const m = process.memoryUsage();
    const total = m.heapUsed + m.external;
    if (Math.abs(total - prev) < 256 * 1024) return m;
    prev = total;
  }
  return process.memoryUsage();
}

/** Runs `fn` with the event loop watched: how late a 5 ms timer fired is how long something blocked it. */
async function measured<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const before = await settle();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Let the monitor's timer fire once more: a block that ended fn() is recorded only then.
  await new Promise((r) => setTimeout(r, 20));
  loop.disable();
  clearInterval(sampler);
  const after = await settle();
  return {
    value,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loopMaxMs: loop.max / 1e6,
    loopP99Ms: loop.percentile(99) / 1e6,
    retainedBytes: after.heapUsed + after.external - (before.heapUsed + before.external),
    rssDeltaBytes: after.rss - before.rss,
    peakRssDeltaBytes: Math.max(peakRss, after.rss) - before.rss,
  };
}

/** What the daemon on main did every refresh: every meter as objects, twice, and a zone check per meter. */
async function mainLoader(repo: MeterRepository) {
  const all = await repo.all();
  const meters = new Map(all.map((m) => [m.meterId, m]));
  const snapshot = new Map<string, MeterSnapshot>();
  for (const m of all) {
    const s = meterSnapshot(m);
    assertTimeZone(s.timezone);
    snapshot.set(s.meterId, s);
  }
  return { meters, snapshot };
}

/** ns per call of `get` over ids in random order (the pipeline's access pattern across partitions). */
function lookupNs(get: (id: string) => { intervalMinutes: number } | undefined, n: number): number {
  const ids = Array.from({ length: 200_000 }, (_, i) => meterId((i * 7_919) % n));
  let sink = 0;
  for (const id of ids.slice(0, 20_000)) sink += get(id)!.intervalMinutes; // warm-up
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 5; round++) for (const id of ids) sink += get(id)!.intervalMinutes;
  const ns = Number(process.hrtime.bigint() - t0) / (5 * ids.length);
  if (sink === 0) throw new Error('lookups found nothing');
  return round(ns, 0);
}

// Each measurement in its own function returning plain figures: a suspended async frame can keep
// an awaited value reachable, and the next measurement would count its release as negative memory.
async function measureMainLoader(repo: MeterRepository, n: number) {
  const m = await measured(() => mainLoader(repo));
  return { ...summary(m, n), getNs: lookupNs((id) => m.value.meters.get(id), n) };
}

async function measureCacheLoad(repo: MeterRepository, n: number) {
  const m = await measured(async () => {
    const c = new RegistryCache(repo);
    await c.load();
    return c;
  });
  return { ...summary(m, n), getNs: lookupNs((id) => m.value.current.get(id), n) };
}

async function measureLoadAt(repo: MeterRepository, pageSize: number) {
  const m = await measured(() => new RegistryCache(repo, { pageSize }).load());
  return {
    seconds: round(m.seconds, 2),
    cpuSeconds: round(m.cpuSeconds, 2),
    loopMaxMs: round(m.loopMaxMs),
    loopP99Ms: round(m.loopP99Ms),
  };
}

function summary(m: Measured<unknown>, meters: number) {
  return {
    seconds: round(m.seconds, 2),
    cpuSeconds: round(m.cpuSeconds, 2),
    loopMaxMs: round(m.loopMaxMs),
    loopP99Ms: round(m.loopP99Ms),
    retainedMiB: round(m.retainedBytes / MiB),
    bytesPerMeter: Math.round(m.retainedBytes / meters),
    rssDeltaMiB: round(m.rssDeltaBytes / MiB),
    peakRssDeltaMiB: round(m.peakRssDeltaBytes / MiB),
  };
}

async function withStores<T>(label: string, meters: number, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const stores = await isolatedStores(label, { postgres: true });
  try {
    await migrateStores(stores.config, ['postgres']);
    log(`${label}: inserting ${meters.toLocaleString('en')} meters (COPY)…`);
    const s = await insertFleet(stores.config, meters);
    log(
      `${label}: inserted in ${round(s)} s (${Math.round(meters / s).toLocaleString('en')} rows/s, with indexes)`,
    );
    const pool = createPostgresPool(stores.config, { max: 2 });
    try {
      return await fn(pool);
    } finally {
      await pool.end();
    }
  } finally {
    await stores.drop();
  }
}

async function main() {
  if (!gc) log('run with node --expose-gc for memory figures after a full GC (npm run bench:registry does)');

  // 1. RegistryCache at full size
  const full = await withStores('bench_registry', METERS, async (pool) => {
    const repo = new MeterRepository(pool);
    log(`RegistryCache: full load of ${METERS.toLocaleString('en')} meters (default page size)…`);
    const load = await measured(async () => {
      const c = new RegistryCache(repo);
      const stats = await c.load();
      return { c, stats };
    });
    const cache = load.value.c;
    if (load.value.stats.meters !== METERS)
      throw new Error(`loaded ${load.value.stats.meters} of ${METERS} meters`);
    const getNs = lookupNs((id) => cache.current.get(id), METERS);
    const pageSizes = [];
    // again at each page size, the table now warm in PostgreSQL's cache (the first load above is not)
    for (const pageSize of [2_000, 10_000, 50_000]) {
      log(`full load with ${pageSize.toLocaleString('en')} rows per page…`);
      pageSizes.push({ pageSize, ...(await measureLoadAt(repo, pageSize)) });
    }

    const step = Math.floor(METERS / UPDATES);
    const ids = Array.from({ length: UPDATES }, (_, i) => meterId(i * step));
    const u = await pool.query(
      `UPDATE smt.meters SET tariff_id = tariff_id || '-2026' WHERE meter_id = ANY($1::text[])`,
      [ids],
    );
    log(`updated ${u.rowCount} meters; incremental refresh…`);
    const inc = await measured(() => cache.refresh());
    if (inc.value.rowsRead !== UPDATES)
      throw new Error(`refresh read ${inc.value.rowsRead} rows, expected ${UPDATES}`);
    const idle = await measured(() => cache.refresh());
    return {
      meters: METERS,
      load: { ...summary(load, METERS), rowsPerSecond: Math.round(METERS / load.seconds) },
      getNs,
      pageSizes,
      incremental: {
        updated: UPDATES,
        rowsRead: inc.value.rowsRead,
        seconds: round(inc.seconds, 3),
        cpuSeconds: round(inc.cpuSeconds, 3),
        loopMaxMs: round(inc.loopMaxMs),
        overlay: cache.current.overlaySize,
      },
      idleRefreshSeconds: round(idle.seconds, 3),
    };
  });

  // 2. main's loader against RegistryCache at a size main's loader finishes at; after 1, because
  //    its zone checks leave gigabytes of freed native memory that later allocations would reuse
  const comparison = await withStores('bench_registry_old', OLD_METERS, async (pool) => {
    const repo = new MeterRepository(pool);
    log(`comparison at ${OLD_METERS.toLocaleString('en')}: main's loader…`);
    const main = await measureMainLoader(repo, OLD_METERS);
    log(`comparison at ${OLD_METERS.toLocaleString('en')}: RegistryCache…`);
    const registryCache = await measureCacheLoad(repo, OLD_METERS);
    return { meters: OLD_METERS, main, registryCache };
  });

  const factor = METERS / OLD_METERS;
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    /** other work on the machine inflates wall times and event-loop blocks: compare CPU seconds */
    loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    gcExposed: gc !== undefined,
    registryCache: full,
    comparison,
    mainExtrapolatedToFullSize: {
      note: `main's loader measured at ${OLD_METERS} meters, scaled linearly ×${factor}`,
      seconds: round(comparison.main.seconds * factor),
      cpuSeconds: round(comparison.main.cpuSeconds * factor),
      loopMaxMs: round(comparison.main.loopMaxMs * factor),
      retainedMiB: round(comparison.main.retainedMiB * factor),
    },
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/registry.json'), `${JSON.stringify(result, null, 2)}\n`);

  const c = comparison;
  const n = (x: number) => x.toLocaleString('en');
  const rows: [string, string][] = [
    [
      `RegistryCache full load, ${n(METERS)} meters`,
      `${full.load.seconds} s (${n(full.load.rowsPerSecond)} rows/s), ${full.load.cpuSeconds} CPU s`,
    ],
    ['  longest event-loop block (max / p99)', `${full.load.loopMaxMs} / ${full.load.loopP99Ms} ms`],
    ['  retained after GC', `${n(full.load.retainedMiB)} MiB = ${full.load.bytesPerMeter} B/meter`],
    ['  RSS growth (after GC / peak)', `${n(full.load.rssDeltaMiB)} / ${n(full.load.peakRssDeltaMiB)} MiB`],
    ['  get(meterId)', `${full.getNs} ns`],
    ...full.pageSizes.map(
      (p) =>
        [
          `  with ${n(p.pageSize)} rows per page`,
          `${p.seconds} s, ${p.cpuSeconds} CPU s, max block ${p.loopMaxMs} ms, p99 ${p.loopP99Ms} ms`,
        ] as [string, string],
    ),
    [
      `incremental refresh after ${n(UPDATES)} updates`,
      `${full.incremental.seconds} s, ${n(full.incremental.rowsRead)} rows read, max block ${full.incremental.loopMaxMs} ms`,
    ],
    ['refresh with nothing changed', `${full.idleRefreshSeconds} s`],
    [
      `main's loader, ${n(c.meters)} meters`,
      `${c.main.seconds} s, ${c.main.cpuSeconds} CPU s, max block ${c.main.loopMaxMs} ms, ${c.main.bytesPerMeter} B/meter, get ${c.main.getNs} ns`,
    ],
    [
      `RegistryCache, ${n(c.meters)} meters`,
      `${c.registryCache.seconds} s, ${c.registryCache.cpuSeconds} CPU s, max block ${c.registryCache.loopMaxMs} ms, ${c.registryCache.bytesPerMeter} B/meter, get ${c.registryCache.getNs} ns`,
    ],
    [
      `main's loader scaled to ${n(METERS)} (×${factor})`,
      `~${result.mainExtrapolatedToFullSize.seconds} s, ~${n(result.mainExtrapolatedToFullSize.retainedMiB)} MiB, at every refresh`,
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stderr.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
}

await main();
