/**
 * piscina entry point: decode ~100 raw messages and run the technical VEE rules on them.
 * `decodeAndValidate` is a plain function (unit-tested in-thread); the default export is the
 * handler piscina calls, which hands the result buffer back as a transfer instead of a copy.
 * No I/O, no logging: everything goes back in the result.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { decode } from '../core/codecs/index.js';
import type { DecodedBlock } from '../core/codecs/types.js';
import {
  columnsOf,
  type DecodeValidateResult,
  type DecodeValidateTask,
  deserializeRuleSet,
  type MessageFailure,
  resultLayout,
  resultViews,
  type SerializedRuleSet,
} from '../core/pool/decode-validate-wire.js';
import { unpackMessages } from '../core/pool/messages.js';
import { CHANNELS } from '../core/readings/block.js';
import type { MeterSnapshot, ValidationContext } from '../core/vee/context.js';
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

export function decodeAndValidate(task: DecodeValidateTask): DecodeValidateResult {
  const messages = unpackMessages(task.messages);
  const blocks: DecodedBlock[] = [];
  const fromMessage: number[] = [];
  const failures: MessageFailure[] = [];
  for (let k = 0; k < messages.length; k++) {
    const meterId = task.meterIds?.[k] ?? undefined;
    const r = decode(task.format, messages[k]!, {
      ...task.decode,
      meterId,
      timezone: task.decode?.timezone ?? task.timezone,
    });
    for (const b of r.blocks) {
      blocks.push(b);
      fromMessage.push(k);
    }
    for (const f of r.failures) failures.push({ message: k, failure: f });
  }

  let readings = 0;
  for (const b of blocks) readings += b.starts.length;
  const B = blocks.length;
  const buffer = new ArrayBuffer(resultLayout(readings, B).byteLength);
  const v = resultViews(buffer, readings, B);
  const meterIds: string[] = new Array(B);
  let at = 0;
  for (let k = 0; k < B; k++) {
    const b = blocks[k]!;
    const n = b.starts.length;
    v.blockOffsets[k] = at;
    v.messageIndex[k] = fromMessage[k]!;
    v.channel[k] = CHANNELS.indexOf(b.channel);
    v.intervalMinutes[k] = b.intervalMinutes;
    v.commQuality[k] = b.commQuality;
    meterIds[k] = b.meterId;
    v.starts.set(b.starts, at);
    v.values.set(b.values, at);
    v.status.set(b.status, at);
    v.sequence.set(b.sequence, at);
    if (b.quality !== undefined) v.qualityFlag.set(b.quality.flag.subarray(0, n), at);
    at += n;
  }
  v.blockOffsets[B] = at;

  let registry: Map<string, MeterSnapshot> | undefined;
  if (task.registry !== undefined) {
    registry = new Map();
    for (const m of task.registry) registry.set(m.meterId, m);
  }
  const ctx: ValidationContext = { now: task.now, timezone: task.timezone, registry };
  const columns = columnsOf(v);
  const engine = engineFor(task.ruleSet);
  if (task.crossBlockDuplicates === false) {
    for (let k = 0; k < B; k++) engine.validateBlock(blocks[k]!, ctx, columns, v.blockOffsets[k]!);
  } else engine.validateBatch(blocks, ctx, columns);
  v.lateCount[0] = columns.lateCount;
  return { buffer, blockCount: B, readingCount: readings, meterIds, failures };
}

/** What piscina calls: the result's buffer is moved, not cloned. */
export default function handler(task: DecodeValidateTask): unknown {
  const result = decodeAndValidate(task);
  return move({ [transferableSymbol]: result.buffer, [valueSymbol]: result } as never);
}
