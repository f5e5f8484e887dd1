import type pg from 'pg';
import { postgresCall } from './errors.js';

/**
 * Holds off `smt ingest`'s writes while it is held. Every slice of ingest writes its stores —
 * ClickHouse included — inside the transaction that holds its partition's watermark row
 * (`smt.ingest_watermarks`, `PostgresBookkeeping.lease`: INSERT … ON CONFLICT, then SELECT … FOR
 * UPDATE, COMMIT with the counts). EXCLUSIVE on that table conflicts with both statements' locks:
 * taking it waits for every slice in flight to commit or roll back, and a slice starting
 * afterwards waits in its lease (or times out there and is retried) until the fence is released.
 * Ingest pays nothing for it: no query, no cache. Writers other than ingest (backfill, estimate,
 * corrections) take no watermark and are not held off.
 */
export interface IngestFence {
  release(): Promise<void>;
}

export async function fenceIngest(pool: pg.Pool, lockTimeoutMs = 120_000): Promise<IngestFence> {
  const client = await postgresCall('connecting to hold off ingest', () => pool.connect());
  try {
    await postgresCall('holding off ingest (waiting for the slices in flight)', async () => {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      await client.query('LOCK TABLE smt.ingest_watermarks IN EXCLUSIVE MODE');
    });
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
    throw err;
  }
  let open = true;
  return {
    release: async () => {
      if (!open) return;
      open = false;
      // a failed COMMIT means a lost connection, which released the lock with it: drop the client
      // and keep the caller's own error, if any
      const err = await client.query('COMMIT').then(
        () => undefined,
        (e: Error) => e,
      );
      client.release(err);
    },
  };
}
