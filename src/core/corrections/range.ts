/**
 * The range flags of `smt correct` / `smt audit` / `smt explain` in a meter's zone: a local date
 * (`--from` = its first instant, `--to` = its end, so `--from D --to D` is the whole day), an
 * instant with an offset, or a local date-time without one. A local time that a DST change skips
 * or repeats is refused with the offsets that would make it unambiguous, never silently moved.
 */
import { DateTime } from 'luxon';
import { UsageError } from '../errors.js';
import type { IntervalMinutes } from '../readings/block.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, MS_PER_DAY, parseLocalDate } from '../time/local-date.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

export type RangeEdge = 'from' | 'to' | 'instant';

/** One flag value → an instant (UTC epoch ms) in `zone`. */
export function parseInstant(text: string, zone: string, edge: RangeEdge, flag = `--${edge}`): number {
  const t = text.trim();
  const cal = LocalCalendar.for(zone);
  if (DATE.test(t)) {
    if (edge === 'instant')
      throw new UsageError(`${flag} ${t} is a date; an interval start needs a time`, hintFor(zone));
    try {
      const b = cal.dayBounds(t);
      return edge === 'from' ? b.start : b.end;
    } catch {
      throw new UsageError(`${flag} ${t} is not a calendar date`, hintFor(zone));
    }
  }
  if (WITH_OFFSET.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  const m = LOCAL.exec(t);
  if (m) {
    const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
    const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
    const check = new Date(wall);
    if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h! > 23 || mi! > 59)
      throw new UsageError(`${flag} ${t} is not a valid date and time`, hintFor(zone));
    const offsets = new Set([
      cal.offsetMsAt(wall - MS_PER_DAY),
      cal.offsetMsAt(wall),
      cal.offsetMsAt(wall + MS_PER_DAY),
    ]);
    const candidates = [...offsets].map((o) => wall - o).filter((ms) => ms + cal.offsetMsAt(ms) === wall);
    const unique = [...new Set(candidates)].sort((a, b) => a - b);
    if (unique.length === 1) return unique[0]!;
    if (unique.length === 0)
      throw new UsageError(
        `${flag} ${t} does not exist in ${zone}: the clocks skip it (daylight saving time starts)`,
        'Give a time after the change, or an instant with its offset, e.g. 2026-03-29T03:00+02:00.',
      );
    throw new UsageError(
      `${flag} ${t} happens twice in ${zone} (daylight saving time ends)`,
      `Say which with an offset: ${unique.map((ms) => localIso(ms, zone)).join(' or ')}.`,
    );
  }
  throw new UsageError(`${flag} ${JSON.stringify(text)} is not a date or an instant`, hintFor(zone));
}

function hintFor(zone: string): string {
  return `Write a local date (2026-03-29: the whole day in ${zone}), a local time (2026-03-29T10:15) or an instant with an offset (2026-03-29T08:15:00Z).`;
}

/** ISO-8601 with the zone's offset at that instant, e.g. 2026-10-25T02:15:00+01:00. */
export function localIso(ms: number, zone: string): string {
  return (
    DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString()
  );
}

export interface IntervalRange {
  /** [start, end) UTC epoch ms */
  start: number;
  end: number;
  /** interval starts in the range, ascending */
  starts: number[];
  /** local dates the range touches, ascending */
  days: string[];
}

/** The interval grid of a meter over [start, end): both ends must be interval boundaries. */
export function intervalRange(
  start: number,
  end: number,
  zone: string,
  minutes: IntervalMinutes,
): IntervalRange {
  if (!(end > start))
    throw new UsageError(
      `the range is empty: --to ${localIso(end, zone)} is not after --from ${localIso(start, zone)}`,
    );
  const cal = LocalCalendar.for(zone);
  for (const [flag, ms] of [
    ['--from', start],
    ['--to', end],
  ] as const) {
    if (!cal.isAligned(ms, minutes))
      throw new UsageError(
        `${flag} ${localIso(ms, zone)} is not an interval boundary of this meter (${minutes}-minute intervals in ${zone})`,
        `Use a time on the meter's grid, e.g. ${localIso(cal.floorToInterval(ms, minutes), zone)}.`,
      );
  }
  const days: string[] = [];
  const starts: number[] = [];
  const last = cal.localDayOf(end - 1);
  for (let d = cal.localDayOf(start); d <= last; d++) {
    days.push(formatLocalDate(d));
    for (const s of cal.intervalStartsOf(d, minutes)) if (s >= start && s < end) starts.push(s);
  }
  return { start, end, starts, days };
}

/** Local dates from `from` to `to` inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = parseLocalDate(from); d <= parseLocalDate(to); d++) out.push(formatLocalDate(d));
  return out;
}

export function addDays(day: string, n: number): string {
  return formatLocalDate(parseLocalDate(day) + n);
}
