/**
 * `smt reconcile`: per meter-day, the readings and energy of the Cassandra series (the source of
 * truth), of its ClickHouse copy (`readings`, latest version) and of the PostgreSQL daily
 * aggregate; lists the meter-days where a copy differs, and with `repair` re-derives exactly
 * those copies from the series: ClickHouse rows deleted, then — with ingest held off — the series'
 * readings inserted again and the rollups corrected to the sums of `readings`; daily aggregates
 * recomputed (aggregateDays). The ClickHouse region × segment × tariff rollups hold no meter: they
 * are checked per group against the readings, and derived again for the days a repair touched.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type pg from 'pg';
import { clickhouseDayFacts } from '../clickhouse/day-facts.js';
import {
  correctDimsRollups,
  type DimsRollupDifference,
  daysOfHours,
  deleteDimsRollups,
  dimsRollupDifferences,
} from '../clickhouse/dims-rollups.js';
import { ClickHouseReadingStore } from '../clickhouse/reading-store.js';
import {
  correctMeterRollups,
  deleteMeterDays,
  waitForMutations,
  waitForReadingInserts,
} from '../clickhouse/repair.js';
import { forEachBounded } from '../concurrency.js';
import type { AggregateMeter, MeterScope } from '../postgres/aggregate-store.js';
import { fenceIngest } from '../postgres/ingest-fence.js';
import { noProgress, type ProgressSink } from '../progress.js';
import { dayKey, type SeriesDayKey } from '../series/day.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { meterDayChunks } from './chunks.js';
import { factsOfDay } from './daily.js';
import { type AggregatePorts, aggregateDays, DEFAULT_CHANNELS } from './service.js';

export type ReconcilePorts = AggregatePorts & {
  clickhouse: { client: ClickHouseClient; database: string };
  /** the PostgreSQL of ingest's watermarks: a repair holds ingest off there (ingest-fence.ts) */
  pool: pg.Pool;
};

export type StoreName = 'clickhouse' | 'postgres';

export interface Figures {
  readings: number;
  /** null: no value at all (missing is not zero) */
  energy: number | null;
}

export interface MeterDayDifference extends SeriesDayKey {
  /** null: the store holds nothing for the meter-day */
  series: Figures | null;
  clickhouse: Figures | null;
  postgres: Figures | null;
  /** the copies that differ from the series */
  differs: StoreName[];
}

export interface ReconcileResult {
  from: string;
  to: string;
  channels: string[];
  meters: number;
  meterDays: number;
  /** the figures of each store's copy, and which of them are authoritative */
  authority: { series: 'source of truth'; clickhouse: 'provisional'; postgres: 'authoritative' };
  differences: MeterDayDifference[];
  byStore: Record<StoreName, number>;
  /**
   * ClickHouse region × segment × tariff rollup groups (daily, hourly; over every meter) of the
   * range that differ from the readings they are summed from
   */
  rollupDifferences: DimsRollupDifference[];
  /**
   * with repair: the meter-days re-derived per store, the local days whose region × segment ×
   * tariff rollups were derived again, and what a second pass still finds (meter-days + rollup groups)
   */
  repaired: { clickhouse: number; postgres: number; rollupDays: number; remaining: number } | null;
}

export interface ReconcileOptions {
  from: string;
  to: string;
  scope?: MeterScope;
  channels?: readonly string[];
  repair?: boolean;
  chunkMeterDays?: number;
  onProgress?: ProgressSink;
  /** test hooks of the repair's order (the race tests pause it between its steps) */
  hooks?: RepairHooks;
}

/**
 * `deleted`: the ClickHouse rows of the meter-days and days to repair are deleted, nothing is
 * derived again yet; `fenced`: ingest's ClickHouse writes are held off, nothing is derived yet.
 */
export type RepairStep = 'deleted' | 'fenced';

export interface RepairHooks {
  afterStep?: (step: RepairStep) => Promise<void>;
}

/** Energies agree when PostgreSQL's 6 decimals and float sums in another order cannot tell them apart. */
function sameEnergy(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
}

function same(truth: Figures | null, copy: Figures | null): boolean {
  const t = truth ?? { readings: 0, energy: null };
  const c = copy ?? { readings: 0, energy: null };
  return t.readings === c.readings && sameEnergy(t.energy, c.energy);
}

async function checkChunk(
  ports: ReconcilePorts,
  chunk: { meterIds: string[]; keys: SeriesDayKey[] },
  channels: readonly string[],
  range: { from: string; to: string },
  timezoneOf: (meterId: string) => string | undefined,
): Promise<MeterDayDifference[]> {
  const q = { meterIds: chunk.meterIds, channels, ...range };
  const [days, ch, pg] = await Promise.all([
    ports.series.current(chunk.keys),
    clickhouseDayFacts(ports.clickhouse.client, ports.clickhouse.database, { ...q, timezoneOf }),
    ports.store.dailyFigures(q),
  ]);
  const chFigures = new Map(
    ch.map((f) => [
      dayKey(f.meterId, f.channel, f.day),
      { readings: f.actual + f.estimated, energy: f.energy },
    ]),
  );
  const differences: MeterDayDifference[] = [];
  for (const k of chunk.keys) {
    const key = dayKey(k.meterId, k.channel, k.day);
    const d = days.get(key);
    const f = d ? factsOfDay(d) : undefined;
    const series = f
      ? { readings: f.actual + f.estimated, energy: f.actual + f.estimated > 0 ? f.energy : null }
      : null;
    const clickhouse = chFigures.get(key) ?? null;
    const postgres = pg.get(key) ?? null;
    const differs: StoreName[] = [];
    if (!same(series, clickhouse)) differs.push('clickhouse');
    // no daily row for a day without readings is what `smt aggregate` has not been asked for yet
    if (postgres === null ? (series?.readings ?? 0) > 0 : !same(series, postgres)) differs.push('postgres');
    if (differs.length > 0) differences.push({ ...k, series, clickhouse, postgres, differs });
  }
  return differences;
}

export async function reconcile(ports: ReconcilePorts, o: ReconcileOptions): Promise<ReconcileResult> {
  const progress = o.onProgress ?? noProgress;
  const channels = [...(o.channels ?? DEFAULT_CHANNELS)];
  const range = { from: o.from, to: o.to };
  const meters = await ports.store.meters(o.scope ?? {});
  const byId = new Map(meters.map((m) => [m.meterId, m]));
  const timezoneOf = (id: string) => byId.get(id)?.timezone;
  const chunks = meterDayChunks(meters, range, channels, o.chunkMeterDays ?? 10_000);
  const total = chunks.reduce((n, c) => n + c.keys.length, 0);
  progress({ kind: 'stage', label: 'reconcile', total, unit: 'meter-days' });
  const differences: MeterDayDifference[] = [];
  let done = 0;
  await forEachBounded(chunks, 2, async (c) => {
    differences.push(...(await checkChunk(ports, c, channels, range, timezoneOf)));
    done += c.keys.length;
    progress({ kind: 'advance', done, counts: { differences: differences.length } });
  });
  differences.sort((a, b) =>
    dayKey(a.meterId, a.channel, a.day) < dayKey(b.meterId, b.channel, b.day) ? -1 : 1,
  );
  const byStore = {
    clickhouse: differences.filter((d) => d.differs.includes('clickhouse')).length,
    postgres: differences.filter((d) => d.differs.includes('postgres')).length,
  };

  const { client, database } = ports.clickhouse;
  const rollupScope = { days: daysOf(range), channels };
  const rollupDifferences = await dimsRollupDifferences(client, database, rollupScope);

  let repaired: ReconcileResult['repaired'] = null;
  if (o.repair && (differences.length > 0 || rollupDifferences.length > 0)) {
    progress({ kind: 'stage', label: 'repair', total: differences.length, unit: 'meter-days' });
    // the rollups over every meter of the days whose readings are re-inserted or whose groups differ
    const days = new Set([
      ...differences.filter((d) => d.differs.includes('clickhouse')).map((d) => d.day),
      ...rollupDifferences.filter((d) => d.period === 'day').map((d) => d.at),
      ...(await daysOfHours(
        client,
        database,
        rollupDifferences.filter((d) => d.period === 'hour').map((d) => d.at),
      )),
    ]);
    repaired = await repair(ports, byId, differences, { days: [...days].sort(), channels }, o.hooks);
    // a second look at exactly the repaired meter-days, and at the rollups
    let remaining = (await dimsRollupDifferences(client, database, rollupScope)).length;
    for (const c of chunksOf(differences))
      remaining += (await checkChunk(ports, c, channels, range, timezoneOf)).length;
    repaired.remaining = remaining;
    progress({ kind: 'advance', done: differences.length });
  }
  progress({ kind: 'done' });
  return {
    ...range,
    channels,
    meters: chunks.reduce((n, c) => n + c.meterIds.length, 0),
    meterDays: total,
    authority: { series: 'source of truth', clickhouse: 'provisional', postgres: 'authoritative' },
    differences,
    byStore,
    rollupDifferences,
    repaired,
  };
}

function daysOf(range: { from: string; to: string }): string[] {
  const out: string[] = [];
  for (let d = parseLocalDate(range.from); d <= parseLocalDate(range.to); d++) out.push(formatLocalDate(d));
  return out;
}

function chunksOf(diffs: readonly MeterDayDifference[]): { meterIds: string[]; keys: SeriesDayKey[] }[] {
  const out: { meterIds: string[]; keys: SeriesDayKey[] }[] = [];
  for (let i = 0; i < diffs.length; i += 2_000) {
    const part = diffs.slice(i, i + 2_000);
    out.push({
      meterIds: [...new Set(part.map((d) => d.meterId))],
      keys: part.map((d) => ({ meterId: d.meterId, channel: d.channel, day: d.day })),
    });
  }
  return out;
}

/**
 * ClickHouse first, in two steps. (1) The rows of the differing meter-days (readings, cancels,
 * per-meter rollups) and the region × segment × tariff rollup rows of the days are deleted, and
 * the mutations waited for: seconds, while ingest goes on. (2) With ingest held off (no insert into
 * `readings` in flight, none starting; postgres/ingest-fence.ts), the series of those meter-days
 * is read again, the readings ClickHouse lacks inserted, and every rollup row of the scope made
 * equal to the sums of `readings` by one INSERT … SELECT per rollup of the difference: whatever
 * ingest inserted between the two steps, or while a mutation's snapshot was taken, is in both
 * sides of that difference, so it is counted once. Ingest waits only for step 2. Then the
 * PostgreSQL daily rows.
 */
async function repair(
  ports: ReconcilePorts,
  meters: ReadonlyMap<string, AggregateMeter>,
  items: readonly MeterDayDifference[],
  rollups: { days: string[]; channels: string[] },
  hooks?: RepairHooks,
): Promise<NonNullable<ReconcileResult['repaired']>> {
  const ch = items
    .filter((diff) => diff.differs.includes('clickhouse'))
    .map((diff) => ({
      meterId: diff.meterId,
      channel: diff.channel,
      day: diff.day,
      timezone: meters.get(diff.meterId)!.timezone,
    }));
  if (ch.length > 0 || rollups.days.length > 0) {
    const { client, database } = ports.clickhouse;
    // the rollups' first: their hours are read from the readings the other deletes remove
    await deleteDimsRollups(client, database, rollups);
    await deleteMeterDays(client, database, ch);
    await waitForMutations(client, database);
    await hooks?.afterStep?.('deleted');
    const fence = await fenceIngest(ports.pool);
    try {
      await waitForReadingInserts(client, database);
      await hooks?.afterStep?.('fenced');
      const store = new ClickHouseReadingStore(client, database);
      // `missing` asks one query per call: chunks keep it below max_query_size
      for (let i = 0; i < ch.length; i += 1_000) {
        // read again: what the check read is older than what ingest may have written since
        const days = await ports.series.current(ch.slice(i, i + 1_000));
        const changes = [...days.values()].map((day) => ({
          day,
          positions: [...day.values.keys()].filter((p) => !Number.isNaN(day.values[p]!)),
          meter: { ...meters.get(day.meterId)!, intervalMinutes: day.intervalMinutes },
        }));
        await store.insert(await store.missing(changes), Date.now());
      }
      await correctMeterRollups(client, database, ch);
      await correctDimsRollups(client, database, rollups);
    } finally {
      await fence.release();
    }
  }
  const pgKeys = items
    .filter((diff) => diff.differs.includes('postgres'))
    .map((diff) => ({ meterId: diff.meterId, channel: diff.channel, day: diff.day }));
  if (pgKeys.length > 0) await aggregateDays(ports, pgKeys);
  return { clickhouse: ch.length, postgres: pgKeys.length, rollupDays: rollups.days.length, remaining: 0 };
}
