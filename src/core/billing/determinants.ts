/**
 * Billing determinants of one meter and one billing period (pure: no I/O), from its days by local
 * hour: the series days folded by `factsOfDay`, or the authoritative daily aggregates, which hold
 * the same fold. Tariffs change rate period on local hours only (12 × 24 matrices), so the hourly
 * energy and the hourly peak interval (with its start) give exactly the determinants the intervals
 * give.
 *
 * Every hour is placed by its start in the meter's local time: the month and hour pick the
 * rate period from the tariff's 12 × 24 matrices, the local date picks weekday, weekend or public
 * holiday. DST days need nothing special because the series already holds them as 92 or 100
 * quarter-hours: the repeated 02:00 hour on fall-back is billed twice at hour 2's period, the
 * skipped one on spring-forward not at all.
 *
 * Energy is summed in integer micro-kWh (values are rounded once to 6 decimals, the precision of
 * `smt.billing_determinants.value`), so sums are exact and independent of order. Demand is the
 * interval's average power (kWh × 60 / interval minutes). Missing intervals (NaN) are counted, not
 * billed; estimated, substituted and calculated values are billed and counted as estimated.
 */
import { factsOfDay, type HourlyFacts, MICRO } from '../aggregate/daily.js';
import { InvalidDataError } from '../errors.js';
import type { IntervalMinutes } from '../readings/block.js';
import type { SeriesDay } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE } from '../time/local-date.js';
import { publicHolidays } from './holidays.js';
import { type BillingPeriod, datesOf, daysIn, monthFraction } from './period.js';
import type { RatePeriod, Tariff, Tier } from './tariff.js';

export { MICRO };

export interface TierQuantity {
  tier: number;
  /** upper bound applied (after proration); null = unbounded */
  upTo: number | null;
  quantity: number;
  rate: number;
}

export interface EnergyDeterminant {
  period: string;
  kwh: number;
  tiers: TierQuantity[];
}

export interface DemandDeterminant {
  period: string;
  kw: number;
  /** interval start of the peak, ISO-8601 UTC; null when the period had no reading */
  at: string | null;
  tiers: TierQuantity[];
}

export interface Determinants {
  meterId: string;
  tariffId: string;
  channel: string;
  from: string;
  to: string;
  days: number;
  /** days ÷ days of the month the period starts in (1 for a whole cycle) */
  monthFraction: number;
  intervals: { expected: number; actual: number; estimated: number; missing: number };
  energyKwh: number;
  estimatedKwh: number;
  /** estimatedKwh ÷ energyKwh (0 when nothing was consumed) */
  estimatedShare: number;
  energy: EnergyDeterminant[];
  demand: DemandDeterminant[];
  flatDemand: DemandDeterminant | null;
  /** the series version of every stored day that went into the determinants */
  seriesVersions: { day: string; version: number }[];
  /** billed from the aggregates: the version of every daily aggregate row used; empty from the series */
  aggregateVersions: { day: string; version: number }[];
}

export interface DeterminantInput {
  meterId: string;
  timezone: string;
  intervalMinutes: IntervalMinutes;
  channel: string;
  tariff: Tariff;
  period: BillingPeriod;
  /** the stored days of the period (any order; days outside it and other channels are ignored) */
  days: readonly SeriesDay[];
}

type DayType = 'weekday' | 'weekend' | 'holiday';

function dayTypeOf(date: string, tariff: Tariff): DayType {
  const h = tariff.definition.holidays;
  if (h && publicHolidays(h, Number(date.slice(0, 4))).has(date)) return 'holiday';
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return dow === 0 || dow === 6 ? 'weekend' : 'weekday';
}

/** Tier split of a quantity (micro-units) against bounds scaled by `scale` (micro-units per unit of max). */
function splitTiers(
  totalMicro: number,
  tiers: readonly Tier[],
  boundOf: (t: Tier) => number | null,
): TierQuantity[] {
  const out: TierQuantity[] = [];
  let below = 0;
  tiers.forEach((t, i) => {
    const bound = boundOf(t);
    const upper = bound === null ? totalMicro : Math.min(bound, totalMicro);
    const q = Math.max(0, upper - below);
    out.push({ tier: i + 1, upTo: bound === null ? null : bound / MICRO, quantity: q / MICRO, rate: t.rate });
    if (bound !== null) below = Math.max(below, Math.min(bound, totalMicro));
  });
  return out;
}

/**
 * The UTC offset of a day's intervals: one offset until `changeAt`, another from there. Zone rules
 * (Intl, tens of µs a call) are asked a few times per DST day and never on a 24-hour day, whose
 * offset is the one that puts its start at local midnight.
 */
function dayOffsets(cal: LocalCalendar, dayStart: number, step: number, n: number, date: string) {
  const atMidnight = Date.parse(`${date}T00:00:00Z`) - dayStart;
  if (n * step === MS_PER_DAY) return { before: atMidnight, after: atMidnight, changeAt: n };
  const before = cal.offsetMsAt(dayStart);
  const after = cal.offsetMsAt(dayStart + (n - 1) * step);
  let lo = 0;
  let hi = n - 1; // first index with the `after` offset lies in (lo, hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cal.offsetMsAt(dayStart + mid * step) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, changeAt: before === after ? n : hi };
}

interface Peak {
  micro: number;
  at: number;
}

/**
 * One stored meter-day as billing reads it, by local hour: from the series (`billingDayOfSeries`)
 * or from its authoritative daily aggregate; both fold the day with `factsOfDay`, so a bill is the
 * same from either.
 */
export interface BillingDay {
  day: string;
  dayStart: number;
  intervalMinutes: number;
  /** values present: actual readings, and estimated, substituted or calculated ones */
  actual: number;
  estimated: number;
  estimatedMicro: number;
  /** null: no value that day */
  hourly: HourlyFacts | null;
  seriesVersion: number;
  /** the daily aggregate row's version when billed from the aggregates; null from the series */
  aggregateVersion: number | null;
}

export function billingDayOfSeries(d: SeriesDay): BillingDay {
  const f = factsOfDay(d);
  if (f.actual + f.estimated > 0 && f.hourly === null)
    throw new InvalidDataError(
      `${d.meterId} ${d.day}: ${d.values.length} intervals of ${d.intervalMinutes} minutes are not whole local hours; a tariff of local hours cannot bill them`,
      { hint: "The meter's zone shifts its clock by less than an hour; bill it outside smt." },
    );
  return {
    day: d.day,
    dayStart: d.dayStart,
    intervalMinutes: d.intervalMinutes,
    actual: f.actual,
    estimated: f.estimated,
    estimatedMicro: f.estimatedMicro,
    hourly: f.hourly,
    seriesVersion: d.version,
    aggregateVersion: null,
  };
}

export function computeDeterminants(input: DeterminantInput): Determinants {
  return determinantsOfDays({
    ...input,
    days: input.days
      .filter((d) => d.channel === input.channel && d.day >= input.period.from && d.day <= input.period.to)
      .map(billingDayOfSeries),
  });
}

/** Determinants from days by local hour (the days of the billed channel; others of the period are ignored). */
export function determinantsOfDays(
  input: Omit<DeterminantInput, 'days'> & { days: readonly BillingDay[] },
): Determinants {
  const { tariff, period } = input;
  const def = tariff.definition;
  const cal = LocalCalendar.for(input.timezone);
  const dates = datesOf(period);
  const inPeriod = new Set(dates);
  const byDate = new Map<string, BillingDay>();
  for (const d of input.days) if (inPeriod.has(d.day)) byDate.set(d.day, d);

  const energyMicro = new Array<number>(def.energy.periods.length).fill(0);
  const demandPeaks: (Peak | null)[] = def.demand ? new Array(def.demand.periods.length).fill(null) : [];
  let flatPeak: Peak | null = null;
  let estimatedMicro = 0;
  const intervals = { expected: 0, actual: 0, estimated: 0, missing: 0 };
  const versions: { day: string; version: number }[] = [];
  const aggregateVersions: { day: string; version: number }[] = [];

  for (const date of dates) {
    const expected = cal.intervalsInDay(date, input.intervalMinutes);
    intervals.expected += expected;
    const day = byDate.get(date);
    if (!day) {
      intervals.missing += expected;
      continue;
    }
    versions.push({ day: date, version: day.seriesVersion });
    if (day.aggregateVersion !== null) aggregateVersions.push({ day: date, version: day.aggregateVersion });
    intervals.actual += day.actual;
    intervals.estimated += day.estimated;
    estimatedMicro += day.estimatedMicro;
    // a stored day shorter than the calendar's (never expected) or with gaps: the rest is missing
    intervals.missing += Math.max(0, expected - day.actual - day.estimated);
    const hourly = day.hourly;
    if (!hourly) continue;
    const type = dayTypeOf(date, tariff);
    const month = Number(date.slice(5, 7)) - 1;
    const toKw = 60 / day.intervalMinutes;
    // the day's 24-hour rows of the schedules
    const energyRow = def.energy.schedule[type][month]!;
    const demandRow = def.demand ? def.demand.schedule[type][month]! : null;
    const n = hourly.energyMicro.length;
    const offsets = dayOffsets(cal, day.dayStart, MS_PER_HOUR, n, date);
    for (let h = 0; h < n; h++) {
      const start = day.dayStart + h * MS_PER_HOUR;
      const local = start + (h < offsets.changeAt ? offsets.before : offsets.after);
      const hour = Math.floor((local - Math.floor(local / MS_PER_DAY) * MS_PER_DAY) / MS_PER_HOUR);
      energyMicro[energyRow[hour]!]! += hourly.energyMicro[h]!;
      const peak = hourly.peakMicro[h];
      if (peak === null || peak === undefined) continue;
      const kwMicro = peak * toKw;
      const at = day.dayStart + hourly.peakMinute[h]! * MS_PER_MINUTE;
      // strictly larger: ties keep the earliest interval
      if (demandRow) {
        const p = demandRow[hour]!;
        const best = demandPeaks[p];
        if (!best || kwMicro > best.micro) demandPeaks[p] = { micro: kwMicro, at };
      }
      if (def.flatDemand && (!flatPeak || kwMicro > flatPeak.micro)) flatPeak = { micro: kwMicro, at };
    }
  }

  const days = daysIn(period);
  const fraction = monthFraction(period);
  const energyBound = (t: Tier): number | null =>
    t.max === null ? null : Math.round(t.max * (t.daily ? days : fraction) * MICRO);
  const demandBound = (t: Tier): number | null => (t.max === null ? null : Math.round(t.max * MICRO));
  const demandOf = (p: RatePeriod, peak: Peak | null): DemandDeterminant => {
    const micro = peak?.micro ?? 0;
    return {
      period: p.name,
      kw: micro / MICRO,
      at: peak ? new Date(peak.at).toISOString() : null,
      tiers: splitTiers(micro, p.tiers, demandBound),
    };
  };
  const total = energyMicro.reduce((a, b) => a + b, 0);
  const flatPeriod = def.flatDemand
    ? def.flatDemand.periods[def.flatDemand.months[Number(period.from.slice(5, 7)) - 1]!]!
    : null;
  return {
    meterId: input.meterId,
    tariffId: tariff.tariffId,
    channel: input.channel,
    from: period.from,
    to: period.to,
    days,
    monthFraction: fraction,
    intervals,
    energyKwh: total / MICRO,
    estimatedKwh: estimatedMicro / MICRO,
    estimatedShare: total === 0 ? 0 : estimatedMicro / total,
    energy: def.energy.periods.map((p, i) => ({
      period: p.name,
      kwh: energyMicro[i]! / MICRO,
      tiers: splitTiers(energyMicro[i]!, p.tiers, energyBound),
    })),
    demand: def.demand ? def.demand.periods.map((p, i) => demandOf(p, demandPeaks[i] ?? null)) : [],
    flatDemand: flatPeriod ? demandOf(flatPeriod, flatPeak) : null,
    seriesVersions: versions,
    aggregateVersions,
  };
}
