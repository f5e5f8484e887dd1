/**
 * npm run bench:forecast [-- --meters 40 --eval-meters 1000]
 *
 * Forecast throughput in process, per model: `runForecast` (the point forecast plus the 7
 * calibration origins of its prediction intervals, what `smt forecast` runs per target) of a
 * 7-day horizon on 91 days of 15-minute history of simulated meters, as meters/s and CPU ms per
 * meter. Then the runtime of `forecast eval --simulate` on a simulated fleet: the in-memory
 * simulation and level sums, and the rolling-origin backtest (56 origins, 1d + 7d, 4 models) of
 * its fleet series. Reading the series from Cassandra is not included (bench:series measures the
 * read API). Prints a table and writes bench/results/forecast.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backtest } from '../src/core/forecast/backtest.js';
import { runForecast } from '../src/core/forecast/engine.js';
import { MODEL_NAMES } from '../src/core/forecast/models/model.js';
import { simulatedLevels } from '../src/core/forecast/simulated-levels.js';
import { parseLocalDate } from '../src/core/time/local-date.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 40);
const EVAL_METERS = arg('eval-meters', 1000);
const ZONE = 'Europe/Berlin';
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const mib = (b: number) => Math.round(b / 1048576);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function main(): Promise<void> {
  // ---- forecast throughput per model --------------------------------------------------------
  log(`simulating ${METERS} meters × 91 days at 15 minutes…`);
  const meters = simulatedLevels({
    seed: 42,
    meters: METERS,
    timezone: ZONE,
    from: '2026-01-05',
    to: '2026-04-05', // 91 days, across the spring DST change
    intervalMinutes: 15,
    keepMeters: METERS,
  }).filter((t) => t.level === 'meter');
  sampleRss();
  const horizon = 7 * 96;
  const throughput: Record<string, { meters: number; metersPerSecond: number; cpuMsPerMeter: number }> = {};
  for (const model of MODEL_NAMES) {
    log(`forecasting ${meters.length} meters 7 days ahead with ${model}…`);
    const c0 = cpu();
    const t0 = performance.now();
    for (const m of meters) {
      runForecast({ series: m.series, horizon, model, holidays: new Set() });
      sampleRss();
    }
    const seconds = (performance.now() - t0) / 1000;
    throughput[model] = {
      meters: meters.length,
      metersPerSecond: Math.round((meters.length / seconds) * 10) / 10,
      cpuMsPerMeter: Math.round(((cpu() - c0) / meters.length) * 1e4) / 10,
    };
  }

  // ---- eval runtime ---------------------------------------------------------------------------
  log(`simulating ${EVAL_METERS} meters × 119 days at 60 minutes for the eval…`);
  const c1 = cpu();
  const t1 = performance.now();
  const levels = simulatedLevels({
    seed: 42,
    meters: EVAL_METERS,
    timezone: ZONE,
    from: '2026-01-05',
    to: '2026-05-03',
    intervalMinutes: 60,
    keepMeters: 0,
  });
  const simSeconds = (performance.now() - t1) / 1000;
  const simCpu = cpu() - c1;
  sampleRss();
  const fleet = levels.find((t) => t.level === 'fleet')!;
  log('backtesting the fleet series (56 origins, 1d + 7d, 4 models)…');
  const c2 = cpu();
  const t2 = performance.now();
  const bt = backtest({
    series: fleet.series,
    fromDay: parseLocalDate('2026-03-02'),
    toDay: parseLocalDate('2026-04-26'),
    horizons: ['1d', '7d'],
    models: MODEL_NAMES,
    holidays: new Set(),
  });
  const btSeconds = (performance.now() - t2) / 1000;
  const btCpu = cpu() - c2;
  sampleRss();
  const forecasts = bt.cells.reduce((n, c) => n + c.origins, 0);

  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loaded: `load average ${os.loadavg()[0]?.toFixed(1)} at the end (shared with other sessions)`,
    },
    forecast: {
      horizon: '7d',
      history: '91 days, 15 min, simulated meters',
      byModel: throughput,
    },
    eval: {
      meters: EVAL_METERS,
      simulatedReadings: EVAL_METERS * fleet.series.values.length,
      simulateAndSumSeconds: Math.round(simSeconds * 100) / 100,
      simulateCpuMicrosPerReading:
        Math.round((simCpu / (EVAL_METERS * fleet.series.values.length)) * 1e8) / 100,
      fleetBacktestSeconds: Math.round(btSeconds * 100) / 100,
      fleetBacktestCpuSeconds: Math.round(btCpu * 100) / 100,
      backtestForecasts: forecasts,
      cpuMsPerBacktestForecast: Math.round((btCpu / forecasts) * 1e4) / 10,
    },
    peakRssMiB: mib(peakRss),
  };
  const table = [
    ['figure', 'value'],
    ...MODEL_NAMES.map((m) => [
      `forecast 7d, ${m}`,
      `${throughput[m]!.metersPerSecond} meters/s, ${throughput[m]!.cpuMsPerMeter} CPU ms/meter`,
    ]),
    [
      `eval: simulate + sum ${EVAL_METERS} meters × 119 days`,
      `${result.eval.simulateAndSumSeconds} s (${result.eval.simulateCpuMicrosPerReading} CPU µs/reading)`,
    ],
    [
      'eval: backtest of one level series',
      `${result.eval.fleetBacktestSeconds} s, ${forecasts} forecasts, ${result.eval.cpuMsPerBacktestForecast} CPU ms each`,
    ],
    ['peak RSS', `${result.peakRssMiB} MiB`],
  ];
  for (const row of table) process.stdout.write(`${row[0]!.padEnd(52)} ${row[1]}\n`);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/forecast.json'), `${JSON.stringify(result, null, 2)}\n`);
  log('wrote bench/results/forecast.json');
}

await main();
