/**
 * Carpet columns are local wall-clock times, so 08:00 is one column on every day: on a
 * spring-forward day (92 quarter-hours) the skipped hour's columns stay empty, on a fall-back day
 * (100) the repeated hour gets columns of its own right after its first occurrence. The column set
 * is the ordered merge of every shown day's local times.
 */
import { LocalCalendar } from '../time/calendar.js';

/** A local time of day: minutes since local midnight and which occurrence of that clock time it is. */
export interface WallSlot {
  minute: number;
  /** 0 normally; 1 for the second 02:00 of a fall-back day */
  occurrence: number;
}

export function slotKey(s: WallSlot): string {
  return `${s.minute}#${s.occurrence}`;
}

export function slotLabel(s: WallSlot): string {
  const hh = String(Math.floor(s.minute / 60)).padStart(2, '0');
  const mm = String(s.minute % 60).padStart(2, '0');
  return `${hh}:${mm}${s.occurrence > 0 ? "'".repeat(s.occurrence) : ''}`;
}

/**
 * UTC offset of each position of a day. The zone is asked at both ends of the day only, and per
 * position only on a day whose offset changes (a DST day): the zone lookup is the costly part.
 */
export function positionOffsets(
  timezone: string,
  dayStart: number,
  n: number,
  intervalMinutes: number,
): Float64Array {
  const cal = LocalCalendar.for(timezone);
  const step = intervalMinutes * 60_000;
  const first = cal.offsetMsAt(dayStart);
  const out = new Float64Array(n).fill(first);
  if (n > 0 && cal.offsetMsAt(dayStart + (n - 1) * step) !== first) {
    for (let i = 1; i < n; i++) out[i] = cal.offsetMsAt(dayStart + i * step);
  }
  return out;
}

/** The wall slot of each position of a day, from its offsets (`positionOffsets`). */
export function daySlots(offsets: Float64Array, intervalMinutes: number): WallSlot[] {
  const out: WallSlot[] = [];
  const seen = new Map<number, number>();
  const base = offsets[0] ?? 0;
  for (let i = 0; i < offsets.length; i++) {
    // wall-clock minutes since local midnight (dayStart is local midnight)
    const minute = (((i * intervalMinutes + (offsets[i]! - base) / 60_000) % 1440) + 1440) % 1440;
    const occurrence = seen.get(minute) ?? 0;
    seen.set(minute, occurrence + 1);
    out.push({ minute, occurrence });
  }
  return out;
}

/** Ordered merge of the days' slot sequences: each day's order is kept, shared slots are one column. */
export function mergeSlots(days: readonly WallSlot[][]): WallSlot[] {
  const columns: WallSlot[] = [];
  const index = new Map<string, number>();
  for (const seq of days) {
    let after = -1;
    for (const s of seq) {
      const k = slotKey(s);
      const at = index.get(k);
      if (at !== undefined) {
        after = at;
        continue;
      }
      columns.splice(after + 1, 0, s);
      after++;
      index.clear();
      for (let i = 0; i < columns.length; i++) index.set(slotKey(columns[i]!), i);
    }
  }
  return columns;
}

/** The full regular day of a zone-less grid: used when no day is stored yet. */
export function regularSlots(intervalMinutes: number): WallSlot[] {
  const out: WallSlot[] = [];
  for (let m = 0; m < 1440; m += intervalMinutes) out.push({ minute: m, occurrence: 0 });
  return out;
}
