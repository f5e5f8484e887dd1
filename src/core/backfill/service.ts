/**
 * `smt backfill`: reprocess history from the raw archive in chunks of meter-days (the same
 * arguments always give the same chunks and the same job id). Chunks are jobs of a pg-boss queue
 * in PostgreSQL: any number of processes on any number of machines work one job together, a
 * killed process's chunk expires and is retried by another, and a chunk's checkpoint
 * (smt.job_checkpoints) is written before its job completes, so a restarted backfill continues
 * with what is left. Every stage is idempotent (the planner recognises its own writes), so a
 * chunk done twice gives the same result.
 */
import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import { type MeterDayChunk, meterDayChunks } from '../aggregate/chunks.js';
import { DEFAULT_CHANNELS, openAggregatePorts } from '../aggregate/service.js';
import { CassandraRawArchive } from '../cassandra/raw-archive.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import { ClickHouseReadingStore } from '../clickhouse/reading-store.js';
import type { SmtConfig } from '../config/config.js';
import { ServiceUnavailableError } from '../errors.js';
import { createProducer, type MessageProducer } from '../kafka/producer.js';
import { ensureTopics, topicNames } from '../kafka/topics.js';
import { jsonLogger } from '../log.js';
import type { MeterScope } from '../postgres/aggregate-store.js';
import { PostgresBookkeeping } from '../postgres/bookkeeping.js';
import { postgresCall } from '../postgres/errors.js';
import { PostgresGapStore } from '../postgres/gap-store.js';
import { MeterRepository } from '../postgres/meter-repository.js';
import { noProgress, type ProgressSink } from '../progress.js';
import { Method, Origin } from '../readings/quality.js';
import { RegistryCache } from '../registry/registry-cache.js';
import { dayKey, keyOf, type SeriesDay } from '../series/day.js';
import type { Writer } from '../series/planner.js';
import type { Bookkeeping, SeriesPorts } from '../series/ports.js';
import { writeSeries } from '../series/writer.js';
import { VeeEngine } from '../vee/engine.js';
import { loadDefaultRuleSet, loadRuleSetFile } from '../vee/rule-set.js';
import { chunkAggregator, type RollupCounts, rollupJob } from './aggregate-stage.js';
import { estimateStage } from './estimate-stage.js';
import { emptyRevalidateCounts, type RevalidateCounts, revalidationUnits } from './revalidate.js';
import type { BackfillStageName } from './stages.js';
import { throttler } from './throttle.js';

export interface BackfillOptions {
  from: string;
  to: string;
  scope?: MeterScope;
  stages: readonly BackfillStageName[];
  /** rule-set file; default the shipped rules (or ingest.rules) */
  rules?: string;
  channels?: readonly string[];
  dryRun?: boolean;
  /** meter-days per second for this process; 0 = unthrottled */
  rate?: number;
  /** meter-days per chunk (default 2,000) */
  chunkMeterDays?: number;
  /** chunks this process works at once (default 2) */
  concurrency?: number;
  /** a chunk whose process died is retried after this long (default 300 s) */
  chunkTimeoutSeconds?: number;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /**
   * Runs after a chunk has read the series and the raw archive, before it writes: where a
   * concurrent writer (ingest) races the backfill. The test of that race writes there.
   */
  afterChunkRead?: (chunk: number) => Promise<void>;
}

export interface ChunkStats {
  meterDays: number;
  revalidate: RevalidateCounts | null;
  /** meter-days that got a new series version */
  daysWritten: number;
  /** meter-days an earlier attempt of this job wrote already (a chunk done again after a crash) */
  daysAlreadyWritten: number;
  estimate: EstimateCounts | null;
  /** daily aggregate rows inserted or changed */
  aggregatesChanged: number | null;
}

/** The estimate stage over the chunk's meter-days: gaps found and filled by the estimation chain. */
export interface EstimateCounts {
  /** meter-days that got (would get) a new version with estimates */
  changedDays: number;
  gaps: number;
  /** expected intervals without a value */
  missing: number;
  filled: number;
  /** intervals no method of the chain could fill */
  unfilled: number;
  /** estimates not written because an actual arrived meanwhile */
  keptActuals: number;
}

const ESTIMATE_COUNTS = ['changedDays', 'gaps', 'missing', 'filled', 'unfilled', 'keptActuals'] as const;

export interface BackfillResult {
  jobId: string;
  dryRun: boolean;
  from: string;
  to: string;
  stages: BackfillStageName[];
  rules: string;
  chunks: number;
  meterDays: number;
  /** chunks done by this process in this run (the others: earlier runs or other processes) */
  chunksByThisProcess: number;
  totals: ChunkStats;
  /** the engine that shares the chunks between processes */
  engine: 'pg-boss';
  /** weekly, monthly and region rollups, once the last chunk is done (aggregate stage, not a dry run) */
  rollups: RollupCounts | null;
  /** busy seconds of this process per step, summed over its chunks (they overlap: see --concurrency) */
  phaseSeconds: PhaseSeconds;
  seconds: number;
  meterDaysPerSecond: number;
}

const JOB = 'backfill';

export interface PhaseSeconds {
  /** current series versions of the chunk */
  readSeries: number;
  /** archived deliveries of the chunk */
  readRaw: number;
  /** re-decode and re-validate */
  revalidate: number;
  /** writeSeries: re-read, plan, series, ClickHouse, topics, bookkeeping */
  write: number;
  estimate: number;
  aggregate: number;
  /** the job's rollups */
  rollups: number;
}

function emptyStats(): ChunkStats {
  return {
    meterDays: 0,
    revalidate: null,
    daysWritten: 0,
    daysAlreadyWritten: 0,
    estimate: null,
    aggregatesChanged: null,
  };
}

function addStats(a: ChunkStats, b: ChunkStats): void {
  a.meterDays += b.meterDays;
  a.daysWritten += b.daysWritten;
  a.daysAlreadyWritten += b.daysAlreadyWritten;
  if (b.revalidate) {
    a.revalidate ??= emptyRevalidateCounts();
    for (const k of Object.keys(b.revalidate) as (keyof RevalidateCounts)[])
      a.revalidate[k] += b.revalidate[k];
  }
  if (b.estimate) {
    a.estimate ??= { changedDays: 0, gaps: 0, missing: 0, filled: 0, unfilled: 0, keptActuals: 0 };
    for (const k of ESTIMATE_COUNTS) a.estimate[k] += b.estimate[k];
  }
  if (b.aggregatesChanged !== null) a.aggregatesChanged = (a.aggregatesChanged ?? 0) + b.aggregatesChanged;
}

/** A deterministic UUID per chunk: sending it again (a restart, a second process) adds no job. */
function chunkJobId(jobId: string, i: number): string {
  const h = createHash('sha256').update(`${jobId}/${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Ingest's counts are not a backfill's: it records late-data follow-ups on closed periods only. */
function backfillBookkeeping(inner: Bookkeeping): Bookkeeping {
  return {
    closedDays: (keys) => inner.closedDays(keys),
    record: ({ late }) => {
      const closed = late.filter((t) => t.kind !== 'aggregated_day');
      return closed.length > 0 ? inner.record({ counts: [], late: closed }) : Promise.resolve();
    },
  };
}

export async function runBackfill(config: SmtConfig, o: BackfillOptions): Promise<BackfillResult> {
  const started = performance.now();
  const log = jsonLogger('backfill');
  const progress = o.onProgress ?? noProgress;
  const channels = [...(o.channels ?? DEFAULT_CHANNELS)];
  const rulesFile = o.rules ?? (config.string('ingest.rules') || undefined);
  const ruleSet = rulesFile ? loadRuleSetFile(rulesFile) : loadDefaultRuleSet();
  const engine = new VeeEngine(ruleSet);
  const stages = [...o.stages];
  const agg = await openAggregatePorts(config);
  let producer: MessageProducer | undefined;
  let boss: PgBoss | undefined;
  const ch = createClickHouseClient(config);
  try {
    const meters = await agg.store.meters(o.scope ?? {});
    const chunks = meterDayChunks(meters, o, channels, o.chunkMeterDays ?? 2_000);
    const meterDays = chunks.reduce((n, c) => n + c.keys.length, 0);
    const jobId = createHash('sha256')
      .update(
        JSON.stringify({
          from: o.from,
          to: o.to,
          scope: o.scope ?? {},
          stages,
          channels,
          rules: ruleSet,
          chunk: o.chunkMeterDays ?? 2_000,
        }),
      )
      .digest('hex')
      .slice(0, 16);
    const registry = new RegistryCache(new MeterRepository(agg.pool));
    await registry.load();
    const keyspace = config.string('cassandra.keyspace');
    const raw = new CassandraRawArchive(agg.cassandra, keyspace);
    const topics = topicNames(config);
    if (!o.dryRun && stages.includes('revalidate')) {
      await ensureTopics(config, topics);
      producer = await createProducer(config);
    }
    const series: SeriesPorts = {
      series: agg.series as SeriesPorts['series'],
      raw,
      analytics: new ClickHouseReadingStore(ch, config.string('clickhouse.database')),
      bookkeeping: backfillBookkeeping(new PostgresBookkeeping(agg.pool)),
      topics: { send: (t, m) => (producer ? producer.sendJson(t, m) : Promise.resolve()) },
      topicNames: topics,
    };
    const writer: Writer = {
      name: `backfill:${jobId}`,
      reason: `re-validated from the raw archive with ${rulesFile ?? 'the default rule set'}`,
      origin: Origin.Actual,
      method: Method.None,
      revalidation: true,
    };
    const clock = { last: 0 };

    const phases: PhaseSeconds = {
      readSeries: 0,
      readRaw: 0,
      revalidate: 0,
      write: 0,
      estimate: 0,
      aggregate: 0,
      rollups: 0,
    };
    const timed = async <T>(phase: keyof PhaseSeconds, f: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      try {
        return await f();
      } finally {
        phases[phase] += (performance.now() - t) / 1000;
      }
    };
    const aggregator = chunkAggregator(agg);
    const estimator = stages.includes('estimate')
      ? estimateStage({
          meterFacts: (ids) => new PostgresGapStore(agg.pool).meterFacts(ids),
          reader: new CassandraSeriesStore(agg.cassandra, config.string('cassandra.keyspace'), 32),
          settings: ruleSet.estimation,
          fallbackZone: config.string('timezone'),
        })
      : undefined;

    const runChunk = async (c: MeterDayChunk, i: number): Promise<ChunkStats> => {
      const stats: ChunkStats = { ...emptyStats(), meterDays: c.keys.length };
      const apply = !o.dryRun;
      // the current version of each meter-day as this chunk leaves it (for the aggregate stage)
      let days: Map<string, SeriesDay> | undefined;
      if (stages.includes('revalidate')) {
        const pairs = [
          ...new Map(
            c.keys.map((k) => [`${k.meterId}|${k.day}`, { meterId: k.meterId, day: k.day }]),
          ).values(),
        ];
        const [current, deliveries] = await Promise.all([
          timed('readSeries', () => series.series.current(c.keys)),
          timed('readRaw', () => raw.deliveries(pairs)),
        ]);
        await o.afterChunkRead?.(i);
        for (const d of current.values()) if (d.writer === writer.name) stats.daysAlreadyWritten++;
        const { units, counts } = await timed('revalidate', () =>
          revalidationUnits({
            jobId,
            deliveries,
            current,
            inScope: new Set(c.keys.map((k) => dayKey(k.meterId, k.channel, k.day))),
            engine,
            registry: registry.current,
            timezone: config.string('timezone'),
          }),
        );
        stats.revalidate = counts;
        days = current;
        if (units.length > 0) {
          const plan = await timed('write', () =>
            writeSeries(series, {
              writer,
              units,
              known: current,
              meters: registry.current,
              fallbackZone: config.string('timezone'),
              now: Date.now(),
              lastVersion: clock.last,
              apply,
            }),
          );
          clock.last = Math.max(clock.last, plan.lastVersion);
          stats.daysWritten = plan.days.length;
          for (const d of plan.days) days.set(keyOf(d), d);
        }
      }
      if (estimator) {
        const r = await timed('estimate', () =>
          estimator.run({ jobId, chunk: i, keys: c.keys, series, apply, now: Date.now(), clock }),
        );
        stats.estimate = {
          changedDays: r.changedDays,
          ...Object.fromEntries(ESTIMATE_COUNTS.slice(1).map((k) => [k, r.counts[k] ?? 0])),
        } as EstimateCounts;
        // estimates wrote new versions the chunk did not see: the aggregates read the series
        if (apply && r.changedDays > 0) days = undefined;
      }
      if (stages.includes('aggregate') && apply)
        stats.aggregatesChanged = await timed('aggregate', () => aggregator.chunk(c.keys, days));
      return stats;
    };

    progress({
      kind: 'stage',
      label: o.dryRun ? 'backfill (dry run)' : 'backfill',
      total: meterDays,
      unit: 'meter-days',
    });
    const throttle = throttler(o.rate ?? 0);
    const totals = emptyStats();
    let mine = 0;
    if (o.dryRun) {
      for (const [i, c] of chunks.entries()) {
        await throttle(c.keys.length);
        addStats(totals, await runChunk(c, i));
        mine++;
        progress({ kind: 'advance', done: totals.meterDays });
      }
    } else {
      boss = new PgBoss({
        connectionString: config.string('postgres.url'),
        schema: 'smt_jobs',
        max: 2,
        supervise: true,
        maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor((o.chunkTimeoutSeconds ?? 300) / 3))),
        schedule: false,
      });
      boss.on('error', () => {});
      await boss.start();
      const queue = `${JOB}-${jobId}`;
      const expireInSeconds = o.chunkTimeoutSeconds ?? 300;
      await boss.createQueue(queue, { name: queue, retryLimit: 1_000, retryDelay: 1, expireInSeconds });
      const done = await doneChunks(agg.pool, jobId);
      for (let i = 0; i < chunks.length; i++)
        if (!done.has(i))
          await boss.send(
            queue,
            { chunk: i },
            { id: chunkJobId(jobId, i), retryLimit: 1_000, retryDelay: 1, expireInSeconds },
          );
      const failures: unknown[] = [];
      let reported = 0;
      for (let w = 0; w < (o.concurrency ?? 2); w++)
        await boss.work<{ chunk: number }>(
          queue,
          { batchSize: 1, pollingIntervalSeconds: 0.5 },
          async ([job]) => {
            const i = job!.data.chunk;
            const c = chunks[i]!;
            // checkpointed, but the process died before pg-boss heard of it: done already
            if (await chunkDone(agg.pool, jobId, i)) return;
            await throttle(c.keys.length);
            try {
              const stats = await runChunk(c, i);
              await saveChunk(agg.pool, jobId, i, stats);
              mine++;
            } catch (err) {
              failures.push(err);
              throw err;
            }
          },
        );
      // every process waits until the job is done, whoever did the chunks
      for (;;) {
        // a busy PostgreSQL (no free connection within the pool's timeout) is asked again next poll:
        // the chunks go on meanwhile, and giving up here would end a job that is fine
        const all = await doneChunks(agg.pool, jobId).catch((err: unknown) => {
          if (!(err instanceof ServiceUnavailableError && err.retriable)) throw err;
          log.log('warn', 'reading the checkpoints failed; asking again', { error: err.message });
          return undefined;
        });
        if (!all) {
          if (o.signal?.aborted)
            throw new Error('backfill interrupted; run the same command again to continue');
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        const sum = emptyStats();
        for (const s of all.values()) addStats(sum, s);
        progress({ kind: 'advance', done: sum.meterDays, counts: { 'days written': sum.daysWritten } });
        if (all.size >= chunks.length) {
          Object.assign(totals, sum);
          break;
        }
        if (failures.length > reported) {
          const err = failures[failures.length - 1];
          log.log('warn', 'a chunk failed; pg-boss retries it', {
            error: err instanceof Error ? err.message : String(err),
            failures: failures.length,
          });
          reported = failures.length;
        }
        if (o.signal?.aborted)
          throw new Error('backfill interrupted; run the same command again to continue');
        if (failures.length > 0 && failures.length > chunks.length * 3) throw failures[0];
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    let rollups: RollupCounts | null = null;
    if (!o.dryRun && stages.includes('aggregate'))
      rollups = await timed('rollups', () =>
        rollupJob(
          agg.store,
          o,
          o.scope ?? {},
          chunks.flatMap((c) => c.meterIds),
        ),
      );
    progress({ kind: 'done' });
    const seconds = (performance.now() - started) / 1000;
    return {
      jobId,
      dryRun: o.dryRun ?? false,
      from: o.from,
      to: o.to,
      stages,
      rules: rulesFile ?? 'default',
      chunks: chunks.length,
      meterDays,
      chunksByThisProcess: mine,
      totals,
      engine: 'pg-boss',
      rollups,
      phaseSeconds: Object.fromEntries(
        Object.entries(phases).map(([k, v]) => [k, Math.round(v * 1000) / 1000]),
      ) as unknown as PhaseSeconds,
      seconds: Math.round(seconds * 1000) / 1000,
      meterDaysPerSecond: seconds > 0 ? Math.round(meterDays / seconds) : 0,
    };
  } finally {
    await boss?.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => {});
    await producer?.close().catch(() => {});
    await ch.close();
    await agg.close();
  }
}

async function doneChunks(pool: import('pg').Pool, jobId: string): Promise<Map<number, ChunkStats>> {
  const r = await postgresCall('reading backfill checkpoints', () =>
    pool.query<{ scope: string; checkpoint: ChunkStats }>(
      `SELECT scope, checkpoint FROM smt.job_checkpoints WHERE job_name = $1 AND scope LIKE $2`,
      [JOB, `${jobId}/%`],
    ),
  );
  return new Map(r.rows.map((x) => [Number(x.scope.slice(jobId.length + 1)), x.checkpoint]));
}

async function chunkDone(pool: import('pg').Pool, jobId: string, i: number): Promise<boolean> {
  const r = await postgresCall('reading a backfill checkpoint', () =>
    pool.query(`SELECT 1 FROM smt.job_checkpoints WHERE job_name = $1 AND scope = $2`, [
      JOB,
      `${jobId}/${i}`,
    ]),
  );
  return (r.rowCount ?? 0) > 0;
}

/** The first completion of a chunk is kept (a chunk done twice gives the same series anyway). */
async function saveChunk(
  pool: import('pg').Pool,
  jobId: string,
  i: number,
  stats: ChunkStats,
): Promise<void> {
  await postgresCall('writing a backfill checkpoint', () =>
    pool.query(
      `INSERT INTO smt.job_checkpoints (job_name, scope, checkpoint) VALUES ($1, $2, $3)
       ON CONFLICT (job_name, scope) DO NOTHING`,
      [JOB, `${jobId}/${i}`, JSON.stringify(stats)],
    ),
  );
}
