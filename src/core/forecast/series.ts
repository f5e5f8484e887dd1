/**
 * The input of every forecast model: a regular grid of interval values in UTC (NaN = missing,
 * never 0) plus, per position, where it falls on the local calendar. Models key their seasonality
 * on the local wall clock (time of day, weekday, holiday), not on a fixed lag in UTC, so "same
 * interval last week" stays the same local quarter-hour across a DST change: the repeated hour of
 * the autumn change maps twice onto the same slot, the skipped hour of spring maps onto none.
 */
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, MS_PER_MINUTE } from '../time/local-date.js';

export interface UsageSeries {
  timezone: string;
  intervalMinutes: number;
  /** UTC instant of position 0 */
  start: number;
  values: Float64Array;
}

/** Local-calendar coordinates of positions start + i * interval, i in [0, length). */
export interface SlotCalendar {
  /** local wall-clock minute of day / interval (0 .. slotsPerDay - 1) */
  slot: Int32Array;
  /** local epoch day */
  day: Int32Array;
  /** 0 = Monday … 6 = Sunday */
  weekday: Uint8Array;
  slotsPerDay: number;
}

const MS_PER_DAY = 86_400_000;

export function slotCalendar(
  timezone: string,
  intervalMinutes: number,
  start: number,
  length: number,
): SlotCalendar {
  const cal = LocalCalendar.for(timezone);
  const step = intervalMinutes * MS_PER_MINUTE;
  const slot = new Int32Array(length);
  const day = new Int32Array(length);
  const weekday = new Uint8Array(length);
  const offsets = offsetsOf(cal, start, step, length);
  for (let i = 0; i < length; i++) {
    const local = start + i * step + (offsets[i] as number);
    const d = Math.floor(local / MS_PER_DAY);
    day[i] = d;
    slot[i] = Math.floor((local - d * MS_PER_DAY) / step);
    // epoch day 0 (1970-01-01) was a Thursday
    weekday[i] = (((d + 3) % 7) + 7) % 7;
  }
  return { slot, day, weekday, slotsPerDay: Math.round(MS_PER_DAY / step) };
}

/**
 * The zone's offset at each position. Asking luxon at every position was most of a forecast's
 * CPU; offsets change at a transition only, so they are asked one day apart and per position only
 * in a day whose two ends differ (no zone has two transitions within 24 hours).
 */
function offsetsOf(cal: LocalCalendar, start: number, step: number, length: number): Float64Array {
  const out = new Float64Array(length);
  const perDay = Math.max(1, Math.round(MS_PER_DAY / step));
  let i = 0;
  let at = cal.offsetMsAt(start);
  while (i < length) {
    const j = Math.min(i + perDay, length);
    const next = cal.offsetMsAt(start + j * step);
    if (next === at) out.fill(at, i, j);
    else for (let k = i; k < j; k++) out[k] = cal.offsetMsAt(start + k * step);
    at = next;
    i = j;
  }
  return out;
}

/** Positions [from, to) of a slot calendar. */
export function sliceCalendar(c: SlotCalendar, from: number, to: number): SlotCalendar {
  return {
    slot: c.slot.subarray(from, to),
    day: c.day.subarray(from, to),
    weekday: c.weekday.subarray(from, to),
    slotsPerDay: c.slotsPerDay,
  };
}

export interface DailyValues {
  dates: string[];
  values: Float64Array;
  /** positions of the day that were missing (NaN); a day with any missing position has value NaN */
  missing: Int32Array;
}

/**
 * Sums per local day. A day with a missing position is NaN, not a smaller number: a partial sum
 * would read as low usage. Days cut by the ends of the series are left out.
 */
export function dailyTotals(
  values: Float64Array,
  cal: SlotCalendar,
  dayLengths: ReadonlyMap<number, number>,
): DailyValues {
  const dates: string[] = [];
  const sums: number[] = [];
  const missing: number[] = [];
  let i = 0;
  while (i < values.length) {
    const d = cal.day[i] as number;
    let j = i;
    let sum = 0;
    let miss = 0;
    while (j < values.length && cal.day[j] === d) {
      const v = values[j] as number;
      if (Number.isNaN(v)) miss++;
      else sum += v;
      j++;
    }
    if (j - i === dayLengths.get(d)) {
      dates.push(formatLocalDate(d));
      sums.push(miss > 0 ? Number.NaN : sum);
      missing.push(miss);
    }
    i = j;
  }
  return { dates, values: Float64Array.from(sums), missing: Int32Array.from(missing) };
}

/** Number of positions of each local day in the grid (92/96/100 at 15 min around DST). */
export function dayLengths(
  timezone: string,
  intervalMinutes: number,
  days: Iterable<number>,
): Map<number, number> {
  const cal = LocalCalendar.for(timezone);
  const out = new Map<number, number>();
  for (const d of days) {
    if (out.has(d)) continue;
    const b = cal.dayBoundsOf(d);
    out.set(d, Math.round((b.end - b.start) / (intervalMinutes * MS_PER_MINUTE)));
  }
  return out;
}
