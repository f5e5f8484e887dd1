import type pg from 'pg';
import { type AggregateStatus, type DailyAggregate, DayFold, type HourlyFacts } from '../aggregate/daily.js';
import type { IntervalMinutes } from '../readings/block.js';
import { dayKey, type SeriesDayKey } from '../series/day.js';
import { MS_PER_MINUTE, parseLocalDate } from '../time/local-date.js';
import { BinaryCopyWriter, copyBinary } from './copy-binary.js';
import { postgresCall } from './errors.js';
import { inTransaction } from './transaction.js';

/** A meter in the scope of an aggregation: what its calendar and rollups need. */
export interface AggregateMeter {
  meterId: string;
  timezone: string;
  intervalMinutes: IntervalMinutes;
  regionId: string;
  segment: string;
  tariffId: string;
  installedAt: number;
  removedAt: number | null;
}

export interface MeterScope {
  meterIds?: readonly string[];
  region?: string;
}

/** A daily row as billing reads it. */
export interface StoredDaily {
  meterId: string;
  localDate: string;
  intervalMinutes: number;
  actual: number;
  estimated: number;
  estimatedMicro: number | null;
  hourly: HourlyFacts | null;
  status: AggregateStatus;
  seriesVersion: number;
  /** the row's own revision */
  version: number;
}

/** Rows an upsert inserted and rows whose values changed; rows with equal values are not touched. */
export interface UpsertCounts {
  inserted: number;
  updated: number;
}

export type RollupPeriod = 'week' | 'month';

const DAILY_COLUMNS = [
  'meter_id',
  'channel',
  'local_date',
  'interval_minutes',
  'value_sum',
  'value_min',
  'value_max',
  'peak_demand_kw',
  'peak_interval_start',
  'intervals_expected',
  'intervals_actual',
  'intervals_estimated',
  'intervals_missing',
  'intervals_failed',
  'estimated_share',
  'status',
  'series_version',
  'estimated_value_micro',
  'hourly_value_micro',
  'hourly_peak_micro',
  'hourly_peak_minute',
] as const;

/** every column but the key: what decides whether a row changed */
const DAILY_VALUES = DAILY_COLUMNS.slice(3);

/** what is copied: the row and the hash of its values' COPY bytes (migration 30) */
const COPY_COLUMNS = [...DAILY_COLUMNS, 'row_hash'] as const;

const STAGE = `CREATE TEMP TABLE IF NOT EXISTS daily_aggregates_stage (
  meter_id text, channel text, local_date date, interval_minutes smallint, value_sum numeric(18, 6),
  value_min double precision, value_max double precision, peak_demand_kw double precision,
  peak_interval_start timestamptz, intervals_expected smallint, intervals_actual smallint,
  intervals_estimated smallint, intervals_missing smallint, intervals_failed smallint,
  estimated_share double precision, status text, series_version bigint, estimated_value_micro bigint,
  hourly_value_micro bigint[], hourly_peak_micro bigint[], hourly_peak_minute smallint[], row_hash bigint
) ON COMMIT DELETE ROWS`;

// A day inside a billed period is `billed`, whatever the series says now: the billing close owns it.
const STATUS = `CASE WHEN EXISTS (SELECT 1 FROM smt.billing_periods b WHERE b.meter_id = s.meter_id AND b.status = 'billed'
  AND s.local_date >= b.period_start AND s.local_date < b.period_end) THEN 'billed' ELSE s.status END`;

/** $1 meter ids, $2 channels, $3/$4 first and last local date: the daily rows a chunk may hold. */
const IN_CHUNK = (t: string) =>
  `${t}.meter_id = ANY($1) AND ${t}.channel = ANY($2) AND ${t}.local_date >= $3::date AND ${t}.local_date <= $4::date`;
const SAME_KEY = 'd.meter_id = s.meter_id AND d.channel = s.channel AND d.local_date = s.local_date';
const DIFFERENT = (a: string, b: string) =>
  `(${DAILY_VALUES.map((c) => `${a}.${c}`).join(', ')}) IS DISTINCT FROM (${DAILY_VALUES.map((c) => `${b}.${c}`).join(', ')})`;

/**
 * The chunk's stored rows by key (`meter|channel|epoch day`): the hash of the values each was
 * written with (null: written or changed otherwise) and its status. A row whose hash and status
 * are those of the row computed now is not sent at all.
 */
const STORED = `SELECT d.meter_id || '|' || d.channel || '|' || (d.local_date - DATE '1970-01-01') AS k,
  d.row_hash::text AS h, d.status FROM smt.daily_aggregates d WHERE ${IN_CHUNK('d')}`;

/**
 * $1 meter ids, $2/$3 first and last local date. Nothing of the chunk is stored yet and no billed period touches it: the rows can be copied
 * straight into the table (half the work of staging them first).
 */
const CHUNK_BILLED = `SELECT EXISTS (SELECT 1 FROM smt.billing_periods b WHERE b.meter_id = ANY($1) AND b.status = 'billed'
    AND b.period_start <= $3::date AND b.period_end > $2::date) AS billed`;

/**
 * Stored rows are compared with the staged ones by a join and only those that differ are
 * updated; an ON CONFLICT over every row would lock (and so write) each row it compares. Rows new
 * to the table are inserted; ON CONFLICT only catches a concurrent run that inserted them first.
 */
const UPSERT_DAILY = `WITH s AS MATERIALIZED (
  SELECT ${COPY_COLUMNS.map((c) => (c === 'status' ? `${STATUS} AS status` : `s.${c}`)).join(', ')}
  FROM daily_aggregates_stage s
), upd AS (
  UPDATE smt.daily_aggregates d SET ${DAILY_VALUES.map((c) => `${c} = s.${c}`).join(', ')},
    row_hash = s.row_hash, version = d.version + 1, computed_at = now()
  FROM s WHERE ${IN_CHUNK('d')} AND ${SAME_KEY} AND ${DIFFERENT('d', 's')}
  RETURNING 1
), rehash AS (
  -- same values, but no hash (or another one) stored: store this one, the row is not changed
  UPDATE smt.daily_aggregates d SET row_hash = s.row_hash
  FROM s WHERE ${IN_CHUNK('d')} AND ${SAME_KEY} AND NOT ${DIFFERENT('d', 's')} AND d.row_hash IS DISTINCT FROM s.row_hash
), ins AS (
  INSERT INTO smt.daily_aggregates AS d (${COPY_COLUMNS.join(', ')})
  SELECT ${COPY_COLUMNS.join(', ')} FROM s
   WHERE NOT EXISTS (SELECT 1 FROM smt.daily_aggregates d WHERE ${IN_CHUNK('d')} AND ${SAME_KEY})
  ON CONFLICT (meter_id, channel, local_date) DO UPDATE SET
    ${DAILY_VALUES.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, row_hash = EXCLUDED.row_hash,
    version = d.version + 1, computed_at = now()
  WHERE ${DIFFERENT('d', 'EXCLUDED')}
  RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM ins WHERE inserted)::int AS inserted,
       ((SELECT count(*) FROM ins WHERE NOT inserted) + (SELECT count(*) FROM upd))::int AS updated`;

const UNIQUE_VIOLATION = '23505';

/** A stored row as `STORED` reads it. */
export interface StoredRow {
  h: string | null;
  status: string;
}

/**
 * One daily row as a `DailyRowBatch` hands it to the COPY: the day's fold and what else its row
 * needs, the same fields `dailyAggregate` computes from `DayFacts` (and encoded to the same bytes).
 */
export interface FoldedRow {
  /** intervals expected from the meter's local calendar */
  expected: number;
  /** of the readings when `read`, else the meter's */
  intervalMinutes: number;
  /** readings of the day were read: `fold`, `dayStart` and `seriesVersion` hold them */
  read: boolean;
  fold: DayFold;
  dayStart: number;
  seriesVersion: number;
}

/**
 * The daily rows of a chunk made on demand, in `keys` order: `fill(i, out)` puts row i into
 * `out` just before it is encoded, so no object per meter-day is built.
 */
export interface DailyRowBatch {
  keys: readonly SeriesDayKey[];
  fill(i: number, out: FoldedRow): void;
}

/** What the encoder reads of a chunk's rows, either kind. */
interface RowSource {
  count: number;
  meterId(i: number): string;
  channel(i: number): string;
  localDate(i: number): string;
  /** the value columns of row i (from `interval_minutes` on); returns the row's status */
  values(i: number, w: BinaryCopyWriter): AggregateStatus;
}

function aggregateRows(rows: readonly DailyAggregate[]): RowSource {
  return {
    count: rows.length,
    meterId: (i) => rows[i]!.meterId,
    channel: (i) => rows[i]!.channel,
    localDate: (i) => rows[i]!.localDate,
    values(i, w) {
      const a = rows[i]!;
      w.int2(a.intervalMinutes);
      w.numeric6(a.energy);
      w.float8(a.min);
      w.float8(a.max);
      w.float8(a.peakDemand);
      w.timestamptz(a.peakStart);
      w.int2(a.expected);
      w.int2(a.actual);
      w.int2(a.estimated);
      w.int2(a.missing);
      w.int2(a.failed);
      w.float8(a.estimatedShare);
      w.text(a.status);
      w.int8(a.seriesVersion);
      w.int8(a.estimatedMicro);
      w.int8Array(a.hourly?.energyMicro ?? null);
      w.int8Array(a.hourly?.peakMicro ?? null);
      w.int2Array(a.hourly?.peakMinute ?? null);
      return a.status;
    },
  };
}

/** `dailyAggregate` of a fold, written as `aggregateRows` writes the object (test/unit/aggregate-store-rows.test.ts). */
function foldedRows(batch: DailyRowBatch): RowSource {
  const { keys } = batch;
  const r: FoldedRow = {
    expected: 0,
    intervalMinutes: 0,
    read: false,
    fold: new DayFold(0),
    dayStart: 0,
    seriesVersion: 0,
  };
  return {
    count: keys.length,
    meterId: (i) => keys[i]!.meterId,
    channel: (i) => keys[i]!.channel,
    localDate: (i) => keys[i]!.day,
    values(i, w) {
      batch.fill(i, r);
      const f = r.fold;
      const values = r.read ? f.actual + f.estimated : 0;
      const any = values > 0;
      const minutes = r.intervalMinutes;
      const missing = Math.max(0, r.expected - values);
      w.int2(minutes);
      w.numeric6(any ? f.energy : null);
      w.float8(any ? f.min : null);
      w.float8(any ? f.max : null);
      w.float8(any ? (f.max * 60) / minutes : null);
      w.timestamptz(any ? r.dayStart + f.peakAt * minutes * MS_PER_MINUTE : null);
      w.int2(r.expected);
      w.int2(r.read ? f.actual : 0);
      w.int2(r.read ? f.estimated : 0);
      w.int2(missing);
      w.int2(r.read ? f.failed : 0);
      w.float8(any ? f.estimated / values : null);
      const status: AggregateStatus =
        missing === 0 && (r.read ? f.notValidated : 0) === 0 ? 'validated' : 'provisional';
      w.text(status);
      w.int8(r.read ? r.seriesVersion : 0);
      w.int8(any ? f.estimatedMicro : null);
      if (any && f.hours >= 0) {
        w.int8ArrayOf(f.hourEnergy, f.hours);
        w.int8ArrayOf(f.hourPeak, f.hours, f.hourPeakAt);
        w.int2ArrayOf(f.hourPeakAt, f.hours, minutes);
      } else {
        w.null();
        w.null();
        w.null();
      }
      return status;
    },
  };
}

/**
 * The daily rows in binary COPY form, in `COPY_COLUMNS` order, in pieces of ~64 KiB; with
 * `stored`, only the rows whose hash or status differ from the stored row's (or that are not
 * stored). The hash covers the COPY bytes of every value column, so equal hashes mean equal rows.
 */
export function encodeDailyRows(
  rows: RowSource,
  stored: ReadonlyMap<string, StoredRow> | null,
): { pieces: Buffer[]; rows: number } {
  const sent = { rows: 0 };
  const pieces = [...dailyPieces(rows, stored, sent)];
  return { pieces, rows: sent.rows };
}

/** `encodeDailyRows` piece by piece, as the COPY takes them (PostgreSQL reads the first rows while node encodes the next). */
function* dailyPieces(
  rows: RowSource,
  stored: ReadonlyMap<string, StoredRow> | null,
  sent: { rows: number },
): Generator<Buffer> {
  const w = new BinaryCopyWriter();
  // a chunk holds a few dates: parse each once
  const days = new Map<string, number>();
  for (let i = 0; i < rows.count; i++) {
    const localDate = rows.localDate(i);
    let day = days.get(localDate);
    if (day === undefined) {
      day = parseLocalDate(localDate);
      days.set(localDate, day);
    }
    const start = w.length;
    const meterId = rows.meterId(i);
    const channel = rows.channel(i);
    w.row(COPY_COLUMNS.length);
    w.text(meterId);
    w.text(channel);
    w.date(day);
    const values = w.length;
    const status = rows.values(i, w);
    const hash = w.hashSince(values);
    if (stored) {
      const s = stored.get(`${meterId}|${channel}|${day}`);
      if (s && s.status === status && s.h !== null && Number(s.h) === hash) {
        w.truncate(start);
        continue;
      }
    }
    w.int8(hash);
    sent.rows++;
    if (w.length > 1 << 16) yield w.take();
  }
  w.end();
  yield w.take();
}

/** The rows of either kind as the encoder reads them (exported for the encoders' equality test). */
export function dailyRowSource(rows: readonly DailyAggregate[] | DailyRowBatch): RowSource {
  return Array.isArray(rows)
    ? aggregateRows(rows as readonly DailyAggregate[])
    : foldedRows(rows as DailyRowBatch);
}

/**
 * The authoritative aggregates in PostgreSQL. Daily rows arrive by COPY into a per-session staging
 * table and are upserted from there in the same transaction; weekly, monthly and region × segment ×
 * tariff rows are rolled up from the daily ones in SQL. Every upsert rewrites a row only when a
 * value differs (IS DISTINCT FROM), so a recomputation reports, and touches, exactly the rows that
 * changed.
 */
export class PostgresAggregateStore {
  constructor(private readonly pool: pg.Pool) {}

  async meters(scope: MeterScope): Promise<AggregateMeter[]> {
    const r = await postgresCall('reading the meters to aggregate', () =>
      this.pool.query<{
        meter_id: string;
        timezone: string;
        interval_minutes: number;
        region_id: string;
        segment: string;
        tariff_id: string;
        installed_at: Date;
        removed_at: Date | null;
      }>(
        `SELECT meter_id, timezone, interval_minutes, region_id, segment, tariff_id, installed_at, removed_at
           FROM smt.meters
          WHERE ($1::text[] IS NULL OR meter_id = ANY($1)) AND ($2::text IS NULL OR region_id = $2)
            AND status <> 'inactive'
          ORDER BY meter_id`,
        [scope.meterIds ? [...scope.meterIds] : null, scope.region ?? null],
      ),
    );
    return r.rows.map((m) => ({
      meterId: m.meter_id,
      timezone: m.timezone,
      intervalMinutes: m.interval_minutes as IntervalMinutes,
      regionId: m.region_id,
      segment: m.segment,
      tariffId: m.tariff_id,
      installedAt: m.installed_at.getTime(),
      removedAt: m.removed_at?.getTime() ?? null,
    }));
  }

  /** The daily rows of a chunk: objects, or a batch that fills each row from its fold. */
  async upsertDaily(input: readonly DailyAggregate[] | DailyRowBatch): Promise<UpsertCounts> {
    const rows = dailyRowSource(input);
    if (rows.count === 0) return { inserted: 0, updated: 0 };
    const meterIds = new Set<string>();
    const channels = new Set<string>();
    let from = rows.localDate(0);
    let to = from;
    for (let i = 0; i < rows.count; i++) {
      meterIds.add(rows.meterId(i));
      channels.add(rows.channel(i));
      const d = rows.localDate(i);
      if (d < from) from = d;
      if (d > to) to = d;
    }
    const chunk = [[...meterIds], [...channels], from, to];
    return postgresCall('writing daily aggregates', async () => {
      const client = await this.pool.connect();
      try {
        for (;;) {
          const stored = new Map(
            (await client.query<StoredRow & { k: string }>(STORED, chunk)).rows.map((r) => [r.k, r]),
          );
          if (
            stored.size === 0 &&
            !(await client.query<{ billed: boolean }>(CHUNK_BILLED, [chunk[0], from, to])).rows[0]!.billed
          ) {
            const copied = await inTransaction(client, async () => {
              await copyBinary(
                client,
                'smt.daily_aggregates',
                COPY_COLUMNS,
                dailyPieces(rows, null, { rows: 0 }),
              );
              return { inserted: rows.count, updated: 0 };
            }).catch((err: { code?: string }) => {
              // another run stored some of these rows in the meantime: compare them instead
              if (err?.code === UNIQUE_VIOLATION) return null;
              throw err;
            });
            if (copied) return copied;
            continue;
          }
          const changed = encodeDailyRows(rows, stored);
          if (changed.rows === 0) return { inserted: 0, updated: 0 };
          return await inTransaction(client, async () => {
            await client.query(STAGE);
            await copyBinary(client, 'daily_aggregates_stage', COPY_COLUMNS, changed.pieces);
            return (await client.query<UpsertCounts>(UPSERT_DAILY, chunk)).rows[0]!;
          });
        }
      } finally {
        client.release();
      }
    });
  }

  /** The daily rows of these meters and one channel in [from, to] (local dates), by meter, in date order. */
  async dailyRows(q: {
    meterIds: readonly string[];
    channel: string;
    from: string;
    to: string;
  }): Promise<Map<string, StoredDaily[]>> {
    const r = await postgresCall('reading daily aggregates', () =>
      this.pool.query<{
        meter_id: string;
        d: string;
        interval_minutes: number;
        intervals_actual: number;
        intervals_estimated: number;
        estimated_value_micro: string | null;
        hourly_value_micro: string[] | null;
        hourly_peak_micro: (string | null)[] | null;
        hourly_peak_minute: (number | null)[] | null;
        status: AggregateStatus;
        series_version: string;
        version: number;
      }>(
        `SELECT meter_id, to_char(local_date, 'YYYY-MM-DD') AS d, interval_minutes, intervals_actual,
                intervals_estimated, estimated_value_micro, hourly_value_micro, hourly_peak_micro,
                hourly_peak_minute, status, series_version, version
           FROM smt.daily_aggregates
          WHERE meter_id = ANY($1) AND channel = $2 AND local_date >= $3::date AND local_date <= $4::date
          ORDER BY meter_id, local_date`,
        [[...q.meterIds], q.channel, q.from, q.to],
      ),
    );
    const out = new Map<string, StoredDaily[]>();
    for (const x of r.rows) {
      let list = out.get(x.meter_id);
      if (!list) {
        list = [];
        out.set(x.meter_id, list);
      }
      list.push({
        meterId: x.meter_id,
        localDate: x.d,
        intervalMinutes: x.interval_minutes,
        actual: x.intervals_actual,
        estimated: x.intervals_estimated,
        estimatedMicro: x.estimated_value_micro === null ? null : Number(x.estimated_value_micro),
        hourly:
          x.hourly_value_micro && x.hourly_peak_micro && x.hourly_peak_minute
            ? {
                energyMicro: x.hourly_value_micro.map(Number),
                peakMicro: x.hourly_peak_micro.map((v) => (v === null ? null : Number(v))),
                peakMinute: x.hourly_peak_minute,
              }
            : null,
        status: x.status,
        seriesVersion: Number(x.series_version),
        version: x.version,
      });
    }
    return out;
  }

  /** Values and energy of the daily rows of these meters in [from, to], by meter-day key. */
  async dailyFigures(q: {
    meterIds: readonly string[];
    channels: readonly string[];
    from: string;
    to: string;
  }): Promise<Map<string, { readings: number; energy: number | null }>> {
    const r = await postgresCall('reading daily aggregates', () =>
      this.pool.query<{
        meter_id: string;
        channel: string;
        d: string;
        readings: number;
        energy: string | null;
      }>(
        `SELECT meter_id, channel, to_char(local_date, 'YYYY-MM-DD') AS d,
                intervals_actual + intervals_estimated AS readings, value_sum::text AS energy
           FROM smt.daily_aggregates
          WHERE meter_id = ANY($1) AND channel = ANY($2) AND local_date >= $3::date AND local_date <= $4::date`,
        [[...q.meterIds], [...q.channels], q.from, q.to],
      ),
    );
    return new Map(
      r.rows.map((x) => [
        dayKey(x.meter_id, x.channel, x.d),
        { readings: x.readings, energy: x.energy === null ? null : Number(x.energy) },
      ]),
    );
  }

  /**
   * Weekly (local Monday–Sunday) or monthly rows of the meters from their daily rows in
   * [from, to] (whole periods). `onlyExisting`: refresh rows that exist, create none (a
   * recomputation of single days must not create partial periods).
   */
  async rollup(
    period: RollupPeriod,
    range: { from: string; to: string; meterIds?: readonly string[]; onlyExisting?: boolean },
  ): Promise<UpsertCounts> {
    const table = period === 'week' ? 'smt.weekly_aggregates' : 'smt.monthly_aggregates';
    const key = period === 'week' ? 'week_start' : 'month';
    const trunc = `date_trunc('${period}', local_date)::date`;
    const daysExpected = period === 'week' ? '7' : `((${trunc} + interval '1 month')::date - ${trunc})`;
    // Month rows keep their older columns filled too (peak_interval_value = the largest interval value).
    const cols = [
      'meter_id',
      'channel',
      key,
      'value_sum',
      'peak_demand_kw',
      'peak_interval_start',
      ...(period === 'month' ? ['peak_interval_value'] : []),
      'days_expected',
      'days_aggregated',
      'days_complete',
      'intervals_expected',
      'intervals_actual',
      'intervals_estimated',
      'intervals_missing',
      'estimated_share',
      'status',
      'series_version',
    ];
    const values = cols.slice(3);
    const sql = `WITH src AS (
      SELECT meter_id, channel, ${trunc} AS ${key},
             sum(value_sum) AS value_sum,
             max(peak_demand_kw) AS peak_demand_kw,
             (array_agg(peak_interval_start ORDER BY peak_demand_kw DESC NULLS LAST, peak_interval_start))[1] AS peak_interval_start,
             ${period === 'month' ? 'max(value_max) AS peak_interval_value,' : ''}
             ${daysExpected} AS days_expected,
             count(*) AS days_aggregated,
             count(*) FILTER (WHERE intervals_missing = 0) AS days_complete,
             sum(intervals_expected) AS intervals_expected,
             sum(intervals_actual) AS intervals_actual,
             sum(intervals_estimated) AS intervals_estimated,
             sum(intervals_missing) AS intervals_missing,
             sum(intervals_estimated)::double precision / nullif(sum(intervals_actual + intervals_estimated), 0) AS estimated_share,
             CASE WHEN count(*) < ${daysExpected} THEN 'provisional'
                  WHEN bool_and(status = 'billed') THEN 'billed'
                  WHEN bool_and(status <> 'provisional') THEN 'validated'
                  ELSE 'provisional' END AS status,
             max(series_version) AS series_version
        FROM smt.daily_aggregates
       WHERE local_date >= $1::date AND local_date <= $2::date AND ($3::text[] IS NULL OR meter_id = ANY($3))
       GROUP BY meter_id, channel, ${trunc}
    ), up AS (
      INSERT INTO ${table} AS t (${cols.join(', ')})
      SELECT ${cols.join(', ')} FROM src
      ${range.onlyExisting ? `WHERE EXISTS (SELECT 1 FROM ${table} x WHERE x.meter_id = src.meter_id AND x.channel = src.channel AND x.${key} = src.${key})` : ''}
      ON CONFLICT (meter_id, channel, ${key}) DO UPDATE SET
        ${values.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, version = t.version + 1, computed_at = now()
      WHERE (${values.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${values.map((c) => `EXCLUDED.${c}`).join(', ')})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;
    const r = await postgresCall(`rolling up ${period}ly aggregates`, () =>
      this.pool.query<UpsertCounts>(sql, [range.from, range.to, range.meterIds ? [...range.meterIds] : null]),
    );
    return r.rows[0]!;
  }

  /**
   * Region × segment × tariff rows per day or month, over every meter, from the daily or monthly
   * rows in [from, to] and the registry's current dimensions; groups left without meters are removed.
   */
  async rollupDims(period: 'day' | 'month', range: { from: string; to: string }): Promise<UpsertCounts> {
    const src = period === 'day' ? 'smt.daily_aggregates' : 'smt.monthly_aggregates';
    const table = period === 'day' ? 'smt.dims_daily_aggregates' : 'smt.dims_monthly_aggregates';
    const key = period === 'day' ? 'local_date' : 'month';
    const values = [
      'meters',
      'value_sum',
      'peak_demand_kw',
      'intervals_expected',
      'intervals_actual',
      'intervals_estimated',
      'intervals_missing',
      'estimated_share',
      'meters_validated',
    ];
    const group = `a.${key}, a.channel, m.region_id, m.segment, m.tariff_id`;
    const sql = `WITH src AS (
      SELECT ${group}, count(*)::int AS meters, sum(a.value_sum) AS value_sum, max(a.peak_demand_kw) AS peak_demand_kw,
             sum(a.intervals_expected) AS intervals_expected, sum(a.intervals_actual) AS intervals_actual,
             sum(a.intervals_estimated) AS intervals_estimated, sum(a.intervals_missing) AS intervals_missing,
             sum(a.intervals_estimated)::double precision / nullif(sum(a.intervals_actual + a.intervals_estimated), 0) AS estimated_share,
             (count(*) FILTER (WHERE a.status <> 'provisional'))::int AS meters_validated
        FROM ${src} a JOIN smt.meters m USING (meter_id)
       WHERE a.${key} >= $1::date AND a.${key} <= $2::date
       GROUP BY ${group}
    ), gone AS (
      DELETE FROM ${table} t WHERE t.${key} >= $1::date AND t.${key} <= $2::date
         AND NOT EXISTS (SELECT 1 FROM src WHERE src.${key} = t.${key} AND src.channel = t.channel
           AND src.region_id = t.region_id AND src.segment = t.segment AND src.tariff_id = t.tariff_id)
      RETURNING 1
    ), up AS (
      INSERT INTO ${table} AS t (${key}, channel, region_id, segment, tariff_id, ${values.join(', ')})
      SELECT ${key}, channel, region_id, segment, tariff_id, ${values.join(', ')} FROM src
      ON CONFLICT (${key}, channel, region_id, segment, tariff_id) DO UPDATE SET
        ${values.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, version = t.version + 1, computed_at = now()
      WHERE (${values.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${values.map((c) => `EXCLUDED.${c}`).join(', ')})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
           (count(*) FILTER (WHERE NOT inserted) + (SELECT count(*) FROM gone))::int AS updated FROM up`;
    const r = await postgresCall(`rolling up region × segment × tariff ${period} aggregates`, () =>
      this.pool.query<UpsertCounts>(sql, [range.from, range.to]),
    );
    return r.rows[0]!;
  }
}
