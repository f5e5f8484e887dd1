import type pg from 'pg';
import { dayKey, type SeriesDayKey } from '../series/day.js';
import type {
  Bookkeeping,
  ClosedDay,
  GapState,
  LateTouch,
  MeterDayCount,
  MeterDayReject,
} from '../series/ports.js';
import { postgresCall } from './errors.js';
import { applyGapStates } from './gap-store.js';

/**
 * Ingest's PostgreSQL side: per meter-day received counts and, for the Kafka caller, a per-partition
 * watermark of the offsets already counted, written in one transaction with the counts, so a
 * replayed slice is not counted twice. The watermark is keyed by the topic's id (a recreated topic
 * or another cluster starts afresh), not by consumer group (the counts belong to the stores).
 */
export class PostgresBookkeeping implements Bookkeeping {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Lock one partition's watermark for the slice being written (a member kicked out of the group
   * mid-slice and the member that took its partition over serialise here; the second finds the
   * offsets counted and skips them). Wait at most `lockTimeoutMs`, below the consumer's session timeout.
   */
  async lease(key: WatermarkKey, lockTimeoutMs: number): Promise<PartitionLease> {
    const client = await postgresCall('connecting for the ingest watermark', () => this.pool.connect());
    try {
      await postgresCall('locking the ingest watermark', async () => {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
        await client.query(
          `INSERT INTO smt.ingest_watermarks (topic_id, partition, cluster_id, topic, next_offset)
           VALUES ($1, $2, $3, $4, -1) ON CONFLICT DO NOTHING`,
          [key.topicId, key.partition, key.clusterId, key.topic],
        );
      });
      // the row exists now; the lock is taken by a second statement so the insert of a concurrent
      // first lease is visible to it
      const r = await postgresCall('locking the ingest watermark', () =>
        client.query<{ next_offset: string }>(
          'SELECT next_offset FROM smt.ingest_watermarks WHERE topic_id = $1 AND partition = $2 FOR UPDATE',
          [key.topicId, key.partition],
        ),
      );
      return new PartitionLease(this, client, key, BigInt(r.rows[0]!.next_offset));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw err;
    }
  }

  async closedDays(keys: readonly SeriesDayKey[]): Promise<Map<string, ClosedDay[]>> {
    const out = new Map<string, ClosedDay[]>();
    if (keys.length === 0) return out;
    const r = await postgresCall('reading aggregated and billed days', () =>
      this.pool.query<{
        meter_id: string;
        channel: string;
        local_date: string;
        kind: ClosedDay['kind'];
        period_id: string | null;
      }>(
        `WITH k AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::date[]) AS t(meter_id, channel, local_date)
         )
         SELECT k.meter_id, k.channel, to_char(k.local_date, 'YYYY-MM-DD') AS local_date, 'aggregated_day' AS kind, NULL::bigint AS period_id
           FROM k JOIN smt.daily_aggregates d USING (meter_id, channel, local_date)
         UNION ALL
         SELECT k.meter_id, k.channel, to_char(k.local_date, 'YYYY-MM-DD'),
                CASE WHEN b.status = 'billed' THEN 'billed_period' ELSE 'closed_period' END, b.period_id
           FROM k JOIN smt.billing_periods b ON b.meter_id = k.meter_id
            AND k.local_date >= b.period_start AND k.local_date < b.period_end
            AND b.status IN ('closed', 'billed', 'rebill_required')`,
        [keys.map((k) => k.meterId), keys.map((k) => k.channel), keys.map((k) => k.day)],
      ),
    );
    for (const x of r.rows) {
      const k = dayKey(x.meter_id, x.channel, x.local_date);
      const list = out.get(k) ?? [];
      list.push({ kind: x.kind, periodId: x.period_id === null ? null : Number(x.period_id) });
      out.set(k, list);
    }
    return out;
  }

  /**
   * Counts, late-data follow-ups and the watermark in one transaction. Recalculation items are
   * de-duplicated by the pending-unique index; alerts by their unique key.
   */
  async record(args: RecordArgs): Promise<void> {
    await postgresCall('recording ingest counts', async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await writeCounts(client, args);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  }
}

type RecordArgs = {
  counts: readonly MeterDayCount[];
  late: readonly LateTouch[];
  gaps?: readonly GapState[];
  rejects?: readonly MeterDayReject[];
};

/** Counts, late-data follow-ups and gap state, inside the caller's transaction. */
async function writeCounts(client: pg.PoolClient, args: RecordArgs): Promise<void> {
  const c = args.counts;
  if (c.length > 0) {
    await client.query(
      `INSERT INTO smt.ingest_meter_days AS d (meter_id, channel, local_date, readings_received, readings_rejected, readings_late)
           SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::int[], $5::int[], $6::int[])
           ON CONFLICT (meter_id, channel, local_date) DO UPDATE SET
             readings_received = d.readings_received + EXCLUDED.readings_received,
             readings_rejected = d.readings_rejected + EXCLUDED.readings_rejected,
             readings_late = d.readings_late + EXCLUDED.readings_late,
             last_received_at = now()`,
      [
        c.map((x) => x.meterId),
        c.map((x) => x.channel),
        c.map((x) => x.localDate),
        c.map((x) => x.received),
        c.map((x) => x.rejected),
        c.map((x) => x.late),
      ],
    );
  }
  const l = args.late;
  if (l.length > 0) {
    await client.query(
      `INSERT INTO smt.recalc_queue (meter_id, channel, local_date, reason)
           SELECT DISTINCT m, ch, d, 'late_data' FROM unnest($1::text[], $2::text[], $3::date[]) AS t(m, ch, d)
           ON CONFLICT (meter_id, channel, local_date) WHERE status = 'pending' DO NOTHING`,
      [l.map((x) => x.meterId), l.map((x) => x.channel), l.map((x) => x.localDate)],
    );
    // The billed quantity before is the period's energy determinant; after, with the day's delta
    // applied. A second late delivery for the same day keeps the first `before`.
    await client.query(
      `INSERT INTO smt.late_data_alerts AS a (meter_id, channel, local_date, period_id, kind, readings, day_before, day_after, billed_before, billed_after)
       SELECT t.m, t.ch, t.d, t.p, t.k, t.n, t.b, t.a, bd.value, bd.value + (t.a - t.b)
         FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[], $5::text[], $6::int[], $7::float8[], $8::float8[])
              AS t(m, ch, d, p, k, n, b, a)
         LEFT JOIN smt.billing_determinants bd ON bd.period_id = t.p AND bd.meter_id = t.m AND bd.determinant = 'energy_kwh'
       ON CONFLICT (meter_id, channel, local_date, kind) DO UPDATE SET readings = a.readings + EXCLUDED.readings,
         day_after = EXCLUDED.day_after,
         billed_after = a.billed_before + (EXCLUDED.day_after - COALESCE(a.day_before, EXCLUDED.day_before))`,
      [
        l.map((x) => x.meterId),
        l.map((x) => x.channel),
        l.map((x) => x.localDate),
        l.map((x) => x.periodId),
        l.map((x) => x.kind),
        l.map((x) => x.readings),
        l.map((x) => x.dayBefore ?? null),
        l.map((x) => x.dayAfter ?? null),
      ],
    );
  }
  if (args.gaps && args.gaps.length > 0) await applyGapStates(client, args.gaps);
  const r = args.rejects;
  if (r && r.length > 0) {
    await client.query(
      `INSERT INTO smt.ingest_rejects AS x (meter_id, channel, local_date, rule, detail, readings)
           SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::int[])
           ON CONFLICT (meter_id, channel, local_date, rule, detail) DO UPDATE SET
             readings = x.readings + EXCLUDED.readings, last_at = now()`,
      [
        r.map((x) => x.meterId),
        r.map((x) => x.channel),
        r.map((x) => x.localDate),
        r.map((x) => x.rule),
        r.map((x) => x.detail),
        r.map((x) => x.readings),
      ],
    );
  }
}

/** Which partition of which topic incarnation on which cluster a watermark counts. */
export interface WatermarkKey {
  clusterId: string;
  topic: string;
  topicId: string;
  partition: number;
}

/**
 * One slice's hold on its partition's watermark: the Bookkeeping the Kafka caller hands to
 * `writeSeries`. `record` writes the counts and the new watermark and commits; `release` rolls back
 * whatever was not committed (a failed or fenced slice) and returns the connection.
 */
export class PartitionLease implements Bookkeeping {
  private open = true;
  /** set by the caller before the plan is applied: the offset after the slice */
  advanceTo: bigint | null = null;

  constructor(
    private readonly owner: PostgresBookkeeping,
    private readonly client: pg.PoolClient,
    readonly key: WatermarkKey,
    /** next offset not yet counted; -1 when nothing was counted */
    readonly nextOffset: bigint,
  ) {}

  closedDays(keys: readonly SeriesDayKey[]): Promise<Map<string, ClosedDay[]>> {
    return this.owner.closedDays(keys);
  }

  async record(args: RecordArgs): Promise<void> {
    if (!this.open) throw new Error('the partition lease was released before its counts were recorded');
    await postgresCall('recording ingest counts', async () => {
      await writeCounts(this.client, args);
      if (this.advanceTo !== null)
        await this.client.query(
          `UPDATE smt.ingest_watermarks SET next_offset = GREATEST(next_offset, $3), updated_at = now()
           WHERE topic_id = $1 AND partition = $2`,
          [this.key.topicId, this.key.partition, this.advanceTo.toString()],
        );
      await this.client.query('COMMIT');
      this.open = false;
    });
  }

  async release(): Promise<void> {
    if (this.open) await this.client.query('ROLLBACK').catch(() => {});
    this.open = false;
    this.client.release();
  }
}
