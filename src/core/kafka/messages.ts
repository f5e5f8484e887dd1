import type { WireFormat } from '../codecs/types.js';

/** Header naming the payload format of a raw message (docs/formats.md). */
export const FORMAT_HEADER = 'smt-format';

/**
 * A message for the raw topic: key = meter id (recommended: it keeps a meter's deliveries in order
 * on one partition; without one ingest takes the meter from the payload), one block (typically one
 * meter-day) per message.
 */
export interface RawMessage {
  key: string | null;
  value: Buffer;
  format: WireFormat;
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
