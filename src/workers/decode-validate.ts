/**
 * piscina entry point: decode and validate ~100 raw messages, each with the same per-message
 * function the in-thread ingest stage uses (decodeAndValidateMessage), then lay the results out
 * columnar in one buffer. `decodeAndValidate` is a plain function (unit-tested in-thread); the
 * default export is the handler piscina calls, which hands the result buffer back as a transfer
 * instead of a copy. No I/O, no logging: everything goes back in the result.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { DecodedBlock } from '../core/codecs/types.js';
import { ColumnArena, type DecodedMessage, decodeAndValidateMessage } from '../core/ingest/decode-stage.js';
import {
  columnsOf,
  type DecodeValidateResult,
  type DecodeValidateTask,
  deserializeRuleSet,
  type MessageExtras,
  type MessageReject,
  type ResultViews,
  resultLayout,
  resultViews,
  type SerializedRuleSet,
} from '../core/pool/decode-validate-wire.js';
import { unpackMessages } from '../core/pool/messages.js';
import type { ReadingBlock } from '../core/readings/block.js';
import type { HistorySummary, MeterSnapshot, ValidationContext } from '../core/vee/context.js';
import { VeeEngine } from '../core/vee/engine.js';

/** Compiled engines by rule-set fingerprint: every task carries the rule set, parsing is once. */
const engines = new Map<string, VeeEngine>();

function engineFor(ruleSet: SerializedRuleSet): VeeEngine {
  let e = engines.get(ruleSet.fingerprint);
  if (e === undefined) {
    if (engines.size >= 8) engines.clear();
    e = new VeeEngine(deserializeRuleSet(ruleSet));
    engines.set(ruleSet.fingerprint, e);
  }
  return e;
}

/** Validation output of the task in progress (one task at a time per thread), reused across tasks. */
const arena = new ColumnArena();

function contextOf(task: DecodeValidateTask): ValidationContext {
  let registry: Map<string, MeterSnapshot> | undefined;
  if (task.registry !== undefined) {
    registry = new Map();
    for (const m of task.registry) registry.set(m.meterId, m);
  }
  const history = task.history === undefined ? undefined : new Map<string, HistorySummary>(task.history);
  return { now: task.now, timezone: task.timezone, registry, history };
}

export function decodeAndValidate(task: DecodeValidateTask): DecodeValidateResult {
  const values = unpackMessages(task.messages);
  const engine = engineFor(task.ruleSet);
  const ctx = contextOf(task);
  const options = { decode: task.decode, arena };
  arena.reset();
  const decoded: DecodedMessage[] = new Array(values.length);
  let validatedBlocks = 0;
  let keptBlocks = 0;
  let keptReadings = 0;
  for (let k = 0; k < values.length; k++) {
    const format = task.formats !== undefined ? (task.formats[k] ?? null) : (task.format ?? null);
    const d = decodeAndValidateMessage(
      { key: task.meterIds?.[k] ?? null, value: values[k]!, format },
      engine,
      ctx,
      options,
    );
    decoded[k] = d;
    if (d.columns !== null) validatedBlocks += d.blocks.length;
    else {
      keptBlocks += d.blocks.length;
      for (const b of d.blocks) keptReadings += b.starts.length;
    }
  }

  // Validated blocks first: their readings are the arena's [0, used), copied in one go.
  const validatedReadings = arena.used;
  const readings = validatedReadings + keptReadings;
  const B = validatedBlocks + keptBlocks;
  const buffer = new ArrayBuffer(resultLayout(readings, B).byteLength);
  const v = resultViews(buffer, readings, B);
  const meterIds: string[] = new Array(B);
  const channels: string[] = new Array(B);
  const validated: ReadingBlock[] = new Array(validatedBlocks);
  const rejects: MessageReject[] = [];
  const extras: MessageExtras[] = [];
  for (let k = 0; k < decoded.length; k++) {
    const { drops, registerReads } = decoded[k]!;
    if (drops !== undefined || registerReads !== undefined)
      extras.push({
        message: k,
        ...(drops ? { drops } : {}),
        ...(registerReads ? { registerReads } : {}),
      });
  }
  let kb = 0;
  for (let k = 0; k < decoded.length; k++) {
    const d = decoded[k]!;
    if (d.columns === null) continue;
    for (let j = 0; j < d.blocks.length; j++) {
      const b = d.blocks[j]!;
      validated[kb] = b;
      putBlock(v, meterIds, channels, kb++, k, b as DecodedBlock, d.offsets[j]!);
    }
  }
  let at = validatedReadings;
  for (let k = 0; k < decoded.length; k++) {
    const d = decoded[k]!;
    if (d.reject !== null) rejects.push({ message: k, rule: d.reject.rule, reason: d.reject.reason });
    if (d.columns !== null) continue;
    for (const b of d.blocks) {
      putBlock(v, meterIds, channels, kb++, k, b as DecodedBlock, at);
      at += b.starts.length;
    }
  }
  v.blockOffsets[B] = at;

  const c = arena.columns;
  v.states.set(c.states.subarray(0, validatedReadings));
  v.ruleMask.set(c.ruleMask.subarray(0, validatedReadings));
  v.late.set(c.late.subarray(0, validatedReadings));
  v.ruleCounts.set(c.ruleCounts);
  v.stateCounts.set(c.stateCounts);
  v.lateCount[0] = c.lateCount;
  if (task.crossBlockDuplicates !== false && validatedBlocks > 1) {
    engine.markBatchDuplicates(validated, ctx, columnsOf(v), v.blockOffsets.subarray(0, validatedBlocks + 1));
  }
  return {
    buffer,
    blockCount: B,
    readingCount: readings,
    validatedBlockCount: validatedBlocks,
    meterIds,
    channels,
    rejects,
    extras,
  };
}

function putBlock(
  v: ResultViews,
  meterIds: string[],
  channels: string[],
  kb: number,
  message: number,
  b: DecodedBlock,
  at: number,
): void {
  v.blockOffsets[kb] = at;
  v.messageIndex[kb] = message;
  channels[kb] = b.channel;
  v.intervalMinutes[kb] = b.intervalMinutes;
  v.commQuality[kb] = b.commQuality;
  meterIds[kb] = b.meterId;
  v.starts.set(b.starts, at);
  v.values.set(b.values, at);
  v.status.set(b.status, at);
  v.sequence.set(b.sequence, at);
  if (b.quality !== undefined) v.qualityFlag.set(b.quality.flag.subarray(0, b.starts.length), at);
}

/** What piscina calls: the result's buffer is moved, not cloned. */
export default function handler(task: DecodeValidateTask): unknown {
  const result = decodeAndValidate(task);
  return move({ [transferableSymbol]: result.buffer, [valueSymbol]: result } as never);
}
