/**
 * `smt simulate`: register a simulated fleet (PostgreSQL or a registry CSV), then produce its
 * readings to the raw topic, one message per meter-day block, key = meter id, format header set,
 * in batches with a few sends in flight and an optional readings/s limit.
 *
 * Messages carry the producer's real time as their Kafka timestamp, not the simulated delivery time:
 * Kafka's time-based retention reads the timestamp, and a simulation of last month stamped with last
 * month's dates would be deleted at the next segment roll.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { SmtConfig } from '../config/config.js';
import {
  errorMessage,
  isConnectionError,
  SchemaError,
  ServiceUnavailableError,
  SmtError,
  UsageError,
} from '../errors.js';
import type { RawMessage } from '../kafka/messages.js';
import { createProducer, type MessageProducer } from '../kafka/producer.js';
import { ensureTopics, topicNames } from '../kafka/topics.js';
import { createPostgresPool } from '../postgres/client.js';
import { MeterRepository, type UpsertCounts } from '../postgres/meter-repository.js';
import type { Meter } from '../registry/meter.js';
import { formatMeterCsv } from '../registry/meter-csv.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, type LocalDateString } from '../time/local-date.js';
import type { FaultRates, SimTally } from './faults.js';
import type { Fleet } from './fleet.js';
import { type SimFormat, type SimulateOptions, Simulation } from './generator.js';

export type RegistryTarget = { kind: 'postgres' } | { kind: 'csv'; file: string } | { kind: 'none' };

export interface SimulateRunOptions extends SimulateOptions {
  registry: RegistryTarget;
  /** readings per second; 0 = as fast as Kafka takes them */
  rate?: number;
  /** generate and count only: no registry, no Kafka */
  dryRun?: boolean;
  /** messages per producer request (default 500; smaller under a low --rate) */
  batchSize?: number;
  /** producer requests in flight (default 4) */
  inFlight?: number;
  onProgress?: (p: SimulateProgress) => void;
  /** minimum time between progress callbacks (default 250 ms) */
  progressIntervalMs?: number;
  /** stop producing; the summary then says `interrupted` */
  signal?: AbortSignal;
}

export interface SimulateProgress {
  phase: 'registry' | 'produce';
  /** registry: meters written so far; produce: messages acknowledged */
  done: number;
  messages: number;
  readings: number;
  bytes: number;
  /** 0..1, by meter-days generated (registry: by meters written) */
  fraction: number;
  readingsPerSecond: number;
  /** null until there is a rate to extrapolate from */
  etaSeconds: number | null;
  elapsedSeconds: number;
}

export interface RegistrySummary {
  target: RegistryTarget['kind'];
  /** the CSV written, for target csv */
  file: string | null;
  meters: number;
  /** PostgreSQL only: what the upsert did (a re-run with the same seed changes nothing) */
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface SimulateSummary {
  seed: number;
  meters: number;
  days: number;
  start: LocalDateString;
  end: LocalDateString;
  timezone: string;
  intervalMinutes: number;
  format: SimFormat;
  /** the raw topic produced to; null for a dry run */
  topic: string | null;
  dryRun: boolean;
  registry: RegistrySummary;
  /** fault rates used */
  faultRates: FaultRates;
  /** acknowledged by Kafka (generated, for a dry run) */
  messages: number;
  readings: number;
  bytes: number;
  seconds: number;
  readingsPerSecond: number;
  messagesPerSecond: number;
  /** stopped early (SIGINT); the tally then covers what was generated, and `expected` is not derived */
  interrupted: boolean;
  /** ground truth: what was generated, per message kind and per fault */
  tally: SimTally;
}

/** For tests: stand-ins for the outside world. */
export interface SimulateDeps {
  producer?: () => Promise<MessageProducer>;
  ensureTopics?: () => Promise<unknown>;
  upsertMeters?: (meters: Meter[]) => Promise<UpsertCounts>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** `days` local days ending yesterday in the zone (the default of --start). */
export function defaultStart(timezone: string, days: number, nowMs = Date.now()): LocalDateString {
  const today = LocalCalendar.for(timezone).localDayOf(nowMs);
  return formatLocalDate(today - days);
}

/**
 * Token bucket on readings: a batch may overdraw the bucket (it is sent whole), after which the
 * caller waits until the debt is paid. Holding at most one second of tokens keeps bursts short.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
    this.tokens = rate;
    this.last = now();
  }

  /** Take n tokens; resolves when the bucket is no longer in debt. Returns the time waited (ms). */
  async take(n: number): Promise<number> {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    this.tokens -= n;
    if (this.tokens >= 0) return 0;
    const wait = (-this.tokens / this.rate) * 1000;
    await this.sleep(wait);
    return wait;
  }
}

export async function runSimulation(
  config: SmtConfig,
  options: SimulateRunOptions,
  deps: SimulateDeps = {},
): Promise<SimulateSummary> {
  const rate = options.rate ?? 0;
  if (!(rate >= 0) || !Number.isFinite(rate))
    throw new UsageError(`--rate must be 0 (unlimited) or a positive number of readings/s, got ${rate}`);
  const now = deps.now ?? (() => performance.now());
  const sim = new Simulation(options);
  const dryRun = options.dryRun ?? false;
  const topic = dryRun ? null : topicNames(config).raw;
  const registryTarget: RegistryTarget = dryRun ? { kind: 'none' } : options.registry;
  const everyMs = options.progressIntervalMs ?? 250;
  const onProgress = options.onProgress;

  const registry = await writeRegistry(config, sim.fleet, registryTarget, deps, (done) =>
    onProgress?.({
      phase: 'registry',
      done,
      messages: 0,
      readings: 0,
      bytes: 0,
      fraction: done / sim.fleet.size,
      readingsPerSecond: 0,
      etaSeconds: null,
      elapsedSeconds: 0,
    }),
  );

  let producer: MessageProducer | undefined;
  if (!dryRun) {
    try {
      await (deps.ensureTopics ?? (() => ensureTopics(config)))();
      producer = await (deps.producer ?? (() => createProducer(config)))();
    } catch (err) {
      throw kafkaError(err);
    }
  }

  const started = now();
  const acked = { messages: 0, readings: 0, bytes: 0 };
  const totalMeterDays = sim.fleet.size * sim.days;
  let lastReport = -Infinity;
  const report = (force: boolean) => {
    if (onProgress === undefined) return;
    const t = now();
    if (!force && t - lastReport < everyMs) return;
    lastReport = t;
    const elapsed = (t - started) / 1000;
    const fraction = totalMeterDays === 0 ? 1 : sim.meterDaysDone / totalMeterDays;
    onProgress({
      phase: 'produce',
      done: acked.messages,
      ...acked,
      fraction,
      readingsPerSecond: elapsed > 0 ? acked.readings / elapsed : 0,
      etaSeconds: fraction > 0 && elapsed > 0.5 ? (elapsed * (1 - fraction)) / fraction : null,
      elapsedSeconds: elapsed,
    });
  };

  const bucket = rate > 0 ? new TokenBucket(rate, now, deps.sleep) : undefined;
  const readingsPerBlock = 1440 / sim.intervalMinutes;
  // Under a rate limit keep a request to about a tenth of a second of readings, so sending is smooth.
  const batchSize = Math.max(
    1,
    Math.min(
      options.batchSize ?? 500,
      rate > 0 ? Math.floor(rate / 10 / readingsPerBlock) : Number.POSITIVE_INFINITY,
    ),
  );
  const maxInFlight = Math.max(1, options.inFlight ?? 4);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let interrupted = false;

  const send = async (batch: RawMessage[], readings: number, bytes: number) => {
    if (bucket !== undefined) await bucket.take(readings);
    if (producer === undefined) {
      acked.messages += batch.length;
      acked.readings += readings;
      acked.bytes += bytes;
      // a dry run never waits on I/O: without this turn of the event loop SIGINT would not be seen
      await yieldToIo();
      return;
    }
    const p: Promise<void> = producer.sendRaw(topic!, batch).then(
      () => {
        acked.messages += batch.length;
        acked.readings += readings;
        acked.bytes += bytes;
        inFlight.delete(p);
      },
      (err: unknown) => {
        failure ??= err;
        inFlight.delete(p);
      },
    );
    inFlight.add(p);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    // generation is synchronous: give the socket a turn even when nothing needs waiting for
    else await yieldToIo();
  };

  try {
    let batch: RawMessage[] = [];
    let batchReadings = 0;
    let batchBytes = 0;
    for (const m of sim) {
      // a DLMS buffer does not carry its capture period: the format header does
      batch.push({
        key: m.key,
        value: m.value,
        format: m.format,
        ...(m.format === 'dlms' ? { intervalMinutes: sim.intervalMinutes } : {}),
      });
      batchReadings += m.readings;
      batchBytes += m.value.length;
      if (batch.length >= batchSize) {
        await send(batch, batchReadings, batchBytes);
        batch = [];
        batchReadings = 0;
        batchBytes = 0;
        if (failure !== undefined) throw failure;
        report(false);
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
      }
    }
    if (!interrupted && batch.length > 0) await send(batch, batchReadings, batchBytes);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    report(true);
  } catch (err) {
    await Promise.allSettled(inFlight);
    throw kafkaError(err);
  } finally {
    await producer?.close().catch(() => {});
  }

  const seconds = (now() - started) / 1000;
  return {
    seed: sim.seed,
    meters: sim.fleet.size,
    days: sim.days,
    start: sim.start,
    end: sim.end,
    timezone: sim.timezone,
    intervalMinutes: sim.intervalMinutes,
    format: sim.format,
    topic,
    dryRun,
    registry,
    faultRates: sim.faults,
    messages: acked.messages,
    readings: acked.readings,
    bytes: acked.bytes,
    seconds: round3(seconds),
    readingsPerSecond: seconds > 0 ? Math.round(acked.readings / seconds) : 0,
    messagesPerSecond: seconds > 0 ? Math.round(acked.messages / seconds) : 0,
    interrupted,
    tally: sim.tally,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function kafkaError(err: unknown): unknown {
  if (err instanceof SmtError) return err;
  const name = (err as { name?: string })?.name ?? '';
  if (
    isConnectionError(err) ||
    /KafkaJS(Connection|NumberOfRetriesExceeded|BrokerNotFound|Timeout|NonRetriable)/.test(name)
  ) {
    return new ServiceUnavailableError('kafka', `cannot produce: ${errorMessage(err)}`, { cause: err });
  }
  return err;
}

async function writeRegistry(
  config: SmtConfig,
  fleet: Fleet,
  target: RegistryTarget,
  deps: SimulateDeps,
  progress: (done: number) => void,
): Promise<RegistrySummary> {
  const summary: RegistrySummary = {
    target: target.kind,
    file: null,
    meters: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
  };
  if (target.kind === 'none') return summary;

  if (target.kind === 'csv') {
    summary.file = target.file;
    let fh: FileHandle | undefined;
    try {
      fh = await open(target.file, 'w');
      let first = true;
      for (const chunk of fleet.chunks()) {
        const text = formatMeterCsv(chunk);
        // formatMeterCsv writes a header per call; keep only the first
        await fh.write(first ? text : text.slice(text.indexOf('\n') + 1));
        first = false;
        summary.meters += chunk.length;
        progress(summary.meters);
      }
    } catch (err) {
      throw new UsageError(
        `cannot write the registry CSV ${target.file}: ${errorMessage(err)}`,
        'Pass a writable path to --registry-csv.',
      );
    } finally {
      await fh?.close();
    }
    return summary;
  }

  const pool = deps.upsertMeters === undefined ? createPostgresPool(config, { max: 1 }) : undefined;
  const upsert = deps.upsertMeters ?? ((meters: Meter[]) => new MeterRepository(pool!).upsert(meters));
  try {
    for (const chunk of fleet.chunks()) {
      const c = await upsert(chunk);
      summary.inserted += c.inserted;
      summary.updated += c.updated;
      summary.unchanged += c.unchanged;
      summary.meters += chunk.length;
      progress(summary.meters);
    }
    return summary;
  } catch (err) {
    if (err instanceof SmtError) throw err;
    if (isConnectionError(err)) {
      throw new ServiceUnavailableError(
        'postgres',
        `cannot register the simulated meters: ${errorMessage(err)}`,
        {
          hint: 'Start the stack (`smt stack up`), or pass --registry-csv <file> or --no-register to skip the database.',
        },
      );
    }
    if (/relation "smt\.\w+" does not exist/.test(errorMessage(err))) {
      throw new SchemaError(`postgres: the registry tables do not exist (${errorMessage(err)})`);
    }
    throw err;
  } finally {
    await pool?.end();
  }
}
