/**
 * The authoritative daily aggregate of one meter-day-channel, computed from the current series
 * (actuals, estimates and corrections alike). Pure: the facts of a day come either from a
 * SeriesDay (Cassandra, the source of truth) or pre-summed from ClickHouse; both end in the same
 * `DailyAggregate`.
 */
import { Origin, originOf, stateOf, ValidationState } from '../readings/quality.js';
import type { SeriesDay } from '../series/day.js';
import { MS_PER_MINUTE } from '../time/local-date.js';

/** What a day's readings sum up to, wherever they were read. */
export interface DayFacts {
  meterId: string;
  channel: string;
  /** local date in the meter's zone */
  day: string;
  intervalMinutes: number;
  /** sum of the values; 0 when there are none (then `actual + estimated` is 0) */
  energy: number;
  min: number | null;
  max: number | null;
  /** start (epoch ms) of the first interval holding the maximum; null without values */
  peakStart: number | null;
  /** values with origin Actual */
  actual: number;
  /** values with another origin: estimated, substituted (corrections), calculated */
  estimated: number;
  /** values that failed a rule (accepted anyway) */
  failed: number;
  /** values no validation has passed yet */
  notValidated: number;
  /** the series version of the day these facts were read from */
  seriesVersion: number;
}

export type AggregateStatus = 'provisional' | 'validated' | 'billed';

/** One row of smt.daily_aggregates. */
export interface DailyAggregate {
  meterId: string;
  channel: string;
  localDate: string;
  intervalMinutes: number;
  /** kWh (the channel's unit); null without any value — missing is not zero */
  energy: number | null;
  min: number | null;
  max: number | null;
  /** the largest interval value as a rate per hour (kW for a kWh channel) */
  peakDemand: number | null;
  peakStart: number | null;
  expected: number;
  actual: number;
  estimated: number;
  missing: number;
  failed: number;
  /** estimated / (actual + estimated): the share of the day's values that are not actual readings */
  estimatedShare: number | null;
  /** validated: every interval has a value and none is unvalidated; billed is set by PostgreSQL from the billing periods */
  status: AggregateStatus;
  /** the series version of the day (0: no series row) */
  seriesVersion: number;
}

export function factsOfDay(d: SeriesDay): DayFacts {
  let energy = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let peakAt = -1;
  let actual = 0;
  let estimated = 0;
  let failed = 0;
  let notValidated = 0;
  for (let i = 0; i < d.values.length; i++) {
    const v = d.values[i]!;
    if (Number.isNaN(v)) continue;
    const q = d.quality[i]!;
    energy += v;
    if (v < min) min = v;
    if (v > max) {
      max = v;
      peakAt = i;
    }
    if (originOf(q) === Origin.Actual) actual++;
    else estimated++;
    const s = stateOf(q);
    if (s === ValidationState.Accepted || s === ValidationState.Failed) failed++;
    else if (s === ValidationState.NotValidated) notValidated++;
  }
  const any = actual + estimated > 0;
  return {
    meterId: d.meterId,
    channel: d.channel,
    day: d.day,
    intervalMinutes: d.intervalMinutes,
    energy,
    min: any ? min : null,
    max: any ? max : null,
    peakStart: any ? d.dayStart + peakAt * d.intervalMinutes * MS_PER_MINUTE : null,
    actual,
    estimated,
    failed,
    notValidated,
    seriesVersion: d.version,
  };
}

/**
 * The daily row of a meter-day: `expected` intervals come from the meter's local calendar (92 /
 * 96 / 100 at 15 minutes), the rest from the facts; a day without any series row is all missing.
 */
export function dailyAggregate(
  key: { meterId: string; channel: string; day: string },
  expected: number,
  intervalMinutes: number,
  facts: DayFacts | undefined,
): DailyAggregate {
  const values = facts ? facts.actual + facts.estimated : 0;
  const missing = Math.max(0, expected - values);
  const minutes = facts?.intervalMinutes ?? intervalMinutes;
  return {
    meterId: key.meterId,
    channel: key.channel,
    localDate: key.day,
    intervalMinutes: minutes,
    energy: values > 0 ? facts!.energy : null,
    min: facts?.min ?? null,
    max: facts?.max ?? null,
    peakDemand: facts?.max == null ? null : (facts.max * 60) / minutes,
    peakStart: facts?.peakStart ?? null,
    expected,
    actual: facts?.actual ?? 0,
    estimated: facts?.estimated ?? 0,
    missing,
    failed: facts?.failed ?? 0,
    estimatedShare: values > 0 ? facts!.estimated / values : null,
    status: missing === 0 && (facts?.notValidated ?? 0) === 0 ? 'validated' : 'provisional',
    seriesVersion: facts?.seriesVersion ?? 0,
  };
}
