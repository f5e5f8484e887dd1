/**
 * smt.recalc_queue as a work queue: items are claimed with `FOR UPDATE SKIP LOCKED`, so several
 * `smt recalc` processes never take the same item; a claim carries a lease, and an item whose
 * worker died (lease expired while running) is claimed again by the next worker.
 */
import type pg from 'pg';
import { postgresCall } from './errors.js';

export interface RecalcItem {
  recalcId: number;
  meterId: string;
  channel: string;
  localDate: string;
  reason: string;
  attempts: number;
}

export interface QueueCounts {
  pending: number;
  running: number;
  /** running with an expired lease: claimable again */
  expired: number;
  done: number;
  failed: number;
}

export class PostgresRecalcQueue {
  constructor(private readonly pool: pg.Pool) {}

  async claim(worker: string, limit: number, leaseSeconds: number): Promise<RecalcItem[]> {
    const r = await postgresCall('claiming recalculation items', () =>
      this.pool.query<{
        recalc_id: string;
        meter_id: string;
        channel: string;
        d: string;
        reason: string;
        attempts: number;
      }>(
        `UPDATE smt.recalc_queue q
            SET status = 'running', claimed_by = $1, started_at = now(), attempts = q.attempts + 1,
                lease_until = now() + make_interval(secs => $3)
          WHERE q.recalc_id IN (
                SELECT recalc_id FROM smt.recalc_queue
                 WHERE status = 'pending' OR (status = 'running' AND lease_until < now())
                 ORDER BY recalc_id
                 FOR UPDATE SKIP LOCKED
                 LIMIT $2)
          RETURNING q.recalc_id, q.meter_id, q.channel, to_char(q.local_date, 'YYYY-MM-DD') AS d, q.reason, q.attempts`,
        [worker, limit, leaseSeconds],
      ),
    );
    return r.rows
      .map((x) => ({
        recalcId: Number(x.recalc_id),
        meterId: x.meter_id,
        channel: x.channel,
        localDate: x.d,
        reason: x.reason,
        attempts: x.attempts,
      }))
      .sort((a, b) => a.recalcId - b.recalcId);
  }

  /** Marks items done; only while this worker still holds them (a reclaimed item is the new holder's). */
  async complete(worker: string, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await postgresCall('completing recalculation items', () =>
      this.pool.query(
        `UPDATE smt.recalc_queue SET status = 'done', finished_at = now(), lease_until = NULL, last_error = NULL
          WHERE recalc_id = ANY($1::bigint[]) AND claimed_by = $2 AND status = 'running'`,
        [ids, worker],
      ),
    );
    return r.rowCount ?? 0;
  }

  /** An item that failed: back to pending until `maxAttempts`, then failed. */
  async fail(worker: string, id: number, error: string, maxAttempts: number): Promise<void> {
    await postgresCall('recording a recalculation failure', () =>
      this.pool.query(
        // back to pending, unless out of attempts or a newer pending item covers the same day
        `UPDATE smt.recalc_queue q SET status = CASE WHEN q.attempts >= $4 OR EXISTS (
                  SELECT 1 FROM smt.recalc_queue p WHERE p.status = 'pending' AND p.meter_id = q.meter_id
                     AND p.channel = q.channel AND p.local_date = q.local_date) THEN 'failed' ELSE 'pending' END,
                last_error = $3, lease_until = NULL, finished_at = now()
          WHERE q.recalc_id = $1 AND q.claimed_by = $2 AND q.status = 'running'`,
        [id, worker, error.slice(0, 2_000), maxAttempts],
      ),
    );
  }

  async counts(): Promise<QueueCounts> {
    const r = await postgresCall('counting the recalculation queue', () =>
      this.pool.query<{ status: string; expired: boolean; n: string }>(
        `SELECT status, (status = 'running' AND lease_until < now()) AS expired, count(*) AS n
           FROM smt.recalc_queue GROUP BY 1, 2`,
      ),
    );
    const c: QueueCounts = { pending: 0, running: 0, expired: 0, done: 0, failed: 0 };
    for (const x of r.rows) {
      const n = Number(x.n);
      if (x.expired) c.expired += n;
      else if (x.status in c) c[x.status as keyof QueueCounts] += n;
    }
    return c;
  }
}
