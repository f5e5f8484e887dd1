import { decode } from '../codecs/index.js';
import { type DecodeFailure, isWireFormat } from '../codecs/types.js';
import type { ConsumedMessage } from '../kafka/messages.js';
import type { ReadingBlock } from '../readings/block.js';
import type { ValidationContext } from '../vee/context.js';
import { ValidationColumns, type VeeEngine } from '../vee/engine.js';

/** A raw message after decoding and validation: either blocks with columnar results or a reason to dead-letter it. */
export interface DecodedMessage {
  /** null when decodable; otherwise why the whole message goes to the dead-letter topic */
  reject: { rule: string; reason: string } | null;
  blocks: ReadingBlock[];
  columns: ValidationColumns | null;
  /** block k occupies [offsets[k], offsets[k + 1]) of the columns */
  offsets: Uint32Array;
}

export type DecodeStage = (
  messages: readonly ConsumedMessage[],
  ctx: ValidationContext,
) => Promise<DecodedMessage[]>;

const EMPTY = new Uint32Array(1);

/** Message-level checks that need no decoding: a key, a known format header, a payload. */
export function precheck(m: ConsumedMessage): DecodedMessage['reject'] {
  if (m.value === null || m.value.length === 0)
    return { rule: 'message.empty', reason: 'message has no payload' };
  if (m.format === null)
    return {
      rule: 'message.format',
      reason: 'header smt-format is missing; set it to json, csv, dlms or nem12',
    };
  if (!isWireFormat(m.format))
    return {
      rule: 'message.format',
      reason: `header smt-format is "${m.format}"; expected json, csv, dlms or nem12`,
    };
  return null;
}

/**
 * Decode and validate one message in the calling thread (the worker entry point uses the same
 * function). Registry and history rules run when the context carries them.
 */
export function decodeAndValidateMessage(
  m: ConsumedMessage,
  engine: VeeEngine,
  ctx: ValidationContext,
): DecodedMessage {
  const pre = precheck(m);
  if (pre) return { reject: pre, blocks: [], columns: null, offsets: EMPTY };
  const result = decode(m.format as Parameters<typeof decode>[0], m.value!, m.key ? { meterId: m.key } : {});
  if (result.failures.length > 0) {
    return {
      reject: { rule: 'decode', reason: describeFailure(result.failures[0]!) },
      blocks: [],
      columns: null,
      offsets: EMPTY,
    };
  }
  const blocks = result.blocks as ReadingBlock[];
  if (m.key) {
    const other = blocks.find((b) => b.meterId !== m.key);
    if (other)
      return {
        reject: {
          rule: 'message.key',
          reason: `message key "${m.key}" but payload is for meter "${other.meterId}"`,
        },
        blocks: [],
        columns: null,
        offsets: EMPTY,
      };
  }
  const offsets = new Uint32Array(blocks.length + 1);
  for (let k = 0; k < blocks.length; k++) offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
  const columns = ValidationColumns.allocate(offsets[blocks.length]!);
  for (let k = 0; k < blocks.length; k++) engine.validateBlock(blocks[k]!, ctx, columns, offsets[k]!);
  return { reject: null, blocks, columns, offsets };
}

/** One line for the dead-letter reason: the decoder's message and where it found the problem. */
export function describeFailure(f: DecodeFailure): string {
  const where = [
    f.location.line !== undefined ? `line ${f.location.line}` : '',
    f.location.byteOffset !== undefined ? `byte ${f.location.byteOffset}` : '',
    f.location.field ?? '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${f.message}${where ? ` (${where})` : ''}`;
}

export function inThreadDecodeStage(engine: VeeEngine): DecodeStage {
  return async (messages, ctx) => messages.map((m) => decodeAndValidateMessage(m, engine, ctx));
}
