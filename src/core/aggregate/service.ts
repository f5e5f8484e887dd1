/**
 * `smt aggregate`: authoritative daily, weekly and monthly aggregates per meter and channel in
 * PostgreSQL, from the current series, plus the region × segment × tariff rollups per day and
 * month. Days and months are local to each meter's zone. Work is cut into chunks of meters; each
 * chunk is read (Cassandra by partition, or ClickHouse summed in place), computed, and written
 * by COPY + upsert, a few chunks at a time.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { createCassandraClient } from '../cassandra/client.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import {
  type ChunkFolds,
  clickhouseChunkFolds,
  clickhouseDayFacts,
  type DayFactsQuery,
} from '../clickhouse/day-facts.js';
import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import {
  type AggregateMeter,
  type DailyRowBatch,
  type MeterScope,
  PostgresAggregateStore,
  type UpsertCounts,
} from '../postgres/aggregate-store.js';
import { createPostgresPool } from '../postgres/client.js';
import { noProgress, type ProgressSink } from '../progress.js';
import type { IntervalMinutes } from '../readings/block.js';
import { dayKey, type SeriesDayKey } from '../series/day.js';
import type { SeriesStore } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { meterDayChunks } from './chunks.js';
import { type DailyAggregate, type DayFacts, DayFold, dailyAggregate, factsOfDay } from './daily.js';

export const AGGREGATE_PERIODS = ['day', 'week', 'month'] as const;
export type AggregatePeriod = (typeof AGGREGATE_PERIODS)[number];
export const AGGREGATE_SOURCES = ['cassandra', 'clickhouse'] as const;
export type AggregateSource = (typeof AGGREGATE_SOURCES)[number];
export const DEFAULT_CHANNELS = ['active_import_kwh'] as const;

export interface AggregatePorts {
  /** the series (the source of truth): current version of each meter-day */
  series: Pick<SeriesStore, 'current'>;
  /** ClickHouse, when the facts are to be summed there */
  clickhouse?: { client: ClickHouseClient; database: string };
  store: PostgresAggregateStore;
}

export interface AggregateOptions {
  period: AggregatePeriod;
  /** local dates, inclusive; widened to whole weeks or months for those periods */
  from: string;
  to: string;
  scope?: MeterScope;
  channels?: readonly string[];
  source?: AggregateSource;
  /** meter-days per chunk (default 10,000) */
  chunkMeterDays?: number;
  /** chunks in flight (default 3) */
  concurrency?: number;
  onProgress?: ProgressSink;
}

export interface UpsertSummary extends UpsertCounts {
  unchanged: number;
}

export interface AggregateResult {
  /** these figures are authoritative: validated aggregates in PostgreSQL, derived from the series */
  authority: 'authoritative';
  period: AggregatePeriod;
  from: string;
  to: string;
  source: AggregateSource;
  channels: string[];
  meters: number;
  meterDays: number;
  chunks: number;
  daily: UpsertSummary;
  weekly: UpsertSummary | null;
  monthly: UpsertSummary | null;
  dimsDaily: UpsertCounts;
  dimsMonthly: UpsertCounts | null;
  /** read + compute + write of the daily rows */
  seconds: number;
  meterDaysPerSecond: number;
}

/** The range a period covers: whole local weeks (Monday–Sunday) or months around [from, to]. */
export function widenRange(period: AggregatePeriod, from: string, to: string): { from: string; to: string } {
  let a = parseLocalDate(from);
  let b = parseLocalDate(to);
  if (a > b) throw new UsageError(`--from ${from} is after --to ${to}`);
  if (period === 'week') {
    // epoch day 0 (1970-01-01) was a Thursday: Monday is (d + 3) % 7 === 0
    a -= (((a + 3) % 7) + 7) % 7;
    b += 6 - ((((b + 3) % 7) + 7) % 7);
  } else if (period === 'month') {
    const f = formatLocalDate(a);
    a = parseLocalDate(`${f.slice(0, 7)}-01`);
    const t = formatLocalDate(b);
    const [y, m] = [Number(t.slice(0, 4)), Number(t.slice(5, 7))];
    b = parseLocalDate(m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`) - 1;
  }
  return { from: formatLocalDate(a), to: formatLocalDate(b) };
}

/** The facts of these meter-days, read where the caller chose. */
export async function readFacts(
  ports: AggregatePorts,
  source: AggregateSource,
  keys: readonly SeriesDayKey[],
  range: DayFactsQuery,
): Promise<Map<string, DayFacts>> {
  const out = new Map<string, DayFacts>();
  if (source === 'clickhouse') {
    if (!ports.clickhouse) throw new Error('the ClickHouse source needs a ClickHouse client');
    for (const f of await clickhouseDayFacts(ports.clickhouse.client, ports.clickhouse.database, range))
      out.set(dayKey(f.meterId, f.channel, f.day), f);
    return out;
  }
  for (const [k, d] of await ports.series.current(keys)) out.set(k, factsOfDay(d));
  return out;
}

function dailyRows(
  meters: ReadonlyMap<string, AggregateMeter>,
  keys: readonly SeriesDayKey[],
  facts: ReadonlyMap<string, DayFacts>,
): DailyAggregate[] {
  return keys.map((k) => {
    const m = meters.get(k.meterId)!;
    const f = facts.get(dayKey(k.meterId, k.channel, k.day));
    const minutes = (f?.intervalMinutes ?? m.intervalMinutes) as AggregateMeter['intervalMinutes'];
    return dailyAggregate(k, LocalCalendar.for(m.timezone).intervalsInDay(k.day, minutes), minutes, f);
  });
}

/** reused by every row a batch fills (a COPY encodes its rows to the end without yielding) */
const FOLD = new DayFold();

/**
 * The daily rows of a chunk read from ClickHouse, each folded only when the COPY encodes it:
 * the same row `dailyRows` builds from the facts, without the objects in between.
 */
function foldedRows(
  meters: ReadonlyMap<string, AggregateMeter>,
  keys: readonly SeriesDayKey[],
  folds: ChunkFolds,
): DailyRowBatch {
  // a chunk holds a few dates: parse each once
  const days = new Map<string, number>();
  return {
    keys,
    fill(i, out) {
      const k = keys[i]!;
      const m = meters.get(k.meterId)!;
      let epochDay = days.get(k.day);
      if (epochDay === undefined) {
        epochDay = parseLocalDate(k.day);
        days.set(k.day, epochDay);
      }
      const read = folds.fold(k.meterId, k.channel, epochDay, FOLD);
      const minutes = (read?.intervalMinutes ?? m.intervalMinutes) as IntervalMinutes;
      out.expected = LocalCalendar.for(m.timezone).intervalsInDayOf(epochDay, minutes);
      out.intervalMinutes = minutes;
      out.fold = FOLD;
      out.read = read !== undefined;
      out.dayStart = read?.dayStart ?? 0;
      out.seriesVersion = read?.seriesVersion ?? 0;
    },
  };
}

function add(a: UpsertCounts, b: UpsertCounts): void {
  a.inserted += b.inserted;
  a.updated += b.updated;
}

const summary = (c: UpsertCounts, total: number): UpsertSummary => ({
  ...c,
  unchanged: total - c.inserted - c.updated,
});

export async function aggregate(ports: AggregatePorts, o: AggregateOptions): Promise<AggregateResult> {
  const progress = o.onProgress ?? noProgress;
  const source = o.source ?? 'cassandra';
  const channels = [...(o.channels ?? DEFAULT_CHANNELS)];
  const range = widenRange(o.period, o.from, o.to);
  // byte order: each chunk's meters are then one range of ClickHouse's primary key
  const meters = (await ports.store.meters(o.scope ?? {})).sort((a, b) =>
    a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0,
  );
  const byId = new Map(meters.map((m) => [m.meterId, m]));
  const timezoneOf = (id: string) => byId.get(id)?.timezone;
  // the whole fleet: a chunk is every meter of its id range
  const contiguous = !o.scope?.meterIds && !o.scope?.region;
  // one Cassandra query covers up to 50 meters of one (channel, day); one ClickHouse query a chunk
  const chunks = meterDayChunks(meters, range, channels, o.chunkMeterDays ?? 10_000);
  const total = chunks.reduce((n, c) => n + c.keys.length, 0);

  progress({ kind: 'stage', label: 'aggregate', total, unit: 'meter-days' });
  const started = performance.now();
  const daily: UpsertCounts = { inserted: 0, updated: 0 };
  let done = 0;
  await forEachBounded(chunks, o.concurrency ?? 3, async (c) => {
    const query = { meterIds: c.meterIds, channels, ...range, timezoneOf, contiguous };
    if (source === 'clickhouse') {
      if (!ports.clickhouse) throw new Error('the ClickHouse source needs a ClickHouse client');
      const folds = await clickhouseChunkFolds(ports.clickhouse.client, ports.clickhouse.database, query);
      try {
        add(daily, await ports.store.upsertDaily(foldedRows(byId, c.keys, folds)));
      } finally {
        folds.release();
      }
    } else {
      const facts = await readFacts(ports, source, c.keys, query);
      add(daily, await ports.store.upsertDaily(dailyRows(byId, c.keys, facts)));
    }
    done += c.keys.length;
    progress({ kind: 'advance', done, counts: { changed: daily.inserted + daily.updated } });
  });
  const seconds = (performance.now() - started) / 1000;

  const meterIds = o.scope?.meterIds || o.scope?.region ? meters.map((m) => m.meterId) : undefined;
  const scoped = { ...range, ...(meterIds ? { meterIds } : {}) };
  let weekly: UpsertSummary | null = null;
  let monthly: UpsertSummary | null = null;
  let dimsMonthly: UpsertCounts | null = null;
  if (o.period !== 'day')
    progress({ kind: 'stage', label: `${o.period}ly rollup`, total: null, unit: 'rows' });
  if (o.period === 'week') {
    const w = await ports.store.rollup('week', scoped);
    weekly = summary(
      w,
      countPeriods(chunks, (d) => widenRange('week', d, d).from),
    );
  }
  if (o.period === 'month') {
    const m = await ports.store.rollup('month', scoped);
    monthly = summary(
      m,
      countPeriods(chunks, (d) => d.slice(0, 7)),
    );
    dimsMonthly = await ports.store.rollupDims('month', range);
  }
  const dimsDaily = await ports.store.rollupDims('day', range);
  progress({ kind: 'done' });
  return {
    authority: 'authoritative',
    period: o.period,
    ...range,
    source,
    channels,
    meters: chunks.reduce((n, c) => n + c.meterIds.length, 0),
    meterDays: total,
    chunks: chunks.length,
    daily: summary(daily, total),
    weekly,
    monthly,
    dimsDaily,
    dimsMonthly,
    seconds: Math.round(seconds * 1000) / 1000,
    meterDaysPerSecond: seconds > 0 ? Math.round(total / seconds) : 0,
  };
}

/** Number of distinct (meter, channel, period) in the chunks. */
function countPeriods(
  chunks: readonly { keys: SeriesDayKey[] }[],
  periodOf: (day: string) => string,
): number {
  const seen = new Set<string>();
  for (const c of chunks) for (const k of c.keys) seen.add(`${k.meterId}|${k.channel}|${periodOf(k.day)}`);
  return seen.size;
}

export interface MeterDaysResult {
  daily: UpsertSummary;
  weekly: UpsertCounts;
  monthly: UpsertCounts;
  dimsDaily: UpsertCounts;
  dimsMonthly: UpsertCounts;
}

/**
 * Recompute exactly these meter-days from the current series (after a correction, an estimate or
 * late data: what `smt recalc` calls for the items of smt.recalc_queue), then refresh the weekly,
 * monthly and region × segment × tariff rows that already exist for them. Rows whose values do not
 * change are not touched.
 */
export async function aggregateDays(
  ports: AggregatePorts,
  meterDays: readonly SeriesDayKey[],
): Promise<MeterDaysResult> {
  const empty = { inserted: 0, updated: 0 };
  if (meterDays.length === 0)
    return {
      daily: { ...empty, unchanged: 0 },
      weekly: empty,
      monthly: empty,
      dimsDaily: empty,
      dimsMonthly: empty,
    };
  const unique = [...new Map(meterDays.map((k) => [dayKey(k.meterId, k.channel, k.day), k])).values()];
  const ids = [...new Set(unique.map((k) => k.meterId))];
  const meters = new Map((await ports.store.meters({ meterIds: ids })).map((m) => [m.meterId, m]));
  const keys = unique.filter((k) => meters.has(k.meterId));
  const facts = await readFacts(ports, 'cassandra', keys, {
    meterIds: ids,
    channels: [],
    from: '',
    to: '',
    timezoneOf: (id) => meters.get(id)?.timezone,
  });
  const daily = await ports.store.upsertDaily(dailyRows(meters, keys, facts));
  const dates = keys.map((k) => k.day).sort();
  const first = dates[0]!;
  const last = dates[dates.length - 1]!;
  const weeks = widenRange('week', first, last);
  const months = widenRange('month', first, last);
  const weekly = await ports.store.rollup('week', { ...weeks, meterIds: ids, onlyExisting: true });
  const monthly = await ports.store.rollup('month', { ...months, meterIds: ids, onlyExisting: true });
  return {
    daily: summary(daily, keys.length),
    weekly,
    monthly,
    dimsDaily: await ports.store.rollupDims('day', { from: first, to: last }),
    dimsMonthly: await ports.store.rollupDims('month', months),
  };
}

/** The stores an aggregation talks to, opened from the configuration; `close()` in `finally`. */
export async function openAggregatePorts(
  config: SmtConfig,
  options: { clickhouse?: boolean } = {},
): Promise<AggregatePorts & { close(): Promise<void>; pool: pg.Pool; cassandra: cassandra.Client }> {
  const pool = createPostgresPool(config, { max: Math.max(4, config.int('postgres.poolSize')) });
  const cass = createCassandraClient(config, { useKeyspace: true, readTimeoutMs: 30_000 });
  const ch = options.clickhouse ? createClickHouseClient(config) : undefined;
  return {
    pool,
    cassandra: cass,
    // 3 chunks × 32 reads of 50 partitions: more in flight only times out on a busy node
    series: new CassandraSeriesStore(cass, config.string('cassandra.keyspace'), 32),
    ...(ch ? { clickhouse: { client: ch, database: config.string('clickhouse.database') } } : {}),
    store: new PostgresAggregateStore(pool),
    async close() {
      await Promise.allSettled([pool.end(), cass.shutdown(), ch?.close()]);
    },
  };
}
