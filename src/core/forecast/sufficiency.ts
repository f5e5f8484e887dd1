/**
 * Is there enough history to forecast from? In the spirit of CalTRACK's baseline rules
 * (calculated on the history window, reasons an operator can act on): fewer than 8 weeks of
 * history, or more than 10 % of its intervals missing, is refused; less than a year is a warning
 * (no annual season is modelled), and so is a gap of a day or more.
 */
export const MIN_HISTORY_DAYS = 56;
export const MAX_MISSING_FRACTION = 0.1;

export interface SufficiencyIssue {
  code: 'history.short' | 'history.sparse' | 'history.no-year' | 'history.gap';
  message: string;
}

export interface Sufficiency {
  ok: boolean;
  refusals: SufficiencyIssue[];
  warnings: SufficiencyIssue[];
  historyDays: number;
  missingFraction: number;
}

export function checkSufficiency(values: Float64Array, slotsPerDay: number): Sufficiency {
  const historyDays = values.length / slotsPerDay;
  let missing = 0;
  let run = 0;
  let longestGap = 0;
  for (const v of values) {
    if (Number.isNaN(v)) {
      missing++;
      run++;
      if (run > longestGap) longestGap = run;
    } else run = 0;
  }
  const missingFraction = values.length === 0 ? 1 : missing / values.length;
  const refusals: SufficiencyIssue[] = [];
  const warnings: SufficiencyIssue[] = [];
  const days = Math.round(historyDays * 10) / 10;
  if (historyDays < MIN_HISTORY_DAYS) {
    refusals.push({
      code: 'history.short',
      message: `${days} days of history, at least ${MIN_HISTORY_DAYS} (8 weeks) are needed`,
    });
  }
  if (missingFraction > MAX_MISSING_FRACTION) {
    refusals.push({
      code: 'history.sparse',
      message: `${(missingFraction * 100).toFixed(1)} % of the history's intervals are missing, at most ${MAX_MISSING_FRACTION * 100} % may be`,
    });
  }
  if (historyDays < 365) {
    warnings.push({
      code: 'history.no-year',
      message: `${days} days of history, less than a year: no annual season is modelled`,
    });
  }
  if (longestGap >= slotsPerDay) {
    warnings.push({
      code: 'history.gap',
      message: `a gap of ${(longestGap / slotsPerDay).toFixed(1)} days without readings`,
    });
  }
  return { ok: refusals.length === 0, refusals, warnings, historyDays, missingFraction };
}
