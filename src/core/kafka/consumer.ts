import type kafkajs from 'kafkajs';
import type { SmtConfig } from '../config/config.js';
import { errorMessage, StoreRejectedError } from '../errors.js';
import { createKafka } from './client.js';
import { type ConsumedMessage, FORMAT_HEADER } from './messages.js';

export interface PartitionLag {
  partition: number;
  committed: bigint;
  high: bigint;
  lag: bigint;
}

export interface BatchConsumerOptions {
  groupId: string;
  topic: string;
  /** messages handed to onBatch at most at once; the offset is committed after each slice */
  maxMessages: number;
  partitionsConcurrently: number;
  /**
   * `owned()` resolves false once the member may have lost the partition (no heartbeat got through
   * within the session timeout, a rebalance began, the consumer stopped): the slice should stop
   * writing and throw; it is then dropped uncommitted for the partition's next owner.
   */
  onBatch: (
    topic: string,
    partition: number,
    messages: ConsumedMessage[],
    owned: () => Promise<boolean>,
  ) => Promise<void>;
  /** the slice stopped because the partition was lost; it is not retried */
  isPartitionLost?: (err: unknown) => boolean;
  /** a slice was dropped uncommitted because the member may no longer own its partition */
  onPartitionLost?: (partition: number, err: unknown) => void;
  /** a batch failed; it is retried after `delayMs` (the consumer keeps its partitions meanwhile) */
  onRetry?: (err: unknown, attempt: number, delayMs: number, partition: number) => void;
  maxBackoffMs?: number;
  /** the member died and kafkajs will not restart it */
  onCrash?: (err: Error) => void;
  /**
   * A message that fails with an error a retry cannot fix (StoreRejectedError), isolated by
   * bisecting its slice: dead-letter it; the slice then carries on past it.
   */
  onPoison: (message: ConsumedMessage, err: unknown) => Promise<void>;
}

/** Attempts of a slice failing with an error a retry cannot fix before it is bisected. */
const PERMANENT_ATTEMPTS = 3;

function toConsumed(topic: string, partition: number, m: kafkajs.KafkaMessage): ConsumedMessage {
  const header = m.headers?.[FORMAT_HEADER];
  const format = header === undefined ? null : Array.isArray(header) ? String(header[0]) : String(header);
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? null : m.key.toString('utf8'),
    value: m.value,
    format,
    timestamp: Number(m.timestamp),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A consumer-group member that hands slices of messages to `onBatch` and commits a slice's offset
 * only after `onBatch` resolved. A failing slice is retried with exponential backoff (heartbeating,
 * so the group keeps the partition here) until it succeeds or `stop()` is called; on stop the slice
 * in flight is handed back uncommitted and will be redelivered.
 */
export class BatchConsumer {
  private readonly kafka: kafkajs.Kafka;
  private readonly consumer: kafkajs.Consumer;
  private stopping = false;
  private inFlight = 0;
  private running = false;
  /** why the group member died for good (kafkajs will not restart it), or null while it lives */
  crashed: Error | null = null;
  /** when the group last confirmed this member (join or heartbeat), epoch ms */
  private lastConfirmed = 0;
  private readonly sessionTimeoutMs: number;

  constructor(
    config: SmtConfig,
    private readonly options: BatchConsumerOptions,
  ) {
    this.kafka = createKafka(config);
    this.sessionTimeoutMs = config.int('ingest.sessionTimeoutMs');
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  async start(): Promise<void> {
    // kafkajs restarts the member after retriable errors; after others (e.g. expelled from the
    // group while a store call outlasted the session) it stops for good and the daemon must say so.
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (e.payload.restart || this.stopping) return;
      this.crashed = e.payload.error instanceof Error ? e.payload.error : new Error(String(e.payload.error));
      this.options.onCrash?.(this.crashed);
    });
    const confirmed = () => {
      this.lastConfirmed = Date.now();
    };
    this.consumer.on(this.consumer.events.GROUP_JOIN, confirmed);
    this.consumer.on(this.consumer.events.HEARTBEAT, confirmed);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        const { topic, partition } = batch;
        for (let i = 0; i < batch.messages.length; i += this.options.maxMessages) {
          if (this.stopping || !isRunning() || isStale()) return;
          const slice = batch.messages
            .slice(i, i + this.options.maxMessages)
            .map((m) => toConsumed(topic, partition, m));
          this.inFlight++;
          try {
            // kafkajs only heartbeats when asked to; a slice stalled past the session has been
            // expelled without knowing it, and one heartbeat tells a live member of a rebalance.
            const owned = async () => {
              if (Date.now() - this.lastConfirmed >= this.sessionTimeoutMs) return false;
              // a stop (SIGTERM) lets the slice finish: the member leaves the group only after it
              if (this.stopping) return true;
              if (!isRunning() || isStale()) return false;
              try {
                await heartbeat();
                return true;
              } catch {
                return false;
              }
            };
            const ok = await this.processWithRetry(topic, partition, slice, heartbeat, owned);
            if (!ok) return;
            const last = slice[slice.length - 1]!.offset;
            // resolveOffset advances kafkajs' fetch position; without it the batch is fetched again.
            resolveOffset(last);
            await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
          } finally {
            this.inFlight--;
          }
          await heartbeat();
        }
      },
    });
  }

  private async processWithRetry(
    topic: string,
    partition: number,
    slice: ConsumedMessage[],
    heartbeat: () => Promise<void>,
    owned: () => Promise<boolean>,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.onBatch(topic, partition, slice, owned);
        return true;
      } catch (caught) {
        if (this.stopping) return false;
        if (this.options.isPartitionLost?.(caught) || !(await owned())) {
          this.options.onPartitionLost?.(partition, caught);
          return false;
        }
        let err = caught;
        if (err instanceof StoreRejectedError && attempt >= PERMANENT_ATTEMPTS) {
          // One bad message never stops the partition: halve until it stands alone, then dead-letter it.
          if (slice.length === 1) {
            try {
              await this.options.onPoison(slice[0]!, err);
              return true;
            } catch (deadLetterErr) {
              err = deadLetterErr;
            }
          } else {
            const mid = slice.length >> 1;
            return (
              (await this.processWithRetry(topic, partition, slice.slice(0, mid), heartbeat, owned)) &&
              (await this.processWithRetry(topic, partition, slice.slice(mid), heartbeat, owned))
            );
          }
        }
        const delay = Math.min(this.options.maxBackoffMs ?? 30_000, 250 * 2 ** Math.min(attempt - 1, 10));
        this.options.onRetry?.(err, attempt, delay, partition);
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (this.stopping) return false;
          await sleep(Math.min(1_000, until - Date.now()));
          await heartbeat().catch(() => {});
        }
      }
    }
  }

  /** Committed offset, high watermark and lag per partition of the topic, for this group. */
  async lag(): Promise<PartitionLag[]> {
    return groupLag(this.kafka, this.options.groupId, this.options.topic);
  }

  /** Finish or hand back the slice in flight, then leave the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.running) {
      await this.consumer.disconnect().catch(() => {});
      return;
    }
    await this.consumer.stop().catch(() => {});
    await this.consumer.disconnect().catch(() => {});
    this.running = false;
  }
}

export async function groupLag(
  kafka: kafkajs.Kafka,
  groupId: string,
  topic: string,
): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs retries an unknown topic for minutes; a topic not created yet has no lag to show
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist (yet)`);
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return ends
      .map((e) => {
        const high = BigInt(e.high);
        const low = BigInt(e.low);
        const c = byPartition.get(e.partition) ?? -1n;
        const from = c < 0n ? low : c;
        return { partition: e.partition, committed: c, high, lag: high - from > 0n ? high - from : 0n };
      })
      .sort((a, b) => a.partition - b.partition);
  } catch (err) {
    throw new Error(`cannot read the lag of group ${groupId} on ${topic}: ${errorMessage(err)}`);
  } finally {
    await admin.disconnect();
  }
}
