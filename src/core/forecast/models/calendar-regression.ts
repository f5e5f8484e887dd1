/**
 * Weighted least squares on calendar features: one effect per (local time of day × day type)
 * cell (calendar-features.ts: Monday, Tuesday–Thursday, Friday, Saturday, Sunday or public
 * holiday), an annual cycle (one sine/cosine pair, only with a year of history: less cannot tell
 * season from trend) and, with a weather input, heating and cooling degrees (base 18 °C).
 * Observations are weighted by recency (half-life four weeks) so the cell effects follow a
 * changing level. Solved exactly by partialling the cell effects out (Frisch–Waugh): the
 * covariates need a k × k system with k ≤ 4, not one over hundreds of dummy columns.
 */
import type { ForecastModel, ModelInput } from './model.js';

const HALF_LIFE_DAYS = 28;
/** the level trend is extrapolated this far past the history, then held (a damped trend) */
const TREND_HOLD_DAYS = 7;
const BASE_C = 18;
const DAY_TYPE_COUNT = 5;

function covariates(input: ModelInput, n: number, withSeason: boolean): Float64Array[] {
  const cols: Float64Array[] = [];
  const t = input.temperature;
  if (t) {
    const hdd = new Float64Array(n);
    const cdd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = t[i] as number;
      hdd[i] = Math.max(0, BASE_C - v);
      cdd[i] = Math.max(0, v - BASE_C);
    }
    cols.push(hdd, cdd);
  }
  if (withSeason) {
    const sin = new Float64Array(n);
    const cos = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = (2 * Math.PI * (input.calendar.day[i] as number)) / 365.25;
      sin[i] = Math.sin(a);
      cos[i] = Math.cos(a);
    }
    cols.push(sin, cos);
  }
  return cols;
}

/**
 * A level trend proportional to each cell's size: (preliminary weighted cell mean) × weeks from
 * the end of the history. Proportional because usage changes by a share of the day (a household's
 * whole day shrinks in spring), not by the same kWh at 3 am as at 7 pm; linear in the unknowns,
 * so it is solved with the other covariates. Beyond TREND_HOLD_DAYS the trend is held.
 */
function trendCovariate(
  input: ModelInput,
  weight: Float64Array,
  cells: number,
  cellOf: (i: number) => number,
  lastDay: number,
): Float64Array {
  const { history, calendar: c } = input;
  const wSum = new Float64Array(cells);
  const mean = new Float64Array(cells);
  for (let i = 0; i < history.length; i++) {
    const w = weight[i] as number;
    if (w === 0) continue;
    const cell = cellOf(i);
    wSum[cell] = (wSum[cell] as number) + w;
    mean[cell] = (mean[cell] as number) + w * (history[i] as number);
  }
  const out = new Float64Array(c.day.length);
  for (let i = 0; i < out.length; i++) {
    const cell = cellOf(i);
    const w = wSum[cell] as number;
    const weeks = Math.min((c.day[i] as number) - lastDay, TREND_HOLD_DAYS) / 7;
    out[i] = w > 0 ? ((mean[cell] as number) / w) * weeks : 0;
  }
  return out;
}

/** Solves A x = b (A symmetric positive definite, small) by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const k = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[piv]![col]!)) piv = r;
    [m[col], m[piv]] = [m[piv]!, m[col]!];
    const d = m[col]![col]!;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / d;
      for (let c2 = col; c2 <= k; c2++) m[r]![c2] = m[r]![c2]! - f * m[col]![c2]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[k]! / row[i]!));
}

export const calendarRegression: ForecastModel = {
  name: 'calendar-regression',
  version: 2,
  predict(input: ModelInput): Float64Array {
    const { history, calendar: c, dayType, horizon } = input;
    const n = history.length;
    const total = n + horizon;
    const spd = c.slotsPerDay;
    const cells = spd * DAY_TYPE_COUNT;
    const cellOf = (i: number) => (dayType[i] as number) * spd + (c.slot[i] as number);
    const lastDay = c.day[n - 1] as number;
    const historyDays = lastDay - (c.day[0] as number) + 1;
    const weight = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      weight[i] = Number.isNaN(history[i] as number)
        ? 0
        : 0.5 ** ((lastDay - (c.day[i] as number)) / HALF_LIFE_DAYS);
    }
    const x = covariates(input, total, historyDays >= 365);
    x.push(trendCovariate(input, weight, cells, cellOf, lastDay));
    const k = x.length;
    // weighted cell means of y and of each covariate
    const wSum = new Float64Array(cells);
    const yMean = new Float64Array(cells);
    const xMean = x.map(() => new Float64Array(cells));
    for (let i = 0; i < n; i++) {
      const w = weight[i] as number;
      if (w === 0) continue;
      const cell = cellOf(i);
      wSum[cell] = (wSum[cell] as number) + w;
      yMean[cell] = (yMean[cell] as number) + w * (history[i] as number);
      for (let j = 0; j < k; j++) xMean[j]![cell] = xMean[j]![cell]! + w * x[j]![i]!;
    }
    for (let cell = 0; cell < cells; cell++) {
      const w = wSum[cell] as number;
      if (w === 0) continue;
      yMean[cell] = (yMean[cell] as number) / w;
      for (let j = 0; j < k; j++) xMean[j]![cell] = xMean[j]![cell]! / w;
    }
    let beta: number[] = [];
    if (k > 0) {
      const a = Array.from({ length: k }, () => new Array<number>(k).fill(0));
      const b = new Array<number>(k).fill(0);
      for (let i = 0; i < n; i++) {
        const w = weight[i] as number;
        if (w === 0) continue;
        const cell = cellOf(i);
        const ry = (history[i] as number) - (yMean[cell] as number);
        for (let p = 0; p < k; p++) {
          const rp = x[p]![i]! - xMean[p]![cell]!;
          b[p] = b[p]! + w * rp * ry;
          for (let q = 0; q < k; q++) a[p]![q] = a[p]![q]! + w * rp * (x[q]![i]! - xMean[q]![cell]!);
        }
      }
      beta = solve(a, b);
    }
    // a cell never seen (e.g. a holiday slot) falls back to the mean of its time of day
    const slotMean = new Float64Array(spd);
    const slotW = new Float64Array(spd);
    for (let cell = 0; cell < cells; cell++) {
      const s = cell % spd;
      slotMean[s] = (slotMean[s] as number) + (wSum[cell] as number) * (yMean[cell] as number);
      slotW[s] = (slotW[s] as number) + (wSum[cell] as number);
    }
    const out = new Float64Array(horizon);
    for (let h = 0; h < horizon; h++) {
      const i = n + h;
      const cell = cellOf(i);
      let v: number;
      if ((wSum[cell] as number) > 0) {
        v = yMean[cell] as number;
        for (let j = 0; j < k; j++) v += beta[j]! * (x[j]![i]! - xMean[j]![cell]!);
      } else {
        const s = c.slot[i] as number;
        v = (slotW[s] as number) > 0 ? (slotMean[s] as number) / (slotW[s] as number) : Number.NaN;
      }
      out[h] = v;
    }
    return out;
  },
};
