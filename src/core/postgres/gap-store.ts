/**
 * smt.gaps and smt.meter_day_completeness: what `smt gaps detect` found per meter-day, kept
 * current by every writer of the series (a late actual or an estimate closes the gap it fills).
 */
import type pg from 'pg';
import { forEachBounded } from '../concurrency.js';
import type { DayGaps } from '../gaps/detect.js';
import type { MeterFacts, Span } from '../gaps/expected.js';
import type { Segment } from '../registry/meter.js';
import type { GapState } from '../series/ports.js';
import { copyRows } from './copy.js';
import { postgresCall } from './errors.js';
import { inTransaction } from './transaction.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** meter-days per transaction of `replaceDays`, and transactions in flight */
const REPLACE_CHUNK = 2_500;
const REPLACE_CONCURRENCY = 4;
const UNIQUE_VIOLATION = '23505';

/** Whether any of these meter-days was recorded before (completeness or gap rows). */
const CHUNK_STORED = `SELECT EXISTS (
    SELECT 1 FROM smt.meter_day_completeness c JOIN unnest($1::text[], $2::text[], $3::date[]) AS k(m, ch, d)
      ON c.meter_id = k.m AND c.channel = k.ch AND c.local_date = k.d
  ) OR EXISTS (
    SELECT 1 FROM smt.gaps g JOIN unnest($1::text[], $2::text[], $3::date[]) AS k(m, ch, d)
      ON g.meter_id = k.m AND g.channel = k.ch AND g.local_date = k.d
  ) AS stored`;

const compareKeys = (a: DayGaps, b: DayGaps): number =>
  a.meterId < b.meterId
    ? -1
    : a.meterId > b.meterId
      ? 1
      : a.channel < b.channel
        ? -1
        : a.channel > b.channel
          ? 1
          : a.localDate < b.localDate
            ? -1
            : a.localDate > b.localDate
              ? 1
              : 0;

/** Pieces of [start, end) that the missing runs still cover. */
export function stillMissing(
  start: number,
  end: number,
  missing: readonly [number, number][],
): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of missing) {
    const s = Math.max(a, start);
    const e = Math.min(b, end);
    if (e > s) out.push([s, e]);
  }
  return out;
}

/**
 * Shrinks or closes the open gap records of the days a write touched, and refreshes their
 * completeness counts. Runs inside the writer's bookkeeping transaction; days without open gaps
 * cost one indexed lookup in a single statement.
 */
export async function applyGapStates(client: Queryable, states: readonly GapState[]): Promise<void> {
  if (states.length === 0) return;
  const keys = [states.map((s) => s.meterId), states.map((s) => s.channel), states.map((s) => s.localDate)];
  const open = await client.query<{
    meter_id: string;
    channel: string;
    local_date: string;
    gap_start: Date;
    gap_end: Date;
    cause: string | null;
  }>(
    `SELECT g.meter_id, g.channel, to_char(g.local_date, 'YYYY-MM-DD') AS local_date, g.gap_start, g.gap_end, g.cause
       FROM smt.gaps g JOIN unnest($1::text[], $2::text[], $3::date[]) AS k(meter_id, channel, local_date)
         ON g.meter_id = k.meter_id AND g.channel = k.channel AND g.local_date = k.local_date
      WHERE g.status = 'open'
      FOR UPDATE OF g`,
    keys,
  );
  if (open.rows.length > 0) {
    const byDay = new Map(states.map((s) => [`${s.meterId}|${s.channel}|${s.localDate}`, s]));
    const closed: { m: string; c: string; start: Date; status: string }[] = [];
    const pieces: {
      m: string;
      c: string;
      d: string;
      start: number;
      end: number;
      n: number;
      cause: string | null;
    }[] = [];
    for (const g of open.rows) {
      const s = byDay.get(`${g.meter_id}|${g.channel}|${g.local_date}`)!;
      const start = g.gap_start.getTime();
      const end = g.gap_end.getTime();
      const left = stillMissing(start, end, s.missing);
      if (left.length === 1 && left[0]![0] === start && left[0]![1] === end) continue;
      closed.push({ m: g.meter_id, c: g.channel, start: g.gap_start, status: s.resolvedAs });
      const step = s.intervalMinutes * 60_000;
      for (const [a, b] of left)
        pieces.push({
          m: g.meter_id,
          c: g.channel,
          d: g.local_date,
          start: a,
          end: b,
          n: Math.round((b - a) / step),
          cause: g.cause,
        });
    }
    if (closed.length > 0)
      await client.query(
        `UPDATE smt.gaps g SET status = t.status, resolved_at = now()
           FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS t(meter_id, channel, gap_start, status)
          WHERE g.meter_id = t.meter_id AND g.channel = t.channel AND g.gap_start = t.gap_start`,
        [
          closed.map((x) => x.m),
          closed.map((x) => x.c),
          closed.map((x) => x.start),
          closed.map((x) => x.status),
        ],
      );
    if (pieces.length > 0) await upsertOpenGaps(client, pieces);
  }
  await client.query(
    `UPDATE smt.meter_day_completeness c
        SET actual = LEAST(t.actual, c.expected), estimated = LEAST(t.estimated, GREATEST(c.expected - t.actual, 0)),
            missing = GREATEST(c.expected - t.actual - t.estimated, 0), detected_at = now()
       FROM unnest($1::text[], $2::text[], $3::date[], $4::int[], $5::int[]) AS t(meter_id, channel, local_date, actual, estimated)
      WHERE c.meter_id = t.meter_id AND c.channel = t.channel AND c.local_date = t.local_date`,
    [...keys, states.map((s) => s.actual), states.map((s) => s.estimated)],
  );
}

async function upsertOpenGaps(
  client: Queryable,
  rows: readonly {
    m: string;
    c: string;
    d: string;
    start: number;
    end: number;
    n: number;
    cause: string | null;
  }[],
): Promise<void> {
  await client.query(
    `INSERT INTO smt.gaps AS g (meter_id, channel, local_date, gap_start, gap_end, intervals, cause, status)
     SELECT m, c, d, to_timestamp(s / 1000.0), to_timestamp(e / 1000.0), n, cause, 'open'
       FROM unnest($1::text[], $2::text[], $3::date[], $4::float8[], $5::float8[], $6::int[], $7::text[]) AS t(m, c, d, s, e, n, cause)
     ON CONFLICT (meter_id, channel, gap_start) DO UPDATE SET
       local_date = EXCLUDED.local_date, gap_end = EXCLUDED.gap_end, intervals = EXCLUDED.intervals,
       cause = EXCLUDED.cause, status = 'open', resolved_at = NULL`,
    [
      rows.map((r) => r.m),
      rows.map((r) => r.c),
      rows.map((r) => r.d),
      rows.map((r) => r.start),
      rows.map((r) => r.end),
      rows.map((r) => r.n),
      rows.map((r) => r.cause),
    ],
  );
}

export interface GapRecord {
  meterId: string;
  channel: string;
  localDate: string;
  start: string;
  end: string;
  intervals: number;
  status: 'open' | 'estimated' | 'filled' | 'ignored';
  cause: string | null;
}

export interface CompletenessRow {
  key: string;
  expected: number;
  actual: number;
  estimated: number;
  missing: number;
  /** (actual + estimated) / expected, percent, 3 decimals; 100 when nothing is expected */
  completePct: number;
  actualPct: number;
}

export type SummaryBy = 'meter' | 'day' | 'region' | 'segment' | 'total';

export interface StoppedMeter {
  meterId: string;
  regionId: string;
  segment: Segment;
  /** last local day with an actual reading, null when none was ever detected */
  lastActualDay: string | null;
  daysWithout: number;
}

export class PostgresGapStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Registry facts of the meters (all when `meterIds` is null), de-energised periods included. */
  async meterFacts(meterIds: readonly string[] | null, prefix?: string): Promise<MeterFacts[]> {
    const r = await postgresCall('reading meters for gap detection', () =>
      this.pool.query<{
        meter_id: string;
        timezone: string;
        interval_minutes: number;
        region_id: string;
        segment: Segment;
        status: MeterFacts['status'];
        installed_at: Date;
        removed_at: Date | null;
        tariff_id: string;
        periods: { s: string; e: string | null }[] | null;
      }>(
        `SELECT m.meter_id, m.tariff_id, m.timezone, m.interval_minutes, m.region_id, m.segment, m.status, m.installed_at, m.removed_at,
                (SELECT json_agg(json_build_object('s', p.period_start, 'e', p.period_end))
                   FROM smt.deenergised_periods p WHERE p.meter_id = m.meter_id) AS periods
           FROM smt.meters m
          WHERE ($1::text[] IS NULL OR m.meter_id = ANY($1)) AND ($2::text IS NULL OR m.meter_id LIKE $2 || '%')
          ORDER BY m.meter_id`,
        [meterIds, prefix ?? null],
      ),
    );
    return r.rows.map((x) => ({
      meterId: x.meter_id,
      timezone: x.timezone,
      intervalMinutes: x.interval_minutes,
      regionId: x.region_id,
      segment: x.segment,
      status: x.status,
      tariffId: x.tariff_id,
      installedAt: x.installed_at.getTime(),
      removedAt: x.removed_at?.getTime() ?? null,
      deenergised: (x.periods ?? []).map(
        (p): Span => ({ start: Date.parse(p.s), end: p.e === null ? null : Date.parse(p.e) }),
      ),
    }));
  }

  /** Readings ingest rejected per meter-day (a likely cause of a gap). */
  async rejectedCounts(
    meterIds: readonly string[],
    channel: string,
    from: string,
    to: string,
  ): Promise<Map<string, number>> {
    const r = await postgresCall('reading ingest counts', () =>
      this.pool.query<{ meter_id: string; d: string; n: number }>(
        `SELECT meter_id, to_char(local_date, 'YYYY-MM-DD') AS d, readings_rejected AS n FROM smt.ingest_meter_days
          WHERE meter_id = ANY($1) AND channel = $2 AND local_date BETWEEN $3 AND $4 AND readings_rejected > 0`,
        [meterIds, channel, from, to],
      ),
    );
    return new Map(r.rows.map((x) => [`${x.meter_id}|${x.d}`, x.n]));
  }

  /**
   * The detected state of these meter-days replaces what was recorded: open gaps that are no
   * longer missing are resolved (estimated when the day holds estimates, else filled), the current
   * gaps are open, and the completeness counts are stored. Idempotent. Large inputs are written
   * in chunks of whole meter-days, a few transactions at once (PostgreSQL-bound: one connection
   * left most of the time in the server's per-row upsert), each chunk in key order so concurrent
   * chunks and writers lock rows in the same order.
   */
  async replaceDays(days: readonly DayGaps[]): Promise<void> {
    if (days.length === 0) return;
    const sorted = [...days].sort((a, b) => compareKeys(a, b));
    const chunks: DayGaps[][] = [];
    for (let i = 0; i < sorted.length; i += REPLACE_CHUNK) chunks.push(sorted.slice(i, i + REPLACE_CHUNK));
    await forEachBounded(chunks, REPLACE_CONCURRENCY, (c) => this.replaceChunk(c));
  }

  private async replaceChunk(days: readonly DayGaps[]): Promise<void> {
    const gaps = days.flatMap((d) =>
      d.gaps.map((g) => ({
        m: d.meterId,
        c: d.channel,
        d: d.localDate,
        start: g.start,
        end: g.end,
        n: g.intervals,
        cause: d.cause,
      })),
    );
    const keys = [days.map((d) => d.meterId), days.map((d) => d.channel), days.map((d) => d.localDate)];
    await postgresCall('recording gaps', async () => {
      const client = await this.pool.connect();
      try {
        // Days never recorded (a daily run's new day, a first detection) are copied straight in:
        // no old gap to resolve, no row to compare, a fraction of the upsert's per-row work.
        const fresh = !(await client.query<{ stored: boolean }>(CHUNK_STORED, keys)).rows[0]!.stored;
        if (fresh) {
          const copied = await inTransaction(client, async () => {
            if (gaps.length > 0)
              await copyRows(
                client,
                'smt.gaps',
                ['meter_id', 'channel', 'local_date', 'gap_start', 'gap_end', 'intervals', 'cause', 'status'],
                gaps.map((g) => [
                  g.m,
                  g.c,
                  g.d,
                  new Date(g.start).toISOString(),
                  new Date(g.end).toISOString(),
                  g.n,
                  g.cause,
                  'open',
                ]),
              );
            await copyRows(
              client,
              'smt.meter_day_completeness',
              ['meter_id', 'channel', 'local_date', 'expected', 'actual', 'estimated', 'missing'],
              days.map((d) => [
                d.meterId,
                d.channel,
                d.localDate,
                d.expected,
                d.actual,
                d.estimated,
                d.missing,
              ]),
            );
            return true;
          }).catch((err: { code?: string }) => {
            // another run recorded some of these days in the meantime: replace them instead
            if (err?.code === UNIQUE_VIOLATION) return false;
            throw err;
          });
          if (copied) return;
        }
        await inTransaction(client, async () => {
          await client.query(
            `UPDATE smt.gaps g SET status = CASE WHEN k.estimated > 0 THEN 'estimated' ELSE 'filled' END, resolved_at = now()
               FROM unnest($1::text[], $2::text[], $3::date[], $4::int[]) AS k(meter_id, channel, local_date, estimated)
              WHERE g.meter_id = k.meter_id AND g.channel = k.channel AND g.local_date = k.local_date AND g.status = 'open'
                AND NOT (g.gap_start = ANY(
                  SELECT to_timestamp(s / 1000.0) FROM unnest($5::text[], $6::text[], $7::date[], $8::float8[]) AS n(m, c, d, s)
                   WHERE n.m = k.meter_id AND n.c = k.channel AND n.d = k.local_date))`,
            [
              ...keys,
              days.map((d) => d.estimated),
              gaps.map((g) => g.m),
              gaps.map((g) => g.c),
              gaps.map((g) => g.d),
              gaps.map((g) => g.start),
            ],
          );
          if (gaps.length > 0) await upsertOpenGaps(client, gaps);
          await client.query(
            `INSERT INTO smt.meter_day_completeness AS c (meter_id, channel, local_date, expected, actual, estimated, missing)
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::int[], $5::int[], $6::int[], $7::int[])
             ON CONFLICT (meter_id, channel, local_date) DO UPDATE SET expected = EXCLUDED.expected, actual = EXCLUDED.actual,
               estimated = EXCLUDED.estimated, missing = EXCLUDED.missing, detected_at = now()
             -- a rerun finds most days as they were: an unchanged row is not rewritten (detected_at
             -- is when its counts were last set)
             WHERE (c.expected, c.actual, c.estimated, c.missing)
               IS DISTINCT FROM (EXCLUDED.expected, EXCLUDED.actual, EXCLUDED.estimated, EXCLUDED.missing)`,
            [
              ...keys,
              days.map((d) => d.expected),
              days.map((d) => d.actual),
              days.map((d) => d.estimated),
              days.map((d) => d.missing),
            ],
          );
        });
      } finally {
        client.release();
      }
    });
  }

  async list(q: {
    from: string;
    to: string;
    meterIds?: readonly string[] | null;
    status?: string | null;
    limit: number;
  }): Promise<GapRecord[]> {
    const r = await postgresCall('listing gaps', () =>
      this.pool.query<{
        meter_id: string;
        channel: string;
        d: string;
        gap_start: Date;
        gap_end: Date;
        intervals: number;
        status: GapRecord['status'];
        cause: string | null;
      }>(
        `SELECT meter_id, channel, to_char(local_date, 'YYYY-MM-DD') AS d, gap_start, gap_end, intervals, status, cause
           FROM smt.gaps
          WHERE local_date BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR meter_id = ANY($3)) AND ($4::text IS NULL OR status = $4)
          ORDER BY meter_id, channel, gap_start LIMIT $5`,
        [q.from, q.to, q.meterIds ?? null, q.status ?? null, q.limit],
      ),
    );
    return r.rows.map((x) => ({
      meterId: x.meter_id,
      channel: x.channel,
      localDate: x.d,
      start: x.gap_start.toISOString(),
      end: x.gap_end.toISOString(),
      intervals: x.intervals,
      status: x.status,
      cause: x.cause,
    }));
  }

  async summary(q: {
    from: string;
    to: string;
    by: SummaryBy;
    meterIds?: readonly string[] | null;
    prefix?: string | null;
  }): Promise<CompletenessRow[]> {
    const key = {
      meter: 'c.meter_id',
      day: `to_char(c.local_date, 'YYYY-MM-DD')`,
      region: 'm.region_id',
      segment: 'm.segment',
      total: `'total'`,
    }[q.by];
    const r = await postgresCall('summarising completeness', () =>
      this.pool.query<{ key: string; expected: string; actual: string; estimated: string; missing: string }>(
        `SELECT ${key} AS key, sum(c.expected) AS expected, sum(c.actual) AS actual, sum(c.estimated) AS estimated, sum(c.missing) AS missing
           FROM smt.meter_day_completeness c JOIN smt.meters m USING (meter_id)
          WHERE c.local_date BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR c.meter_id = ANY($3)) AND ($4::text IS NULL OR c.meter_id LIKE $4 || '%')
          GROUP BY 1 ORDER BY 1`,
        [q.from, q.to, q.meterIds ?? null, q.prefix ?? null],
      ),
    );
    return r.rows.map((x) =>
      completenessRow(x.key, Number(x.expected), Number(x.actual), Number(x.estimated), Number(x.missing)),
    );
  }

  /** Active meters with no actual reading in the `days` days up to `to`. */
  async stopped(q: {
    to: string;
    days: number;
    meterIds?: readonly string[] | null;
    prefix?: string | null;
  }): Promise<StoppedMeter[]> {
    const r = await postgresCall('finding meters that stopped reporting', () =>
      this.pool.query<{
        meter_id: string;
        region_id: string;
        segment: Segment;
        last: string | null;
        without: number | null;
      }>(
        `SELECT m.meter_id, m.region_id, m.segment, to_char(l.last, 'YYYY-MM-DD') AS last, ($1::date - l.last) AS without
           FROM smt.meters m
           LEFT JOIN LATERAL (SELECT max(local_date) AS last FROM smt.meter_day_completeness c
                               WHERE c.meter_id = m.meter_id AND c.actual > 0 AND c.local_date <= $1) l ON true
          WHERE m.status = 'active' AND m.installed_at <= ($1::date - $2::int)::timestamptz
            AND ($3::text[] IS NULL OR m.meter_id = ANY($3)) AND ($4::text IS NULL OR m.meter_id LIKE $4 || '%')
            AND (l.last IS NULL OR l.last <= $1::date - $2::int)
          ORDER BY l.last NULLS FIRST, m.meter_id`,
        [q.to, q.days, q.meterIds ?? null, q.prefix ?? null],
      ),
    );
    return r.rows.map((x) => ({
      meterId: x.meter_id,
      regionId: x.region_id,
      segment: x.segment,
      lastActualDay: x.last,
      daysWithout: x.without ?? q.days,
    }));
  }
}

export function completenessRow(
  key: string,
  expected: number,
  actual: number,
  estimated: number,
  missing: number,
): CompletenessRow {
  const pct = (n: number) => (expected === 0 ? 100 : Math.round((100_000 * n) / expected) / 1000);
  return {
    key,
    expected,
    actual,
    estimated,
    missing,
    completePct: pct(actual + estimated),
    actualPct: pct(actual),
  };
}
