/**
 * Like days are days of the same type: weekday, Saturday, or Sunday-or-public-holiday. Public
 * holidays come from date-holidays (maintained per country and state) for the meter's region.
 */
import Holidays from 'date-holidays';
import { parseLocalDate } from '../time/local-date.js';
import type { EstimationSettings, HolidayCalendarRef } from './settings.js';

export type DayType = 'weekday' | 'saturday' | 'sunday_holiday';

export type DayTypeOf = (localDate: string) => DayType;

const calendars = new Map<string, Map<string, DayType>>();

/** Day type of a local date (YYYY-MM-DD) in one holiday calendar; holidays cached per calendar. */
export function dayTypes(ref: HolidayCalendarRef): DayTypeOf {
  const id = `${ref.country}/${ref.state ?? ''}`;
  let cache = calendars.get(id);
  if (!cache) {
    cache = new Map();
    calendars.set(id, cache);
  }
  const hd = ref.state ? new Holidays(ref.country, ref.state) : new Holidays(ref.country);
  const holidaysLoaded = new Set<number>();
  const c = cache;
  return (date) => {
    const hit = c.get(date);
    if (hit) return hit;
    const year = Number(date.slice(0, 4));
    if (!holidaysLoaded.has(year)) {
      holidaysLoaded.add(year);
      for (const h of hd.getHolidays(year) ?? [])
        if (h.type === 'public') c.set(h.date.slice(0, 10), 'sunday_holiday');
      const again = c.get(date);
      if (again) return again;
    }
    // epoch day 0 (1970-01-01) was a Thursday
    const weekday = (((parseLocalDate(date) + 3) % 7) + 7) % 7; // 0 = Monday
    const t: DayType = weekday === 6 ? 'sunday_holiday' : weekday === 5 ? 'saturday' : 'weekday';
    c.set(date, t);
    return t;
  };
}

/** The calendar of a region: its own entry in `estimation.holidays.regions`, else the default. */
export function dayTypesForRegion(settings: EstimationSettings, regionId: string): DayTypeOf {
  return dayTypes(settings.holidays.regions[regionId] ?? settings.holidays);
}
