import { type ClickHouseClient, type ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { SmtConfig } from '../config/config.js';

export interface ClickHouseClientOptions {
  /** false: no default database (probes, and migrations that create it); default true */
  useDatabase?: boolean;
  requestTimeoutMs?: number;
  maxOpenConnections?: number;
  /** the client logs request errors itself (default WARN); probes that expect refusals pass OFF */
  logLevel?: ClickHouseLogLevel;
}

/**
 * `@clickhouse/client` for the configured server. Keep to the settings and formats ClickHouse 18.16
 * understands (docs/stack.md); callers must `close()` it in `finally`.
 */
export function createClickHouseClient(
  config: SmtConfig,
  options: ClickHouseClientOptions = {},
): ClickHouseClient {
  return createClient({
    url: config.string('clickhouse.url'),
    username: config.string('clickhouse.username'),
    password: config.string('clickhouse.password'),
    ...(options.useDatabase === false ? {} : { database: config.string('clickhouse.database') }),
    request_timeout: options.requestTimeoutMs ?? 60_000,
    max_open_connections: options.maxOpenConnections ?? 10,
    application: 'smt',
    // The server closes a keep-alive socket after 3 s idle; on a loaded host the client's 2.5 s
    // default fired late and a large insert went out on a closed socket (write EPIPE).
    keep_alive: { enabled: true, idle_socket_ttl: 1_000, eagerly_destroy_stale_sockets: true },
    ...(options.logLevel !== undefined ? { log: { level: options.logLevel } } : {}),
  });
}
