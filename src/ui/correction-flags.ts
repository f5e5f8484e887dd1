import { Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';

/** Flags of `smt correct` and `smt correct undo`. */
export const correctionFlags = {
  reason: Flags.string({
    description: 'why (required): recorded with the correction and in the audit trail',
  }),
  as: Flags.string({
    description: 'operator recorded as the author (default: the OS user, or SMT_OPERATOR)',
  }),
  'dry-run': Flags.boolean({ description: 'show the impact and write nothing', default: false }),
  'allow-closed': Flags.boolean({
    description: 'correct a closed or billed billing period (raises an alert in smt.correction_alerts)',
    default: false,
  }),
  limit: Flags.integer({ description: 'changed intervals to list', default: 20, min: 0 }),
};

export const channelFlag = Flags.string({
  description: 'channel (docs/formats.md)',
  default: 'active_import_kwh',
});

/** A finite number from a flag, or a usage error naming the flag. */
export function finiteNumber(flag: string, text: string): number {
  const x = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(x))
    throw new UsageError(
      `--${flag} ${JSON.stringify(text)} is not a number`,
      `Write it like --${flag} 0.25.`,
    );
  return x;
}
