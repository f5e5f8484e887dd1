import { isWireFormat, WIRE_FORMATS, type WireFormat } from '../codecs/types.js';
import { type IntervalMinutes, isIntervalMinutes } from '../readings/block.js';

/**
 * Header naming the payload format of a raw message (docs/formats.md), with the parameters a
 * payload cannot carry itself: `dlms; interval=15` (a DLMS buffer has no capture period).
 */
export const FORMAT_HEADER = 'smt-format';

export function formatHeaderValue(format: WireFormat, intervalMinutes?: number): string {
  return intervalMinutes === undefined ? format : `${format}; interval=${intervalMinutes}`;
}

export type ParsedFormatHeader =
  | { ok: true; format: WireFormat; intervalMinutes?: IntervalMinutes }
  | { ok: false; reason: string };

/** `json`, `dlms; interval=15` → the format and its parameters; anything else → why not. */
export function parseFormatHeader(value: string): ParsedFormatHeader {
  const [name = '', ...params] = value.split(';').map((p) => p.trim());
  if (!isWireFormat(name))
    return {
      ok: false,
      reason: `header ${FORMAT_HEADER} is "${value}"; expected ${WIRE_FORMATS.join(', ')}`,
    };
  const out: { ok: true; format: WireFormat; intervalMinutes?: IntervalMinutes } = { ok: true, format: name };
  for (const p of params) {
    const m = /^interval=(\d+)$/.exec(p);
    const minutes = m === null ? Number.NaN : Number(m[1]);
    if (!isIntervalMinutes(minutes))
      return {
        ok: false,
        reason: `header ${FORMAT_HEADER} is "${value}": parameter "${p}" is not interval=5, 15, 30 or 60`,
      };
    out.intervalMinutes = minutes;
  }
  return out;
}

/**
 * A message for the raw topic: key = meter id (recommended: it keeps a meter's deliveries in order
 * on one partition; without one ingest takes the meter from the payload), one block (typically one
 * meter-day) per message.
 */
export interface RawMessage {
  key: string | null;
  value: Buffer;
  format: WireFormat;
  /** written as the header's `interval` parameter (DLMS buffers, which do not carry it) */
  intervalMinutes?: number;
  /** producer timestamp, epoch ms; defaults to now */
  timestamp?: number;
}

/** A message as consumed, with its position: `source` is the identity used to make writes idempotent. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** the format header, or null when missing (the message then goes to the dead-letter topic) */
  format: string | null;
  timestamp: number;
}

/**
 * `topic/partition/offset`; with the topic's incarnation (src/core/kafka/topic-identity.ts)
 * `topic:incarnation/partition/offset`, so offsets of a recreated topic never pass for those of the
 * topic it replaced.
 */
export function sourceOf(
  m: Pick<ConsumedMessage, 'topic' | 'partition' | 'offset'>,
  incarnation?: string,
): string {
  return `${m.topic}${incarnation ? `:${incarnation}` : ''}/${m.partition}/${m.offset}`;
}
