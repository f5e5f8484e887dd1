/**
 * The contract between the ingest main thread and the decode-validate worker: the task (packed
 * raw messages plus options) and a compact columnar result, every column a view into ONE
 * ArrayBuffer that the worker transfers back. Block metadata that is not numeric (meter ids,
 * rejected messages) travels as small plain arrays.
 */

import type { DecodeOptions, DroppedReadings, RegisterRead, WireFormat } from '../codecs/types.js';
import type { IntervalMinutes, ReadingBlock } from '../readings/block.js';
import type { HistorySummary, MeterSnapshot } from '../vee/context.js';
import { ValidationColumns } from '../vee/engine.js';
import type { RuleSetDefinition } from '../vee/rule-set.js';
import { RULE_SLOTS } from '../vee/rules.js';

/**
 * One task: ~100 raw messages, each decoded and validated by the same per-message function as the
 * in-thread stage (decodeAndValidateMessage), with the task's fields as its context.
 */
export interface DecodeValidateTask {
  /** format of every message, when `formats` is not given */
  format?: WireFormat;
  /** per message: the `smt-format` header as received (null = missing), checked like in-thread */
  formats?: (string | null)[];
  /** packMessages() output; transferred. A message without a value travels as 0 bytes */
  messages: ArrayBuffer;
  /** meter id per message from outside the payload (the Kafka key); null or '' = take it from the payload */
  meterIds?: (string | null)[];
  /** decode options shared by every message (DLMS profile, CSV channel, …) */
  decode?: Omit<DecodeOptions, 'meterId' | 'sourceName'>;
  ruleSet: SerializedRuleSet;
  /** epoch ms */
  now: number;
  /** zone of meters without a registry entry, and of local times in payloads without an offset */
  timezone?: string;
  /**
   * Registry entries of the task's meters: enables the registry check (a block for a meter not
   * listed is rejected as `registry.unknown`, so list every meter of the task), segment thresholds,
   * ratings, zones and registry rules. Absent = no registry (no registry check, no registry rules).
   */
  registry?: MeterSnapshot[];
  /** history summaries of the task's meters (history rules run only for meters listed) */
  history?: [string, HistorySummary][];
  /**
   * false: do not flag an interval that occurs in two messages of the task (ingest tells re-deliveries
   * from new versions against the stored series instead); default true (`smt validate` of a file)
   */
  crossBlockDuplicates?: boolean;
}

/**
 * A rule set as it travels to workers: JSON text (cloning one string is ~30× cheaper than cloning
 * the nested definition) keyed by fingerprint, so a worker parses and compiles it once.
 */
export interface SerializedRuleSet {
  fingerprint: string;
  json: string;
}

export function serializeRuleSet(def: RuleSetDefinition): SerializedRuleSet {
  return { fingerprint: def.fingerprint, json: JSON.stringify(def) };
}

export function deserializeRuleSet(s: SerializedRuleSet): RuleSetDefinition {
  return JSON.parse(s.json) as RuleSetDefinition;
}

/** A message of the task that goes to the dead-letter topic, and why (DecodedMessage.reject). */
export interface MessageReject {
  /** index of the message in the task */
  message: number;
  rule: string;
  reason: string;
}

/** What a message of the task carries beside its blocks (DecodedMessage.drops), for the messages that have it. */
export interface MessageExtras {
  message: number;
  drops?: DroppedReadings[];
  registerReads?: RegisterRead[];
}

export interface DecodeValidateResult {
  /** every column (see resultLayout); transferred */
  buffer: ArrayBuffer;
  blockCount: number;
  readingCount: number;
  /**
   * Blocks of accepted messages first (their readings are validated), then the blocks a rejected
   * message keeps (registry.unknown; their columns hold zeros)
   */
  validatedBlockCount: number;
  /** per block */
  meterIds: string[];
  /** per block: channel ids (open identity, so strings rather than an index) */
  channels: string[];
  rejects: MessageReject[];
  extras: MessageExtras[];
}

/** Byte offsets of each column in the result buffer; each column 8-byte aligned. */
export interface ResultLayout {
  starts: number;
  values: number;
  commQuality: number;
  status: number;
  sequence: number;
  ruleMask: number;
  blockOffsets: number;
  messageIndex: number;
  ruleCounts: number;
  stateCounts: number;
  lateCount: number;
  states: number;
  late: number;
  qualityFlag: number;
  intervalMinutes: number;
  byteLength: number;
}

export function resultLayout(readings: number, blocks: number): ResultLayout {
  let pos = 0;
  const take = (bytes: number): number => {
    const at = pos;
    pos += Math.ceil(bytes / 8) * 8;
    return at;
  };
  const R = readings;
  const B = blocks;
  const l = {
    starts: take(8 * R),
    values: take(8 * R),
    commQuality: take(8 * B),
    status: take(4 * R),
    sequence: take(4 * R),
    ruleMask: take(4 * R),
    blockOffsets: take(4 * (B + 1)),
    messageIndex: take(4 * B),
    ruleCounts: take(4 * RULE_SLOTS),
    stateCounts: take(4 * 4),
    lateCount: take(4),
    states: take(R),
    late: take(R),
    qualityFlag: take(R),
    intervalMinutes: take(B),
    byteLength: 0,
  };
  l.byteLength = pos;
  return l;
}

/** Typed views of every column of a result buffer. */
export interface ResultViews {
  starts: Float64Array;
  values: Float64Array;
  commQuality: Float64Array;
  status: Uint32Array;
  sequence: Int32Array;
  ruleMask: Uint32Array;
  blockOffsets: Uint32Array;
  messageIndex: Uint32Array;
  ruleCounts: Uint32Array;
  stateCounts: Uint32Array;
  lateCount: Uint32Array;
  states: Uint8Array;
  late: Uint8Array;
  /** NEM12 quality flag per reading as a char code (65 A, 69 E, …); 0 = none */
  qualityFlag: Uint8Array;
  intervalMinutes: Uint8Array;
}

export function resultViews(buffer: ArrayBuffer, readings: number, blocks: number): ResultViews {
  const l = resultLayout(readings, blocks);
  if (buffer.byteLength < l.byteLength)
    throw new RangeError(
      `decode-validate result: buffer of ${buffer.byteLength} bytes, layout needs ${l.byteLength}`,
    );
  const R = readings;
  const B = blocks;
  return {
    starts: new Float64Array(buffer, l.starts, R),
    values: new Float64Array(buffer, l.values, R),
    commQuality: new Float64Array(buffer, l.commQuality, B),
    status: new Uint32Array(buffer, l.status, R),
    sequence: new Int32Array(buffer, l.sequence, R),
    ruleMask: new Uint32Array(buffer, l.ruleMask, R),
    blockOffsets: new Uint32Array(buffer, l.blockOffsets, B + 1),
    messageIndex: new Uint32Array(buffer, l.messageIndex, B),
    ruleCounts: new Uint32Array(buffer, l.ruleCounts, RULE_SLOTS),
    stateCounts: new Uint32Array(buffer, l.stateCounts, 4),
    lateCount: new Uint32Array(buffer, l.lateCount, 1),
    states: new Uint8Array(buffer, l.states, R),
    late: new Uint8Array(buffer, l.late, R),
    qualityFlag: new Uint8Array(buffer, l.qualityFlag, R),
    intervalMinutes: new Uint8Array(buffer, l.intervalMinutes, B),
  };
}

/** Validation columns over a result's views (the engine writes straight into the result). */
export function columnsOf(v: ResultViews): ValidationColumns {
  return new ValidationColumns(v.states, v.ruleMask, v.late, v.ruleCounts, v.stateCounts);
}

/** What the main thread works with: blocks and validation columns as views, no copies. */
export interface DecodedValidatedBatch {
  blocks: ReadingBlock[];
  /** block k occupies [blockOffsets[k], blockOffsets[k + 1]) of the columns */
  blockOffsets: Uint32Array;
  /** message each block came from */
  messageIndex: Uint32Array;
  columns: ValidationColumns;
  qualityFlag: Uint8Array;
  rejects: MessageReject[];
  extras: MessageExtras[];
  /** blocks [0, validatedBlockCount) are validated; the rest belong to rejected messages */
  validatedBlockCount: number;
  readingCount: number;
}

export function unpackResult(r: DecodeValidateResult): DecodedValidatedBatch {
  const v = resultViews(r.buffer, r.readingCount, r.blockCount);
  const blocks: ReadingBlock[] = new Array(r.blockCount);
  for (let k = 0; k < r.blockCount; k++) {
    const a = v.blockOffsets[k]!;
    const b = v.blockOffsets[k + 1]!;
    blocks[k] = {
      meterId: r.meterIds[k]!,
      channel: r.channels[k]!,
      intervalMinutes: v.intervalMinutes[k]! as IntervalMinutes,
      starts: v.starts.subarray(a, b),
      values: v.values.subarray(a, b),
      status: v.status.subarray(a, b),
      sequence: v.sequence.subarray(a, b),
      commQuality: v.commQuality[k]!,
    };
  }
  const columns = columnsOf(v);
  columns.lateCount = v.lateCount[0]!;
  return {
    blocks,
    blockOffsets: v.blockOffsets,
    messageIndex: v.messageIndex,
    columns,
    qualityFlag: v.qualityFlag,
    rejects: r.rejects,
    extras: r.extras,
    validatedBlockCount: r.validatedBlockCount,
    readingCount: r.readingCount,
  };
}
