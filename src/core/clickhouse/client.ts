import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { SmtConfig } from '../config/config.js';

/** No database is set on the client: statements name `<db>.<table>` so migrations can create it. */
export function createClickHouse(config: SmtConfig, options: { requestTimeoutMs?: number } = {}): ClickHouseClient {
  return createClient({
    url: config.string('clickhouse.url'),
    username: config.string('clickhouse.username'),
    password: config.string('clickhouse.password'),
    request_timeout: options.requestTimeoutMs ?? 60_000,
    application: 'smt',
  });
}

/** Escape a string literal for ClickHouse SQL (no query parameters on 18.16). */
export function chString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
