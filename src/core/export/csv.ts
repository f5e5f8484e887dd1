/**
 * CSV export: the columns of smt's own CSV codec (so `decodeCsv` reads the file back) followed by
 * what the series holds beyond them: the packed quality, its fields by their enum names (quality.ts) and the version that
 * set the value. Times carry the meter's local offset; values are written as JavaScript's
 * shortest round-trip decimal (exact); missing intervals have an empty value and origin Missing.
 */
import { encodeCsv } from '../codecs/csv.js';
import {
  Method,
  methodOf,
  Origin,
  originOf,
  Reason,
  reasonOf,
  stateOf,
  ValidationState,
} from '../readings/quality.js';
import type { SeriesDay } from '../series/day.js';
import { writeAt } from '../series/day.js';
import { blockOfDay } from './blocks.js';

export const EXTRA_CSV_COLUMNS = ['quality', 'origin', 'validation', 'method', 'reason', 'version'] as const;

export function encodeExportCsv(
  days: readonly SeriesDay[],
  timezone: string,
): { text: string; readings: number } {
  const blocks = days.map((d) => blockOfDay(d, false));
  const base = encodeCsv(blocks, { timezone }).split('\n');
  const out: string[] = [`${base[0]},${EXTRA_CSV_COLUMNS.join(',')}`];
  let line = 1;
  for (const d of days) {
    for (let i = 0; i < d.values.length; i++) {
      const q = d.quality[i]!;
      const missing = Number.isNaN(d.values[i]!);
      const origin = missing ? Origin.Missing : originOf(q);
      out.push(
        [
          base[line++],
          q,
          Origin[origin],
          ValidationState[stateOf(q)],
          Method[methodOf(q)] ?? methodOf(q),
          Reason[reasonOf(q)] ?? reasonOf(q),
          writeAt(d, i)?.version ?? '',
        ].join(','),
      );
    }
  }
  return { text: `${out.join('\n')}\n`, readings: line - 1 };
}
