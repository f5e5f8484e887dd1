import { emptyDay, type SeriesDay } from '../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../src/core/time/local-date.js';

export const SYNTHETIC_ZONE = 'Europe/Stockholm';
const FIRST_DAY = parseLocalDate('2026-01-01');

/**
 * Meter-day i of a fleet of `meters`: meter i % meters, day i / meters from 2026-01-01, 96 values
 * and one source, as ingest writes them.
 */
export function syntheticDay(i: number, version: number, meters: number): SeriesDay {
  const meterId = `S-${String(i % meters).padStart(6, '0')}`;
  const date = formatLocalDate(FIRST_DAY + Math.floor(i / meters));
  const d = emptyDay({ meterId, channel: 'active_import_kwh', day: date }, SYNTHETIC_ZONE, 15);
  for (let p = 0; p < d.values.length; p++) {
    d.values[p] = ((i * 7 + p * 13) % 1000) / 1000;
    d.quality[p] = 0x10;
  }
  d.writes.push({ version, source: `smt.readings.raw/${i % 6}/${i}` });
  d.writeIdx.fill(0);
  d.version = version;
  d.writtenAt = Math.floor(version / 1000);
  d.writer = 'ingest:bench';
  d.reason = 'readings received';
  return d;
}
