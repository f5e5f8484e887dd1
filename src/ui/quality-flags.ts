import { Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';
import { parseLocalDate } from '../core/time/local-date.js';

/** A local date flag (YYYY-MM-DD), checked at parse time: a bad date is a usage error (exit 2). */
export const localDateFlag = Flags.custom<string>({
  helpValue: 'YYYY-MM-DD',
  parse: async (input) => {
    try {
      parseLocalDate(input);
    } catch (err) {
      throw new UsageError(
        `${JSON.stringify(input)} is not a local date: ${(err as Error).message}`,
        'Dates are YYYY-MM-DD, e.g. 2026-03-29.',
      );
    }
    return input;
  },
});

/** The meter selection of the data-quality commands. */
export const meterSelectionFlags = {
  meters: Flags.string({
    description: 'meter ids (comma separated); default: every registered meter',
    multiple: true,
    delimiter: ',',
  }),
  prefix: Flags.string({ description: 'only meters whose id starts with this' }),
  channel: Flags.string({ description: 'channel', default: 'active_import_kwh' }),
};

export function selectionOf(flags: { meters?: string[]; prefix?: string }): {
  meters: string[] | null;
  prefix?: string;
} {
  return {
    meters: flags.meters && flags.meters.length > 0 ? flags.meters : null,
    ...(flags.prefix ? { prefix: flags.prefix } : {}),
  };
}
