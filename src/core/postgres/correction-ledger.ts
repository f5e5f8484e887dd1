import type pg from 'pg';
import type { ChainedEntry } from '../audit/chain.js';
import type {
  ClosedPeriod,
  CorrectionIntervalRow,
  CorrectionLedger,
  CorrectionRecord,
  CorrectionSet,
  LedgerTransaction,
  StoredAggregate,
} from '../corrections/model.js';
import type { SeriesDayKey } from '../series/day.js';
import type { Bookkeeping, ClosedDay, MeterDayCount } from '../series/ports.js';
import { PostgresAuditLog } from './audit-log.js';
import { PostgresBookkeeping } from './bookkeeping.js';
import { postgresCall } from './errors.js';

const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const SET_COLUMNS = `s.correction_id, s.meter_id, s.channel, ${ISO('s.range_start')} AS range_start, ${ISO('s.range_end')} AS range_end,
  s.operation, s.parameters, s.reason, s.operator, s.series_source, s.intervals, s.undoes, s.closed_periods, s.audit_id,
  ${ISO('s.created_at')} AS created_at,
  (SELECT min(u.correction_id) FROM smt.correction_sets u WHERE u.undoes = s.correction_id) AS undone_by`;

interface SetRow {
  correction_id: string;
  meter_id: string;
  channel: string;
  range_start: string;
  range_end: string;
  operation: CorrectionSet['operation'];
  parameters: Record<string, unknown>;
  reason: string;
  operator: string;
  series_source: string;
  intervals: number;
  undoes: string | null;
  closed_periods: string[];
  audit_id: string;
  created_at: string;
  undone_by: string | null;
}

function setOf(r: SetRow): CorrectionSet {
  return {
    correctionId: Number(r.correction_id),
    meterId: r.meter_id,
    channel: r.channel,
    rangeStart: r.range_start,
    rangeEnd: r.range_end,
    operation: r.operation,
    parameters: r.parameters,
    reason: r.reason,
    operator: r.operator,
    seriesSource: r.series_source,
    intervals: r.intervals,
    undoes: r.undoes === null ? null : Number(r.undoes),
    undoneBy: r.undone_by === null ? null : Number(r.undone_by),
    closedPeriods: r.closed_periods.map(Number),
    auditId: Number(r.audit_id),
    createdAt: r.created_at,
  };
}

interface IntervalRow {
  correction_set: string;
  start_ms: string;
  old_value: number | null;
  new_value: number | null;
  old_quality: number | null;
  new_quality: number;
  old_version: string | null;
  new_version: string | null;
}

const INTERVAL_COLUMNS = `c.correction_set, (extract(epoch FROM c.interval_start) * 1000)::bigint AS start_ms,
  c.old_value, c.new_value, c.old_quality, c.new_quality, c.old_version, c.new_version`;

function intervalOf(r: IntervalRow): CorrectionIntervalRow {
  return {
    correctionId: Number(r.correction_set),
    start: Number(r.start_ms),
    oldValue: r.old_value,
    newValue: r.new_value,
    oldQuality: r.old_quality,
    newQuality: r.new_quality,
    oldVersion: r.old_version === null ? null : Number(r.old_version),
    newVersion: r.new_version === null ? null : Number(r.new_version),
  };
}

/** NaN (missing) is stored as NULL. */
const nullable = (x: number): number | null => (Number.isNaN(x) ? null : x);

/**
 * Corrections in PostgreSQL: `correction_sets` (one per `smt correct`), `corrections` (one row per
 * interval), `correction_alerts`, the recalculation queue and the audit entry, all in the
 * transaction `transaction()` opens around the series write.
 */
export class PostgresCorrectionLedger implements CorrectionLedger {
  private readonly closed: PostgresBookkeeping;

  constructor(private readonly pool: pg.Pool) {
    this.closed = new PostgresBookkeeping(pool);
  }

  async closedPeriods(meterId: string, fromDay: string, toDay: string): Promise<ClosedPeriod[]> {
    const r = await postgresCall('reading billing periods', () =>
      this.pool.query<{ period_id: string; s: string; e: string; status: ClosedPeriod['status'] }>(
        `SELECT period_id, to_char(period_start, 'YYYY-MM-DD') AS s, to_char(period_end, 'YYYY-MM-DD') AS e, status
           FROM smt.billing_periods
          WHERE meter_id = $1 AND period_start <= $3::date AND period_end > $2::date
            AND status IN ('closed', 'billed', 'rebill_required')
          ORDER BY period_start`,
        [meterId, fromDay, toDay],
      ),
    );
    return r.rows.map((x) => ({
      periodId: Number(x.period_id),
      periodStart: x.s,
      periodEnd: x.e,
      status: x.status,
    }));
  }

  async storedAggregates(
    meterId: string,
    channel: string,
    days: readonly string[],
    months: readonly string[],
  ): Promise<{ days: Map<string, StoredAggregate>; months: Map<string, StoredAggregate> }> {
    const [d, m] = await Promise.all([
      postgresCall('reading daily aggregates', () =>
        this.pool.query<{ k: string; kwh: string | null; version: number; at: string }>(
          `SELECT to_char(local_date, 'YYYY-MM-DD') AS k, value_sum AS kwh, version, ${ISO('computed_at')} AS at
             FROM smt.daily_aggregates WHERE meter_id = $1 AND channel = $2 AND local_date = ANY($3::date[])`,
          [meterId, channel, days],
        ),
      ),
      postgresCall('reading monthly aggregates', () =>
        this.pool.query<{ k: string; kwh: string | null; version: number; at: string }>(
          `SELECT to_char(month, 'YYYY-MM') AS k, value_sum AS kwh, version, ${ISO('computed_at')} AS at
             FROM smt.monthly_aggregates WHERE meter_id = $1 AND channel = $2 AND month = ANY($3::date[])`,
          [meterId, channel, months.map((x) => `${x}-01`)],
        ),
      ),
    ]);
    const toMap = (rows: { k: string; kwh: string | null; version: number; at: string }[]) =>
      new Map(
        rows.map((x) => [
          x.k,
          { key: x.k, kwh: x.kwh === null ? null : Number(x.kwh), version: x.version, computedAt: x.at },
        ]),
      );
    return { days: toMap(d.rows), months: toMap(m.rows) };
  }

  async transaction<T>(fn: (tx: LedgerTransaction) => Promise<T>): Promise<T> {
    const client = await postgresCall('connecting', () => this.pool.connect());
    try {
      await postgresCall('starting a transaction', () => client.query('BEGIN'));
      const out = await fn(this.transactionOf(client));
      await postgresCall('committing the correction', () => client.query('COMMIT'));
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private transactionOf(client: pg.PoolClient): LedgerTransaction {
    const closed = this.closed;
    const bookkeeping: Bookkeeping = {
      closedDays: (keys: readonly SeriesDayKey[]): Promise<Map<string, ClosedDay[]>> =>
        closed.closedDays(keys),
      // A correction is not a delivery: no received counts; every touched meter-day is recalculated.
      record: async ({ counts }: { counts: readonly MeterDayCount[] }) => {
        if (counts.length === 0) return;
        await postgresCall('queueing recalculation', () =>
          client.query(
            `INSERT INTO smt.recalc_queue (meter_id, channel, local_date, reason)
             SELECT DISTINCT m, ch, d, 'correction' FROM unnest($1::text[], $2::text[], $3::date[]) AS t(m, ch, d)
             ON CONFLICT (meter_id, channel, local_date) WHERE status = 'pending' DO NOTHING`,
            [counts.map((c) => c.meterId), counts.map((c) => c.channel), counts.map((c) => c.localDate)],
          ),
        );
      },
    };
    return {
      bookkeeping,
      reserveId: async () => {
        const r = await postgresCall('reserving a correction id', () =>
          client.query<{ id: string }>(`SELECT nextval('smt.correction_set_id_seq') AS id`),
        );
        return Number(r.rows[0]!.id);
      },
      save: (record) => this.save(client, record),
    };
  }

  private async save(client: pg.PoolClient, r: CorrectionRecord): Promise<ChainedEntry> {
    const entry = await PostgresAuditLog.append(client, {
      actor: r.operator,
      action: r.operation === 'undo' ? 'correction.undo' : 'correction.apply',
      entity: 'correction',
      entityId: String(r.correctionId),
      before: {
        meterId: r.meterId,
        channel: r.channel,
        intervals: r.intervals.map((i) => [i.start, nullable(i.oldValue), i.oldQuality, i.oldVersion]),
      },
      after: {
        meterId: r.meterId,
        channel: r.channel,
        from: new Date(r.rangeStart).toISOString(),
        to: new Date(r.rangeEnd).toISOString(),
        operation: r.operation,
        parameters: r.parameters,
        undoes: r.undoes,
        seriesSource: r.seriesSource,
        closedPeriods: r.closedPeriods,
        intervals: r.intervals.map((i) => [i.start, nullable(i.newValue), i.newQuality, i.newVersion]),
      },
      reason: r.reason,
    });
    await postgresCall('recording the correction', async () => {
      await client.query(
        `INSERT INTO smt.correction_sets (correction_id, meter_id, channel, range_start, range_end, operation, parameters,
           reason, operator, series_source, intervals, undoes, closed_periods, audit_id)
         VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0), $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          r.correctionId,
          r.meterId,
          r.channel,
          r.rangeStart,
          r.rangeEnd,
          r.operation,
          JSON.stringify(r.parameters),
          r.reason,
          r.operator,
          r.seriesSource,
          r.intervals.length,
          r.undoes,
          r.closedPeriods,
          entry.auditId,
        ],
      );
      const iv = r.intervals;
      if (iv.length > 0) {
        // supersedes: the interval row of the set being undone
        await client.query(
          `INSERT INTO smt.corrections (meter_id, channel, interval_start, old_value, new_value, old_quality, new_quality,
             reason_code, reason_text, operator, supersedes, correction_set, old_version, new_version)
           SELECT $1, $2, to_timestamp(t.s / 1000.0), t.ov, t.nv, t.oq, t.nq, 20, $3, $4,
                  (SELECT p.correction_id FROM smt.corrections p
                    WHERE p.correction_set = $6 AND p.meter_id = $1 AND p.channel = $2 AND p.interval_start = to_timestamp(t.s / 1000.0)),
                  $5, t.ov2, t.nv2
             FROM unnest($7::bigint[], $8::float8[], $9::float8[], $10::int[], $11::int[], $12::bigint[], $13::bigint[])
                  AS t(s, ov, nv, oq, nq, ov2, nv2)`,
          [
            r.meterId,
            r.channel,
            r.reason,
            r.operator,
            r.correctionId,
            r.undoes,
            iv.map((i) => i.start),
            iv.map((i) => nullable(i.oldValue)),
            iv.map((i) => nullable(i.newValue)),
            iv.map((i) => i.oldQuality),
            iv.map((i) => i.newQuality),
            iv.map((i) => i.oldVersion),
            iv.map((i) => i.newVersion),
          ],
        );
      }
      if (r.alerts.length > 0) {
        await client.query(
          `INSERT INTO smt.correction_alerts (correction_id, period_id, meter_id, channel, period_status, kwh_before, kwh_after)
           SELECT $1, p, $2, $3, s, b, a FROM unnest($4::bigint[], $5::text[], $6::float8[], $7::float8[]) AS t(p, s, b, a)`,
          [
            r.correctionId,
            r.meterId,
            r.channel,
            r.alerts.map((a) => a.periodId),
            r.alerts.map((a) => a.periodStatus),
            r.alerts.map((a) => a.kwhBefore),
            r.alerts.map((a) => a.kwhAfter),
          ],
        );
      }
    });
    return entry;
  }

  async set(correctionId: number): Promise<CorrectionSet | null> {
    const r = await postgresCall('reading a correction', () =>
      this.pool.query<SetRow>(`SELECT ${SET_COLUMNS} FROM smt.correction_sets s WHERE s.correction_id = $1`, [
        correctionId,
      ]),
    );
    return r.rows[0] ? setOf(r.rows[0]) : null;
  }

  async intervals(correctionId: number): Promise<CorrectionIntervalRow[]> {
    const r = await postgresCall('reading a correction', () =>
      this.pool.query<IntervalRow>(
        `SELECT ${INTERVAL_COLUMNS} FROM smt.corrections c WHERE c.correction_set = $1 ORDER BY c.interval_start`,
        [correctionId],
      ),
    );
    return r.rows.map(intervalOf);
  }

  async sets(meterId: string, from?: number, to?: number): Promise<CorrectionSet[]> {
    const r = await postgresCall('reading corrections', () =>
      this.pool.query<SetRow>(
        `SELECT ${SET_COLUMNS} FROM smt.correction_sets s
          WHERE s.meter_id = $1
            AND ($2::double precision IS NULL OR s.range_end > to_timestamp($2 / 1000.0))
            AND ($3::double precision IS NULL OR s.range_start < to_timestamp($3 / 1000.0))
          ORDER BY s.correction_id`,
        [meterId, from ?? null, to ?? null],
      ),
    );
    return r.rows.map(setOf);
  }

  async forInterval(
    meterId: string,
    channel: string,
    start: number,
  ): Promise<(CorrectionIntervalRow & { set: CorrectionSet })[]> {
    const r = await postgresCall('reading corrections of an interval', () =>
      this.pool.query<IntervalRow & SetRow>(
        `SELECT ${INTERVAL_COLUMNS}, ${SET_COLUMNS} FROM smt.corrections c
           JOIN smt.correction_sets s ON s.correction_id = c.correction_set
          WHERE c.meter_id = $1 AND c.channel = $2 AND c.interval_start = to_timestamp($3 / 1000.0)
          ORDER BY c.correction_id`,
        [meterId, channel, start],
      ),
    );
    return r.rows.map((x) => ({ ...intervalOf(x), set: setOf(x) }));
  }
}
