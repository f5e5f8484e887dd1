import { Flags } from '@oclif/core';
import type { PeriodSelection } from '../core/billing/service.js';
import { UsageError } from '../core/errors.js';
import { parseLocalDate, parseLocalMonth } from '../core/time/local-date.js';

/** --period YYYY-MM, or --from/--to (local dates, inclusive), shared by bill, billing and export. */
export const periodFlags = {
  period: Flags.string({
    description: 'billing period: the cycle that starts in this month, YYYY-MM',
    exclusive: ['from', 'to'],
  }),
  from: Flags.string({ description: 'first local date, YYYY-MM-DD', dependsOn: ['to'] }),
  to: Flags.string({ description: 'last local date (inclusive), YYYY-MM-DD', dependsOn: ['from'] }),
};

export function selectionOf(flags: { period?: string; from?: string; to?: string }): PeriodSelection {
  if (flags.period !== undefined) {
    parseLocalMonth(flags.period);
    return { period: flags.period };
  }
  if (flags.from !== undefined && flags.to !== undefined) {
    parseLocalDate(flags.from);
    parseLocalDate(flags.to);
    return { from: flags.from, to: flags.to };
  }
  throw new UsageError(
    'say which period: --period YYYY-MM, or --from YYYY-MM-DD --to YYYY-MM-DD',
    'e.g. --period 2026-03',
  );
}

/** An ISO-8601 instant for --as-of, as epoch ms. */
export function instantOf(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value))
    throw new UsageError(
      `${flag} ${value} is not an ISO-8601 instant with an offset`,
      'e.g. --as-of 2026-04-02T08:00:00Z',
    );
  return ms;
}
