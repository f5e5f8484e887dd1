/**
 * One forecast: the chosen model's point forecast for the horizon, per interval and per local
 * day, with prediction intervals from the model's own errors on the end of the history
 * (empirical quantiles of the errors at the same lead, from CALIBRATION_ORIGINS earlier origins
 * one day apart). Refuses with the sufficiency reasons when the history is not enough.
 */
import { InvalidDataError } from '../errors.js';
import { dayTypes } from './calendar-features.js';
import { calendarRegression } from './models/calendar-regression.js';
import { combination } from './models/combination.js';
import { doubleSeasonal } from './models/double-seasonal.js';
import type { ForecastModel, ModelInput, ModelName } from './models/model.js';
import { seasonalNaive } from './models/seasonal-naive.js';
import {
  dailyTotals,
  dayLengths,
  type SlotCalendar,
  sliceCalendar,
  slotCalendar,
  type UsageSeries,
} from './series.js';
import { checkSufficiency, type Sufficiency } from './sufficiency.js';

export const MODELS: Record<ModelName, ForecastModel> = {
  'seasonal-naive': seasonalNaive,
  'double-seasonal': doubleSeasonal,
  'calendar-regression': calendarRegression,
  combination,
};

const CALIBRATION_ORIGINS = 7;
/** central 90 % interval */
const LOWER_Q = 0.05;
const UPPER_Q = 0.95;

export interface ForecastRequest {
  series: UsageSeries;
  /** positions after the end of the history */
  horizon: number;
  model: ModelName;
  holidays: ReadonlySet<number>;
  /** °C per position of history + horizon */
  temperature?: Float64Array;
}

export interface ForecastPoint {
  start: number;
  value: number;
  lower: number;
  upper: number;
}

export interface DailyForecast {
  date: string;
  value: number;
  lower: number;
  upper: number;
}

export interface ForecastResult {
  model: ModelName;
  modelVersion: number;
  intervals: ForecastPoint[];
  days: DailyForecast[];
  sufficiency: Sufficiency;
}

export function modelInput(
  req: ForecastRequest,
  cal: SlotCalendar,
  historyEnd: number,
  horizon: number,
): ModelInput {
  return {
    history: req.series.values.subarray(0, historyEnd),
    calendar: sliceCalendar(cal, 0, historyEnd + horizon),
    horizon,
    dayType: dayTypes(sliceCalendar(cal, 0, historyEnd + horizon), req.holidays),
    ...(req.temperature ? { temperature: req.temperature.subarray(0, historyEnd + horizon) } : {}),
  };
}

function insertSorted(sorted: number[], v: number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, v);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * The history starts at its first reading: positions before it are a meter not yet reporting
 * (or a window chosen too wide), not gaps in its history, and are not counted as missing.
 */
export function fromFirstReading<T extends { series: UsageSeries; temperature?: Float64Array }>(req: T): T {
  const first = req.series.values.findIndex((v) => !Number.isNaN(v));
  if (first <= 0) return req;
  const step = req.series.intervalMinutes * 60_000;
  return {
    ...req,
    series: {
      ...req.series,
      start: req.series.start + first * step,
      values: req.series.values.subarray(first),
    },
    ...(req.temperature ? { temperature: req.temperature.subarray(first) } : {}),
  };
}

export function runForecast(request: ForecastRequest): ForecastResult {
  const req = fromFirstReading(request);
  const { series, horizon } = req;
  const n = series.values.length;
  const cal = slotCalendar(series.timezone, series.intervalMinutes, series.start, n + horizon);
  const spd = cal.slotsPerDay;
  const sufficiency = checkSufficiency(series.values, spd);
  if (!sufficiency.ok) {
    throw new InvalidDataError(
      `not enough history to forecast: ${sufficiency.refusals.map((r) => r.message).join('; ')}`,
      {
        code: 'FORECAST_INSUFFICIENT',
        hint: 'forecast from a longer or more complete history (--from earlier), or a level with more meters',
        details: sufficiency,
      },
    );
  }
  const model = MODELS[req.model];
  const point = model.predict(modelInput(req, cal, n, horizon));
  const lengths = dayLengths(series.timezone, series.intervalMinutes, cal.day);

  // errors by lead from earlier origins, each forecasting into the known end of the history
  const errs: number[][] = Array.from({ length: horizon }, () => []);
  const dayErrs = new Map<number, number[]>();
  for (let k = 1; k <= CALIBRATION_ORIGINS; k++) {
    const origin = n - k * spd;
    if (origin < 2 * 7 * spd) break;
    const lead = Math.min(horizon, n - origin);
    const p = model.predict(modelInput(req, cal, origin, lead));
    for (let h = 0; h < lead; h++) {
      const y = series.values[origin + h] as number;
      if (!Number.isNaN(y) && !Number.isNaN(p[h] as number)) errs[h]!.push(y - (p[h] as number));
    }
    const actualDays = dailyTotals(
      series.values.subarray(origin, origin + lead),
      sliceCalendar(cal, origin, origin + lead),
      lengths,
    );
    const predDays = dailyTotals(p, sliceCalendar(cal, origin, origin + lead), lengths);
    predDays.values.forEach((v, d) => {
      const y = actualDays.values[d] as number;
      if (Number.isNaN(y) || Number.isNaN(v)) return;
      const list = dayErrs.get(d) ?? [];
      list.push(y - v);
      dayErrs.set(d, list);
    });
  }
  // few errors at long leads: pool each lead with every shorter one so the interval only widens
  // (kept sorted by insertion: re-sorting the pool at every lead was quadratic in the horizon)
  const pooled: number[] = [];
  const intervals: ForecastPoint[] = [];
  const step = series.intervalMinutes * 60_000;
  for (let h = 0; h < horizon; h++) {
    for (const e of errs[h]!) insertSorted(pooled, e);
    const sorted = errs[h]!.length >= 20 ? [...errs[h]!].sort((a, b) => a - b) : pooled;
    const v = point[h] as number;
    intervals.push({
      start: series.start + (n + h) * step,
      value: v,
      lower: v + quantile(sorted, LOWER_Q),
      upper: v + quantile(sorted, UPPER_Q),
    });
  }
  const predDays = dailyTotals(point, sliceCalendar(cal, n, n + horizon), lengths);
  const sorted: number[] = [];
  const days: DailyForecast[] = predDays.dates.map((date, d) => {
    for (const e of dayErrs.get(d) ?? []) insertSorted(sorted, e);
    const v = predDays.values[d] as number;
    return { date, value: v, lower: v + quantile(sorted, LOWER_Q), upper: v + quantile(sorted, UPPER_Q) };
  });
  return { model: model.name, modelVersion: model.version, intervals, days, sufficiency };
}
