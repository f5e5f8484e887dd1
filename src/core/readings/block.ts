/**
 * The unit of work everywhere in smt: a block of interval readings for one meter and one channel
 * (typically one meter-day), held columnar so decoding and validation create no object per reading.
 *
 * Identity of a reading: (meterId, channel, interval start). Missing is NaN in `values`, never 0.
 */
import { type ChannelId, parseChannel } from './channel.js';

/** A channel id: open, typed by its spec (readings/channel.ts). */
export type Channel = ChannelId;

/** Interval lengths a reading block may have (NEM12 files also carry 1- and 10-minute data). */
export const INTERVAL_MINUTES = [1, 5, 10, 15, 30, 60] as const;
export type IntervalMinutes = (typeof INTERVAL_MINUTES)[number];

export const NO_SEQUENCE = -1;

export interface ReadingBlock {
  meterId: string;
  channel: Channel;
  intervalMinutes: IntervalMinutes;
  /** interval start of each reading, UTC epoch milliseconds */
  starts: Float64Array;
  /** value of each reading in the channel's unit; NaN = missing */
  values: Float64Array;
  /** device status bits exactly as received (e.g. the DLMS AMR profile status byte); 0 = none */
  status: Uint32Array;
  /** sequence number per reading as sent by the head-end; NO_SEQUENCE when the format has none */
  sequence: Int32Array;
  /** communication quality of the block as reported by the collection system, 0..100; NaN = unknown */
  commQuality: number;
}

/** The canonical id of a channel as written in a payload (name, OBIS code, nem12:XY), or null. */
export function channelIdOf(s: string): Channel | null {
  return parseChannel(s)?.id ?? null;
}

export function isIntervalMinutes(n: number): n is IntervalMinutes {
  return (INTERVAL_MINUTES as readonly number[]).includes(n);
}

/** Allocate a block of n readings with every value missing. */
export function emptyBlock(
  meterId: string,
  channel: Channel,
  intervalMinutes: IntervalMinutes,
  n: number,
): ReadingBlock {
  return {
    meterId,
    channel,
    intervalMinutes,
    starts: new Float64Array(n),
    values: new Float64Array(n).fill(Number.NaN),
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(NO_SEQUENCE),
    commQuality: Number.NaN,
  };
}
