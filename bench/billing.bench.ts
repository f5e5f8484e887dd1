/**
 * Billing engine benchmark: `npm run bench:billing`. Prints figures, never asserts them.
 *
 * The pure engine only (determinants + bill lines), in this thread, on meter-months of 15-minute
 * series days already in memory: what a `bill`/`billing close` costs on top of reading the series.
 * Two tariffs: the two-season TOU with tiers and TOU demand of test/unit/billing-engine.test.ts
 * (with public holidays), and a flat rate. Environment: BENCH_METERS (default 2000 meter-months),
 * BENCH_REPEAT (default 5, median reported). Writes bench/results/billing.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { billPeriod } from '../src/core/billing/bill.js';
import { tariffFromYaml } from '../src/core/billing/tariff-yaml.js';
import { emptyDay, type SeriesDay } from '../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../src/core/time/local-date.js';
import { renderTable } from '../src/ui/output.js';

const METERS = Number(process.env.BENCH_METERS ?? 2_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const ZONE = 'Europe/Stockholm';
const PERIOD = { from: '2026-10-01', to: '2026-10-31' }; // 31 days, one of 100 quarter-hours

const TOU = tariffFromYaml(
  `id: TOU\ncurrency: SEK\nholidays: { country: SE }\nfixed: { monthly: 30 }\nenergy:\n  periods:\n    offpeak: 0.5\n    peak: [{ upTo: 100, rate: 1.0 }, { rate: 2.0 }]\n  seasons:\n    - months: all\n      weekday: { "07-21": peak, "21-07": offpeak }\n      weekend: offpeak\ndemand:\n  periods: { peak: 40, base: 10 }\n  seasons:\n    - months: all\n      weekday: { "07-21": peak, "21-07": base }\n      weekend: base\n`,
  'bench',
);
const FLAT = tariffFromYaml('id: FLAT\ncurrency: SEK\nenergy: 0.9\n', 'bench');

function month(meterId: string, seed: number): SeriesDay[] {
  const out: SeriesDay[] = [];
  for (let e = parseLocalDate(PERIOD.from); e <= parseLocalDate(PERIOD.to); e++) {
    const d = emptyDay({ meterId, channel: 'active_import_kwh', day: formatLocalDate(e) }, ZONE, 15);
    for (let i = 0; i < d.values.length; i++) d.values[i] = (((i * 37 + seed) % 1000) + 1) / 1000;
    d.version = 1;
    out.push(d);
  }
  return out;
}

const data = Array.from({ length: METERS }, (_, m) => month(`M${m}`, m));
const readings = data.reduce((a, days) => a + days.reduce((x, d) => x + d.values.length, 0), 0);

function run(tariff: typeof TOU): { wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let total = 0;
  for (let m = 0; m < data.length; m++) {
    const b = billPeriod(
      {
        meterId: `M${m}`,
        accountId: 'A',
        timezone: ZONE,
        intervalMinutes: 15,
        channel: 'active_import_kwh',
        tariff,
        days: data[m]!,
        asOf: null,
      },
      PERIOD,
    );
    total += b.total;
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  if (!(total > 0)) throw new Error('nothing billed');
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

const results: Record<string, unknown> = {};
const rows: (string | number)[][] = [];
for (const [name, tariff] of [
  ['TOU + tiers + demand + holidays', TOU],
  ['flat', FLAT],
] as const) {
  run(tariff); // warm-up
  const runs = Array.from({ length: REPEAT }, () => run(tariff)).sort((a, b) => a.cpuMs - b.cpuMs);
  const med = runs[Math.floor(runs.length / 2)]!;
  const fig = {
    meterMonths: METERS,
    readings,
    wallMs: Math.round(med.wallMs),
    cpuMs: Math.round(med.cpuMs),
    meterMonthsPerCpuSec: Math.round((METERS / med.cpuMs) * 1000),
    cpuUsPerMeterMonth: Math.round((med.cpuMs * 1000) / METERS),
    cpuNsPerReading: Math.round((med.cpuMs * 1e6) / readings),
  };
  results[name] = fig;
  rows.push([name, fig.meterMonthsPerCpuSec, fig.cpuUsPerMeterMonth, fig.cpuNsPerReading]);
}
process.stdout.write(
  `${renderTable(['tariff', 'meter-months / CPU s', 'CPU µs / meter-month', 'CPU ns / reading'], rows)}\n`,
);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  path.join(out, 'billing.json'),
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(), repeat: REPEAT, results }, null, 2)}\n`,
);
