/**
 * npm run bench:quality [-- --meters 100000]
 *
 * Gap detection and estimation of one local day × N meters (default 100,000), in process: the
 * detection core over in-memory days (2 % of them with a 15 min–4 h gap, 0.5 % missing entirely),
 * the PostgreSQL write of the gap records and completeness of those meter-days (a throwaway
 * database on the local stack: first write, rerun, and detection + write pipelined as
 * `smt gaps detect` runs them; `--gaps-only` stops there), estimation throughput per method (4-hour gaps and whole days, 28
 * days of history per meter), and the backtest's runtime on the simulator, the OpenDSM data and
 * the UCI Sceaux household.
 * Reading the days from Cassandra is not included (bench:series measures the read API).
 * Prints a table and writes bench/results/quality.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { runBacktest } from '../src/core/estimation/backtest.js';
import {
  addDatasetHolidayRegions,
  opendsmMeters,
  simulatorMeters,
  uciSceauxMeters,
} from '../src/core/estimation/datasets.js';
import { dayTypes } from '../src/core/estimation/day-types.js';
import { estimateRange } from '../src/core/estimation/methods.js';
import {
  DEFAULT_CHAIN,
  defaultEstimationSettings,
  type EstimationMethodName,
} from '../src/core/estimation/settings.js';
import { type DayGaps, detectDay } from '../src/core/gaps/detect.js';
import type { MeterFacts } from '../src/core/gaps/expected.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { createPostgresPool } from '../src/core/postgres/client.js';
import { PostgresGapStore } from '../src/core/postgres/gap-store.js';
import { emptyDay, type SeriesDay } from '../src/core/series/day.js';
import { Rng } from '../src/core/simulate/rng.js';
import { formatLocalDate, parseLocalDate } from '../src/core/time/local-date.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { meterFacts } from '../test/helpers/meter-facts.js';
import { processCpuSeconds } from './process-stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 100_000);
const ZONE = 'Europe/Stockholm';
const DAY = '2026-03-11';
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const mib = (b: number) => Math.round(b / 1048576);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const facts = (i: number): MeterFacts => meterFacts({ meterId: `B${i}`, timezone: ZONE });

function day(meterId: string, date: string, rng: Rng): SeriesDay {
  const d = emptyDay({ meterId, channel: 'active_import_kwh', day: date }, ZONE, 15);
  for (let p = 0; p < d.values.length; p++)
    d.values[p] = 0.1 + 0.2 * Math.sin((p / 96) * Math.PI) + 0.05 * rng.next();
  d.version = 1;
  return d;
}

/**
 * CPU the PostgreSQL backends of this bench's database spent since `start()`: the server side of
 * the write, which wall-clock on a loaded machine hides. (A backend that ends meanwhile is lost.)
 */
async function serverCpu(pool: pg.Pool): Promise<{ stop(): Promise<number> }> {
  const backends = async () =>
    (
      await pool.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
      )
    ).rows.map((r) => r.pid);
  const before = new Map((await backends()).map((pid) => [pid, processCpuSeconds(pid)]));
  return {
    async stop() {
      let s = 0;
      for (const pid of await backends()) s += processCpuSeconds(pid) - (before.get(pid) ?? 0);
      return s;
    },
  };
}

async function main(): Promise<void> {
  const rng = new Rng(42);
  // ---- gap detection -------------------------------------------------------------------------
  const heap0 = process.memoryUsage();
  const days: (SeriesDay | undefined)[] = [];
  const meters: MeterFacts[] = [];
  for (let i = 0; i < METERS; i++) {
    meters.push(facts(i));
    const u = rng.next();
    if (u < 0.005) {
      days.push(undefined);
      continue;
    }
    const d = day(`B${i}`, DAY, rng);
    if (u < 0.025) {
      const len = 1 + rng.int(16);
      const from = rng.int(96 - len);
      for (let p = from; p < from + len; p++) d.values[p] = Number.NaN;
    }
    days.push(d);
  }
  const heldBytes = process.memoryUsage().heapUsed - heap0.heapUsed;
  log(`detecting gaps in ${METERS} meter-days…`);
  const c0 = cpu();
  const t0 = performance.now();
  const found: DayGaps[] = [];
  for (let i = 0; i < METERS; i++) found.push(detectDay(meters[i]!, 'active_import_kwh', DAY, days[i]));
  const detectSeconds = (performance.now() - t0) / 1000;
  const detectCpu = cpu() - c0;
  const gaps = found.reduce((n, d) => n + d.gaps.length, 0);

  log('writing gap records and completeness to PostgreSQL…');
  const iso = await isolatedStores('benchq', { postgres: true });
  let rewriteSeconds = 0;
  let pipelineSeconds = 0;
  let pipelineCpu = 0;
  let rewriteServerCpu = 0;
  let pipelineServerCpu = 0;
  try {
    await migrateStores(iso.config, ['postgres']);
    const pool = createPostgresPool(iso.config);
    try {
      const store = new PostgresGapStore(pool);
      await Promise.all(Array.from({ length: 5 }, () => pool.query('SELECT 1'))); // backends up
      let server = await serverCpu(pool);
      // end to end as `smt gaps detect` does it: detect 10,000 meter-days, write them while the
      // next 10,000 are detected (one write in flight)
      log('detection and recording, pipelined…');
      const FLUSH = 10_000;
      const c3 = cpu();
      const t3 = performance.now();
      let writing: Promise<void> = Promise.resolve();
      for (let i = 0; i < METERS; i += FLUSH) {
        const chunk: DayGaps[] = [];
        for (let j = i; j < Math.min(METERS, i + FLUSH); j++)
          chunk.push(detectDay(meters[j]!, 'active_import_kwh', DAY, days[j]));
        await writing;
        writing = store.replaceDays(chunk);
      }
      await writing;
      pipelineSeconds = (performance.now() - t3) / 1000;
      pipelineCpu = cpu() - c3;
      pipelineServerCpu = await server.stop();
      server = await serverCpu(pool);
      // a rerun over the same days: every day is stored, so they are compared and replaced
      const t2 = performance.now();
      await store.replaceDays(found);
      rewriteSeconds = (performance.now() - t2) / 1000;
      rewriteServerCpu = await server.stop();
    } finally {
      await pool.end();
    }
  } finally {
    await iso.drop();
  }
  if (process.argv.includes('--gaps-only')) {
    process.stdout.write(
      `${JSON.stringify({ detectSeconds, detectCpu, rewriteSeconds, rewriteServerCpu, pipelineSeconds, pipelineCpu, pipelineServerCpu, perSecond: Math.round(METERS / pipelineSeconds) }, null, 2)}\n`,
    );
    return;
  }

  // ---- estimation per method ----------------------------------------------------------------
  const HISTORY = 28;
  const distinct = 1_000;
  const histories: Map<string, SeriesDay>[] = [];
  const target = parseLocalDate(DAY);
  for (let m = 0; m < distinct; m++) {
    const map = new Map<string, SeriesDay>();
    for (let k = -HISTORY; k <= 1; k++) {
      const date = formatLocalDate(target + k);
      const d = day(`E${m}`, date, rng);
      if (k === 0) for (let p = 40; p < 56; p++) d.values[p] = Number.NaN;
      map.set(date, d);
    }
    histories.push(map);
  }
  const dayType = dayTypes({ country: 'SE' });
  const estimation: Record<
    string,
    { gap: string; estimatesPerSecond: number; cpuMicrosPerEstimate: number }
  > = {};
  const cases: [EstimationMethodName | 'chain', number, number, string][] = [
    ['linear', 40, 56, '4 h'],
    ['profile', 40, 56, '4 h'],
    ['interp_blend', 40, 56, '4 h'],
    ['like_day', 40, 56, '4 h'],
    ['average_day', 40, 56, '4 h'],
    ['chain', 40, 56, '4 h'],
    ['like_day', 0, 96, '1 day'],
  ];
  for (const [method, from, to, label] of cases) {
    const n = METERS;
    const e0 = cpu();
    const s0 = performance.now();
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const m = facts(i);
      const e = estimateRange(method, {
        meter: m,
        channel: '',
        days: histories[i % distinct]!,
        localDate: DAY,
        from,
        to,
        settings: DEFAULT_CHAIN,
        dayType,
        cache: new Map(),
      });
      if (e) ok++;
    }
    const sec = (performance.now() - s0) / 1000;
    if (ok !== n) throw new Error(`${method}: ${n - ok} of ${n} estimates not applicable`);
    estimation[`${method} (${label})`] = {
      gap: label,
      estimatesPerSecond: Math.round(n / sec),
      cpuMicrosPerEstimate: Math.round((((cpu() - e0) * 1e6) / n) * 100) / 100,
    };
    log(`${method} ${label}: ${estimation[`${method} (${label})`]!.estimatesPerSecond}/s`);
  }
  const rssAfterEstimation = process.memoryUsage().rss;

  // ---- backtest runtime ---------------------------------------------------------------------
  const settings = defaultEstimationSettings();
  addDatasetHolidayRegions(settings);
  const b0 = performance.now();
  const sim = simulatorMeters({ seed: 7, meters: 120, days: 84, start: '2026-01-05', timezone: ZONE });
  const simLoad = (performance.now() - b0) / 1000;
  const simRun = runBacktest('simulator', sim, { seed: 1, samplesPerClass: 3, settings });
  const uk = runBacktest('opendsm-uk', opendsmMeters(), { seed: 1, samplesPerClass: 60, settings });
  const sceaux = runBacktest('uci-sceaux', uciSceauxMeters(), { seed: 1, samplesPerClass: 120, settings });

  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    meters: METERS,
    gapDetection: {
      meterDays: METERS,
      gapsFound: gaps,
      meterDaysPerSecond: Math.round(METERS / detectSeconds),
      cpuMicrosPerMeterDay: Math.round(((detectCpu * 1e6) / METERS) * 100) / 100,
      daysHeldMiB: mib(heldBytes),
      /** a rerun over days already recorded (compare and replace) */
      rerecordMeterDaysPerSecond: Math.round(METERS / rewriteSeconds),
      /** CPU µs per meter-day of the PostgreSQL backends of the rerun */
      rerecordServerCpuMicrosPerMeterDay: Math.round((rewriteServerCpu * 1e6) / METERS),
      /**
       * detection and recording together, as `smt gaps detect` does them (without the Cassandra
       * read): chunks of 10,000 detected while the one before is written
       */
      detectAndRecordMeterDaysPerSecond: Math.round(METERS / pipelineSeconds),
      /** CPU of this process (detection + the client's side of the write) per meter-day, end to end */
      detectAndRecordCpuMicrosPerMeterDay: Math.round(((pipelineCpu * 1e6) / METERS) * 100) / 100,
      detectAndRecordServerCpuMicrosPerMeterDay: Math.round((pipelineServerCpu * 1e6) / METERS),
    },
    estimation,
    rssMiB: mib(rssAfterEstimation),
    backtest: {
      simulator: {
        meters: 120,
        days: 84,
        samples: simRun.samples,
        generateSeconds: Math.round(simLoad * 100) / 100,
        seconds: simRun.seconds,
      },
      opendsmUk: { meters: 2, samples: uk.samples, seconds: uk.seconds },
      uciSceaux: { meters: 1, samples: sceaux.samples, seconds: sceaux.seconds },
    },
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/quality.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
