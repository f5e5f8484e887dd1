/**
 * The local business calendar of one IANA zone (DESIGN.md "Time"): local day and month bounds in
 * UTC, the interval starts of a local day (96 quarter-hours, 92 on spring-forward, 100 on
 * fall-back), interval alignment on the local clock, and the local date / index of an instant.
 *
 * Hot paths (validating millions of readings per second) call `localDayOf`, `isAligned` and
 * `intervalIndex` once per reading. Those never create a luxon DateTime: zone rules are consulted
 * (through luxon's IANAZone, which wraps Intl) only when a local day is first seen, and the result
 * is memoised per day; the day of the previous call is checked first, so consecutive readings of
 * one day cost two comparisons.
 */
import { IANAZone } from 'luxon';
import { ExitCode, SmtError } from '../errors.js';
import type { IntervalMinutes } from '../readings/block.js';
import {
  formatLocalDate,
  type LocalDateString,
  type LocalMonthString,
  MS_PER_DAY,
  MS_PER_HOUR,
  monthEpochDays,
  parseLocalDate,
  parseLocalMonth,
} from './local-date.js';
import { intervalMs } from './utc-grid.js';

/** Half-open UTC range [start, end) in epoch milliseconds. */
export interface UtcRange {
  readonly start: number;
  readonly end: number;
}

export class UnknownTimeZoneError extends SmtError {
  constructor(zone: string) {
    super(`Unknown time zone: '${zone}'.`, {
      code: 'UNKNOWN_TIME_ZONE',
      exitCode: ExitCode.usage,
      hint: "Use an IANA zone name such as 'Europe/Stockholm' or 'Australia/Sydney' (case and spelling matter; the list is `node -p \"Intl.supportedValuesOf('timeZone')\"`). The business calendar zone is the `timezone` setting (SMT_TIMEZONE).",
    });
    this.name = 'UnknownTimeZoneError';
  }
}

export function isValidTimeZone(zone: string): boolean {
  return typeof zone === 'string' && zone.length > 0 && IANAZone.isValidZone(zone);
}

/** Returns the zone unchanged, or throws UnknownTimeZoneError. */
export function assertTimeZone(zone: string): string {
  if (!isValidTimeZone(zone)) throw new UnknownTimeZoneError(zone);
  return zone;
}

/** Interval starts of one local day at one interval length. */
interface Grid {
  readonly starts: Float64Array;
  /** every step equals the interval length, so index = (t - starts[0]) / length */
  readonly uniform: boolean;
}

interface DayInfo extends UtcRange {
  readonly day: number;
  readonly date: LocalDateString;
  /** by interval minutes; filled lazily */
  grids: Map<number, Grid> | undefined;
}

/**
 * Days memoised per calendar. Each is ~100 bytes plus ~1-2 KB per interval length used; the cap
 * keeps a long backfill from growing without bound (clearing is cheap: a day is recomputed with
 * a few zone lookups).
 */
const MAX_MEMO_DAYS = 8192;

/** Offsets stay within ±18 h in every tzdb entry (LMT included); search windows rely on it. */
const MAX_OFFSET_MS = 18 * MS_PER_HOUR;

const shared = new Map<string, LocalCalendar>();

/**
 * One per zone; share it (`LocalCalendar.for(zone)`) so the day memo is shared too.
 *
 * Alignment rule: an instant is an interval start when the local wall-clock time at that instant
 * is a multiple of the interval length (00:00, 00:15, …), as meters do. Where the UTC offset is a
 * multiple of the interval (every whole-hour zone at 5/15/30/60, :30 zones at 5/15/30, :45 zones
 * at 5/15) this is the UTC epoch grid; for 60 minutes in Asia/Kolkata (+05:30) the hours start at
 * hh:30 UTC. Across a DST change the local grid is followed on each side of the change.
 */
export class LocalCalendar {
  readonly zone: string;
  private readonly tz: IANAZone;
  private readonly days = new Map<number, DayInfo>();
  private readonly dayStarts = new Map<number, number>();
  /** the day of the last lookup: readings arrive in runs of one day */
  private current: DayInfo | undefined;

  constructor(zone: string) {
    this.zone = assertTimeZone(zone);
    this.tz = IANAZone.create(zone);
  }

  /** Shared calendar of a zone (validates the zone on first use). */
  static for(zone: string): LocalCalendar {
    let cal = shared.get(zone);
    if (cal === undefined) {
      cal = new LocalCalendar(zone);
      shared.set(zone, cal);
    }
    return cal;
  }

  /** UTC offset in milliseconds at an instant (local = utc + offset). */
  offsetMsAt(ms: number): number {
    // luxon reports minutes, fractional for LMT offsets with seconds; round to whole ms.
    return Math.round(this.tz.offset(ms) * 60_000);
  }

  // ---- days -----------------------------------------------------------------------------------

  /** UTC bounds [start, end) of a local date 'YYYY-MM-DD'. */
  dayBounds(date: LocalDateString): UtcRange {
    const info = this.dayInfo(parseLocalDate(date));
    return { start: info.start, end: info.end };
  }

  /** UTC bounds of an epoch day (see local-date.ts). */
  dayBoundsOf(epochDay: number): UtcRange {
    const info = this.dayInfo(epochDay);
    return { start: info.start, end: info.end };
  }

  /** Length of a local day in hours (23, 24 or 25 around DST; other values in a few zones' history). */
  dayHours(date: LocalDateString): number {
    const info = this.dayInfo(parseLocalDate(date));
    return (info.end - info.start) / MS_PER_HOUR;
  }

  /** UTC bounds [start, end) of a local month 'YYYY-MM': first local midnight to the next month's. */
  monthBounds(month: LocalMonthString): UtcRange {
    const [year, mo] = parseLocalMonth(month);
    const [first, nextFirst] = monthEpochDays(year, mo);
    return { start: this.startOfDay(first), end: this.startOfDay(nextFirst) };
  }

  /** Local date 'YYYY-MM-DD' of an instant. O(1) for consecutive instants of one day. */
  localDateOf(ms: number): LocalDateString {
    return this.dayContaining(ms).date;
  }

  /** Local epoch day of an instant. O(1) for consecutive instants of one day. */
  localDayOf(ms: number): number {
    return this.dayContaining(ms).day;
  }

  // ---- intervals ------------------------------------------------------------------------------

  /** Number of intervals in a local day: 96 / 92 / 100 at 15 minutes in a zone with 1-hour DST. */
  intervalsInDay(date: LocalDateString, minutes: IntervalMinutes): number {
    return this.grid(this.dayInfo(parseLocalDate(date)), minutes).starts.length;
  }

  /** Number of intervals in a local epoch day. */
  intervalsInDayOf(epochDay: number, minutes: IntervalMinutes): number {
    return this.grid(this.dayInfo(epochDay), minutes).starts.length;
  }

  /** Interval starts (UTC epoch ms, ascending) of a local day. A fresh copy the caller may keep. */
  intervalStarts(date: LocalDateString, minutes: IntervalMinutes): Float64Array {
    return this.grid(this.dayInfo(parseLocalDate(date)), minutes).starts.slice();
  }

  /** Interval starts of a local epoch day. A fresh copy the caller may keep. */
  intervalStartsOf(epochDay: number, minutes: IntervalMinutes): Float64Array {
    return this.grid(this.dayInfo(epochDay), minutes).starts.slice();
  }

  /** Start of the index-th interval of a local epoch day; NaN when index is outside the day. */
  intervalStartAt(epochDay: number, index: number, minutes: IntervalMinutes): number {
    const starts = this.grid(this.dayInfo(epochDay), minutes).starts;
    return Number.isInteger(index) && index >= 0 && index < starts.length ? starts[index]! : Number.NaN;
  }

  /** True when `ms` is an interval start on the local clock (see the class comment). */
  isAligned(ms: number, minutes: IntervalMinutes): boolean {
    return this.intervalIndex(ms, minutes) >= 0;
  }

  /**
   * Index of the interval that starts at `ms` within its local day (0-based; 0..91 on a
   * spring-forward day at 15 minutes), or -1 when `ms` is not an interval start.
   */
  intervalIndex(ms: number, minutes: IntervalMinutes): number {
    if (!Number.isFinite(ms)) return -1;
    const len = intervalMs(minutes);
    const g = this.grid(this.dayContaining(ms), minutes);
    const starts = g.starts;
    if (g.uniform) {
      const k = (ms - starts[0]!) / len;
      return Number.isInteger(k) && k >= 0 && k < starts.length ? k : -1;
    }
    const i = lastAtOrBefore(starts, ms);
    return i >= 0 && starts[i] === ms ? i : -1;
  }

  /** Start of the local-grid interval containing `ms`. */
  floorToInterval(ms: number, minutes: IntervalMinutes): number {
    if (!Number.isFinite(ms)) return Number.NaN;
    const len = intervalMs(minutes);
    const info = this.dayContaining(ms);
    const g = this.grid(info, minutes);
    const starts = g.starts;
    if (starts.length > 0 && ms >= starts[0]!) {
      if (g.uniform) return starts[0]! + Math.floor((ms - starts[0]!) / len) * len;
      return starts[lastAtOrBefore(starts, ms)]!;
    }
    // A day normally begins with an interval start (local midnight). Only a day that begins
    // inside an interval (a DST change at midnight in a :30 zone at 60 minutes, or LMT) leaves
    // `ms` in an interval that started on the previous day.
    for (let d = info.day - 1; d >= info.day - 2; d--) {
      const prev = this.grid(this.dayInfo(d), minutes).starts;
      if (prev.length > 0) return prev[prev.length - 1]!;
    }
    return Number.NaN;
  }

  /**
   * Bulk form of localDayOf + intervalIndex for a block of interval starts: writes the local epoch
   * day and the index within that day (-1 when not an interval start) of each instant, and
   * returns how many were not interval starts.
   */
  locateAll(
    starts: Float64Array,
    minutes: IntervalMinutes,
    outDay: Int32Array,
    outIndex: Int32Array,
  ): number {
    if (outDay.length < starts.length || outIndex.length < starts.length) {
      throw new RangeError('locateAll: output arrays are shorter than the input');
    }
    let misaligned = 0;
    for (let i = 0; i < starts.length; i++) {
      const ms = starts[i]!;
      if (!Number.isFinite(ms)) {
        outDay[i] = 0;
        outIndex[i] = -1;
        misaligned++;
        continue;
      }
      outDay[i] = this.dayContaining(ms).day;
      const k = this.intervalIndex(ms, minutes);
      outIndex[i] = k;
      if (k < 0) misaligned++;
    }
    return misaligned;
  }

  // ---- internals ------------------------------------------------------------------------------

  private dayContaining(ms: number): DayInfo {
    const cur = this.current;
    if (cur !== undefined && ms >= cur.start && ms < cur.end) return cur;
    if (!Number.isFinite(ms)) throw new RangeError(`Not a finite instant: ${ms}`);
    // Days tile the time line, and the local day of an instant is within a day of its UTC day,
    // so probing the memo avoids a zone lookup for every day already seen.
    const guess = Math.floor((ms + (cur === undefined ? 0 : this.offsetGuess(cur))) / MS_PER_DAY);
    for (const d of [guess, guess - 1, guess + 1, guess - 2, guess + 2]) {
      const info = this.dayInfo(d);
      if (ms >= info.start && ms < info.end) {
        this.current = info;
        return info;
      }
    }
    // Unreachable for tzdb zones (|offset| < 24 h); exact fallback for safety.
    const info = this.dayInfo(Math.floor((ms + this.offsetMsAt(ms)) / MS_PER_DAY));
    this.current = info;
    return info;
  }

  /** Offset of a known day, from its bounds: local midnight minus UTC start. */
  private offsetGuess(info: DayInfo): number {
    return info.day * MS_PER_DAY - info.start;
  }

  private dayInfo(day: number): DayInfo {
    let info = this.days.get(day);
    if (info === undefined) {
      if (this.days.size >= MAX_MEMO_DAYS) {
        this.days.clear();
        this.dayStarts.clear();
        this.current = undefined;
      }
      info = {
        day,
        date: formatLocalDate(day),
        start: this.startOfDay(day),
        end: this.startOfDay(day + 1),
        grids: undefined,
      };
      this.days.set(day, info);
    }
    return info;
  }

  /**
   * First instant of a local day: the instant of local midnight, the earlier one if midnight
   * occurs twice, and the transition instant if midnight is skipped by a DST change.
   */
  private startOfDay(day: number): number {
    const cached = this.dayStarts.get(day);
    if (cached !== undefined) return cached;
    const midnight = day * MS_PER_DAY; // local midnight read as if it were UTC
    // Offsets around midnight: with at most one change in a ±18 h window, the two ends cover both.
    const candidates = [
      this.offsetMsAt(midnight - MAX_OFFSET_MS),
      this.offsetMsAt(midnight),
      this.offsetMsAt(midnight + MAX_OFFSET_MS),
    ];
    let start = Number.POSITIVE_INFINITY;
    for (const off of candidates) {
      const t = midnight - off;
      if (this.offsetMsAt(t) === off && t < start) start = t;
    }
    if (start === Number.POSITIVE_INFINITY) {
      // Midnight falls in a gap: the day starts at the change, the first instant whose local
      // time is at or after midnight. Local time is increasing through a gap, so bisect.
      let lo = midnight - MAX_OFFSET_MS; // local time < midnight here
      let hi = midnight + MAX_OFFSET_MS; // local time >= midnight here
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (mid + this.offsetMsAt(mid) >= midnight) hi = mid;
        else lo = mid;
      }
      start = hi;
    }
    this.dayStarts.set(day, start);
    return start;
  }

  private grid(info: DayInfo, minutes: IntervalMinutes): Grid {
    let grids = info.grids;
    if (grids === undefined) {
      grids = new Map();
      info.grids = grids;
    }
    let g = grids.get(minutes);
    if (g === undefined) {
      g = this.buildGrid(info, intervalMs(minutes));
      grids.set(minutes, g);
    }
    return g;
  }

  /**
   * Split the day into spans of constant offset, then lay the local grid on each span. Offsets
   * are sampled hourly and each change is bisected to the millisecond; tzdb has no two changes
   * within one hour, so hourly sampling finds them all.
   */
  private buildGrid(info: DayInfo, len: number): Grid {
    const spans: { from: number; to: number; off: number }[] = [];
    let from = info.start;
    let off = this.offsetMsAt(from);
    let probe = from;
    while (probe < info.end) {
      const next = Math.min(probe + MS_PER_HOUR, info.end - 1);
      const nextOff = this.offsetMsAt(next);
      if (nextOff !== off) {
        let lo = probe; // offset === off
        let hi = next; // offset !== off
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.offsetMsAt(mid) === off) lo = mid;
          else hi = mid;
        }
        spans.push({ from, to: hi, off });
        from = hi;
        off = this.offsetMsAt(hi);
        probe = hi;
        continue;
      }
      if (next === info.end - 1) break;
      probe = next;
    }
    spans.push({ from, to: info.end, off });

    const out: number[] = [];
    for (const s of spans) {
      // first t >= s.from whose local time t + off is a multiple of len
      let t = Math.ceil((s.from + s.off) / len) * len - s.off;
      for (; t < s.to; t += len) out.push(t);
    }
    const starts = Float64Array.from(out);
    let uniform = true;
    for (let i = 1; i < starts.length; i++) {
      if (starts[i]! - starts[i - 1]! !== len) {
        uniform = false;
        break;
      }
    }
    return { starts, uniform };
  }
}

/** Index of the last element <= x in an ascending array, or -1. */
function lastAtOrBefore(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
