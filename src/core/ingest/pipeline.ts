/**
 * The Kafka caller of the series write model: one partition's slice of messages → decode and
 * validate → `writeSeries` with the partition's watermark. Everything about what is stored where
 * lives in src/core/series; this file knows offsets and nothing else.
 */

import type { ConsumedMessage } from '../kafka/messages.js';
import { sourceOf } from '../kafka/messages.js';
import type { ApplyHooks } from '../series/apply.js';
import {
  bump,
  emptyWriteOutcome,
  ingestWriter,
  type WriteOutcome,
  type WriteUnit,
} from '../series/planner.js';
import type { MeterLookup, SeriesPorts } from '../series/ports.js';
import { writeSeries } from '../series/writer.js';
import type { RegistrySnapshot } from '../vee/context.js';
import type { DecodeStage } from './decode-stage.js';

/** Where each reading of a slice went. Every decoded reading lands in exactly one bucket. */
export interface BatchOutcome extends WriteOutcome {
  messages: number;
  /** messages skipped because an earlier run already processed their offsets */
  replayedMessages: number;
}

export interface IngestPorts {
  /** decode + every VEE rule, once per reading (the registry entry of each block's meter checked there) */
  decode: DecodeStage;
  series: SeriesPorts;
  /** next offset not yet counted, per partition */
  watermarks: (group: string, topic: string) => Promise<Map<number, bigint>>;
  group: string;
  /** registry lookup, refreshed by the daemon */
  registry: () => { meters: MeterLookup; snapshot: RegistrySnapshot };
  timezone: string;
  now?: () => number;
  /** the last version issued by this process (µs); stored versions keep it monotonic across restarts */
  versionClock: { last: number };
  /** test hooks of the write order (the daemon's fault harness) */
  hooks?: ApplyHooks;
}

export function emptyOutcome(messages: number): BatchOutcome {
  return { messages, replayedMessages: 0, ...emptyWriteOutcome() };
}

/**
 * Process the messages of one partition, in offset order, through the series write model. The
 * caller commits the Kafka offset only after this resolves; the watermark stored with the counts
 * makes a replay of the slice skip what was counted.
 */
export async function processPartitionBatch(
  ports: IngestPorts,
  topic: string,
  partition: number,
  all: readonly ConsumedMessage[],
): Promise<BatchOutcome> {
  const out = emptyOutcome(all.length);
  if (all.length === 0) return out;
  const watermark = (await ports.watermarks(ports.group, topic)).get(partition) ?? -1n;
  const messages = all.filter((m) => BigInt(m.offset) >= watermark);
  out.replayedMessages = all.length - messages.length;
  if (messages.length === 0) return out;

  const now = ports.now?.() ?? Date.now();
  const { meters, snapshot } = ports.registry();
  const ctx = { now, timezone: ports.timezone, registry: snapshot };
  const decoded = await ports.decode(messages, ctx);
  const units: WriteUnit[] = messages.map((m, i) => {
    const d = decoded[i]!;
    return {
      source: sourceOf(m),
      sourceRef: { topic: m.topic, partition: m.partition, offset: m.offset },
      key: m.key,
      format: m.format,
      payload: m.value,
      receivedAt: m.timestamp,
      reject: d.reject,
      blocks: d.blocks,
      columns: d.columns,
      offsets: d.offsets,
    };
  });
  const plan = await writeSeries(ports.series, {
    writer: ingestWriter(ports.group),
    units,
    meters,
    fallbackZone: ports.timezone,
    now,
    lastVersion: ports.versionClock.last,
    watermark: { group: ports.group, topic, partition, nextOffset: BigInt(all[all.length - 1]!.offset) + 1n },
    ...(ports.hooks ? { hooks: ports.hooks } : {}),
  });
  ports.versionClock.last = plan.lastVersion;
  return { ...out, ...plan.outcome };
}

export function mergeOutcomes(into: BatchOutcome, o: BatchOutcome): BatchOutcome {
  for (const k of Object.keys(into) as (keyof BatchOutcome)[]) {
    if (k === 'rejectsByReason') continue;
    (into[k] as number) += o[k] as number;
  }
  for (const [r, n] of Object.entries(o.rejectsByReason)) bump(into.rejectsByReason, r, n);
  return into;
}
