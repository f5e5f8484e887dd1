/**
 * Gap detection for one meter-day: the expected intervals (expected.ts) against the stored current
 * version of the day. A gap is a run of expected intervals with no value; runs are cut at local
 * midnight, so a meter-day's gaps are replaced as one unit. Pure: the service reads and writes.
 */
import { Origin, originOf } from '../readings/quality.js';
import type { SeriesDay } from '../series/day.js';
import { MS_PER_MINUTE } from '../time/local-date.js';
import { type ExpectedDay, expectedDay, type MeterFacts } from './expected.js';

// Read once: under a CommonJS-style transform (tsx, vitest) every use of an imported binding is a
// getter call, which cost more than the rest of the loop together.
const ACTUAL = Origin.Actual;
const origin = originOf;

export type GapCause = 'no_data_for_day' | 'intervals_missing' | 'readings_rejected';

export interface GapRun {
  /** first missing interval start, epoch ms */
  start: number;
  /** end of the last missing interval, epoch ms */
  end: number;
  intervals: number;
  /** position of the first missing interval in the day */
  firstPosition: number;
}

export interface DayCompleteness {
  meterId: string;
  channel: string;
  localDate: string;
  expected: number;
  /** expected intervals holding an actual reading */
  actual: number;
  /** expected intervals holding an estimate (estimated, substituted or calculated) */
  estimated: number;
  missing: number;
}

export interface DayGaps extends DayCompleteness {
  gaps: GapRun[];
  cause: GapCause | null;
}

/**
 * Gaps of one meter-day. `rejected` is the number of readings ingest rejected for the day (the
 * likely cause of a gap in a day that otherwise arrived).
 */
export function detectDay(
  meter: MeterFacts,
  channel: string,
  localDate: string,
  day: SeriesDay | undefined,
  rejected = 0,
  expected: ExpectedDay = expectedDay(meter, localDate),
): DayGaps {
  const { mask, positions } = expected;
  const step = meter.intervalMinutes * MS_PER_MINUTE;
  // A day stored at another interval length is not this meter's grid: every interval is a gap.
  const values = day && day.values.length === positions ? day.values : undefined;
  const quality = values ? day!.quality : undefined;
  const gaps: GapRun[] = [];
  let actual = 0;
  let estimated = 0;
  let runStart = -1;
  const close = (p: number) => {
    gaps.push({
      start: expected.dayStart + runStart * step,
      end: expected.dayStart + p * step,
      intervals: p - runStart,
      firstPosition: runStart,
    });
    runStart = -1;
  };
  for (let p = 0; p <= positions; p++) {
    const isExpected = p < positions && (mask === null || mask[p] === 1);
    const has = isExpected && values !== undefined && !Number.isNaN(values[p]!);
    if (has) {
      if (origin(quality![p]!) === ACTUAL) actual++;
      else estimated++;
    }
    const gap = isExpected && !has;
    if (gap && runStart < 0) runStart = p;
    if (!gap && runStart >= 0) close(p);
  }
  const missing = expected.expected - actual - estimated;
  const cause: GapCause | null =
    gaps.length === 0
      ? null
      : actual + estimated === 0
        ? 'no_data_for_day'
        : rejected > 0
          ? 'readings_rejected'
          : 'intervals_missing';
  return {
    meterId: meter.meterId,
    channel,
    localDate,
    expected: expected.expected,
    actual,
    estimated,
    missing,
    gaps,
    cause,
  };
}
