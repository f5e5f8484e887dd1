/**
 * Estimating a contiguous range of one meter's intervals that may span local days (a correction's
 * `--estimate`, a backtest's hidden gap): the range is hidden (made missing) in working copies of
 * the days, then filled day by day in time order, each run seeing the estimates of the runs before
 * it (never as like days: those are actual-only). Pure.
 */
import type { MeterFacts } from '../gaps/expected.js';
import { Method, Origin, packFields, ValidationState } from '../readings/quality.js';
import { copyDay, emptyDay, type SeriesDay } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { dayTypesForRegion } from './day-types.js';
import { estimateRange, MISSING } from './methods.js';
import type { EstimationMethodName, EstimationSettings } from './settings.js';

export type RangeMethod = EstimationMethodName | 'chain';

/** One local day's part of the range: positions [from, to) of `date`. */
export type Run = readonly [date: string, from: number, to: number];

export interface RangeEstimate {
  /** per run, in run order */
  values: Float64Array[];
  /** the method that filled each run (the chain picks per run) */
  methods: EstimationMethodName[];
  /** the series quality method code of each run */
  codes: Method[];
}

/** How far plain linear interpolation looks for a reading on each side of the range. */
export const LINEAR_REACH_DAYS = 7;

/** The runs of ascending, contiguous interval starts on the meter's grid. */
export function runsOf(meter: MeterFacts, starts: readonly number[]): Run[] {
  const cal = LocalCalendar.for(meter.timezone);
  const runs: [string, number, number][] = [];
  for (const s of starts) {
    const date = cal.localDateOf(s);
    const p = Math.round((s - cal.dayBounds(date).start) / (meter.intervalMinutes * 60_000));
    const last = runs.at(-1);
    if (last && last[0] === date && last[2] === p) last[2] = p + 1;
    else runs.push([date, p, p + 1]);
  }
  return runs;
}

/**
 * Estimates of `runs` by `method` from the meter's current `days` (which must reach far enough
 * around the range: `likeDay.lookbackDays` for like days, a week for linear), or null when the
 * method cannot estimate every run. What the days hold inside the range is never used.
 */
export function estimateRuns(
  method: RangeMethod,
  o: {
    meter: MeterFacts;
    channel: string;
    days: readonly SeriesDay[] | ReadonlyMap<string, SeriesDay>;
    runs: readonly Run[];
    settings: EstimationSettings;
  },
): RangeEstimate | null {
  const days = new Map(o.days instanceof Map ? o.days : (o.days as SeriesDay[]).map((d) => [d.day, d]));
  for (const [date, from, to] of o.runs) {
    const stored = days.get(date);
    const hidden = stored
      ? copyDay(stored)
      : emptyDay(
          { meterId: o.meter.meterId, channel: o.channel, day: date },
          o.meter.timezone,
          o.meter.intervalMinutes,
        );
    hidden.values.fill(Number.NaN, from, to);
    hidden.quality.fill(MISSING, from, to);
    days.set(date, hidden);
  }
  if (method === 'linear') return linearAcross(o.runs, days);
  const chain = o.settings.segments[o.meter.segment] ?? o.settings.base;
  const dayType = dayTypesForRegion(o.settings, o.meter.regionId);
  const cache = new Map<string, Float64Array | null>();
  const out: RangeEstimate = { values: [], methods: [], codes: [] };
  for (const [date, from, to] of o.runs) {
    const e = estimateRange(method, {
      meter: o.meter,
      channel: o.channel,
      days,
      localDate: date,
      from,
      to,
      settings: chain,
      dayType,
      cache,
    });
    if (!e) return null;
    const d = days.get(date)!;
    d.values.set(e.values, from);
    d.quality.fill(packFields(Origin.Estimated, ValidationState.Passed, e.code, e.reason), from, to);
    // the day's like-day averages change once it holds estimates
    for (const k of [...cache.keys()]) if (k.startsWith(date)) cache.delete(k);
    out.values.push(e.values);
    out.methods.push(e.method);
    out.codes.push(e.code);
  }
  return out;
}

/**
 * Plain linear interpolation in time over the whole range, across midnight, whatever its length:
 * between the nearest reading before it and the nearest after it (within a week).
 */
function linearAcross(runs: readonly Run[], days: ReadonlyMap<string, SeriesDay>): RangeEstimate | null {
  const [d0, f0] = runs[0]!;
  const [d1, , t1] = runs.at(-1)!;
  const before = nearestReading(days, d0, f0 - 1, -1);
  const after = nearestReading(days, d1, t1, 1);
  if (!before || !after) return null;
  const [ta, va] = before;
  const [tb, vb] = after;
  const values = runs.map(([date, from, to]) => {
    const d = days.get(date)!;
    const step = d.intervalMinutes * 60_000;
    const out = new Float64Array(to - from);
    for (let i = 0; i < out.length; i++)
      out[i] = va + ((vb - va) * (d.dayStart + (from + i) * step - ta)) / (tb - ta);
    return out;
  });
  return {
    values,
    methods: runs.map(() => 'linear'),
    codes: runs.map(() => Method.LinearInterpolation),
  };
}

/** [start, value] of the first reading from position p of `date` going in `dir`, or null within the reach. */
function nearestReading(
  days: ReadonlyMap<string, SeriesDay>,
  date: string,
  p: number,
  dir: -1 | 1,
): [number, number] | null {
  const base = parseLocalDate(date);
  for (let k = 0; k <= LINEAR_REACH_DAYS; k++) {
    const d = days.get(formatLocalDate(base + dir * k));
    if (!d) continue;
    const step = d.intervalMinutes * 60_000;
    let q = k === 0 ? p : dir < 0 ? d.values.length - 1 : 0;
    for (; q >= 0 && q < d.values.length; q += dir)
      if (!Number.isNaN(d.values[q]!)) return [d.dayStart + q * step, d.values[q]!];
  }
  return null;
}
