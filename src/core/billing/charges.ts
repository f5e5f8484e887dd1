/**
 * Determinants × tariff → bill lines. Each line's amount is quantity × rate rounded once to the
 * cent (half away from zero); the period total is the sum of its lines, so a bill always adds up
 * as printed. Monthly amounts (fixed charge, minimum) are prorated by the period's month fraction.
 */
import type { Determinants, TierQuantity } from './determinants.js';
import type { Tariff } from './tariff.js';

export type LineKind = 'fixed' | 'energy' | 'demand' | 'minimum';

export interface BillLine {
  kind: LineKind;
  description: string;
  quantity: number;
  unit: string;
  rate: number;
  amount: number;
}

export interface PeriodCharges {
  lines: BillLine[];
  total: number;
}

/** Round to the cent, half away from zero, after dropping binary noise (0.285 × 100 = 28.499999…). */
export function roundCents(x: number): number {
  const cents = Number((Math.abs(x) * 100).toPrecision(15));
  return (Math.sign(x) * Math.round(cents)) / 100 || 0;
}

function tierLines(
  kind: 'energy' | 'demand',
  period: string,
  unit: string,
  tiers: TierQuantity[],
): BillLine[] {
  return tiers
    .filter((t) => t.quantity !== 0 || tiers.length === 1)
    .map((t) => ({
      kind,
      description:
        tiers.length === 1
          ? `${kind} ${period}`
          : `${kind} ${period} tier ${t.tier}${t.upTo === null ? ' (rest)' : ` (to ${t.upTo} ${unit})`}`,
      quantity: t.quantity,
      unit,
      rate: t.rate,
      amount: roundCents(t.quantity * t.rate),
    }));
}

export function chargesOf(d: Determinants, tariff: Tariff): PeriodCharges {
  const def = tariff.definition;
  const lines: BillLine[] = [];
  if (def.fixed.monthly !== 0)
    lines.push({
      kind: 'fixed',
      description: 'fixed charge',
      quantity: d.monthFraction,
      unit: 'month',
      rate: def.fixed.monthly,
      amount: roundCents(d.monthFraction * def.fixed.monthly),
    });
  if (def.fixed.daily !== 0)
    lines.push({
      kind: 'fixed',
      description: 'daily charge',
      quantity: d.days,
      unit: 'day',
      rate: def.fixed.daily,
      amount: roundCents(d.days * def.fixed.daily),
    });
  for (const e of d.energy) lines.push(...tierLines('energy', e.period, 'kWh', e.tiers));
  for (const x of d.demand) lines.push(...tierLines('demand', x.period, 'kW', x.tiers));
  if (d.flatDemand) lines.push(...tierLines('demand', d.flatDemand.period, 'kW', d.flatDemand.tiers));
  const subtotal = lines.reduce((a, l) => a + Math.round(l.amount * 100), 0) / 100;
  const minimum = roundCents(def.minimumMonthly * d.monthFraction);
  if (minimum > subtotal) {
    lines.push({
      kind: 'minimum',
      description: 'minimum charge top-up',
      quantity: 1,
      unit: 'period',
      rate: roundCents(minimum - subtotal),
      amount: roundCents(minimum - subtotal),
    });
  }
  const total = lines.reduce((a, l) => a + Math.round(l.amount * 100), 0) / 100;
  return { lines, total };
}
