/**
 * Like days are compared by local wall-clock time, not by position: on the 92- and 100-interval
 * DST days position 8 is 03:00 or 02:00, while on a normal day it is 02:00. A normal day (24 h)
 * maps position ↔ minute of day directly; only DST days need the zone.
 */
import type { SeriesDay } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';

const MINUTES_PER_DAY = 1440;

const maps = new WeakMap<SeriesDay, { wallOf: Int32Array; posOfWall: Int32Array }>();

function isNormalDay(d: SeriesDay): boolean {
  return d.values.length * d.intervalMinutes === MINUTES_PER_DAY;
}

function mapsOf(d: SeriesDay, timezone: string): { wallOf: Int32Array; posOfWall: Int32Array } {
  let m = maps.get(d);
  if (m) return m;
  const cal = LocalCalendar.for(timezone);
  const step = d.intervalMinutes * 60_000;
  const wallOf = new Int32Array(d.values.length);
  const posOfWall = new Int32Array(MINUTES_PER_DAY / d.intervalMinutes).fill(-1);
  for (let p = 0; p < d.values.length; p++) {
    const t = d.dayStart + p * step;
    const local = (((t + cal.offsetMsAt(t)) % 86_400_000) + 86_400_000) % 86_400_000;
    const w = Math.round(local / 60_000);
    wallOf[p] = w;
    const slot = Math.floor(w / d.intervalMinutes);
    // the repeated hour of the autumn change: its first occurrence stands for the wall-clock time
    if (posOfWall[slot] === -1) posOfWall[slot] = p;
  }
  m = { wallOf, posOfWall };
  maps.set(d, m);
  return m;
}

/** Minute of the local day at which position p starts. */
export function wallMinuteOf(d: SeriesDay, p: number, timezone: string): number {
  return isNormalDay(d) ? p * d.intervalMinutes : mapsOf(d, timezone).wallOf[p]!;
}

/** Position of day d that starts at a local minute of day, or -1 (the skipped hour of a spring change). */
export function positionAtWall(d: SeriesDay, minute: number, timezone: string): number {
  const slot = Math.floor(minute / d.intervalMinutes);
  if (isNormalDay(d)) return slot < d.values.length ? slot : -1;
  return mapsOf(d, timezone).posOfWall[slot] ?? -1;
}
