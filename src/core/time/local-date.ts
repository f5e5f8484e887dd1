/**
 * Local calendar dates as plain values. A local date is written 'YYYY-MM-DD' at the edges (flags,
 * JSON, SQL) and carried as an epoch day number inside hot loops: days since 1970-01-01 in the
 * proleptic Gregorian calendar, the same numbering whatever the zone. Nothing here knows about
 * zones; `calendar.ts` maps these dates to UTC instants.
 */
import { InvalidDataError } from '../errors.js';

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** 'YYYY-MM-DD' */
export type LocalDateString = string;
/** 'YYYY-MM' */
export type LocalMonthString = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;

/** A date or month string that does not name a real calendar day or month. */
export class InvalidLocalDateError extends InvalidDataError {
  constructor(value: string, expected: 'YYYY-MM-DD' | 'YYYY-MM') {
    super(`Not a valid local ${expected === 'YYYY-MM' ? 'month' : 'date'}: '${value}'.`, {
      code: 'INVALID_LOCAL_DATE',
      hint: `Write it as ${expected} with a real calendar ${expected === 'YYYY-MM' ? 'month' : 'day'}, e.g. '${expected === 'YYYY-MM' ? '2026-03' : '2026-03-29'}'.`,
    });
    this.name = 'InvalidLocalDateError';
  }
}

/**
 * Epoch day of a calendar date. setUTCFullYear is used instead of Date.UTC because Date.UTC maps
 * years 0..99 to 1900..1999.
 */
export function epochDayOf(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.floor(d.getTime() / MS_PER_DAY);
}

/** Parse 'YYYY-MM-DD' to an epoch day; throws InvalidLocalDateError for 2026-02-30 and the like. */
export function parseLocalDate(value: string): number {
  const m = DATE_RE.exec(value);
  if (m === null) throw new InvalidLocalDateError(value, 'YYYY-MM-DD');
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const epochDay = epochDayOf(year, month, day);
  // Date rolls 2026-02-30 over to March; a round trip catches it.
  if (formatLocalDate(epochDay) !== value) throw new InvalidLocalDateError(value, 'YYYY-MM-DD');
  return epochDay;
}

/** 'YYYY-MM-DD' of an epoch day (years 0000..9999). */
export function formatLocalDate(epochDay: number): LocalDateString {
  const d = new Date(epochDay * MS_PER_DAY);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth() + 1;
  const da = d.getUTCDate();
  return `${String(y).padStart(4, '0')}-${mo < 10 ? '0' : ''}${mo}-${da < 10 ? '0' : ''}${da}`;
}

/** Parse 'YYYY-MM' to [year, month 1..12]. */
export function parseLocalMonth(value: string): [year: number, month: number] {
  const m = MONTH_RE.exec(value);
  if (m === null) throw new InvalidLocalDateError(value, 'YYYY-MM');
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12) throw new InvalidLocalDateError(value, 'YYYY-MM');
  return [year, month];
}

/** Epoch days of the first day of a month and of the first day of the following month. */
export function monthEpochDays(year: number, month: number): [first: number, nextFirst: number] {
  return [
    epochDayOf(year, month, 1),
    month === 12 ? epochDayOf(year + 1, 1, 1) : epochDayOf(year, month + 1, 1),
  ];
}
