/**
 * The zone-free interval grid: multiples of the interval length since the UTC epoch. It is the
 * right check only where the local grid coincides with it (every zone whose UTC offset is a
 * multiple of the interval, e.g. all whole-hour zones); meters align to their local clock, so
 * validation uses `LocalCalendar.isAligned` (see docs/time-and-quality.md, "Alignment").
 */
import { InvalidDataError } from '../errors.js';
import { type IntervalMinutes, isIntervalMinutes } from '../readings/block.js';
import { MS_PER_MINUTE } from './local-date.js';

/** Interval length in milliseconds; throws for anything but 1, 5, 10, 15, 30 or 60 minutes. */
export function intervalMs(minutes: IntervalMinutes): number {
  if (!isIntervalMinutes(minutes)) {
    throw new InvalidDataError(
      `Unsupported interval length: ${String(minutes)} minutes (expected 1, 5, 10, 15, 30 or 60).`,
      {
        code: 'INVALID_INTERVAL',
        hint: 'Interval readings must be 1, 5, 10, 15, 30 or 60 minutes long; check the intervalMinutes of the block or the meter registry entry.',
      },
    );
  }
  return minutes * MS_PER_MINUTE;
}

/** Start of the UTC-grid interval containing `ms`. */
export function floorToUtcGrid(ms: number, minutes: IntervalMinutes): number {
  const len = intervalMs(minutes);
  return Math.floor(ms / len) * len;
}

/** True when `ms` is a multiple of the interval length since the epoch. */
export function isOnUtcGrid(ms: number, minutes: IntervalMinutes): boolean {
  const len = intervalMs(minutes);
  return Number.isFinite(ms) && Math.floor(ms / len) * len === ms;
}
