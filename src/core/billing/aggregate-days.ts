/**
 * Whether a billing period can be billed from the authoritative daily aggregates, and the days by
 * local hour if so (pure: the service reads the rows and the series versions). It can when every
 * local date of the period has its daily row, each computed from the series version the series
 * holds now, with its hourly values. Tariffs change rate on local hours only (12 × 24 matrices),
 * so no tariff needs the intervals themselves.
 */
import type { StoredDaily } from '../postgres/aggregate-store.js';
import { LocalCalendar } from '../time/calendar.js';
import type { BillingDay } from './determinants.js';
import { type BillingPeriod, datesOf } from './period.js';

export type AggregatePeriodDays =
  | { usable: true; days: BillingDay[]; status: 'validated' | 'provisional' }
  | { usable: false; reason: string };

const some = (dates: readonly string[]) =>
  `${dates.length} day${dates.length === 1 ? '' : 's'} (first ${dates[0]})`;

export function aggregatePeriodDays(
  timezone: string,
  period: BillingPeriod,
  rows: readonly StoredDaily[],
  /** the series' current version of each stored day of the period */
  seriesVersions: ReadonlyMap<string, number>,
): AggregatePeriodDays {
  const cal = LocalCalendar.for(timezone);
  const byDate = new Map(rows.map((r) => [r.localDate, r]));
  const missing: string[] = [];
  const stale: string[] = [];
  const noHours: string[] = [];
  const days: BillingDay[] = [];
  let validated = true;
  for (const date of datesOf(period)) {
    const r = byDate.get(date);
    if (!r) {
      missing.push(date);
      continue;
    }
    if (r.seriesVersion !== (seriesVersions.get(date) ?? 0)) {
      stale.push(date);
      continue;
    }
    if (r.status === 'provisional') validated = false;
    // no series row that day: billed as missing, as the series would
    if (r.seriesVersion === 0) continue;
    const values = r.actual + r.estimated;
    if (values > 0 && (r.hourly === null || r.estimatedMicro === null)) {
      noHours.push(date);
      continue;
    }
    days.push({
      day: date,
      dayStart: cal.dayBounds(date).start,
      intervalMinutes: r.intervalMinutes,
      actual: r.actual,
      estimated: r.estimated,
      estimatedMicro: r.estimatedMicro ?? 0,
      hourly: r.hourly,
      seriesVersion: r.seriesVersion,
      aggregateVersion: r.version,
    });
  }
  if (stale.length > 0) {
    const d = stale[0]!;
    return {
      usable: false,
      reason: `the daily aggregates of ${some(stale)} are older than the series (${d}: aggregated from series version ${byDate.get(d)!.seriesVersion}, the series is at ${seriesVersions.get(d) ?? 0})`,
    };
  }
  if (missing.length > 0) return { usable: false, reason: `no daily aggregate for ${some(missing)}` };
  if (noHours.length > 0)
    return {
      usable: false,
      reason: `the daily aggregates of ${some(noHours)} have no hourly values (aggregated before PostgreSQL migration 29, or not on whole local hours)`,
    };
  return { usable: true, days, status: validated ? 'validated' : 'provisional' };
}
