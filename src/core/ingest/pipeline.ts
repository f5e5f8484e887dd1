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
import type { Bookkeeping, MeterLookup, SeriesPorts } from '../series/ports.js';
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
  /** hold the partition's watermark for one slice (see PartitionLease) */
  lease: (topic: string, partition: number) => Promise<SliceLease>;
  /** the raw topic's incarnation (its id), part of every delivery's source */
  incarnation: string;
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

/**
 * One slice's hold on its partition's watermark: a Bookkeeping whose `record` also moves the
 * watermark to `advanceTo` and commits; another member writing the same partition waits for it.
 */
export interface SliceLease extends Bookkeeping {
  /** next offset not yet counted; -1 when nothing was */
  readonly nextOffset: bigint;
  advanceTo: bigint | null;
  release(): Promise<void>;
}

/** The member lost the partition (rebalance) while writing a slice: the slice is dropped, uncommitted. */
export class PartitionLostError extends Error {
  constructor(topic: string, partition: number, step: string) {
    super(
      `partition ${topic}/${partition} was reassigned before write step ${step}; the slice is left to its new owner`,
    );
    this.name = 'PartitionLostError';
  }
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
  owned: () => Promise<boolean> = async () => true,
): Promise<BatchOutcome> {
  const out = emptyOutcome(all.length);
  if (all.length === 0) return out;
  const lease = await ports.lease(topic, partition);
  try {
    const messages = all.filter((m) => BigInt(m.offset) >= lease.nextOffset);
    out.replayedMessages = all.length - messages.length;
    if (messages.length === 0) return out;

    const now = ports.now?.() ?? Date.now();
    const { meters, snapshot } = ports.registry();
    const ctx = { now, timezone: ports.timezone, registry: snapshot };
    const decoded = await ports.decode(messages, ctx);
    const units: WriteUnit[] = messages.map((m, i) => {
      const d = decoded[i]!;
      return {
        source: sourceOf(m, ports.incarnation),
        sourceRef: { topic: m.topic, partition: m.partition, offset: m.offset },
        key: m.key,
        format: m.format,
        payload: m.value,
        receivedAt: m.timestamp,
        reject: d.reject,
        blocks: d.blocks,
        columns: d.columns,
        offsets: d.offsets,
        ...(d.drops ? { drops: d.drops } : {}),
        ...(d.registerReads ? { registerReads: d.registerReads } : {}),
      };
    });
    lease.advanceTo = BigInt(all[all.length - 1]!.offset) + 1n;
    const plan = await writeSeries(
      { ...ports.series, bookkeeping: lease },
      {
        writer: ingestWriter(ports.group),
        units,
        meters,
        fallbackZone: ports.timezone,
        now,
        lastVersion: ports.versionClock.last,
        hooks: {
          beforeStep: async (step) => {
            if (!(await owned())) throw new PartitionLostError(topic, partition, step);
          },
          ...(ports.hooks?.afterStep ? { afterStep: ports.hooks.afterStep } : {}),
        },
      },
    );
    ports.versionClock.last = plan.lastVersion;
    return { ...out, ...plan.outcome };
  } finally {
    await lease.release();
  }
}

export function mergeOutcomes(into: BatchOutcome, o: BatchOutcome): BatchOutcome {
  for (const k of Object.keys(into) as (keyof BatchOutcome)[]) {
    if (k === 'rejectsByReason') continue;
    (into[k] as number) += o[k] as number;
  }
  for (const [r, n] of Object.entries(o.rejectsByReason)) bump(into.rejectsByReason, r, n);
  return into;
}
