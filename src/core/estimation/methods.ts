/**
 * The estimation methods and the fallback chain, pure: a context holds the meter's current days
 * around the gap (NaN = missing) and the settings; a method returns the values for positions
 * [from, to) of one local day, or null when it cannot estimate them.
 *
 *   linear       straight line between the readings before and after the gap
 *   interp_blend for gaps shorter than a day: linear, the like-day shape shifted to meet the
 *                readings beside the gap, and profile, blended at the weights that best estimated
 *                the same window on the meter's nearest clean days
 *   like_day     average of the N nearest like days (same day type; clean days only)
 *   profile      the like-day shape scaled to a known quantity: a register read over the gap when
 *                there is one, else the level of the meter's actual readings around the gap
 *   day_blend    for gaps without enough of their own day: the blend of day averages (like days, more
 *                like days, days of any type) that best estimated the meter's own recent clean days
 *   average_day  average of the N nearest clean days of any type (little history, e.g. a new meter)
 *   zero         only where the meter is flagged de-energised
 *
 * A clean day holds an actual reading in every interval, none estimated, substituted, corrected or
 * flagged as a power outage: estimates are never built from estimates.
 */

import { inSpans, type MeterFacts } from '../gaps/expected.js';
import {
  Method,
  Origin,
  originOf,
  packFields,
  Reason,
  reasonOf,
  ValidationState,
} from '../readings/quality.js';
import { copyDay, type SeriesDay } from '../series/day.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import type { DayTypeOf } from './day-types.js';
import type { ChainSettings, EstimationMethodName } from './settings.js';
import { positionAtWall, wallMinuteOf } from './wall-clock.js';

export interface EstimationContext {
  meter: MeterFacts;
  channel: string;
  /** current versions of the meter's days around the gap, by local date; estimates of this run included */
  days: ReadonlyMap<string, SeriesDay>;
  /** the day to fill, and its positions [from, to) */
  localDate: string;
  from: number;
  to: number;
  settings: ChainSettings;
  dayType: DayTypeOf;
  /** energy over the gap known from a register read, when there is one */
  knownTotal?: number;
  /** like-day averages already computed in this run (shared across gaps of one meter) */
  cache?: Map<string, Float64Array | null>;
}

export interface Estimate {
  method: EstimationMethodName;
  /** the series quality method code written with the values */
  code: Method;
  reason: Reason;
  values: Float64Array;
}

export const METHOD_CODES: Record<EstimationMethodName, Method> = {
  linear: Method.LinearInterpolation,
  like_day: Method.AverageLikeDay,
  profile: Method.DataScaling,
  interp_blend: Method.LinearInterpolation,
  day_blend: Method.AverageLikeDay,
  average_day: Method.AverageDailyLoad,
  zero: Method.Zero,
};

/** One method, or `chain` (the configured fallback order, with linear limited to short gaps). */
export function estimateRange(
  method: EstimationMethodName | 'chain',
  ctx: EstimationContext,
): Estimate | null {
  if (method === 'chain') {
    for (const m of ctx.settings.chain) {
      if (m === 'linear' && (ctx.to - ctx.from) * ctx.meter.intervalMinutes > ctx.settings.linear.maxMinutes)
        continue;
      const e = estimateRange(m, ctx);
      if (e) return e;
    }
    return null;
  }
  const values = METHODS[method](ctx);
  if (values === null) return null;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!) || values[i]! < 0) return null;
  return {
    method,
    code: METHOD_CODES[method],
    reason: method === 'zero' ? Reason.DeEnergised : Reason.NoDataReceived,
    values,
  };
}

const METHODS: Record<EstimationMethodName, (ctx: EstimationContext) => Float64Array | null> = {
  linear,
  like_day: (ctx) => slice(likeDayAverage(ctx, ctx.localDate, true), ctx.from, ctx.to),
  average_day: (ctx) => slice(likeDayAverage(ctx, ctx.localDate, false), ctx.from, ctx.to),
  profile,
  interp_blend: interpBlend,
  day_blend: dayBlend,
  zero,
};

function slice(full: Float64Array | null, from: number, to: number): Float64Array | null {
  if (full === null) return null;
  const out = full.slice(from, to);
  return out.some(Number.isNaN) ? null : out;
}

function shiftDate(date: string, days: number): string {
  return formatLocalDate(parseLocalDate(date) + days);
}

/** The reading before position p of a day (crossing into the previous day), or NaN. */
function readingBefore(ctx: EstimationContext, p: number): number {
  const day = ctx.days.get(ctx.localDate)!;
  if (p > 0) return day.values[p - 1]!;
  const prev = ctx.days.get(shiftDate(ctx.localDate, -1));
  return prev ? prev.values[prev.values.length - 1]! : Number.NaN;
}

function readingAfter(ctx: EstimationContext, p: number): number {
  const day = ctx.days.get(ctx.localDate)!;
  if (p < day.values.length) return day.values[p]!;
  const next = ctx.days.get(shiftDate(ctx.localDate, 1));
  return next ? next.values[0]! : Number.NaN;
}

function linear(ctx: EstimationContext): Float64Array | null {
  return linearBetween(readingBefore(ctx, ctx.from), readingAfter(ctx, ctx.to), ctx.to - ctx.from);
}

function linearBetween(a: number, b: number, n: number): Float64Array | null {
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a + ((b - a) * (i + 1)) / (n + 1);
  return out;
}

function zero(ctx: EstimationContext): Float64Array | null {
  const day = ctx.days.get(ctx.localDate)!;
  const step = day.intervalMinutes * 60_000;
  for (let p = ctx.from; p < ctx.to; p++)
    if (!inSpans(ctx.meter.deenergised, day.dayStart + p * step)) return null;
  return new Float64Array(ctx.to - ctx.from);
}

const clean = new WeakMap<SeriesDay, boolean>();

/** Every interval an actual reading, none flagged as an outage. */
export function isCleanDay(d: SeriesDay): boolean {
  let c = clean.get(d);
  if (c !== undefined) return c;
  c = true;
  for (let p = 0; p < d.values.length && c; p++) {
    const q = d.quality[p]!;
    if (Number.isNaN(d.values[p]!) || originOf(q) !== Origin.Actual || reasonOf(q) === Reason.PowerOutage)
      c = false;
  }
  clean.set(d, c);
  return c;
}

/**
 * The average of the N nearest clean days (of the same day type when `sameType`) over the whole of
 * `date`, by wall-clock time; NaN where no candidate has the interval. null when there is no candidate.
 */
export function likeDayAverage(ctx: EstimationContext, date: string, sameType: boolean): Float64Array | null {
  const key = `${date}|${sameType ? 't' : 'a'}`;
  const cached = ctx.cache?.get(key);
  if (cached !== undefined) return cached;
  const target = ctx.days.get(date);
  const result = target ? averageOf(ctx, target, date, sameType) : null;
  ctx.cache?.set(key, result);
  return result;
}

function averageOf(
  ctx: EstimationContext,
  target: SeriesDay,
  date: string,
  sameType: boolean,
): Float64Array | null {
  const { days: n, lookbackDays } = ctx.settings.likeDay;
  const type = ctx.dayType(date);
  const picked: SeriesDay[] = [];
  const base = parseLocalDate(date);
  // nearest first; at equal distance the earlier day
  for (let k = 1; k <= lookbackDays && picked.length < n; k++) {
    for (const dir of [-1, 1]) {
      if (picked.length >= n) break;
      const d = formatLocalDate(base + dir * k);
      const day = ctx.days.get(d);
      if (!day || day.intervalMinutes !== target.intervalMinutes || !isCleanDay(day)) continue;
      if (sameType && ctx.dayType(d) !== type) continue;
      picked.push(day);
    }
  }
  if (picked.length === 0) return null;
  const zone = ctx.meter.timezone;
  const out = new Float64Array(target.values.length);
  for (let p = 0; p < out.length; p++) {
    const w = wallMinuteOf(target, p, zone);
    let sum = 0;
    let count = 0;
    for (const c of picked) {
      const q = positionAtWall(c, w, zone);
      if (q < 0) continue;
      sum += c.values[q]!;
      count++;
    }
    out[p] = count === 0 ? Number.NaN : sum / count;
  }
  return out;
}

function profile(ctx: EstimationContext): Float64Array | null {
  const full = likeDayAverage(ctx, ctx.localDate, true) ?? likeDayAverage(ctx, ctx.localDate, false);
  const shape = slice(full, ctx.from, ctx.to);
  if (shape === null) return null;
  if (ctx.knownTotal !== undefined) {
    scaleTo(shape, ctx.knownTotal);
    return shape;
  }
  const { minRatio, maxRatio, minReferenceHours } = ctx.settings.profile;
  // The level of the gap's own day. The levels of neighbouring days do not carry over (in the
  // backtest, shaping whole days to them made the estimates worse than plain like-day).
  const own = ratioOver(ctx, ctx.localDate, (p) => p < ctx.from || p >= ctx.to);
  const minIntervals = (minReferenceHours * 60) / ctx.meter.intervalMinutes;
  // Without enough of its own day there is nothing to shape to: the chain falls to like_day.
  if (!own || own.n < minIntervals || own.expected <= 0) return null;
  const factor = Math.min(maxRatio, Math.max(minRatio, own.actual / own.expected));
  for (let i = 0; i < shape.length; i++) shape[i]! *= factor;
  // Anchor both ends to the readings beside the gap: their deviation from the shape fades into the
  // gap as the meter's own deviations fade from one interval to the next (lag-1 autocorrelation).
  const phi = residualAutocorrelation(ctx, full!, factor);
  const before = residualBeside(ctx, ctx.from - 1, factor);
  const after = residualBeside(ctx, ctx.to, factor);
  const n = shape.length;
  for (let i = 0; i < n; i++) {
    shape[i] = Math.max(0, shape[i]! + before * phi ** (i + 1) + after * phi ** (n - i));
  }
  return shape;
}

/** actual − shape × factor beside the gap (position −1 / length: the neighbouring day); 0 when that is no actual. */
function residualBeside(ctx: EstimationContext, position: number, factor: number): number {
  let date = ctx.localDate;
  let day = ctx.days.get(date)!;
  let p = position;
  if (p < 0 || p >= day.values.length) {
    date = shiftDate(ctx.localDate, p < 0 ? -1 : 1);
    const d = ctx.days.get(date);
    if (!d) return 0;
    p = p < 0 ? d.values.length - 1 : 0;
    day = d;
  }
  const v = day.values[p]!;
  if (Number.isNaN(v) || originOf(day.quality[p]!) !== Origin.Actual) return 0;
  const like = likeDayAverage(ctx, date, true) ?? likeDayAverage(ctx, date, false);
  const l = like?.[p];
  if (!like || l === undefined || Number.isNaN(l)) return 0;
  if (date === ctx.localDate) return v - l * factor;
  // another day: only its deviation from its own level fades into the gap, not the level itself
  let sum = 0;
  let n = 0;
  for (let q = 0; q < day.values.length; q++) {
    const x = day.values[q]!;
    if (Number.isNaN(x) || Number.isNaN(like[q]!) || originOf(day.quality[q]!) !== Origin.Actual) continue;
    sum += x - like[q]!;
    n++;
  }
  return v - l - (n > 0 ? sum / n : 0);
}

/** Lag-1 autocorrelation of the meter's deviations from its like-day shape (the gap's day and the day before), 0..0.99. */
function residualAutocorrelation(ctx: EstimationContext, full: Float64Array, factor: number): number {
  let num = 0;
  let den = 0;
  const yesterday = shiftDate(ctx.localDate, -1);
  const pairs: [string, Float64Array | null][] = [
    [ctx.localDate, full],
    [yesterday, likeDayAverage(ctx, yesterday, true) ?? likeDayAverage(ctx, yesterday, false)],
  ];
  for (const [date, like] of pairs) {
    const d = ctx.days.get(date);
    if (!d || !like) continue;
    // deviations from the day's own mean deviation: a whole day above its like days is a level,
    // not a deviation that fades, and must not make the anchors reach across the gap
    const r = new Float64Array(d.values.length);
    let sum = 0;
    let count = 0;
    for (let p = 0; p < d.values.length; p++) {
      const v = d.values[p]!;
      const usable = !Number.isNaN(v) && originOf(d.quality[p]!) === Origin.Actual && !Number.isNaN(like[p]!);
      r[p] = usable ? v - like[p]! * factor : Number.NaN;
      if (usable) {
        sum += r[p]!;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    for (let p = 1; p < r.length; p++) {
      if (Number.isNaN(r[p]!) || Number.isNaN(r[p - 1]!)) continue;
      num += (r[p]! - mean) * (r[p - 1]! - mean);
      den += (r[p - 1]! - mean) ** 2;
    }
  }
  if (den <= 0) return 0;
  return Math.min(0.99, Math.max(0, num / den));
}

/** Actual and like-day energy over the positions of a day that `include` selects and that hold an actual. */
function ratioOver(
  ctx: EstimationContext,
  date: string,
  include: (p: number, len: number) => boolean,
): { actual: number; expected: number; n: number } | null {
  const d = ctx.days.get(date);
  if (!d) return null;
  const like = likeDayAverage(ctx, date, true) ?? likeDayAverage(ctx, date, false);
  if (!like) return null;
  let actual = 0;
  let expected = 0;
  let n = 0;
  for (let p = 0; p < d.values.length; p++) {
    if (!include(p, d.values.length)) continue;
    const v = d.values[p]!;
    if (Number.isNaN(v) || originOf(d.quality[p]!) !== Origin.Actual || Number.isNaN(like[p]!)) continue;
    actual += v;
    expected += like[p]!;
    n++;
  }
  return { actual, expected, n };
}

/** The meter's clean days within the look-back, nearest the gap first (at equal distance the earlier). */
function* nearestCleanDays(ctx: EstimationContext): Generator<SeriesDay> {
  const base = parseLocalDate(ctx.localDate);
  for (let k = 1; k <= ctx.settings.likeDay.lookbackDays; k++)
    for (const dir of [-1, 1]) {
      const day = ctx.days.get(formatLocalDate(base + dir * k));
      if (day && isCleanDay(day)) yield day;
    }
}

/** How many of the meter's clean days nearest the gap the blend is tuned on. */
const BLEND_VALIDATION_DAYS = 6;

/**
 * The candidates day_blend chooses between, as weights of three day averages: N like days,
 * 2N like days (less noise, more drift) and N days of any type (recency over day type).
 */
const BLENDS: readonly (readonly [number, number, number])[] = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [0.5, 0.5, 0],
  [0.5, 0, 0.5],
  [0, 0.5, 0.5],
];

/**
 * The day averages of `date` that day_blend combines: N like days, 2N like days, N days of any
 * type (each with its own cache: the like-day cache is keyed by date and type, not by N).
 */
function dayAverages(ctx: EstimationContext, wide: EstimationContext, date: string): (Float64Array | null)[] {
  return [
    likeDayAverage(ctx, date, true),
    likeDayAverage(wide, date, true),
    likeDayAverage(ctx, date, false),
  ];
}

/**
 * A short backtest on the meter itself picks the blend: each candidate estimates the nearest
 * clean days as if they were missing (their own like days exclude them; the gap's day is not
 * clean, so its hidden truth is never seen), and the candidate with the least absolute error
 * fills the gap. Households whose days follow the calendar get like days; those whose recent days
 * say more than the day type get the days of any type, or a blend.
 */
function dayBlend(ctx: EstimationContext): Float64Array | null {
  const wide: EstimationContext = {
    ...ctx,
    settings: { ...ctx.settings, likeDay: { ...ctx.settings.likeDay, days: 2 * ctx.settings.likeDay.days } },
    cache: wideCaches(ctx),
  };
  const err = new Float64Array(BLENDS.length);
  let validated = 0;
  for (const day of nearestCleanDays(ctx)) {
    if (validated >= BLEND_VALIDATION_DAYS) break;
    const avg = dayAverages(ctx, wide, day.day);
    if (avg.some((a) => a === null)) continue;
    validated++;
    BLENDS.forEach((w, b) => {
      for (let p = 0; p < day.values.length; p++) {
        const e = w[0] * avg[0]![p]! + w[1] * avg[1]![p]! + w[2] * avg[2]![p]!;
        if (!Number.isNaN(e)) err[b]! += Math.abs(e - day.values[p]!);
      }
    });
  }
  const own = dayAverages(ctx, wide, ctx.localDate);
  let pick = 0;
  for (let b = 1; b < BLENDS.length; b++) if (err[b]! < err[pick]!) pick = b;
  const w = BLENDS[validated === 0 ? 0 : pick]!;
  const out = new Float64Array(ctx.to - ctx.from);
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (let c = 0; c < 3; c++) {
      if (w[c] === 0) continue;
      const x = own[c]?.[ctx.from + i];
      if (x === undefined || Number.isNaN(x)) return null;
      v += w[c]! * x;
    }
    out[i] = v;
  }
  return out;
}

const wide = new WeakMap<Map<string, Float64Array | null>, Map<string, Float64Array | null>>();

/** The 2N-like-day cache that goes with a run's cache (dropped with it). */
function wideCaches(ctx: EstimationContext): Map<string, Float64Array | null> | undefined {
  if (!ctx.cache) return undefined;
  let c = wide.get(ctx.cache);
  if (!c) {
    c = new Map();
    wide.set(ctx.cache, c);
  }
  return c;
}

/** How many of the meter's clean days nearest the gap interp_blend is tuned on (8 chose more noisily). */
const INTERP_VALIDATION_DAYS = 16;

/** The blends interp_blend chooses between: weights of linear, the anchored shape and profile, in quarters. */
const INTERP_BLENDS: readonly (readonly [number, number, number])[] = (() => {
  const out: [number, number, number][] = [];
  for (let l = 4; l >= 0; l--) for (let a = 4 - l; a >= 0; a--) out.push([l / 4, a / 4, (4 - l - a) / 4]);
  return out;
})();

/**
 * The candidates over positions [from, to) of `date`: linear interpolation, the like-day shape
 * shifted to meet the readings on both sides of the gap, and profile (the shape at the level of
 * the rest of the day, its ends anchored; the anchored shape where profile has no level). null
 * without the readings beside the gap or a like-day shape.
 */
function interpCandidates(ctx: EstimationContext): Float64Array[] | null {
  const { localDate: date, from, to } = ctx;
  const a = readingBefore(ctx, from);
  const b = readingAfter(ctx, to);
  const line = linearBetween(a, b, to - from);
  if (line === null) return null;
  const full = likeDayAverage(ctx, date, true) ?? likeDayAverage(ctx, date, false);
  if (full === null) return null;
  // the shape beside the gap: at midnight the gap's own first / last interval stands for it
  const sa = full[from - 1] ?? full[from]!;
  const sb = full[to] ?? full[to - 1]!;
  if (Number.isNaN(sa) || Number.isNaN(sb)) return null;
  const n = to - from;
  const shape = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = full[from + i]!;
    if (Number.isNaN(s)) return null;
    const t = (i + 1) / (n + 1);
    shape[i] = Math.max(0, s + (a - sa) * (1 - t) + (b - sb) * t);
  }
  return [line, shape, profile({ ...ctx, knownTotal: undefined }) ?? shape];
}

function blendOf(c: readonly Float64Array[], w: readonly number[], i: number): number {
  return w[0]! * c[0]![i]! + w[1]! * c[1]![i]! + w[2]! * c[2]![i]!;
}

/**
 * A blend of linear interpolation and the like-day shape for gaps shorter than a day: the blend of
 * linear, the anchored shape and profile that best estimated the same wall-clock window on the
 * meter's nearest clean days, each hidden in a copy of its day (a per-meter backtest like
 * day_blend's; the gap's day is not clean, so its hidden truth is never seen). A home that keeps
 * doing what it did gets the line, one that follows its days the shape.
 */
function interpBlend(ctx: EstimationContext): Float64Array | null {
  const gapDay = ctx.days.get(ctx.localDate)!;
  const n = ctx.to - ctx.from;
  // a whole local day has none of its own readings to bend the shape to: day_blend's case
  if (n === gapDay.values.length) return null;
  const own = interpCandidates(ctx);
  if (own === null) return null;
  const wall = wallMinuteOf(gapDay, ctx.from, ctx.meter.timezone);
  const err = new Float64Array(INTERP_BLENDS.length);
  let validated = 0;
  for (const day of nearestCleanDays(ctx)) {
    if (validated >= INTERP_VALIDATION_DAYS) break;
    if (day.intervalMinutes !== gapDay.intervalMinutes) continue;
    // the same wall-clock time and length (a DST day's positions differ from a normal day's)
    const at = positionAtWall(day, wall, ctx.meter.timezone);
    if (at < 0 || at + n > day.values.length) continue;
    const c = interpCandidates(hiddenContext(ctx, day, at, at + n));
    if (c === null) continue;
    validated++;
    INTERP_BLENDS.forEach((w, j) => {
      for (let i = 0; i < n; i++) err[j]! += Math.abs(blendOf(c, w, i) - day.values[at + i]!);
    });
  }
  if (validated === 0) return null;
  let pick = 0;
  for (let j = 1; j < INTERP_BLENDS.length; j++) if (err[j]! < err[pick]!) pick = j;
  const w = INTERP_BLENDS[pick]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = blendOf(own, w, i);
  if (ctx.knownTotal !== undefined) scaleTo(out, ctx.knownTotal);
  return out;
}

/**
 * The context of positions [from, to) of a clean day as if they were missing. The day's own
 * like-day averages never include the day, so they carry over; those of other days may include
 * it, so they are computed again without it.
 */
function hiddenContext(ctx: EstimationContext, day: SeriesDay, from: number, to: number): EstimationContext {
  const hidden = copyDay(day);
  hidden.values.fill(Number.NaN, from, to);
  hidden.quality.fill(MISSING, from, to);
  const days = new Map(ctx.days);
  days.set(day.day, hidden);
  const cache = new Map<string, Float64Array | null>();
  const like = likeDayAverage(ctx, day.day, true);
  cache.set(`${day.day}|t`, like);
  if (like === null) cache.set(`${day.day}|a`, likeDayAverage(ctx, day.day, false));
  return { ...ctx, days, localDate: day.day, from, to, cache };
}

/** The quality of an interval hidden to be estimated. */
export const MISSING = packFields(
  Origin.Missing,
  ValidationState.NotValidated,
  Method.None,
  Reason.NoDataReceived,
);

/** Scales values to a known total (a register read over the gap); evenly when they sum to nothing. */
function scaleTo(values: Float64Array, total: number): void {
  const s = values.reduce((a, b) => a + b, 0);
  if (s <= 0) values.fill(total / values.length);
  else for (let i = 0; i < values.length; i++) values[i]! *= total / s;
}
