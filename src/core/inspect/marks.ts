/**
 * What the operator sees in one interval of the carpet: its energy, or a mark that says why the
 * value is not a plain actual reading. Derived from the stored day only (quality, rules, the write
 * that set the value), so the carpet, the drill-down and `--json` agree.
 */
import {
  isMissing,
  Method,
  methodOf,
  Origin,
  originOf,
  Reason,
  reasonOf,
  stateOf,
  ValidationState,
} from '../readings/quality.js';
import { type SeriesDay, writeAt } from '../series/day.js';

export const MARKS = ['actual', 'missing', 'estimated', 'corrected', 'rejected', 'suspect', 'late'] as const;
export type Mark = (typeof MARKS)[number];

/** When one character stands for several intervals, the mark shown is the first of these it holds. */
export const MARK_PRECEDENCE: readonly Mark[] = [
  'rejected',
  'corrected',
  'missing',
  'estimated',
  'suspect',
  'late',
  'actual',
];

/** Write sources of operator corrections (`correction:<id>` in series/day.ts). */
export const CORRECTION_SOURCE_PREFIX = 'correction:';

function isCorrection(day: SeriesDay, pos: number, q: number): boolean {
  // A future Origin.Corrected (the corrections service may add it) is recognised by name.
  if ((Origin as unknown as Record<number, string>)[originOf(q)] === 'Corrected') return true;
  if (methodOf(q) === Method.OperatorEdit || reasonOf(q) === Reason.DataCorrection) return true;
  return writeAt(day, pos)?.source.startsWith(CORRECTION_SOURCE_PREFIX) ?? false;
}

/**
 * The mark of one position. Late follows the VEE definition (rule-set `lateAfterHours`): the write
 * that set the value came more than `lateAfterMs` after the interval ended; a write's version is
 * the microsecond it was planned at (series/planner.ts).
 */
export function markOf(day: SeriesDay, pos: number, lateAfterMs: number): Mark {
  const q = day.quality[pos]!;
  const state = stateOf(q);
  if (state === ValidationState.Failed) return 'rejected';
  if (isMissing(day.values[pos]!, q)) return 'missing';
  if (isCorrection(day, pos, q)) return 'corrected';
  const origin = originOf(q);
  if (origin === Origin.Estimated || origin === Origin.Substituted || origin === Origin.Calculated)
    return 'estimated';
  if (state === ValidationState.Accepted) return 'suspect';
  const w = writeAt(day, pos);
  const end = day.dayStart + (pos + 1) * day.intervalMinutes * 60_000;
  if (w !== undefined && w.version / 1000 - end > lateAfterMs) return 'late';
  return 'actual';
}

export type MarkCounts = Record<Mark, number>;

export function emptyCounts(): MarkCounts {
  return { actual: 0, missing: 0, estimated: 0, corrected: 0, rejected: 0, suspect: 0, late: 0 };
}
