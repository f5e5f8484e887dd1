/**
 * The ingest worker pool: decode + validation of raw messages off the main thread, each message
 * through the same function as in-thread (decodeAndValidateMessage in ingest/decode-stage.ts).
 *
 *   const pool = new DecodeValidatePool({ ruleSet, timezone: 'Europe/Stockholm' });
 *   const batch = await pool.run(kafkaValues, { formats, now: Date.now(), meterIds: keys, registry });
 *   // batch.rejects: messages to dead-letter; batch.blocks / columns: validated, nothing left to run
 *   await pool.close();
 */
import type { DecodeOptions, WireFormat } from '../codecs/types.js';
import type { HistorySummary, MeterSnapshot } from '../vee/context.js';
import type { RuleSetDefinition } from '../vee/rule-set.js';
import {
  type DecodedValidatedBatch,
  type DecodeValidateResult,
  type DecodeValidateTask,
  type SerializedRuleSet,
  serializeRuleSet,
  unpackResult,
} from './decode-validate-wire.js';
import { packMessages, type RawMessage } from './messages.js';
import { resolveWorkerEntry, WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

export interface DecodeValidatePoolOptions extends WorkerPoolOptions {
  ruleSet: RuleSetDefinition;
  /** zone for meters without a registry entry and payload local times without an offset */
  timezone?: string;
  /** decode options shared by every task (DLMS profile, CSV channel, …) */
  decode?: Omit<DecodeOptions, 'meterId' | 'sourceName'>;
}

export interface DecodeValidateRunOptions {
  /** format of every message, unless `formats` is given */
  format?: WireFormat;
  /** per message: the `smt-format` header as received (null = missing) */
  formats?: (string | null)[];
  /** epoch ms; default Date.now() */
  now?: number;
  /** zone for meters without a registry entry; the pool's when the property is absent (undefined = none: UTC) */
  timezone?: string | undefined;
  /** meter id per message (Kafka key); null or '' = from the payload */
  meterIds?: (string | null)[];
  /** registry entries of these messages' meters (cheap to send: ~100 small objects); see DecodeValidateTask.registry */
  registry?: MeterSnapshot[];
  /** history summaries of these messages' meters */
  history?: [string, HistorySummary][];
  /** see DecodeValidateTask.crossBlockDuplicates */
  crossBlockDuplicates?: boolean;
}

export class DecodeValidatePool {
  private readonly pool: WorkerPool<DecodeValidateTask, DecodeValidateResult>;
  private readonly options: DecodeValidatePoolOptions;
  private readonly ruleSet: SerializedRuleSet;

  constructor(options: DecodeValidatePoolOptions) {
    this.options = options;
    this.ruleSet = serializeRuleSet(options.ruleSet);
    this.pool = new WorkerPool(resolveWorkerEntry('decode-validate'), 'default', options);
  }

  get threads(): number {
    return this.pool.threads;
  }

  get inFlight(): number {
    return this.pool.inFlight;
  }

  waitForCapacity(): Promise<void> {
    return this.pool.waitForCapacity();
  }

  /** Decode and validate one task's messages (~100 per task is the sweet spot). */
  async run(
    messages: readonly RawMessage[],
    options: DecodeValidateRunOptions,
  ): Promise<DecodedValidatedBatch> {
    const packed = packMessages(messages);
    const task: DecodeValidateTask = {
      format: options.format,
      formats: options.formats,
      messages: packed,
      meterIds: options.meterIds,
      decode: this.options.decode,
      ruleSet: this.ruleSet,
      now: options.now ?? Date.now(),
      timezone: 'timezone' in options ? options.timezone : this.options.timezone,
      registry: options.registry,
      history: options.history,
      crossBlockDuplicates: options.crossBlockDuplicates,
    };
    return unpackResult(await this.pool.run(task, [packed]));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
