import type { WireFormat } from '../codecs/types.js';
import type { ConsumedMessage } from '../kafka/messages.js';
import { DecodeValidatePool } from '../pool/decode-validate-pool.js';
import type { ReadingBlock } from '../readings/block.js';
import type { MeterSnapshot, ValidationContext } from '../vee/context.js';
import { ValidationColumns } from '../vee/engine.js';
import type { RuleSetDefinition } from '../vee/rule-set.js';
import { type DecodedMessage, type DecodeStage, describeFailure, precheck } from './decode-stage.js';

function registryOf(keys: (string | null)[], ctx: ValidationContext): MeterSnapshot[] {
  const out = new Map<string, MeterSnapshot>();
  for (const k of keys) {
    const m = k === null ? undefined : ctx.registry?.get(k);
    if (m) out.set(m.meterId, m);
  }
  return [...out.values()];
}

/** Messages per worker task: large enough to amortise the hand-off, small enough to spread over threads. */
const TASK_MESSAGES = 100;
const EMPTY = new Uint32Array(1);

/**
 * Decode + technical validation in piscina workers. Messages are grouped by format into tasks of
 * ~100; results come back columnar and are sliced into per-message views without copying.
 */
export function poolDecodeStage(
  ruleSet: RuleSetDefinition,
  threads: number,
  timezone: string,
): { stage: DecodeStage; close: () => Promise<void> } {
  const pool = new DecodeValidatePool({ ruleSet, timezone, threads });
  const stage: DecodeStage = async (messages: readonly ConsumedMessage[], ctx: ValidationContext) => {
    const out: DecodedMessage[] = new Array(messages.length);
    const byFormat = new Map<WireFormat, number[]>();
    messages.forEach((m, i) => {
      const reject = precheck(m);
      if (reject) {
        out[i] = { reject, blocks: [], columns: null, offsets: EMPTY };
        return;
      }
      const list = byFormat.get(m.format as WireFormat) ?? [];
      list.push(i);
      byFormat.set(m.format as WireFormat, list);
    });
    const tasks: Promise<void>[] = [];
    for (const [format, indexes] of byFormat) {
      for (let t = 0; t < indexes.length; t += TASK_MESSAGES) {
        const chunk = indexes.slice(t, t + TASK_MESSAGES);
        tasks.push(
          pool
            .run(
              chunk.map((i) => messages[i]!.value!),
              {
                format,
                now: ctx.now,
                meterIds: chunk.map((i) => messages[i]!.key),
                // segment thresholds and ratings apply in the worker's technical rules too
                registry: registryOf(
                  chunk.map((i) => messages[i]!.key),
                  ctx,
                ),
                crossBlockDuplicates: false,
              },
            )
            .then((batch) => {
              const failed = new Map(batch.failures.map((f) => [f.message, f.failure]));
              const blocksOf: number[][] = chunk.map(() => []);
              for (let k = 0; k < batch.blocks.length; k++) blocksOf[batch.messageIndex[k]!]!.push(k);
              chunk.forEach((msgIndex, local) => {
                const failure = failed.get(local);
                if (failure) {
                  out[msgIndex] = {
                    reject: { rule: 'decode', reason: describeFailure(failure) },
                    blocks: [],
                    columns: null,
                    offsets: EMPTY,
                  };
                  return;
                }
                const ks = blocksOf[local]!;
                const blocks: ReadingBlock[] = ks.map((k) => batch.blocks[k]!);
                const first = ks.length > 0 ? batch.blockOffsets[ks[0]!]! : 0;
                const last = ks.length > 0 ? batch.blockOffsets[ks[ks.length - 1]! + 1]! : 0;
                const offsets = new Uint32Array(ks.length + 1);
                for (const [j, k] of ks.entries()) offsets[j + 1] = batch.blockOffsets[k + 1]! - first;
                const c = batch.columns;
                const columns = new ValidationColumns(
                  c.states.subarray(first, last),
                  c.ruleMask.subarray(first, last),
                  c.late.subarray(first, last),
                );
                out[msgIndex] = { reject: null, blocks, columns, offsets };
              });
            }),
        );
      }
    }
    await Promise.all(tasks);
    return out;
  };
  return { stage, close: () => pool.close() };
}
