/**
 * Rolling-origin backtest: at each local midnight in [from, to] the model sees only the history
 * before it and forecasts the next 1, 7 or 31 days; the errors against what then happened are
 * summed per (model, horizon). MAPE is the mean of |error| / actual over the points (intervals or
 * days) whose actual is positive; WAPE is Σ|error| / Σ actual, which a few near-zero actuals
 * cannot blow up. Origins whose history fails the sufficiency rules are skipped and counted.
 */
import { LocalCalendar } from '../time/calendar.js';
import { dayTypes } from './calendar-features.js';
import { fromFirstReading, MODELS } from './engine.js';
import type { ModelName } from './models/model.js';
import { dailyTotals, dayLengths, sliceCalendar, slotCalendar, type UsageSeries } from './series.js';
import { checkSufficiency } from './sufficiency.js';

export const HORIZON_DAYS = { '1d': 1, '7d': 7, '31d': 31 } as const;
export type Horizon = keyof typeof HORIZON_DAYS;

export class ErrorSums {
  absErr = 0;
  actual = 0;
  ape = 0;
  points = 0;

  add(actual: number, pred: number): void {
    if (Number.isNaN(actual) || Number.isNaN(pred)) return;
    this.absErr += Math.abs(actual - pred);
    this.actual += actual;
    if (actual > 0) {
      this.ape += Math.abs(actual - pred) / actual;
      this.points++;
    }
  }

  merge(o: ErrorSums): void {
    this.absErr += o.absErr;
    this.actual += o.actual;
    this.ape += o.ape;
    this.points += o.points;
  }

  get mape(): number {
    return this.points === 0 ? Number.NaN : this.ape / this.points;
  }

  get wape(): number {
    return this.actual === 0 ? Number.NaN : this.absErr / this.actual;
  }
}

export interface BacktestCell {
  model: ModelName;
  horizon: Horizon;
  interval: ErrorSums;
  daily: ErrorSums;
  origins: number;
}

export interface BacktestResult {
  cells: BacktestCell[];
  skippedOrigins: number;
}

export function backtest(args: {
  series: UsageSeries;
  /** local epoch days of the first and last origin */
  fromDay: number;
  toDay: number;
  horizons: readonly Horizon[];
  models: readonly ModelName[];
  holidays: ReadonlySet<number>;
  temperature?: Float64Array;
  /** called after each origin */
  onOrigin?: () => void;
}): BacktestResult {
  const { series, temperature } = fromFirstReading(args);
  const { horizons, models } = args;
  const n = series.values.length;
  const cal = slotCalendar(series.timezone, series.intervalMinutes, series.start, n);
  const lengths = dayLengths(series.timezone, series.intervalMinutes, cal.day);
  const types = dayTypes(cal, args.holidays);
  const local = LocalCalendar.for(series.timezone);
  const step = series.intervalMinutes * 60_000;
  const cells = new Map<string, BacktestCell>();
  let skippedOrigins = 0;
  for (let day = args.fromDay; day <= args.toDay; day++) {
    const origin = Math.round((local.dayBoundsOf(day).start - series.start) / step);
    if (origin <= 0 || origin >= n) continue;
    const history = series.values.subarray(0, origin);
    if (!checkSufficiency(history, cal.slotsPerDay).ok) {
      skippedOrigins++;
      continue;
    }
    for (const horizon of horizons) {
      const end = Math.round((local.dayBoundsOf(day + HORIZON_DAYS[horizon]).start - series.start) / step);
      if (end > n) continue;
      for (const name of models) {
        const key = `${name}|${horizon}`;
        let cell = cells.get(key);
        if (!cell) {
          cell = { model: name, horizon, interval: new ErrorSums(), daily: new ErrorSums(), origins: 0 };
          cells.set(key, cell);
        }
        const p = MODELS[name].predict({
          history,
          calendar: sliceCalendar(cal, 0, end),
          horizon: end - origin,
          dayType: types.subarray(0, end),
          ...(temperature ? { temperature: temperature.subarray(0, end) } : {}),
        });
        const actual = series.values.subarray(origin, end);
        for (let h = 0; h < p.length; h++) cell.interval.add(actual[h] as number, p[h] as number);
        const target = sliceCalendar(cal, origin, end);
        const a = dailyTotals(actual, target, lengths);
        const f = dailyTotals(p, target, lengths);
        for (let d = 0; d < a.values.length; d++)
          cell.daily.add(a.values[d] as number, f.values[d] as number);
        cell.origins++;
      }
    }
    args.onOrigin?.();
  }
  return { cells: [...cells.values()], skippedOrigins };
}
