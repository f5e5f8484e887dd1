/**
 * Double-seasonal exponential smoothing after Taylor (2003), "Short-term electricity demand
 * forecasting using double seasonal exponential smoothing", JORS 54: a level, a within-day and a
 * within-week seasonal component, and an AR(1) adjustment of the one-step error whose effect
 * decays with the lead time. No trend term: Taylor found it did not help at these horizons. Both
 * the additive form and Taylor's multiplicative one (level × day index × week index) are fitted;
 * the better one-step fit over the history is kept (fitDshw).
 *
 * Hand-written: no maintained npm package implements double-seasonal Holt-Winters (the npm
 * Holt-Winters packages are single-seasonal and unmaintained), and the recursion is 20 lines.
 * The seasonal indices are keyed on the local wall clock (series.ts), so the weekly cycle is not
 * broken by a DST change. The smoothing parameters are fitted by minimising the one-step squared
 * error over the history (coordinate descent over a grid: cheap and deterministic).
 */
import type { ForecastModel, ModelInput } from './model.js';

export interface DshwParams {
  /** additive components, or Taylor's multiplicative seasonal indices (level × day × week) */
  multiplicative?: boolean;
  alpha: number;
  delta: number;
  omega: number;
  phi: number;
}

const GRID = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
const PHI_GRID = [0, 0.5, 0.8, 0.9, 0.95, 0.98];

interface State {
  level: number;
  daily: Float64Array;
  weekly: Float64Array;
  lastError: number;
  sse: number;
}

/** Initial components from the first two weeks (needs history ≥ 2 weeks, see sufficiency.ts). */
function initialState(input: ModelInput): State {
  const { history, calendar: c } = input;
  const spd = c.slotsPerDay;
  const daily = new Float64Array(spd);
  const weekly = new Float64Array(7 * spd);
  const firstDay = c.day[0] as number;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < history.length && (c.day[i] as number) - firstDay < 14; i++) {
    const v = history[i] as number;
    if (!Number.isNaN(v)) {
      sum += v;
      n++;
    }
  }
  const level = n > 0 ? sum / n : 0;
  const dSum = new Float64Array(spd);
  const dN = new Float64Array(spd);
  const wSum = new Float64Array(7 * spd);
  const wN = new Float64Array(7 * spd);
  for (let i = 0; i < history.length && (c.day[i] as number) - firstDay < 14; i++) {
    const v = history[i] as number;
    if (Number.isNaN(v)) continue;
    const s = c.slot[i] as number;
    dSum[s] = (dSum[s] as number) + v - level;
    dN[s] = (dN[s] as number) + 1;
  }
  for (let s = 0; s < spd; s++)
    daily[s] = (dN[s] as number) > 0 ? (dSum[s] as number) / (dN[s] as number) : 0;
  for (let i = 0; i < history.length && (c.day[i] as number) - firstDay < 14; i++) {
    const v = history[i] as number;
    if (Number.isNaN(v)) continue;
    const s = c.slot[i] as number;
    const w = (c.weekday[i] as number) * spd + s;
    wSum[w] = (wSum[w] as number) + v - level - (daily[s] as number);
    wN[w] = (wN[w] as number) + 1;
  }
  for (let w = 0; w < 7 * spd; w++)
    weekly[w] = (wN[w] as number) > 0 ? (wSum[w] as number) / (wN[w] as number) : 0;
  return { level, daily, weekly, lastError: 0, sse: 0 };
}

function run(input: ModelInput, p: DshwParams, init: State): State {
  const { history, calendar: c } = input;
  const spd = c.slotsPerDay;
  const daily = Float64Array.from(init.daily);
  const weekly = Float64Array.from(init.weekly);
  let level = init.level;
  let lastError = 0;
  let sse = 0;
  for (let i = 0; i < history.length; i++) {
    const s = c.slot[i] as number;
    const w = (c.weekday[i] as number) * spd + s;
    const d = daily[s] as number;
    const wk = weekly[w] as number;
    const y = history[i] as number;
    if (Number.isNaN(y)) {
      // a missing reading updates nothing; the AR term decays as if the error were unknown
      lastError *= p.phi;
      continue;
    }
    // error-correction form of Taylor's recursions (same model, reparametrised): eps is the error
    // of the smoothed components, the one-step forecast adds phi times the previous eps
    if (p.multiplicative) {
      const eps = y - level * d * wk;
      const e = eps - p.phi * lastError;
      sse += e * e;
      level += (p.alpha * eps) / (d * wk);
      daily[s] = d + (p.delta * eps) / (level * wk);
      weekly[w] = wk + (p.omega * eps) / (level * d);
      lastError = eps;
      continue;
    }
    const eps = y - (level + d + wk);
    const e = eps - p.phi * lastError;
    sse += e * e;
    level += p.alpha * eps;
    daily[s] = d + p.delta * eps;
    weekly[w] = wk + p.omega * eps;
    lastError = eps;
  }
  return { level, daily, weekly, lastError, sse };
}

function fitForm(input: ModelInput, multiplicative: boolean): { params: DshwParams; sse: number } {
  const init = multiplicative ? toMultiplicative(initialState(input)) : initialState(input);
  const p: DshwParams = { multiplicative, alpha: 0.05, delta: 0.1, omega: 0.1, phi: 0.9 };
  const keys: ('alpha' | 'delta' | 'omega' | 'phi')[] = ['alpha', 'delta', 'omega', 'phi'];
  for (let round = 0; round < 2; round++) {
    for (const k of keys) {
      let best = p[k];
      let bestSse = Number.POSITIVE_INFINITY;
      for (const v of k === 'phi' ? PHI_GRID : GRID) {
        const sse = run(input, { ...p, [k]: v }, init).sse;
        if (sse < bestSse) {
          bestSse = sse;
          best = v;
        }
      }
      p[k] = best;
    }
  }
  return { params: p, sse: run(input, p, init).sse };
}

/**
 * Fits both forms and keeps the one with the smaller one-step error over the history (in-sample,
 * nothing after the origin). Multiplicative indices scale with the level, so a change of level
 * (a season, a trend) moves every slot by its share; they need a series without zeros.
 */
export function fitDshw(input: ModelInput): DshwParams {
  const additive = fitForm(input, false);
  if (!input.history.every((v) => Number.isNaN(v) || v > 0)) return additive.params;
  const multiplicative = fitForm(input, true);
  return multiplicative.sse < additive.sse ? multiplicative.params : additive.params;
}

/** The additive start as indices: day and week as ratios (a level of 0 leaves them neutral). */
function toMultiplicative(s: State): State {
  const l = s.level;
  const daily = s.daily.map((d) => (l > 0 ? (l + d) / l : 1));
  const weekly = s.weekly.map((w, i) => {
    const d = s.daily[i % s.daily.length] as number;
    return l + d > 0 ? (l + d + w) / (l + d) : 1;
  });
  return { ...s, daily, weekly };
}

export function dshwForecast(input: ModelInput, p: DshwParams): Float64Array {
  const init = initialState(input);
  const st = run(input, p, p.multiplicative ? toMultiplicative(init) : init);
  const { calendar: c, horizon, history } = input;
  const spd = c.slotsPerDay;
  const out = new Float64Array(horizon);
  let ar = st.lastError;
  for (let h = 0; h < horizon; h++) {
    const i = history.length + h;
    const s = c.slot[i] as number;
    ar *= p.phi;
    const d = st.daily[s] as number;
    const wk = st.weekly[(c.weekday[i] as number) * spd + s] as number;
    out[h] = (p.multiplicative ? st.level * d * wk : st.level + d + wk) + ar;
  }
  return out;
}

export const doubleSeasonal: ForecastModel = {
  name: 'double-seasonal',
  version: 2,
  predict(input: ModelInput): Float64Array {
    return dshwForecast(input, fitDshw(input));
  },
};
