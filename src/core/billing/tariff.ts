/**
 * A tariff as data: the one compiled form that both importers (the project's YAML, the OpenEI URDB
 * JSON export) produce, that PostgreSQL stores in `smt.tariffs.definition` and that the billing
 * engine reads. It follows URDB's model because URDB is the widest published source of tariffs:
 * rate periods chosen per local hour by 12 × 24 month-by-hour matrices (weekday, weekend, and
 * here also public holiday), each period a list of block-rate tiers.
 */
import { InvalidDataError } from '../errors.js';

/** One block of a rate: `max` is the upper bound of the block (kWh in the billing period, or kW); null = unbounded. */
export interface Tier {
  max: number | null;
  /** currency per kWh (energy) or per kW (demand); URDB `rate + adj` */
  rate: number;
  /** `max` is per day billed (URDB unit `kWh daily`): the bound is max × days */
  daily?: boolean;
}

export interface RatePeriod {
  name: string;
  tiers: Tier[];
}

/** Period index (into the periods list) per month (0 = January) and local hour (0-23). */
export type MonthHourMatrix = number[][];

export interface Schedule {
  weekday: MonthHourMatrix;
  weekend: MonthHourMatrix;
  /** public holidays (from `holidays`); the weekend matrix when the source has none */
  holiday: MonthHourMatrix;
}

/** A public-holiday calendar of the `date-holidays` library: country, optional state and region. */
export interface HolidayCalendar {
  country: string;
  state?: string;
  region?: string;
}

export interface TariffDefinition {
  version: 1;
  currency: string;
  /** holidays billed with the holiday schedule; null = none (every day is a weekday or weekend) */
  holidays: HolidayCalendar | null;
  fixed: {
    /** per billing period of a whole month; prorated by days otherwise (docs/billing.md) */
    monthly: number;
    daily: number;
  };
  /** the bill is at least this per month (prorated like `fixed.monthly`); 0 = none */
  minimumMonthly: number;
  energy: { periods: RatePeriod[]; schedule: Schedule };
  /** time-of-use demand charges: the peak interval demand within each demand period */
  demand: { periods: RatePeriod[]; schedule: Schedule } | null;
  /** demand charge on the peak of the whole billing period; the period by the month the billing period starts in */
  flatDemand: { periods: RatePeriod[]; months: number[] } | null;
  source: { kind: 'yaml' | 'urdb'; label?: string; uri?: string; utility?: string; name?: string };
}

export type TariffKind = 'flat' | 'time_of_use' | 'demand';

export interface Tariff {
  tariffId: string;
  name: string;
  kind: TariffKind;
  /** local dates, inclusive; null = open */
  validFrom: string | null;
  validTo: string | null;
  definition: TariffDefinition;
}

export function tariffKind(d: TariffDefinition): TariffKind {
  if (d.demand !== null || d.flatDemand !== null) return 'demand';
  return d.energy.periods.length > 1 ? 'time_of_use' : 'flat';
}

/** A 12 × 24 matrix with every entry `period`. */
export function constantMatrix(period = 0): MonthHourMatrix {
  return Array.from({ length: 12 }, () => new Array<number>(24).fill(period));
}

/** What is wrong with a definition, where, in words; empty when it is valid. */
export function definitionProblems(d: TariffDefinition): string[] {
  const out: string[] = [];
  if (!/^[A-Z]{3}$/.test(d.currency))
    out.push(`currency: expected a 3-letter ISO code, found ${JSON.stringify(d.currency)}`);
  const money = (v: number, where: string): void => {
    if (!Number.isFinite(v)) out.push(`${where}: expected a number, found ${v}`);
  };
  money(d.fixed.monthly, 'fixed.monthly');
  money(d.fixed.daily, 'fixed.daily');
  money(d.minimumMonthly, 'minimumMonthly');
  const periods = (list: RatePeriod[], where: string): void => {
    if (list.length === 0) out.push(`${where}.periods: at least one period is needed`);
    list.forEach((p, i) => {
      if (p.tiers.length === 0) out.push(`${where}.periods[${i}] (${p.name}): no rate`);
      let last = 0;
      p.tiers.forEach((t, j) => {
        const at = `${where}.periods[${i}] (${p.name}).tiers[${j}]`;
        money(t.rate, `${at}.rate`);
        if (t.max === null) {
          if (j !== p.tiers.length - 1) out.push(`${at}: only the last tier may be unbounded`);
        } else if (!(t.max > last)) out.push(`${at}.max: expected more than ${last}, found ${t.max}`);
        else last = t.max;
      });
    });
  };
  const matrix = (m: MonthHourMatrix, n: number, where: string): void => {
    if (m.length !== 12 || m.some((row) => row.length !== 24)) {
      out.push(`${where}: expected 12 rows (months) of 24 hours`);
      return;
    }
    m.forEach((row, mi) => {
      row.forEach((p, h) => {
        if (!Number.isInteger(p) || p < 0 || p >= n)
          out.push(`${where}[${mi}][${h}]: period ${p} does not exist (0..${n - 1})`);
      });
    });
  };
  periods(d.energy.periods, 'energy');
  for (const k of ['weekday', 'weekend', 'holiday'] as const)
    matrix(d.energy.schedule[k], d.energy.periods.length, `energy.schedule.${k}`);
  if (d.demand) {
    periods(d.demand.periods, 'demand');
    for (const k of ['weekday', 'weekend', 'holiday'] as const)
      matrix(d.demand.schedule[k], d.demand.periods.length, `demand.schedule.${k}`);
  }
  if (d.flatDemand) {
    periods(d.flatDemand.periods, 'flatDemand');
    if (d.flatDemand.months.length !== 12) out.push('flatDemand.months: expected 12 entries');
    d.flatDemand.months.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || p >= d.flatDemand!.periods.length)
        out.push(`flatDemand.months[${i}]: period ${p} does not exist`);
    });
  }
  return out;
}

export function assertDefinition(d: TariffDefinition, source: string): void {
  const problems = definitionProblems(d);
  if (problems.length > 0)
    throw new InvalidDataError(
      `${source}: invalid tariff: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      {
        code: 'INVALID_TARIFF',
        hint: 'Fix the tariff file at the place named; `smt tariffs import --help` describes both formats.',
        details: { problems },
      },
    );
}

/** A tariff file's field is wrong: where, what, and where its format is described. */
export function tariffFieldError(
  source: string,
  field: string,
  message: string,
  hint: string,
): InvalidDataError {
  return new InvalidDataError(`${source}: ${field}: ${message}`, { code: 'INVALID_TARIFF', hint });
}

/** A finite number, or the error naming the field. */
export function numberField(v: unknown, source: string, field: string, hint: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw tariffFieldError(source, field, `expected a number, found ${JSON.stringify(v)}`, hint);
  return v;
}
