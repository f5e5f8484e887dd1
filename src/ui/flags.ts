import { Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';
import { STORES, type Store } from '../core/migrations/types.js';

/** Flags shared by several commands, each with its environment variable. */
export const storesFlag = Flags.string({
  description: 'stores to act on (comma separated)',
  options: [...STORES],
  multiple: true,
  delimiter: ',',
  default: [...STORES],
});

export function asStores(values: string[] | undefined): Store[] {
  return (values ?? [...STORES]) as Store[];
}

/** --from/--to local dates and the meter scope (--meters, --region) of the batch commands. */
export const rangeFlags = {
  from: Flags.string({ description: 'first local day, YYYY-MM-DD', required: true }),
  to: Flags.string({ description: 'last local day, YYYY-MM-DD (inclusive)', required: true }),
};

export const meterScopeFlags = {
  meters: Flags.string({
    description: 'only these meters (comma separated or repeated)',
    multiple: true,
    delimiter: ',',
    exclusive: ['region'],
  }),
  region: Flags.string({ description: 'only the meters of this region', exclusive: ['meters'] }),
};

/** The dates as given, checked: a usage error names the flag and the expected form. */
export function parseRange(flags: { from: string; to: string }): { from: string; to: string } {
  for (const name of ['from', 'to'] as const) {
    const v = flags[name];
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(v) ||
      Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ||
      new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v
    )
      throw new UsageError(
        `--${name} ${v}: not a local date`,
        `Write it as YYYY-MM-DD, e.g. --${name} 2026-03-29.`,
      );
  }
  if (flags.from > flags.to) throw new UsageError(`--from ${flags.from} is after --to ${flags.to}`);
  return { from: flags.from, to: flags.to };
}

/** The authority of consumption figures, as every command that shows them labels them. */
export function authorityLabel(a: 'provisional' | 'authoritative'): string {
  return a === 'authoritative'
    ? 'authoritative (PostgreSQL aggregates from the validated series)'
    : 'provisional (ClickHouse real-time rollups, not validated)';
}
