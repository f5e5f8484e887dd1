import type { Channel, IntervalMinutes, ReadingBlock } from '../../src/core/readings/block.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';

/** A meter-day block with every interval of the local day, values from `value(i)`. */
export function meterDay(
  meterId: string,
  date: string,
  zone: string,
  value: (i: number) => number,
  options: { channel?: Channel; minutes?: IntervalMinutes } = {},
): ReadingBlock {
  const minutes = options.minutes ?? 15;
  const starts = new LocalCalendar(zone).intervalStarts(date, minutes);
  const n = starts.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = value(i);
  return {
    meterId,
    channel: options.channel ?? 'active_import_kwh',
    intervalMinutes: minutes,
    starts: Float64Array.from(starts),
    values,
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(-1),
    commQuality: Number.NaN,
  };
}
