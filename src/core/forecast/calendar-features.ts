/**
 * Day types for the calendar regression and the holiday flag, from the maintained `date-holidays`
 * tables (public holidays only: bank, school and observance days are left out).
 */
import Holidays from 'date-holidays';
import { formatLocalDate } from '../time/local-date.js';
import type { SlotCalendar } from './series.js';

export const DAY_TYPES = ['monday', 'tue-thu', 'friday', 'saturday', 'sunday-holiday'] as const;
export type DayType = (typeof DAY_TYPES)[number];

/** Local epoch days that are public holidays in a country (ISO 3166-1, optionally `GB-ENG`-style state). */
export function publicHolidays(country: string | undefined, fromDay: number, toDay: number): Set<number> {
  const out = new Set<number>();
  if (!country) return out;
  const [c, state] = country.split('-');
  const hd = new Holidays(c as string, state as string, { types: ['public'] });
  const fromYear = Number(formatLocalDate(fromDay).slice(0, 4));
  const toYear = Number(formatLocalDate(toDay).slice(0, 4));
  for (let y = fromYear; y <= toYear; y++) {
    for (const h of hd.getHolidays(y) ?? []) {
      if (h.type !== 'public') continue;
      const date = h.date.slice(0, 10);
      const [yy, mm, dd] = date.split('-').map(Number) as [number, number, number];
      out.add(Math.floor(Date.UTC(yy, mm - 1, dd) / 86_400_000));
    }
  }
  return out;
}

/** Day type index (into DAY_TYPES) of each position. */
export function dayTypes(cal: SlotCalendar, holidays: ReadonlySet<number>): Uint8Array {
  const out = new Uint8Array(cal.day.length);
  for (let i = 0; i < out.length; i++) {
    const wd = cal.weekday[i] as number;
    out[i] =
      holidays.has(cal.day[i] as number) || wd === 6 ? 4 : wd === 0 ? 0 : wd <= 3 ? 1 : wd === 4 ? 2 : 3;
  }
  return out;
}
