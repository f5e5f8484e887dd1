/**
 * Public holidays from the `date-holidays` library (maintained data for ~200 countries and their
 * states/regions). Only holidays of type `public` count: bank holidays and observances are billed
 * as ordinary days. Dates are the holiday's local date in its own country, compared with the
 * meter's local date.
 */
import Holidays from 'date-holidays';
import { InvalidDataError } from '../errors.js';
import type { HolidayCalendar } from './tariff.js';

const memo = new Map<string, Set<string>>();

function calendarOf(c: HolidayCalendar): Holidays {
  return new Holidays(c.country, c.state ?? '', c.region ?? '');
}

export function assertHolidayCalendar(c: HolidayCalendar, where: string): void {
  const known = new Holidays().getCountries();
  if (!known || !(c.country in known))
    throw new InvalidDataError(`${where}: unknown holiday country ${JSON.stringify(c.country)}`, {
      code: 'INVALID_TARIFF',
      hint: 'Use an ISO 3166-1 alpha-2 country code known to date-holidays (e.g. SE, DE, US, AU).',
    });
  if (c.state !== undefined) {
    const states = new Holidays().getStates(c.country) ?? {};
    if (!(c.state in states))
      throw new InvalidDataError(`${where}: unknown state ${JSON.stringify(c.state)} of ${c.country}`, {
        code: 'INVALID_TARIFF',
        hint: `Known: ${Object.keys(states).join(', ') || 'none'}.`,
      });
  }
}

/** Local dates (YYYY-MM-DD) of the public holidays of one year. */
export function publicHolidays(c: HolidayCalendar, year: number): Set<string> {
  const key = `${c.country}|${c.state ?? ''}|${c.region ?? ''}|${year}`;
  let days = memo.get(key);
  if (!days) {
    days = new Set(
      (calendarOf(c).getHolidays(year) || [])
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    );
    memo.set(key, days);
  }
  return days;
}
