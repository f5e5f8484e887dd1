import type pg from 'pg';

/** Runs `fn` in a transaction on this client: COMMIT on success, ROLLBACK (best effort) and rethrow on error. */
export async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
