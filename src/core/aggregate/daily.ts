/**
 * The authoritative daily aggregate of one meter-day-channel, computed from the current series
 * (actuals, estimates and corrections alike). Pure: the facts of a day come either from a
 * SeriesDay (Cassandra, the source of truth) or pre-summed from ClickHouse; both end in the same
 * `DailyAggregate`.
 */
import { Origin, originOf, stateOf, ValidationState } from '../readings/quality.js';
import type { SeriesDay } from '../series/day.js';
import { MS_PER_MINUTE } from '../time/local-date.js';

/** Energy in aggregates and bills is summed in integer micro-kWh: exact and independent of order. */
export const MICRO = 1_000_000;

/** A value in micro-units, rounded once (6 decimals, the precision of `numeric(18, 6)`). */
export const toMicro = (v: number): number => Math.round(v * MICRO);

/**
 * A meter-day by local hour: entry h is the h-th hour since local midnight (23, 24 or 25 entries on
 * DST days; on fall-back the repeated hour has two entries), which is what a time-of-use tariff on
 * hour boundaries needs to bill from the aggregate alone.
 */
export interface HourlyFacts {
  /** sum of the hour's values in micro-kWh (each value rounded once, see `toMicro`); 0 without values */
  energyMicro: number[];
  /** the hour's largest interval value in micro-kWh; null without values */
  peakMicro: (number | null)[];
  /** minutes from the day's start (elapsed, UTC) to the start of that peak interval; null without values */
  peakMinute: (number | null)[];
}

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
  /** micro-kWh of the values that are not actual readings */
  estimatedMicro: number;
  /** null when the day has no value, or its values do not fall on whole local hours */
  hourly: HourlyFacts | null;
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
  /** micro-kWh of the estimated values; null without any value */
  estimatedMicro: number | null;
  hourly: HourlyFacts | null;
}

/** Hours in a day of `intervals` intervals of `minutes`, or null when they are not whole hours. */
export function hoursOf(intervals: number, minutes: number): number | null {
  const h = (intervals * minutes) / 60;
  return 60 % minutes === 0 && Number.isInteger(h) ? h : null;
}

/** What the fold of a day reads: a series day, or a day's readings placed at their positions. */
export type DayValues = Pick<
  SeriesDay,
  'meterId' | 'channel' | 'day' | 'intervalMinutes' | 'dayStart' | 'values' | 'quality' | 'version'
>;

/**
 * What the fold of one day leaves, in reusable fields and typed arrays: `foldDay` turns it into a
 * `DayFacts`; the ClickHouse path of `smt aggregate` encodes it straight into the COPY row (no
 * object per meter-day). Valid until the next `foldInto` on the same instance.
 */
export class DayFold {
  energy = 0;
  min = 0;
  max = 0;
  /** position of the first interval holding the maximum; -1 without values */
  peakAt = -1;
  actual = 0;
  estimated = 0;
  failed = 0;
  notValidated = 0;
  estimatedMicro = 0;
  /** local hours of the day, or -1 when its values do not fall on whole local hours */
  hours = -1;
  /** per hour: micro-kWh sum, largest value in micro-kWh, its position (-1: no value in the hour) */
  hourEnergy: Float64Array;
  hourPeak: Float64Array;
  hourPeakAt: Int32Array;

  // a day has at most 25 local hours in every zone but a few historical ones: grown when needed
  constructor(hours = 32) {
    this.hourEnergy = new Float64Array(hours);
    this.hourPeak = new Float64Array(hours);
    this.hourPeakAt = new Int32Array(hours);
  }

  /** values with origin Actual or another one: 0 for a day without any value */
  get values(): number {
    return this.actual + this.estimated;
  }
}

/** reused by every `foldDay` (a fold runs to its end without yielding) */
const SHARED = new DayFold();

export function factsOfDay(d: DayValues): DayFacts {
  return foldDay(d, d.values, d.quality, 0, d.values.length);
}

/**
 * `factsOfDay` of the day whose values and qualities are `values[offset, offset + length)`: a
 * reader that places many days in one pair of arrays folds them without a view per day.
 */
export function foldDay(
  d: Omit<DayValues, 'values' | 'quality'>,
  values: Float64Array,
  quality: Uint32Array,
  offset: number,
  length: number,
): DayFacts {
  const f = foldInto(SHARED, d.intervalMinutes, values, quality, offset, length);
  const any = f.values > 0;
  let hourly: HourlyFacts | null = null;
  if (any && f.hours >= 0) {
    const hours = f.hours;
    const energyMicro = new Array<number>(hours);
    const peakMicro = new Array<number | null>(hours);
    const peakMinute = new Array<number | null>(hours);
    for (let h = 0; h < hours; h++) {
      energyMicro[h] = f.hourEnergy[h]!;
      const at = f.hourPeakAt[h]!;
      peakMicro[h] = at < 0 ? null : f.hourPeak[h]!;
      peakMinute[h] = at < 0 ? null : at * d.intervalMinutes;
    }
    hourly = { energyMicro, peakMicro, peakMinute };
  }
  return {
    meterId: d.meterId,
    channel: d.channel,
    day: d.day,
    intervalMinutes: d.intervalMinutes,
    energy: f.energy,
    min: any ? f.min : null,
    max: any ? f.max : null,
    peakStart: any ? d.dayStart + f.peakAt * d.intervalMinutes * MS_PER_MINUTE : null,
    actual: f.actual,
    estimated: f.estimated,
    failed: f.failed,
    notValidated: f.notValidated,
    seriesVersion: d.version,
    estimatedMicro: f.estimatedMicro,
    hourly,
  };
}

/** Fold the day at `values[offset, offset + length)` (intervals of `minutes`) into `f`; returns `f`. */
export function foldInto(
  f: DayFold,
  minutes: number,
  values: Float64Array,
  quality: Uint32Array,
  offset: number,
  length: number,
): DayFold {
  let energy = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let peakAt = -1;
  let actual = 0;
  let estimated = 0;
  let failed = 0;
  let notValidated = 0;
  let estimatedMicro = 0;
  const hours = hoursOf(length, minutes);
  const perHour = 60 / minutes;
  if (hours !== null && hours > f.hourEnergy.length) {
    f.hourEnergy = new Float64Array(hours);
    f.hourPeak = new Float64Array(hours);
    f.hourPeakAt = new Int32Array(hours);
  }
  const { hourEnergy, hourPeak, hourPeakAt } = f;
  if (hours !== null) {
    hourEnergy.fill(0, 0, hours);
    hourPeakAt.fill(-1, 0, hours);
  }
  for (let i = 0; i < length; i++) {
    const v = values[offset + i]!;
    if (Number.isNaN(v)) continue;
    const q = quality[offset + i]!;
    const micro = toMicro(v);
    const isActual = originOf(q) === Origin.Actual;
    if (hours !== null) {
      const h = (i / perHour) | 0;
      hourEnergy[h]! += micro;
      // the earliest interval of the largest value, as the bill's demand peaks
      if (hourPeakAt[h]! < 0 || micro > hourPeak[h]!) {
        hourPeak[h] = micro;
        hourPeakAt[h] = i;
      }
    }
    if (!isActual) estimatedMicro += micro;
    energy += v;
    if (v < min) min = v;
    if (v > max) {
      max = v;
      peakAt = i;
    }
    if (isActual) actual++;
    else estimated++;
    const s = stateOf(q);
    if (s === ValidationState.Accepted || s === ValidationState.Failed) failed++;
    else if (s === ValidationState.NotValidated) notValidated++;
  }
  f.energy = energy;
  f.min = min;
  f.max = max;
  f.peakAt = peakAt;
  f.actual = actual;
  f.estimated = estimated;
  f.failed = failed;
  f.notValidated = notValidated;
  f.estimatedMicro = estimatedMicro;
  f.hours = hours ?? -1;
  return f;
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
    estimatedMicro: values > 0 ? facts!.estimatedMicro : null,
    hourly: values > 0 ? facts!.hourly : null,
  };
}
