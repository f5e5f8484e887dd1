import pg from 'pg';
import type { SmtConfig } from '../config/config.js';

export interface PostgresClientOptions {
  max?: number;
  /** another database on the same server (e.g. `postgres`, before the configured one exists) */
  database?: string;
  connectionTimeoutMillis?: number;
}

function connectionConfig(config: SmtConfig, options: PostgresClientOptions): pg.ClientConfig {
  let connectionString = config.string('postgres.url');
  if (options.database !== undefined) {
    const url = new URL(connectionString);
    url.pathname = `/${encodeURIComponent(options.database)}`;
    connectionString = url.toString();
  }
  return {
    connectionString,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    application_name: 'smt',
  };
}

/** A pool for the configured database; callers must `end()` it in `finally`. */
export function createPostgresPool(config: SmtConfig, options: PostgresClientOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    ...connectionConfig(config, options),
    max: options.max ?? config.int('postgres.poolSize'),
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return pool;
}

/** One unpooled connection (probes, COPY); call `connect()`, and `end()` in `finally`. */
export function createPostgresClient(config: SmtConfig, options: PostgresClientOptions = {}): pg.Client {
  return new pg.Client(connectionConfig(config, options));
}
