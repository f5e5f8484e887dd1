/**
 * The series a forecast is made on: one meter's, or the sum of the meters of a segment, a region
 * or the fleet, read through the series read API (SeriesReader.days, one query per meter) and
 * laid on one UTC grid. The grid's zone is the most common zone of the meters (a local day of a
 * region); its interval is the longest interval of the meters (finer readings are summed into it,
 * the slot counting only when all its readings are there).
 *
 * A sum over meters would read low where some meters have not reported, so a level slot is the
 * sum of the meters that have it scaled by meters / reporting when at least 90 % report, and
 * missing otherwise; how many slots were scaled is returned and shown, nothing is filled silently.
 */

import { forEachBounded } from '../concurrency.js';
import type { SeriesReader } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import type { UsageSeries } from './series.js';

export interface LevelMeter {
  meterId: string;
  timezone: string;
  intervalMinutes: number;
}

export const MIN_LEVEL_COVERAGE = 0.9;

export interface LevelSeries {
  series: UsageSeries;
  meters: number;
  /** slots whose value is scaled up from 90–99 % of the meters */
  scaledSlots: number;
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? 'UTC';
}

/** The grid of local dates [from, to] (inclusive) in a zone. */
export function gridOf(timezone: string, intervalMinutes: number, from: string, to: string) {
  const cal = LocalCalendar.for(timezone);
  const start = cal.dayBoundsOf(parseLocalDate(from)).start;
  const end = cal.dayBoundsOf(parseLocalDate(to)).end;
  return { start, length: Math.round((end - start) / (intervalMinutes * 60_000)) };
}

export async function readLevelSeries(
  reader: SeriesReader,
  meters: readonly LevelMeter[],
  channel: string,
  from: string,
  to: string,
): Promise<LevelSeries> {
  const timezone = mostCommon(meters.map((m) => m.timezone));
  const intervalMinutes = Math.max(...meters.map((m) => m.intervalMinutes));
  const { start, length } = gridOf(timezone, intervalMinutes, from, to);
  const step = intervalMinutes * 60_000;
  const sum = new Float64Array(length);
  const reporting = new Int32Array(length);
  // a meter in another zone: its local dates around the grid's
  const readFrom = formatLocalDate(parseLocalDate(from) - 1);
  const readTo = formatLocalDate(parseLocalDate(to) + 1);
  await forEachBounded([...meters], 16, async (m) => {
    const perSlot = intervalMinutes / m.intervalMinutes;
    const acc = new Float64Array(length);
    const got = new Int32Array(length);
    for (const day of await reader.days({ meterId: m.meterId, channel, from: readFrom, to: readTo })) {
      const dStep = day.intervalMinutes * 60_000;
      for (let i = 0; i < day.values.length; i++) {
        const v = day.values[i] as number;
        if (Number.isNaN(v)) continue;
        const slot = Math.floor((day.dayStart + i * dStep - start) / step);
        if (slot < 0 || slot >= length) continue;
        acc[slot] = (acc[slot] as number) + v;
        got[slot] = (got[slot] as number) + 1;
      }
    }
    for (let s = 0; s < length; s++) {
      if (got[s] === perSlot) {
        sum[s] = (sum[s] as number) + (acc[s] as number);
        reporting[s] = (reporting[s] as number) + 1;
      }
    }
  });
  const values = new Float64Array(length);
  let scaledSlots = 0;
  for (let s = 0; s < length; s++) {
    const r = reporting[s] as number;
    if (r === meters.length) values[s] = sum[s] as number;
    else if (r >= MIN_LEVEL_COVERAGE * meters.length && r > 0) {
      values[s] = ((sum[s] as number) * meters.length) / r;
      scaledSlots++;
    } else values[s] = Number.NaN;
  }
  return { series: { timezone, intervalMinutes, start, values }, meters: meters.length, scaledSlots };
}
