import pg from 'pg';
import type { SmtConfig } from '../config/config.js';

/** A pool for the configured database; callers must `end()` it in `finally`. */
export function createPostgresPool(config: SmtConfig, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.string('postgres.url'),
    max: options.max ?? config.int('postgres.poolSize'),
    connectionTimeoutMillis: 5_000,
    application_name: 'smt',
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return pool;
}
