import type { ConsumedMessage } from '../kafka/messages.js';
import { DecodeValidatePool } from '../pool/decode-validate-pool.js';
import type { ReadingBlock } from '../readings/block.js';
import type { HistorySummary, MeterSnapshot, RegistrySnapshot, ValidationContext } from '../vee/context.js';
import { ValidationColumns, VeeEngine } from '../vee/engine.js';
import type { RuleSetDefinition } from '../vee/rule-set.js';
import {
  type DecodedMessage,
  type DecodeStage,
  decodeAndValidateMessage,
  keyOf,
  type MessageOptions,
  type SharedDecodeOptions,
} from './decode-stage.js';

/** Messages per worker task: large enough to amortise the hand-off, small enough to spread over threads. */
const TASK_MESSAGES = 100;
const EMPTY = new Uint32Array(1);
const NO_BYTES = new Uint8Array(0);

function registryOf(keys: readonly string[], registry: RegistrySnapshot): MeterSnapshot[] {
  const out = new Map<string, MeterSnapshot>();
  for (const k of keys) {
    const m = registry.get(k);
    if (m) out.set(m.meterId, m);
  }
  return [...out.values()];
}

function historyOf(
  keys: readonly string[],
  history: ReadonlyMap<string, HistorySummary>,
): [string, HistorySummary][] {
  const out = new Map<string, HistorySummary>();
  for (const k of keys) {
    const h = history.get(k);
    if (h) out.set(k, h);
  }
  return [...out.entries()];
}

/**
 * Decode + validation in piscina workers: every message goes through decodeAndValidateMessage,
 * the same function as the in-thread stage, inside a worker, with a context that holds what the
 * main thread's context holds for the message's meter (registry entry, history), looked up by key.
 *
 * A message without a key (null or '') cannot be looked up before it is decoded, so while the
 * context carries a registry it runs through the same function on this thread with the full
 * registry (a producer that sets no key is rare; DESIGN.md: key = meter id). Results come back
 * columnar and are sliced into per-message views without copying.
 */
export function poolDecodeStage(
  ruleSet: RuleSetDefinition,
  threads: number,
  timezone: string,
  decodeOptions?: SharedDecodeOptions,
): { stage: DecodeStage; close: () => Promise<void> } {
  const pool = new DecodeValidatePool({ ruleSet, timezone, threads, decode: decodeOptions });
  const options: MessageOptions = { decode: decodeOptions };
  let engine: VeeEngine | undefined;
  const stage: DecodeStage = async (messages: readonly ConsumedMessage[], ctx: ValidationContext) => {
    const out: DecodedMessage[] = new Array(messages.length);
    const here: number[] = [];
    const there: number[] = [];
    messages.forEach((m, i) => {
      (ctx.registry !== undefined && keyOf(m) === undefined ? here : there).push(i);
    });
    const tasks: Promise<void>[] = [];
    for (let t = 0; t < there.length; t += TASK_MESSAGES) {
      const chunk = there.slice(t, t + TASK_MESSAGES);
      const keys = chunk.map((i) => messages[i]!.key);
      const known = keys.filter((k): k is string => k !== null && k !== '');
      tasks.push(
        pool
          .run(
            chunk.map((i) => messages[i]!.value ?? NO_BYTES),
            {
              formats: chunk.map((i) => messages[i]!.format),
              now: ctx.now,
              timezone: ctx.timezone,
              meterIds: keys,
              registry: ctx.registry === undefined ? undefined : registryOf(known, ctx.registry),
              history: ctx.history === undefined ? undefined : historyOf(known, ctx.history),
              crossBlockDuplicates: false,
            },
          )
          .then((batch) => {
            const rejects = new Map(batch.rejects.map((r) => [r.message, r]));
            const extras = new Map(batch.extras.map((x) => [x.message, x]));
            const blocksOf: number[][] = chunk.map(() => []);
            for (let k = 0; k < batch.blocks.length; k++) blocksOf[batch.messageIndex[k]!]!.push(k);
            chunk.forEach((msgIndex, local) => {
              const ks = blocksOf[local]!;
              const blocks: ReadingBlock[] = ks.map((k) => batch.blocks[k]!);
              const r = rejects.get(local);
              const x = extras.get(local);
              const drops = x?.drops;
              if (r) {
                out[msgIndex] = {
                  reject: { rule: r.rule, reason: r.reason },
                  blocks,
                  columns: null,
                  offsets: EMPTY,
                  ...(drops ? { drops } : {}),
                };
                return;
              }
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
              out[msgIndex] = {
                reject: null,
                blocks,
                columns,
                offsets,
                ...(drops ? { drops } : {}),
                ...(x?.registerReads ? { registerReads: x.registerReads } : {}),
              };
            });
          }),
      );
    }
    const all = Promise.all(tasks);
    try {
      if (here.length > 0) {
        engine ??= new VeeEngine(ruleSet);
        for (const i of here) out[i] = decodeAndValidateMessage(messages[i]!, engine, ctx, options);
      }
    } catch (err) {
      await all.catch(() => undefined);
      throw err;
    }
    await all;
    return out;
  };
  return { stage, close: () => pool.close() };
}
