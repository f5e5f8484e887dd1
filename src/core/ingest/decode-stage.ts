/**
 * Raw message → DecodedMessage: the one implementation both ingest paths use. The in-thread stage
 * calls `decodeAndValidateMessage` on the main thread; the pool stage calls the same function in
 * the worker (src/workers/decode-validate.ts). Where it runs is the only difference.
 *
 * Per message, in this order (the first that applies decides):
 *   1. precheck: no payload → `message.empty`; missing or unknown `smt-format` → `message.format`
 *   2. decode with the key as meter id (a null or empty key = none: the payload's meter id is
 *      used); the payload names another meter than the key → `message.key`; any other decode
 *      failure → `decode` with the decoder's first message and location. The readings the decoder
 *      dropped (`drops`) and its register reads (NEM13) travel with the message, rejected or not
 *   3. registry (when the context carries one): a block or register read for a meter it does not
 *      hold → `registry.unknown`, checked here and nowhere else
 *   4. every VEE rule whose inputs the context carries, once per reading (engine.validateBlock)
 */
import { decode } from '../codecs/index.js';
import {
  type DecodeFailure,
  type DecodeOptions,
  type DroppedReadings,
  type RegisterRead,
  WIRE_FORMATS,
} from '../codecs/types.js';
import { type ConsumedMessage, type ParsedFormatHeader, parseFormatHeader } from '../kafka/messages.js';
import type { ReadingBlock } from '../readings/block.js';
import type { ValidationContext } from '../vee/context.js';
import { ValidationColumns, type VeeEngine } from '../vee/engine.js';

/** A raw message after decoding and validation: either blocks with columnar results or a reason to dead-letter it. */
export interface DecodedMessage {
  /** null when decodable; otherwise why the whole message goes to the dead-letter topic */
  reject: { rule: string; reason: string } | null;
  /**
   * The decoded blocks. On a reject: the blocks that decoded cleanly when there are any
   * (`decode`, `message.key`, `registry.unknown`: the pipeline counts their readings as
   * dead-lettered), else empty.
   */
  blocks: ReadingBlock[];
  /**
   * Readings the payload held that the decoder put in no block, one entry per record, with why
   * and where (NEM12, NEM13); absent when none. Kept on a reject too: the dead letter lists them.
   */
  drops?: DroppedReadings[];
  /** register read periods (NEM13); absent for interval formats */
  registerReads?: RegisterRead[];
  /** null on a reject */
  columns: ValidationColumns | null;
  /** block k occupies [offsets[k], offsets[k + 1]) of the columns */
  offsets: Uint32Array;
}

export type DecodeStage = (
  messages: readonly ConsumedMessage[],
  ctx: ValidationContext,
) => Promise<DecodedMessage[]>;

/** What the per-message function reads of a Kafka message (a ConsumedMessage, or one entry of a worker task). */
export interface RawInput {
  /** the Kafka key; null or '' = none */
  key: string | null;
  value: Uint8Array | null;
  /** the `smt-format` header as received; null = missing */
  format: string | null;
}

/**
 * Decode options shared by every message of a stage (DLMS profile, …). The meter id comes from
 * each message's key; `timezone` defaults to the key's meter's zone in the registry, else the
 * context's zone; `sourceName` is not set (the dead letter carries the source itself).
 */
export type SharedDecodeOptions = Omit<DecodeOptions, 'meterId' | 'sourceName'>;

export interface MessageOptions {
  decode?: SharedDecodeOptions;
  /** validate into this arena instead of a fresh ValidationColumns per message (a worker's task) */
  arena?: ColumnArena;
}

const EMPTY = new Uint32Array(1);

/** The key as a meter id: undefined when null or empty. */
export function keyOf(m: Pick<RawInput, 'key'>): string | undefined {
  return m.key === null || m.key === '' ? undefined : m.key;
}

/** Message-level checks that need no decoding: a payload and a known format header. */
export function precheck(m: RawInput): DecodedMessage['reject'] {
  if (m.value === null || m.value.length === 0)
    return { rule: 'message.empty', reason: 'message has no payload' };
  if (m.format === null)
    return {
      rule: 'message.format',
      reason: `header smt-format is missing; set it to ${WIRE_FORMATS.join(', ')}`,
    };
  const parsed = parseFormatHeader(m.format);
  if (!parsed.ok) return { rule: 'message.format', reason: parsed.reason };
  return null;
}

function rejected(
  rule: string,
  reason: string,
  blocks: ReadingBlock[] = [],
  drops: DroppedReadings[] = [],
): DecodedMessage {
  const d: DecodedMessage = { reject: { rule, reason }, blocks, columns: null, offsets: EMPTY };
  if (drops.length > 0) d.drops = drops;
  return d;
}

/** Decode and validate one message (see the module comment for the policy, in order). */
export function decodeAndValidateMessage(
  m: RawInput,
  engine: VeeEngine,
  ctx: ValidationContext,
  options: MessageOptions = {},
): DecodedMessage {
  const pre = precheck(m);
  if (pre) return { reject: pre, blocks: [], columns: null, offsets: EMPTY };
  const key = keyOf(m);
  const registry = ctx.registry;
  const shared = options.decode;
  const decodeOptions: DecodeOptions = {
    ...shared,
    timezone:
      shared?.timezone ?? (key === undefined ? undefined : registry?.get(key)?.timezone) ?? ctx.timezone,
  };
  if (key !== undefined) decodeOptions.meterId = key;
  const header = parseFormatHeader(m.format!) as Extract<ParsedFormatHeader, { ok: true }>;
  if (header.intervalMinutes !== undefined) decodeOptions.intervalMinutes = header.intervalMinutes;
  const result = decode(header.format, m.value!, decodeOptions);
  const drops = result.drops;
  if (result.failures.length > 0) {
    const mismatch = result.failures.find((f) => f.code === 'METER_MISMATCH');
    if (mismatch)
      return rejected(
        'message.key',
        `message key "${key}" but payload is for meter ${mismatch.found}`,
        result.blocks,
        drops,
      );
    return rejected('decode', describeFailure(result.failures[0]!), result.blocks, drops);
  }
  const blocks: ReadingBlock[] = result.blocks;
  if (key !== undefined) {
    // Every decoder reports a payload for another meter itself; this guards a decoder that would not.
    const other = [...blocks, ...(result.registerReads ?? [])].find((b) => b.meterId !== key);
    if (other)
      return rejected(
        'message.key',
        `message key "${key}" but payload is for meter "${other.meterId}"`,
        [],
        drops,
      );
  }
  const range = outOfRange(blocks);
  if (range) return rejected('message.range', range, [], drops);
  const registerReads = result.registerReads ?? [];
  if (registry !== undefined) {
    const unknown = [...blocks, ...registerReads].find((b) => !registry.has(b.meterId));
    if (unknown)
      return rejected('registry.unknown', `meter ${unknown.meterId} is not registered`, blocks, drops);
  }
  let readings = 0;
  for (const b of blocks) readings += b.starts.length;
  const arena = options.arena;
  const base = arena === undefined ? 0 : arena.reserve(readings);
  const columns = arena === undefined ? ValidationColumns.allocate(readings) : arena.columns;
  const offsets = new Uint32Array(blocks.length + 1);
  offsets[0] = base;
  for (let k = 0; k < blocks.length; k++) {
    offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
    engine.validateBlock(blocks[k]!, ctx, columns, offsets[k]!);
  }
  const out: DecodedMessage = { reject: null, blocks, columns, offsets };
  if (drops.length > 0) out.drops = drops;
  if (registerReads.length > 0) out.registerReads = registerReads;
  return out;
}

/** Interval starts smt accepts: 1970-01-01 to 2100-01-01 UTC (a local day and a Cassandra date exist for them). */
export const MIN_INTERVAL_START = 0;
export const MAX_INTERVAL_START = Date.UTC(2100, 0, 1);
/** Readings one message may carry: a month of 1-minute intervals. */
export const MAX_READINGS_PER_MESSAGE = 31 * 1_440;

/**
 * Why a decoded message cannot be stored whatever the stores say: instants outside the range a
 * local calendar and the stores hold, or more readings than a message may carry. Checked before
 * validation, so it never reaches a store as a failure that repeats on every attempt.
 */
export function outOfRange(blocks: readonly ReadingBlock[]): string | null {
  let readings = 0;
  for (const b of blocks) {
    readings += b.starts.length;
    for (let i = 0; i < b.starts.length; i++) {
      const t = b.starts[i]!;
      if (!(t >= MIN_INTERVAL_START && t < MAX_INTERVAL_START))
        return `interval start ${Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : `${t} ms`} of meter ${b.meterId} (reading ${i}) is outside 1970-01-01 … 2100-01-01 UTC`;
    }
  }
  if (readings > MAX_READINGS_PER_MESSAGE)
    return `${readings} readings in one message; at most ${MAX_READINGS_PER_MESSAGE} (a month of 1-minute intervals) are taken`;
  return null;
}

/**
 * Validation columns shared by the messages of one worker task: each message reserves its
 * readings at the end, so the task's columns are [0, used) in validation order and need no
 * allocation per message. `ruleCounts`, `stateCounts` and `lateCount` accumulate over the task.
 */
export class ColumnArena {
  columns: ValidationColumns;
  used = 0;

  constructor(capacity = 16_384) {
    this.columns = ValidationColumns.allocate(capacity);
  }

  /** Empties the arena (counts included) for the next task. */
  reset(): void {
    this.used = 0;
    this.columns.ruleCounts.fill(0);
    this.columns.stateCounts.fill(0);
    this.columns.lateCount = 0;
  }

  /** Room for `n` more readings; returns where they start. Growing keeps what is written. */
  reserve(n: number): number {
    const at = this.used;
    const need = at + n;
    const c = this.columns;
    if (need > c.length) {
      const size = Math.max(need, c.length * 2);
      const grown = new ValidationColumns(
        new Uint8Array(size),
        new Uint32Array(size),
        new Uint8Array(size),
        c.ruleCounts,
        c.stateCounts,
      );
      grown.states.set(c.states.subarray(0, at));
      grown.ruleMask.set(c.ruleMask.subarray(0, at));
      grown.late.set(c.late.subarray(0, at));
      grown.lateCount = c.lateCount;
      this.columns = grown;
    }
    this.used = need;
    return at;
  }
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

export function inThreadDecodeStage(engine: VeeEngine, decodeOptions?: SharedDecodeOptions): DecodeStage {
  const options: MessageOptions = { decode: decodeOptions };
  return async (messages, ctx) => messages.map((m) => decodeAndValidateMessage(m, engine, ctx, options));
}
