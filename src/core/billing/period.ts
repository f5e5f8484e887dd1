/**
 * Billing periods are local dates. An account bills in cycles that start on its cycle day (1..28)
 * of every month, so `--period 2026-03` with cycle day 15 is 2026-03-15 .. 2026-04-14. A range
 * (`--from --to`) is cut at cycle starts into periods, each billed on its own (tiers, demand peaks
 * and monthly charges are per period).
 */
import { UsageError } from '../errors.js';
import { epochDayOf, formatLocalDate, parseLocalDate, parseLocalMonth } from '../time/local-date.js';

export interface BillingPeriod {
  /** local dates, inclusive */
  from: string;
  to: string;
}

function cycleStart(year: number, month: number, cycleDay: number): number {
  return epochDayOf(year, month, cycleDay);
}

export function assertCycleDay(cycleDay: number): void {
  if (!Number.isInteger(cycleDay) || cycleDay < 1 || cycleDay > 28)
    throw new UsageError(
      `billing cycle day ${cycleDay} is not 1..28`,
      'Cycles start on day 1..28 so that every month has the day.',
    );
}

/** The period of the cycle that starts in a month: YYYY-MM-cycleDay .. the day before the next start. */
export function periodOfMonth(month: string, cycleDay = 1): BillingPeriod {
  assertCycleDay(cycleDay);
  const [y, m] = parseLocalMonth(month);
  const start = cycleStart(y, m, cycleDay);
  const next = m === 12 ? cycleStart(y + 1, 1, cycleDay) : cycleStart(y, m + 1, cycleDay);
  return { from: formatLocalDate(start), to: formatLocalDate(next - 1) };
}

/** [from, to] cut at cycle starts. */
export function periodsBetween(from: string, to: string, cycleDay = 1): BillingPeriod[] {
  assertCycleDay(cycleDay);
  const a = parseLocalDate(from);
  const z = parseLocalDate(to);
  if (z < a)
    throw new UsageError(`--to ${to} is before --from ${from}`, 'Give --from before --to (both inclusive).');
  const out: BillingPeriod[] = [];
  let start = a;
  while (start <= z) {
    const d = new Date(start * 86_400_000);
    let y = d.getUTCFullYear();
    let m = d.getUTCMonth() + 1;
    if (d.getUTCDate() >= cycleDay) m += 1;
    if (m === 13) {
      m = 1;
      y += 1;
    }
    const end = Math.min(cycleStart(y, m, cycleDay) - 1, z);
    out.push({ from: formatLocalDate(start), to: formatLocalDate(end) });
    start = end + 1;
  }
  return out;
}

export function daysIn(p: BillingPeriod): number {
  return parseLocalDate(p.to) - parseLocalDate(p.from) + 1;
}

/**
 * The share of a month a period is, for monthly charges and monthly tier bounds: days billed ÷
 * days of the month the period starts in. A whole cycle (day d to the day before d a month later)
 * is exactly 1, whatever the month's length.
 */
export function monthFraction(p: BillingPeriod): number {
  const [y, m] = p.from.slice(0, 7).split('-').map(Number) as [number, number];
  const first = epochDayOf(y, m, 1);
  const next = m === 12 ? epochDayOf(y + 1, 1, 1) : epochDayOf(y, m + 1, 1);
  return daysIn(p) / (next - first);
}

/** Local dates of a period, in order. */
export function datesOf(p: BillingPeriod): string[] {
  const out: string[] = [];
  for (let d = parseLocalDate(p.from); d <= parseLocalDate(p.to); d++) out.push(formatLocalDate(d));
  return out;
}
