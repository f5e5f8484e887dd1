import type { AggregateMeter } from '../postgres/aggregate-store.js';
import type { SeriesDayKey } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';

/** A unit of batch work: whole meters, every channel and local day of the range. */
export interface MeterDayChunk {
  meterIds: string[];
  keys: SeriesDayKey[];
}

/** The local days of a meter in [from, to] on which it was installed (the day of removal included). */
export function installedDays(
  m: AggregateMeter,
  from: number,
  to: number,
  format: (epochDay: number) => string = formatLocalDate,
): string[] {
  const cal = LocalCalendar.for(m.timezone);
  const first = Math.max(from, cal.localDayOf(m.installedAt));
  const last = m.removedAt === null ? to : Math.min(to, cal.localDayOf(m.removedAt));
  const out: string[] = [];
  for (let d = first; d <= last; d++) out.push(format(d));
  return out;
}

/**
 * The meter-days of [from, to] (local dates) cut into chunks of whole meters, in meter order, each
 * at most `perChunk` meter-days (one chunk = one ClickHouse query, one PostgreSQL COPY, one
 * backfill job): the same arguments always give the same chunks.
 */
export function meterDayChunks(
  meters: readonly AggregateMeter[],
  range: { from: string; to: string },
  channels: readonly string[],
  perChunk: number,
): MeterDayChunk[] {
  const from = parseLocalDate(range.from);
  const to = parseLocalDate(range.to);
  const chunks: MeterDayChunk[] = [];
  let open: MeterDayChunk = { meterIds: [], keys: [] };
  // every meter shares the range's dates: each formatted once (one string, not one per meter-day)
  const dates = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => formatLocalDate(from + i));
  const format = (d: number) => dates[d - from]!;
  for (const m of meters) {
    const days = installedDays(m, from, to, format);
    if (days.length === 0) continue;
    if (open.keys.length > 0 && open.keys.length + days.length * channels.length > perChunk) {
      chunks.push(open);
      open = { meterIds: [], keys: [] };
    }
    open.meterIds.push(m.meterId);
    for (const channel of channels)
      for (const day of days) open.keys.push({ meterId: m.meterId, channel, day });
  }
  if (open.keys.length > 0) chunks.push(open);
  return chunks;
}
