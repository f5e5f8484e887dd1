/**
 * The estimation backtest: hide known-good intervals in gaps of 15 min, 1 h, 4 h, 1 day and 3 days
 * (seeded, reproducible), estimate them with every method and with the chain, and score the
 * estimates against the hidden truth: MAE, WAPE, MAPE and bias per gap class, daypart and segment.
 * Pure: the data comes from the series store, the simulator or a vendored dataset (datasets.ts).
 */
import type { MeterFacts } from '../gaps/expected.js';
import type { Segment } from '../registry/meter.js';
import type { SeriesDay } from '../series/day.js';
import { hash32, Rng } from '../simulate/rng.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { isCleanDay } from './methods.js';
import { estimateRuns } from './range.js';
import type { EstimationSettings } from './settings.js';
import { wallMinuteOf } from './wall-clock.js';

export const GAP_CLASSES = [
  { name: '15min', minutes: 15 },
  { name: '1h', minutes: 60 },
  { name: '4h', minutes: 240 },
  { name: '1d', minutes: 1440 },
  { name: '3d', minutes: 4320 },
] as const;
export type GapClassName = (typeof GAP_CLASSES)[number]['name'];

export const BACKTEST_METHODS = [
  'linear',
  'like_day',
  'interp_blend',
  'profile',
  'day_blend',
  'average_day',
  'chain',
] as const;
export type BacktestMethod = (typeof BACKTEST_METHODS)[number];

export const DAYPARTS = ['night', 'morning', 'afternoon', 'evening'] as const;
export type Daypart = (typeof DAYPARTS)[number];

export interface BacktestMeter {
  facts: MeterFacts;
  days: SeriesDay[];
}

export interface Score {
  /** gaps estimated (the method applied) */
  samples: number;
  /** gaps the method could not estimate (no like day, no neighbour …) */
  notApplicable: number;
  intervals: number;
  /** mean absolute error, kWh per interval */
  mae: number;
  /** Σ|error| / Σ actual, percent */
  wapePct: number;
  /** mean |error| / actual over intervals with actual ≥ 0.01 kWh, percent */
  mapePct: number;
  /** Σ error / Σ actual, percent (positive: over-estimates) */
  biasPct: number;
}

type Table<K extends string> = Record<K, Record<BacktestMethod, Score>>;

export interface BacktestResult {
  dataset: string;
  seed: number;
  meters: number;
  samples: number;
  byClass: Table<GapClassName>;
  /** over the gaps longer than 1 h, where dayparts differ */
  byDaypart: Table<Daypart>;
  bySegment: Partial<Record<Segment, Table<GapClassName>>>;
  /** the method with the lowest WAPE per segment and gap class (estimated on at least 90 % of its gaps) */
  best: Partial<Record<Segment, Record<GapClassName, BacktestMethod>>>;
  /** the target: the chain's WAPE below plain linear's and plain like-day's in every class longer than 1 h, on the same gaps */
  target: { gapClass: GapClassName; chain: number; linear: number; likeDay: number; met: boolean }[];
  seconds: number;
}

interface Acc {
  samples: number;
  na: number;
  n: number;
  absErr: number;
  err: number;
  actual: number;
  apeSum: number;
  apeN: number;
}

const acc = (): Acc => ({ samples: 0, na: 0, n: 0, absErr: 0, err: 0, actual: 0, apeSum: 0, apeN: 0 });

function score(a: Acc): Score {
  const r = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    samples: a.samples,
    notApplicable: a.na,
    intervals: a.n,
    mae: a.n === 0 ? Number.NaN : r(a.absErr / a.n, 4),
    wapePct: a.actual === 0 ? Number.NaN : r((100 * a.absErr) / a.actual, 2),
    mapePct: a.apeN === 0 ? Number.NaN : r((100 * a.apeSum) / a.apeN, 2),
    biasPct: a.actual === 0 ? Number.NaN : r((100 * a.err) / a.actual, 2),
  };
}

interface Sample {
  meter: BacktestMeter;
  gapClass: GapClassName;
  /** per local day of the gap: [date, from, to) */
  runs: [string, number, number][];
}

/** Days with every interval an actual reading, and their neighbours for linear interpolation. */
function candidateStarts(m: BacktestMeter, spanDays: number, historyDays: number): string[] {
  const byDate = new Map(m.days.map((d) => [d.day, d]));
  const first = m.days.length > 0 ? parseLocalDate(m.days[0]!.day) : 0;
  const out: string[] = [];
  for (const d of m.days) {
    const k = parseLocalDate(d.day);
    if (k - first < historyDays) continue;
    let ok = true;
    for (let j = -1; j <= spanDays && ok; j++) {
      const x = byDate.get(formatLocalDate(k + j));
      ok = x !== undefined && isCleanDay(x) && x.intervalMinutes === m.facts.intervalMinutes;
    }
    if (ok) out.push(d.day);
  }
  return out;
}

function samplesOf(
  meters: readonly BacktestMeter[],
  perClass: number,
  seed: number,
  historyDays: number,
): Sample[] {
  const out: Sample[] = [];
  const rng = new Rng();
  meters.forEach((m, mi) => {
    GAP_CLASSES.forEach((c, ci) => {
      const days = Math.max(1, Math.round(c.minutes / 1440));
      const starts = candidateStarts(m, days, historyDays);
      if (starts.length === 0) return;
      rng.reseed(hash32(seed, mi, ci, 7));
      const byDate = new Map(m.days.map((d) => [d.day, d]));
      for (let s = 0; s < perClass; s++) {
        const date = starts[rng.int(starts.length)]!;
        if (c.minutes < 1440) {
          const n = byDate.get(date)!.values.length;
          const len = c.minutes / m.facts.intervalMinutes;
          if (len < 1 || len > n) continue;
          const from = rng.int(n - len + 1);
          out.push({ meter: m, gapClass: c.name, runs: [[date, from, from + len]] });
        } else {
          const runs: [string, number, number][] = [];
          for (let j = 0; j < days; j++) {
            const d = formatLocalDate(parseLocalDate(date) + j);
            runs.push([d, 0, byDate.get(d)!.values.length]);
          }
          out.push({ meter: m, gapClass: c.name, runs });
        }
      }
    });
  });
  return out;
}

/** Estimates of one sample by one method (null: not applicable), in run order. */
function estimateSample(
  s: Sample,
  method: BacktestMethod,
  settings: EstimationSettings,
): Float64Array[] | null {
  return (
    estimateRuns(method, { meter: s.meter.facts, channel: '', days: s.meter.days, runs: s.runs, settings })
      ?.values ?? null
  );
}

function daypartOf(minute: number): Daypart {
  return DAYPARTS[Math.min(3, Math.floor(minute / 360))]!;
}

function table<K extends string>(keys: readonly K[]): Record<K, Record<BacktestMethod, Acc>> {
  const t = {} as Record<K, Record<BacktestMethod, Acc>>;
  for (const k of keys) {
    t[k] = {} as Record<BacktestMethod, Acc>;
    for (const m of BACKTEST_METHODS) t[k][m] = acc();
  }
  return t;
}

function scored<K extends string>(t: Record<K, Record<BacktestMethod, Acc>>): Table<K> {
  const out = {} as Table<K>;
  for (const k of Object.keys(t) as K[]) {
    out[k] = {} as Record<BacktestMethod, Score>;
    for (const m of BACKTEST_METHODS) out[k][m] = score(t[k][m]);
  }
  return out;
}

export function runBacktest(
  dataset: string,
  meters: readonly BacktestMeter[],
  o: { seed: number; samplesPerClass: number; settings: EstimationSettings; historyDays?: number },
): BacktestResult {
  const t0 = performance.now();
  const samples = samplesOf(meters, o.samplesPerClass, o.seed, o.historyDays ?? 28);
  const classNames = GAP_CLASSES.map((c) => c.name);
  const byClass = table(classNames);
  const byDaypart = table(DAYPARTS);
  const bySegment: Partial<Record<Segment, Record<GapClassName, Record<BacktestMethod, Acc>>>> = {};
  // the target compares the chain with the baselines on the gaps all three estimated
  const common = table(classNames);
  for (const s of samples) {
    const seg = s.meter.facts.segment;
    const segTable = bySegment[seg] ?? table(classNames);
    bySegment[seg] = segTable;
    const truth = s.runs.map(([date, from, to]) =>
      s.meter.days.find((d) => d.day === date)!.values.slice(from, to),
    );
    const results = new Map<BacktestMethod, Float64Array[] | null>();
    for (const method of BACKTEST_METHODS) results.set(method, estimateSample(s, method, o.settings));
    const inCommon = results.get('chain') && results.get('linear') && results.get('like_day');
    for (const method of BACKTEST_METHODS) {
      const est = results.get(method)!;
      const targets = [byClass[s.gapClass][method], segTable[s.gapClass][method]];
      if (inCommon && method !== 'profile' && method !== 'average_day')
        targets.push(common[s.gapClass][method]);
      const long = s.gapClass !== '15min' && s.gapClass !== '1h';
      if (!est) {
        for (const a of targets) a.na++;
        if (long) for (const dp of DAYPARTS) byDaypart[dp][method].na++;
        continue;
      }
      for (const a of targets) a.samples++;
      s.runs.forEach(([date, from], r) => {
        const day = s.meter.days.find((d) => d.day === date)!;
        for (let i = 0; i < est[r]!.length; i++) {
          const e = est[r]![i]!;
          const a = truth[r]![i]!;
          const dp = long
            ? byDaypart[daypartOf(wallMinuteOf(day, from + i, s.meter.facts.timezone))][method]
            : null;
          for (const x of dp ? [...targets, dp] : targets) {
            x.n++;
            x.absErr += Math.abs(e - a);
            x.err += e - a;
            x.actual += a;
            if (a >= 0.01) {
              x.apeSum += Math.abs(e - a) / a;
              x.apeN++;
            }
          }
        }
      });
    }
  }
  const segScores: BacktestResult['bySegment'] = {};
  const best: BacktestResult['best'] = {};
  for (const [seg, t] of Object.entries(bySegment) as [
    Segment,
    Record<GapClassName, Record<BacktestMethod, Acc>>,
  ][]) {
    const st = scored(t);
    segScores[seg] = st;
    best[seg] = {} as Record<GapClassName, BacktestMethod>;
    for (const c of classNames) {
      let pick: BacktestMethod = 'chain';
      let bestWape = Number.POSITIVE_INFINITY;
      for (const m of BACKTEST_METHODS) {
        const x = st[c][m];
        const coverage = x.samples / Math.max(1, x.samples + x.notApplicable);
        if (x.samples > 0 && coverage >= 0.9 && x.wapePct < bestWape) {
          bestWape = x.wapePct;
          pick = m;
        }
      }
      best[seg]![c] = pick;
    }
  }
  const commonScores = scored(common);
  const target = classNames
    .filter((c) => c !== '15min' && c !== '1h')
    .map((c) => {
      const x = commonScores[c];
      return {
        gapClass: c,
        chain: x.chain.wapePct,
        linear: x.linear.wapePct,
        likeDay: x.like_day.wapePct,
        met: x.chain.wapePct < x.linear.wapePct && x.chain.wapePct < x.like_day.wapePct,
      };
    });
  return {
    dataset,
    seed: o.seed,
    meters: meters.length,
    samples: samples.length,
    byClass: scored(byClass),
    byDaypart: scored(byDaypart),
    bySegment: segScores,
    best,
    target,
    seconds: Math.round(((performance.now() - t0) / 1000) * 100) / 100,
  };
}
