/**
 * Strict ISO-8601 instants for wire formats. `Date.parse` is not used on input because it accepts
 * far too much (local times without an offset, `2026-02-30`, RFC 2822), and an interval start that
 * silently lands in the machine's zone is exactly the kind of DST bug peer systems ship.
 */
import { DateTime } from 'luxon';

export const MINUTE_MS = 60_000;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS[month - 1] ?? 0;
}

/** An instant with its written UTC offset, or a reason it is not one. */
export type ParsedInstant = { ok: true; ms: number; offsetMinutes: number } | { ok: false; reason: string };

const EXPECTED_ISO = 'ISO-8601 date-time with offset (e.g. 2026-03-29T00:00:00+01:00 or …Z)';
const BAD: ParsedInstant = { ok: false, reason: EXPECTED_ISO };
const NOT_REAL: ParsedInstant = { ok: false, reason: 'a real calendar date and time' };

/** Two ASCII digits at i as a number, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `2026-03-29T00:00:00+01:00`, `...Z`, `...+0100`, seconds and fractions optional. The offset is
 * required: a local time without one is ambiguous on the fall-back day. Hand-parsed (no regex, no
 * Date object) because CSV decoding calls this once per row.
 */
export function parseIsoInstant(s: string): ParsedInstant {
  const len = s.length;
  if (len < 17) return BAD;
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const sep = s.charCodeAt(10);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return BAD;
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (sep !== 84 && sep !== 32) ||
    s.charCodeAt(13) !== 58
  )
    return BAD;
  const year = y1 * 100 + y2;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58 /* : */) {
    second = d2(s, i + 1);
    if (second < 0) return BAD;
    i += 3;
    if (s.charCodeAt(i) === 46 /* . */) {
      i++;
      let digits = 0;
      let frac = 0;
      while (i < len) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (digits < 3) frac = frac * 10 + c;
        digits++;
        i++;
      }
      if (digits === 0 || digits > 9) return BAD;
      ms = digits === 1 ? frac * 100 : digits === 2 ? frac * 10 : frac;
    }
  }
  let offsetMinutes = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== len) return BAD;
  } else if (z === 43 || z === 45) {
    const oh = d2(s, i + 1);
    let om: number;
    if (s.charCodeAt(i + 3) === 58) {
      om = d2(s, i + 4);
      if (i + 6 !== len) return BAD;
    } else {
      om = d2(s, i + 3);
      if (i + 5 !== len) return BAD;
    }
    if (oh < 0 || om < 0) return BAD;
    if (oh > 18 || om > 59) return { ok: false, reason: 'a UTC offset between -18:00 and +18:00' };
    offsetMinutes = (z === 45 ? -1 : 1) * (oh * 60 + om);
  } else {
    return BAD;
  }
  // Date.UTC maps years 0..99 to 19xx; no meter reading predates 1900 anyway.
  if (
    year < 1900 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return NOT_REAL;
  }
  return {
    ok: true,
    ms: Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * MINUTE_MS,
    offsetMinutes,
  };
}

/** `2026-03-28T23:00:00Z`, or local with offset when a zone is given (`2026-03-29T00:00:00+01:00`). */
export function formatInstant(ms: number, timezone?: string): string {
  if (timezone === undefined || timezone === 'UTC' || timezone === 'Etc/UTC') {
    return new Date(ms).toISOString().replace('.000Z', 'Z');
  }
  const dt = DateTime.fromMillis(ms, { zone: timezone });
  if (!dt.isValid) throw new Error(`unknown time zone ${JSON.stringify(timezone)}`);
  return dt.toISO({ suppressMilliseconds: true, includeOffset: true })!;
}

/**
 * Interval starts must sit on the interval grid. Checked in the offset the sender wrote (so an
 * hourly series in Adelaide, +09:30, is aligned on its local hours); for bare epoch ms, whose zone
 * is unknown, only on the 15-minute grid every real-world offset shares.
 */
export function isAligned(ms: number, intervalMinutes: number, offsetMinutes: number | undefined): boolean {
  const grid = offsetMinutes === undefined ? Math.min(intervalMinutes, 15) : intervalMinutes;
  const local = ms + (offsetMinutes ?? 0) * MINUTE_MS;
  return ((local % (grid * MINUTE_MS)) + grid * MINUTE_MS) % (grid * MINUTE_MS) === 0;
}
