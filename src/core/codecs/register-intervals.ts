/**
 * Cumulative registers read now and then (DSMR telegrams every 1–10 s, HAN push lists every 10 s
 * or hourly) → consumption per interval of a grid. The register at a grid boundary is the first
 * sample stamped in [boundary, boundary + 60 s) (a sample is never moved by more than that); an
 * interval's value is the difference of its two boundaries, missing (NaN) when either boundary has
 * no sample: a difference across a gap belongs to no one interval. Nothing is interpolated.
 */
import { type IntervalMinutes, NO_SEQUENCE } from '../readings/block.js';
import type { FailureSink } from './failures.js';
import { MINUTE_MS } from './time.js';
import type { DecodedBlock, DecodeLocation } from './types.js';

/** The tolerance after a grid boundary within which a sample stands for the boundary. */
export const BOUNDARY_TOLERANCE_MS = MINUTE_MS;
/** Readings one input may expand to per channel: the message bound of ingest (a month of minutes). */
const MAX_READINGS = 31 * 1_440;

export interface RegisterSample {
  meterId: string;
  /** UTC ms */
  at: number;
  /** one value per channel (same order as the `channels` argument), in the channel's unit; NaN = not in this sample */
  registers: number[];
  location: DecodeLocation;
}

/** Registers have at most a few decimals; a difference in binary floating point must not grow digits. */
export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export function registerIntervals(
  samples: readonly RegisterSample[],
  channels: readonly string[],
  interval: IntervalMinutes,
  sink: FailureSink,
): DecodedBlock[] {
  const periodMs = interval * MINUTE_MS;
  const byMeter = new Map<string, RegisterSample[]>();
  for (const t of samples) {
    const list = byMeter.get(t.meterId);
    if (list) list.push(t);
    else byMeter.set(t.meterId, [t]);
  }
  const blocks: DecodedBlock[] = [];
  for (const [meterId, list] of byMeter) {
    list.sort((a, b) => a.at - b.at);
    channels.forEach((channel, g) => {
      const boundary = new Map<number, number>();
      let seen = false;
      for (const t of list) {
        const v = t.registers[g]!;
        if (Number.isNaN(v)) continue;
        seen = true;
        const off = ((t.at % periodMs) + periodMs) % periodMs;
        if (off >= BOUNDARY_TOLERANCE_MS) continue;
        const b = t.at - off;
        if (!boundary.has(b)) boundary.set(b, v);
      }
      if (boundary.size < 2) {
        if (seen)
          sink.warn(
            `${meterId} ${channel}: register read at fewer than two ${interval}-minute boundaries: no interval consumption`,
            list[0]!.location,
          );
        return;
      }
      const times = [...boundary.keys()].sort((a, b) => a - b);
      const first = times[0]!;
      const n = (times[times.length - 1]! - first) / periodMs;
      if (n > MAX_READINGS) {
        sink.fail(
          `${meterId} ${channel}: register reads span ${n} ${interval}-minute intervals; at most ${MAX_READINGS} are taken from one input (split it, or check the clocks)`,
          list[0]!.location,
          `at most ${MAX_READINGS} intervals`,
          String(n),
        );
        return;
      }
      const b: DecodedBlock = {
        meterId,
        channel,
        intervalMinutes: interval,
        starts: new Float64Array(n),
        values: new Float64Array(n).fill(Number.NaN),
        status: new Uint32Array(n),
        sequence: new Int32Array(n).fill(NO_SEQUENCE),
        commQuality: Number.NaN,
      };
      for (let i = 0; i < n; i++) {
        const s = first + i * periodMs;
        b.starts[i] = s;
        const a = boundary.get(s);
        const z = boundary.get(s + periodMs);
        if (a !== undefined && z !== undefined) b.values[i] = round6(z - a);
      }
      blocks.push(b);
    });
  }
  return blocks;
}
