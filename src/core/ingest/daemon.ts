import { createCassandraClient } from '../cassandra/client.js';
import { CassandraRawArchive } from '../cassandra/raw-archive.js';
import { CassandraRegisterReadStore } from '../cassandra/register-read-store.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import { ClickHouseReadingStore } from '../clickhouse/reading-store.js';
import type { SmtConfig } from '../config/config.js';
import {
  errorMessage,
  failedService,
  isConnectionError,
  SchemaError,
  ServiceUnavailableError,
  UsageError,
} from '../errors.js';
import { BatchConsumer, type PartitionLag } from '../kafka/consumer.js';
import type { ConsumedMessage } from '../kafka/messages.js';
import { createProducer, type MessageProducer } from '../kafka/producer.js';
import { incarnationOf, topicIdentity } from '../kafka/topic-identity.js';
import { ensureTopics, topicNames } from '../kafka/topics.js';
import type { Logger } from '../log.js';
import { storeSchemaStatus } from '../migrations/service.js';
import { PostgresBookkeeping } from '../postgres/bookkeeping.js';
import { createPostgresPool } from '../postgres/client.js';
import { MeterRepository } from '../postgres/meter-repository.js';
import { RegistryCache } from '../registry/registry-cache.js';
import { APPLY_STEPS, type ApplyHooks } from '../series/apply.js';
import { bump, messageLetter } from '../series/planner.js';
import { VeeEngine } from '../vee/engine.js';
import { loadDefaultRuleSet, loadRuleSetFile } from '../vee/rule-set.js';
import { type DecodeStage, inThreadDecodeStage } from './decode-stage.js';
import { type HealthState, startOpsServer } from './http.js';
import { IngestMetrics } from './metrics.js';
import {
  type BatchOutcome,
  emptyOutcome,
  mergeOutcomes,
  PartitionLostError,
  processPartitionBatch,
} from './pipeline.js';
import { poolDecodeStage } from './pool-decode-stage.js';

export interface IngestOptions {
  /** exit once the group has no lag left and nothing is in flight */
  untilIdle?: boolean;
  logger: Logger;
  /** aborting stops the daemon gracefully (SIGTERM/SIGINT in the command) */
  signal?: AbortSignal;
  /** a decode stage other than the configured one (tests, benchmarks) */
  decodeStage?: DecodeStage;
  onProgress?: (totals: BatchOutcome, seconds: number) => void;
  /** after a batch's writes are acknowledged, with its messages (benchmarks measure latency here) */
  onBatchDone?: (messages: readonly ConsumedMessage[]) => void;
}

export interface IngestSummary extends BatchOutcome {
  group: string;
  topic: string;
  batches: number;
  retries: number;
  seconds: number;
  readingsPerSecond: number;
  /** from the start of the first slice to the end of the last (0 when nothing was consumed) */
  busySeconds: number;
  /** this process: CPU of every thread while slices were processed, and the kernel's peak RSS */
  process: { busyCpuSeconds: number; maxRssMiB: number };
  lag: { partition: number; lag: string }[];
  stoppedBy: 'idle' | 'signal';
}

/** Run the ingest daemon until it is aborted (or idle, with untilIdle). */
export async function runIngest(config: SmtConfig, options: IngestOptions): Promise<IngestSummary> {
  const log = options.logger;
  const group = config.string('ingest.group');
  const topics = topicNames(config);
  // A daemon started before its dependencies (host boot, rolling restart) waits for them.
  for (const store of ['postgres', 'cassandra', 'clickhouse'] as const) {
    const s = await untilAvailable(store, () => storeSchemaStatus(config, store), log, options.signal);
    if (s.pending.length > 0)
      throw new SchemaError(`${store} schema is at version ${s.current}, this smt needs ${s.latest}`);
  }
  await untilAvailable('kafka', () => ensureTopics(config, topics), log, options.signal);
  const identity = await untilAvailable(
    'kafka',
    () => topicIdentity(config, topics.raw),
    log,
    options.signal,
  );
  // Store calls give up well inside the session, so a stalled store fails the slice (which is
  // retried) instead of the member silently losing its partition mid-write.
  const storeTimeoutMs = Math.floor(config.int('ingest.sessionTimeoutMs') / 2);

  const rulesFile = config.string('ingest.rules');
  const ruleSet = rulesFile ? loadRuleSetFile(rulesFile) : loadDefaultRuleSet();
  const engine = new VeeEngine(ruleSet);
  const workers = config.int('ingest.workers');
  const pooled =
    options.decodeStage === undefined && workers > 0
      ? poolDecodeStage(ruleSet, workers, config.string('timezone'))
      : undefined;
  // each partition in flight holds one connection for its watermark lease; the plan's reads and the
  // registry refresh need more beside them
  const pool = createPostgresPool(config, {
    max: Math.max(config.int('postgres.poolSize'), config.int('ingest.partitionsConcurrently') + 2),
  });
  const cassandra = createCassandraClient(config, { useKeyspace: true, readTimeoutMs: storeTimeoutMs });
  const clickhouse = createClickHouseClient(config, { requestTimeoutMs: storeTimeoutMs });
  const metrics = new IngestMetrics();
  let producer: MessageProducer | undefined;
  let consumer: BatchConsumer | undefined;
  let server: Awaited<ReturnType<typeof startOpsServer>> = null;
  let refreshTimer: NodeJS.Timeout | undefined;
  // One columnar registry serves both the pipeline's lookups and the VEE rules' snapshot.
  const registryCache = new RegistryCache(new MeterRepository(pool), { logger: log });
  const registry = () => {
    const view = registryCache.current;
    return { meters: view, snapshot: view };
  };

  const totals = emptyOutcome(0);
  const started = performance.now();
  let batches = 0;
  let retries = 0;
  let busy: { from: number; to: number; cpu: NodeJS.CpuUsage; cpuTo: NodeJS.CpuUsage } | undefined;
  let waitingFor: string | null = null;
  let lastLag: PartitionLag[] = [];
  try {
    await untilAvailable('postgres', () => registryCache.load(), log, options.signal);
    producer = await untilAvailable('kafka', () => createProducer(config), log, options.signal);
    const bookkeeping = new PostgresBookkeeping(pool);
    const keyspace = config.string('cassandra.keyspace');
    const ports = {
      decode: options.decodeStage ?? pooled?.stage ?? inThreadDecodeStage(engine),
      series: {
        series: new CassandraSeriesStore(cassandra, keyspace),
        registers: new CassandraRegisterReadStore(cassandra, keyspace),
        raw: new CassandraRawArchive(cassandra, keyspace),
        analytics: new ClickHouseReadingStore(clickhouse, config.string('clickhouse.database')),
        bookkeeping,
        topics: {
          send: (t: string, m: readonly { key: string | null; value: unknown }[]) => producer!.sendJson(t, m),
        },
        topicNames: topics,
      },
      lease: (topic: string, partition: number) =>
        bookkeeping.lease(
          { clusterId: identity.clusterId, topicId: identity.topicId, topic, partition },
          storeTimeoutMs,
        ),
      incarnation: incarnationOf(identity),
      group,
      registry,
      timezone: config.string('timezone'),
      versionClock: { last: 0 },
      ...faultHarness(log),
    };
    const health: HealthState = {
      healthy: () => waitingFor === null && consumer?.crashed == null,
      describe: () => ({ group, topic: topics.raw, batches, waitingFor, readings: totals.readings }),
    };
    server = await startOpsServer(config.int('ingest.metricsPort'), metrics, health);
    refreshTimer = setInterval(() => {
      registryCache.refresh().catch((err) =>
        log.log('warn', 'registry refresh failed; keeping the previous snapshot', {
          error: errorMessage(err),
        }),
      );
    }, config.int('ingest.registryRefreshSeconds') * 1000);
    refreshTimer.unref();

    consumer = new BatchConsumer(config, {
      groupId: group,
      topic: topics.raw,
      maxMessages: config.int('ingest.batchMessages'),
      partitionsConcurrently: config.int('ingest.partitionsConcurrently'),
      isPartitionLost: (err) => err instanceof PartitionLostError,
      onPartitionLost: (partition, err) =>
        log.log('warn', 'this member lost its partition mid-slice; the slice is dropped uncommitted', {
          partition,
          error: errorMessage(err).slice(0, 300),
        }),
      onBatch: async (topic, partition, messages, owned) => {
        const t0 = performance.now();
        if (busy === undefined)
          busy = { from: t0, to: t0, cpu: process.cpuUsage(), cpuTo: process.cpuUsage() };
        const outcome = await processPartitionBatch(ports, topic, partition, messages, owned);
        if (waitingFor !== null) log.log('info', 'dependency back, resuming', { was: waitingFor });
        waitingFor = null;
        metrics.waiting.set(0);
        batches++;
        mergeOutcomes(totals, outcome);
        recordMetrics(metrics, outcome, (performance.now() - t0) / 1000);
        options.onProgress?.(totals, (performance.now() - started) / 1000);
        options.onBatchDone?.(messages);
        busy.to = performance.now();
        busy.cpuTo = process.cpuUsage();
      },
      onRetry: (err, attempt, delayMs, partition) => {
        retries++;
        metrics.retries.inc();
        metrics.waiting.set(1);
        waitingFor = dependencyOf(err);
        log.log('warn', `batch failed, waiting for ${waitingFor}; retrying`, {
          partition,
          attempt,
          delayMs,
          error: errorMessage(err).slice(0, 300),
        });
      },
      onPoison: async (m, err) => {
        const reason = errorMessage(err).slice(0, 1_000);
        log.log('error', 'a message fails on every attempt with an error a retry cannot fix; dead-lettered', {
          partition: m.partition,
          offset: m.offset,
          error: reason.slice(0, 300),
        });
        const letter = messageLetter(
          {
            sourceRef: { topic: m.topic, partition: m.partition, offset: m.offset },
            key: m.key,
            format: m.format,
            payload: m.value,
          },
          'store.rejected',
          reason,
          new Date().toISOString(),
          null,
        );
        await producer!.sendJson(topics.rejected, [letter]);
        totals.deadLetteredMessages++;
        bump(totals.rejectsByReason, 'store.rejected');
        metrics.messages.inc({ outcome: 'dead_lettered' });
        metrics.rejects.inc({ reason: 'store.rejected' });
        waitingFor = null;
        metrics.waiting.set(0);
      },
    });
    await consumer.start();
    log.log('info', 'consuming', {
      group,
      topic: topics.raw,
      topicId: identity.topicId,
      clusterId: identity.clusterId,
    });

    metrics.consumerUp.set(1);
    const stoppedBy = await waitForStop(consumer, options, metrics, (l) => (lastLag = l));
    if (stoppedBy === 'crashed') {
      const err = consumer.crashed!;
      metrics.consumerUp.set(0);
      log.log(
        'error',
        'the consumer crashed and will not rejoin; exiting so a supervisor restarts the daemon',
        {
          error: errorMessage(err).slice(0, 300),
        },
      );
      throw new ServiceUnavailableError('kafka', `the ingest consumer crashed: ${errorMessage(err)}`, {
        cause: err,
        hint: 'Run smt ingest under a supervisor (systemd Restart=on-failure, Kubernetes) that restarts it; the slice in flight was not committed and is processed again.',
      });
    }
    log.log('info', 'stopping', { reason: stoppedBy });
    await consumer.stop();
    // The final lag after the last commit; the admin client still works once the consumer left.
    lastLag = await consumer.lag().catch(() => lastLag);
    consumer = undefined;
    const seconds = (performance.now() - started) / 1000;
    const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;
    return {
      ...totals,
      group,
      topic: topics.raw,
      batches,
      retries,
      seconds: Math.round(seconds * 100) / 100,
      readingsPerSecond: Math.round(totals.readings / Math.max(seconds, 0.001)),
      busySeconds: busy ? Math.round(busy.to - busy.from) / 1000 : 0,
      process: {
        busyCpuSeconds: busy ? Math.round((cpuMicros(busy.cpuTo) - cpuMicros(busy.cpu)) / 1000) / 1000 : 0,
        maxRssMiB: Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20),
      },
      lag: lastLag.map((l) => ({ partition: l.partition, lag: l.lag.toString() })),
      stoppedBy,
    };
  } finally {
    if (refreshTimer) clearInterval(refreshTimer);
    await consumer?.stop().catch(() => {});
    await producer?.close().catch(() => {});
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await Promise.allSettled([pool.end(), cassandra.shutdown(), clickhouse.close(), pooled?.close()]);
  }
}

/**
 * Test hooks, read by the daemon only; never set them in production.
 * - SMT_FAULT_KILL_AFTER=<step> makes the process SIGKILL itself right after that write step of its
 *   first slice (raw, series, analytics, validated, rejected, events, bookkeeping; after the Kafka
 *   commit is not needed: the next slice is a new plan). The crash tests prove every store exact
 *   after a kill at any point.
 * - SMT_FAULT_STALL_AFTER=<step>:<ms> stalls the first slice that far after that step, as a store
 *   call hanging would: longer than the session timeout, the group moves the partition meanwhile
 *   (the fencing tests).
 */
function faultHarness(log: Logger): { hooks?: ApplyHooks } {
  const kill = process.env.SMT_FAULT_KILL_AFTER;
  const stall = process.env.SMT_FAULT_STALL_AFTER;
  if (!kill && !stall) return {};
  const [stallStep, stallMs] = (stall ?? '').split(':');
  for (const step of [kill, stall ? stallStep : undefined]) {
    if (step !== undefined && !(APPLY_STEPS as readonly string[]).includes(step))
      throw new UsageError(
        `fault harness step "${step}" is not a write step`,
        `Use one of ${APPLY_STEPS.join(', ')} (SMT_FAULT_STALL_AFTER=<step>:<ms>).`,
      );
  }
  const ms = Number(stallMs);
  if (stall && !(Number.isInteger(ms) && ms > 0))
    throw new UsageError(
      `SMT_FAULT_STALL_AFTER=${stall} has no duration`,
      'Use <step>:<ms>, e.g. analytics:20000.',
    );
  log.log('warn', 'fault harness armed', { killAfter: kill, stallAfter: stall });
  let stalled = false;
  return {
    hooks: {
      afterStep: async (s) => {
        if (s === kill) process.kill(process.pid, 'SIGKILL');
        if (stall && s === stallStep && !stalled) {
          stalled = true;
          log.log('warn', 'fault harness: stalling the slice', { step: s, ms });
          await new Promise((r) => setTimeout(r, ms));
        }
      },
    },
  };
}

/** Retry `fn` while its dependency is unreachable (exit code 4 errors and connection failures), with backoff. */
async function untilAvailable<T>(
  what: string,
  fn: () => Promise<T>,
  log: Logger,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // a refused login (wrong password) will not heal by waiting: exit 4 at once
      const retriable =
        (err instanceof ServiceUnavailableError && err.retriable) ||
        (!(err instanceof ServiceUnavailableError) && isConnectionError(err));
      if (!retriable || signal?.aborted) throw err;
      const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
      log.log('warn', `waiting for ${what}`, { attempt, delayMs, error: errorMessage(err).slice(0, 300) });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

async function waitForStop(
  consumer: BatchConsumer,
  options: IngestOptions,
  metrics: IngestMetrics,
  onLag: (l: PartitionLag[]) => void,
): Promise<'idle' | 'signal' | 'crashed'> {
  let idleChecks = 0;
  const aborted = new Promise<void>((resolve) =>
    options.signal?.addEventListener('abort', () => resolve(), { once: true }),
  );
  for (;;) {
    if (options.signal?.aborted) return 'signal';
    if (consumer.crashed) return 'crashed';
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([aborted, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    clearTimeout(timer);
    if (options.signal?.aborted) return 'signal';
    try {
      const lag = await consumer.lag();
      onLag(lag);
      for (const l of lag) metrics.lag.set({ partition: String(l.partition) }, Number(l.lag));
      const total = lag.reduce((s, l) => s + l.lag, 0n);
      if (options.untilIdle && total === 0n && !consumer.busy) {
        // Two quiet checks in a row: a commit may land just after the lag was read.
        if (++idleChecks >= 2) return 'idle';
      } else idleChecks = 0;
    } catch {
      idleChecks = 0;
    }
  }
}

function recordMetrics(m: IngestMetrics, o: BatchOutcome, seconds: number): void {
  m.batchSeconds.observe(seconds);
  m.messages.inc({ outcome: 'processed' }, o.messages - o.replayedMessages - o.deadLetteredMessages);
  m.messages.inc({ outcome: 'dead_lettered' }, o.deadLetteredMessages);
  m.messages.inc({ outcome: 'replayed' }, o.replayedMessages);
  m.readings.inc({ outcome: 'stored' }, o.stored);
  m.readings.inc({ outcome: 'rejected' }, o.rejected);
  m.readings.inc({ outcome: 'missing' }, o.missing);
  m.readings.inc({ outcome: 'duplicate' }, o.duplicates);
  m.readings.inc({ outcome: 'dead_lettered' }, o.deadLetteredReadings);
  m.readings.inc({ outcome: 'dropped' }, o.dropped);
  m.storeWrites.inc({ store: 'cassandra_series' }, o.stored);
  m.storeWrites.inc({ store: 'clickhouse' }, o.stored);
  m.storeWrites.inc({ store: 'cassandra_raw' }, o.messages - o.replayedMessages);
  for (const [reason, n] of Object.entries(o.rejectsByReason)) m.rejects.inc({ reason }, n);
}

/** Name the dependency a failure points at, for the "waiting for" log line and /healthz. */
export function dependencyOf(err: unknown): string {
  return failedService(err) ?? 'a dependency';
}
