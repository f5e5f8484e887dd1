import { UsageError } from '../errors.js';

/** Order matters: the JVMs start first because they take longest and share two cores with the rest. */
export const SERVICE_NAMES = ['cassandra', 'kafka', 'postgres', 'clickhouse'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(s: string): s is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(s);
}

/**
 * `--services postgres,clickhouse` → ['postgres', 'clickhouse'] in start order. Empty or undefined
 * means all four.
 */
export function parseServiceList(input: string | readonly string[] | undefined): ServiceName[] {
  const parts = (typeof input === 'string' ? input.split(',') : (input ?? []))
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (parts.length === 0) return [...SERVICE_NAMES];
  for (const p of parts) {
    if (!isServiceName(p)) {
      throw new UsageError(
        `unknown service "${p}"`,
        `Use a comma-separated subset of ${SERVICE_NAMES.join(', ')}.`,
      );
    }
  }
  return SERVICE_NAMES.filter((s) => parts.includes(s));
}
