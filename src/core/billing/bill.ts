import type { IntervalMinutes } from '../readings/block.js';
/**
 * A bill: per billing period the determinants and the lines they cost, and the rows a closed
 * period keeps in smt.billing_determinants. Pure: the service does the I/O.
 */
import type { SeriesDay } from '../series/day.js';
import { type BillLine, chargesOf } from './charges.js';
import { computeDeterminants, type Determinants } from './determinants.js';
import type { BillingPeriod } from './period.js';
import type { Tariff } from './tariff.js';

/** Where a bill's figures come from (docs/billing.md "Sources"). */
export interface BillBasis {
  /**
   * aggregates: the authoritative daily aggregates in PostgreSQL (by local hour), each of the
   * series version the series holds now; series: the current series (actuals, estimates,
   * corrections), read as of `asOf` when given
   */
  source: 'aggregates' | 'series';
  /** validated: from aggregates that are all validated (or billed); anything else is provisional */
  status: 'validated' | 'provisional';
  asOf: string | null;
  /** why a bill that could have come from the aggregates comes from the series; null otherwise */
  reason: string | null;
}

export interface PeriodBill {
  meterId: string;
  accountId: string;
  tariffId: string;
  tariffName: string;
  currency: string;
  from: string;
  to: string;
  basis: BillBasis;
  determinants: Determinants;
  lines: BillLine[];
  total: number;
}

export interface MeterBillInput {
  meterId: string;
  accountId: string;
  timezone: string;
  intervalMinutes: IntervalMinutes;
  channel: string;
  tariff: Tariff;
  days: readonly SeriesDay[];
  asOf: number | null;
}

/** The bill of a period from the series. */
export function billPeriod(
  m: MeterBillInput,
  period: BillingPeriod,
  reason: string | null = null,
): PeriodBill {
  return billOf(m, computeDeterminants({ ...m, period }), {
    source: 'series',
    status: 'provisional',
    asOf: m.asOf === null ? null : new Date(m.asOf).toISOString(),
    reason,
  });
}

/** The lines and total of determinants, however they were computed. */
export function billOf(
  m: Pick<MeterBillInput, 'meterId' | 'accountId' | 'tariff'>,
  determinants: Determinants,
  basis: BillBasis,
): PeriodBill {
  const charges = chargesOf(determinants, m.tariff);
  return {
    meterId: m.meterId,
    accountId: m.accountId,
    tariffId: m.tariff.tariffId,
    tariffName: m.tariff.name,
    currency: m.tariff.definition.currency,
    from: determinants.from,
    to: determinants.to,
    basis,
    determinants,
    lines: charges.lines,
    total: charges.total,
  };
}

export interface DeterminantValue {
  determinant: string;
  value: number;
  unit: string;
}

/** The named quantities of a period as stored when it is closed (6 decimals, numeric(18,6)). */
export function determinantRows(b: PeriodBill): DeterminantValue[] {
  const d = b.determinants;
  const rows: DeterminantValue[] = [
    { determinant: 'days', value: d.days, unit: 'day' },
    { determinant: 'energy_kwh', value: d.energyKwh, unit: 'kWh' },
    { determinant: 'estimated_kwh', value: d.estimatedKwh, unit: 'kWh' },
    { determinant: 'estimated_share', value: Math.round(d.estimatedShare * 1e6) / 1e6, unit: 'ratio' },
    { determinant: 'intervals_expected', value: d.intervals.expected, unit: 'interval' },
    { determinant: 'intervals_actual', value: d.intervals.actual, unit: 'interval' },
    { determinant: 'intervals_estimated', value: d.intervals.estimated, unit: 'interval' },
    { determinant: 'intervals_missing', value: d.intervals.missing, unit: 'interval' },
    { determinant: 'total', value: b.total, unit: b.currency },
  ];
  for (const e of d.energy) {
    rows.push({ determinant: `energy:${e.period}_kwh`, value: e.kwh, unit: 'kWh' });
    if (e.tiers.length > 1)
      for (const t of e.tiers)
        rows.push({ determinant: `energy:${e.period}:tier${t.tier}_kwh`, value: t.quantity, unit: 'kWh' });
  }
  for (const x of d.demand) rows.push({ determinant: `demand:${x.period}_kw`, value: x.kw, unit: 'kW' });
  if (d.flatDemand)
    rows.push({ determinant: `flat_demand:${d.flatDemand.period}_kw`, value: d.flatDemand.kw, unit: 'kW' });
  return rows;
}

export interface DeterminantDelta {
  determinant: string;
  unit: string;
  billed: number | null;
  current: number | null;
  /** current − billed (a missing side counts as 0) */
  delta: number;
}

/** Determinant by determinant, what changed between a billed period and its recomputation. */
export function determinantDeltas(
  billed: readonly DeterminantValue[],
  current: readonly DeterminantValue[],
): DeterminantDelta[] {
  const names = [
    ...new Set([...billed.map((x) => x.determinant), ...current.map((x) => x.determinant)]),
  ].sort();
  const b = new Map(billed.map((x) => [x.determinant, x]));
  const c = new Map(current.map((x) => [x.determinant, x]));
  return names.map((n) => {
    const bv = b.get(n)?.value ?? null;
    const cv = c.get(n)?.value ?? null;
    const delta = Math.round(((cv ?? 0) - (bv ?? 0)) * 1e6) / 1e6;
    return { determinant: n, unit: (c.get(n) ?? b.get(n))!.unit, billed: bv, current: cv, delta };
  });
}
