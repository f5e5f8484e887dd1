/**
 * The pure half of a correction: current series + operation → the values each interval would get,
 * the intervals that change, and what that does to day and month totals. No I/O (service.ts reads
 * and writes through the ports).
 */
import { UsageError } from '../errors.js';
import { keyOf, positionOf, type SeriesDay } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';
import type { IntervalRange } from './range.js';

/** Current day of each local date of the range (absent: never written). */
export type DaysByDate = ReadonlyMap<string, SeriesDay>;

export function byDate(days: readonly SeriesDay[]): Map<string, SeriesDay> {
  return new Map(days.map((d) => [d.day, d]));
}

/** The current value at an instant (NaN when missing or never written). */
export function valueAt(days: DaysByDate, day: string, ms: number): number {
  const d = days.get(day);
  if (!d) return Number.NaN;
  const p = positionOf(d, ms);
  return p < 0 ? Number.NaN : d.values[p]!;
}

/**
 * Local wall-clock slot of each start, e.g. `02:15#2` for the second 02:15 of a fall-back day, so a
 * day can be laid over a day of another length: on a 92-interval day the skipped hour has no slot,
 * on a 100-interval day the repeated hour takes the source's only 02:xx again.
 */
export function wallSlots(starts: readonly number[], zone: string): string[] {
  const cal = LocalCalendar.for(zone);
  const seen = new Map<string, number>();
  return starts.map((ms) => {
    const local = new Date(ms + cal.offsetMsAt(ms));
    const hhmm = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
    const n = (seen.get(hhmm) ?? 0) + 1;
    seen.set(hhmm, n);
    return `${hhmm}#${n}`;
  });
}

/** Values of one source day by wall-clock slot (the first occurrence stands in for a repeated one). */
export function copyByWallClock(
  source: SeriesDay,
  targetStarts: readonly number[],
  zone: string,
): Float64Array {
  const cal = LocalCalendar.for(zone);
  const srcStarts = cal.intervalStarts(source.day, source.intervalMinutes as 15);
  const slots = wallSlots([...srcStarts], zone);
  const bySlot = new Map(slots.map((s, p) => [s, source.values[p]!]));
  const out = new Float64Array(targetStarts.length);
  const targetSlots = wallSlots(targetStarts, zone);
  for (let i = 0; i < targetStarts.length; i++) {
    const slot = targetSlots[i]!;
    out[i] = bySlot.get(slot) ?? bySlot.get(`${slot.slice(0, 5)}#1`) ?? Number.NaN;
  }
  return out;
}

export interface ProposedInterval {
  start: number;
  day: string;
  position: number;
  oldValue: number;
  oldQuality: number;
  oldVersion: number;
  newValue: number;
}

export interface Proposal {
  /** intervals whose value changes (new NaN only for an undo restoring a missing interval) */
  changes: ProposedInterval[];
  /** intervals of the range the operation gives the value they already hold */
  unchanged: number;
  /** intervals the operation has no value for (scaling or copying a missing reading) */
  skipped: number;
}

/**
 * Which intervals change: `proposed[i]` is the new value of `range.starts[i]`, NaN for none (the
 * interval is skipped) unless `clearMissing`, where NaN restores a missing interval.
 */
export function propose(
  range: IntervalRange,
  zone: string,
  current: DaysByDate,
  proposed: Float64Array,
  emptyDayOf: (day: string) => SeriesDay,
  clearMissing = false,
): Proposal {
  const cal = LocalCalendar.for(zone);
  const out: Proposal = { changes: [], unchanged: 0, skipped: 0 };
  for (let i = 0; i < range.starts.length; i++) {
    const start = range.starts[i]!;
    const date = cal.localDateOf(start);
    const d = current.get(date) ?? emptyDayOf(date);
    const p = positionOf(d, start);
    if (p < 0)
      throw new UsageError(
        `interval ${new Date(start).toISOString()} is not on the stored day's grid (${keyOf(d)})`,
      );
    const v = proposed[i]!;
    const old = d.values[p]!;
    if (Number.isNaN(v) && !clearMissing) {
      out.skipped++;
      continue;
    }
    if (v === old || (Number.isNaN(v) && Number.isNaN(old))) {
      out.unchanged++;
      continue;
    }
    out.changes.push({
      start,
      day: date,
      position: p,
      oldValue: old,
      oldQuality: d.quality[p]!,
      oldVersion: d.version,
      newValue: v,
    });
  }
  return out;
}

/** Sum of the values present (missing intervals add nothing), in position order. */
export function dayTotal(d: SeriesDay | undefined): number {
  let s = 0;
  if (d) for (let p = 0; p < d.values.length; p++) if (!Number.isNaN(d.values[p]!)) s += d.values[p]!;
  return s;
}

export interface TotalChange {
  /** YYYY-MM-DD or YYYY-MM */
  key: string;
  before: number;
  after: number;
  delta: number;
}

/** Day totals before and after the changes, for the days they touch. */
export function dayTotals(
  current: DaysByDate,
  changes: readonly ProposedInterval[],
  emptyDayOf: (day: string) => SeriesDay,
): TotalChange[] {
  const touched = [...new Set(changes.map((c) => c.day))].sort();
  return touched.map((day) => {
    const now = current.get(day);
    const after = now ? { ...now, values: now.values.slice() } : emptyDayOf(day);
    for (const c of changes) if (c.day === day) after.values[c.position] = c.newValue;
    const before = dayTotal(now);
    const a = dayTotal(after);
    return { key: day, before, after: a, delta: a - before };
  });
}

/** Month totals: the whole month as stored now, and with the touched days' totals after the changes. */
export function monthTotals(
  monthDays: ReadonlyMap<string, readonly SeriesDay[]>,
  days: readonly TotalChange[],
): TotalChange[] {
  const afterOf = new Map(days.map((d) => [d.key, d.after]));
  return [...monthDays.keys()].sort().map((month) => {
    let before = 0;
    let after = 0;
    const seen = new Set<string>();
    for (const d of monthDays.get(month)!) {
      const t = dayTotal(d);
      before += t;
      after += afterOf.get(d.day) ?? t;
      seen.add(d.day);
    }
    for (const d of days) if (d.key.startsWith(month) && !seen.has(d.key)) after += d.after;
    return { key: month, before, after, delta: after - before };
  });
}
