/** Shared builders for the codec tests: blocks from plain arrays, so expectations stay readable. */
import type { Channel, IntervalMinutes, ReadingBlock } from '../../src/core/readings/block.js';
import { NO_SEQUENCE } from '../../src/core/readings/block.js';

export const MIN = 60_000;

export function block(opts: {
  meterId?: string;
  channel?: Channel;
  interval?: IntervalMinutes;
  start: number;
  values: Array<number | null>;
  status?: number[];
  sequence?: number[];
  commQuality?: number;
}): ReadingBlock {
  const n = opts.values.length;
  const interval = opts.interval ?? 15;
  return {
    meterId: opts.meterId ?? 'M000001',
    channel: opts.channel ?? 'active_import_kwh',
    intervalMinutes: interval,
    starts: Float64Array.from({ length: n }, (_, i) => opts.start + i * interval * MIN),
    values: Float64Array.from(opts.values, (v) => (v === null ? Number.NaN : v)),
    status: Uint32Array.from(opts.status ?? new Array(n).fill(0)),
    sequence: Int32Array.from(opts.sequence ?? new Array(n).fill(NO_SEQUENCE)),
    commQuality: opts.commQuality ?? Number.NaN,
  };
}

/** Plain view of a block for toEqual (typed arrays → arrays, NaN kept as NaN which toEqual matches). */
export function plain(b: ReadingBlock): Record<string, unknown> {
  return {
    meterId: b.meterId,
    channel: b.channel,
    intervalMinutes: b.intervalMinutes,
    starts: Array.from(b.starts),
    values: Array.from(b.values),
    status: Array.from(b.status),
    sequence: Array.from(b.sequence),
    commQuality: b.commQuality,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** values 0.001, 0.002, … (exact 3-decimal kWh values) */
export function ramp(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => (from + i) / 1000);
}
