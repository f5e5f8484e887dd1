/**
 * A weighted combination of seasonal naive, double-seasonal smoothing and the calendar regression,
 * the weights chosen per forecast by rolling-origin validation inside the history: from each of
 * the last VALIDATION_ORIGINS local midnights that leave room for the lead, every member forecasts
 * into the known end of the history, and the weights (a grid on the simplex, step 1/4) with the
 * smallest sum of absolute daily errors win. Nothing after the forecast origin is looked at, so a
 * backtest of the combination is as honest as one of its members.
 *
 * The double-seasonal parameters are fitted once on the whole history and reused at the inner
 * origins (the fit is ~64 passes over the history, a run one pass); the validation lead is the
 * horizon capped at VALIDATION_MAX_LEAD_DAYS, so a 31-day forecast is weighted on 7-day errors.
 */
import { sliceCalendar } from '../series.js';
import { calendarRegression } from './calendar-regression.js';
import { dshwForecast, fitDshw } from './double-seasonal.js';
import type { ForecastModel, ModelInput } from './model.js';
import { seasonalNaive } from './seasonal-naive.js';

const VALIDATION_ORIGINS = 14;
const VALIDATION_MAX_LEAD_DAYS = 7;
const WEIGHT_STEPS = 4;

function slice(input: ModelInput, origin: number, lead: number): ModelInput {
  return {
    history: input.history.subarray(0, origin),
    calendar: sliceCalendar(input.calendar, 0, origin + lead),
    horizon: lead,
    dayType: input.dayType.subarray(0, origin + lead),
    ...(input.temperature ? { temperature: input.temperature.subarray(0, origin + lead) } : {}),
  };
}

/** Every weight triple (naive, double-seasonal, regression) on the grid, summing to 1. */
export const WEIGHTS: readonly (readonly [number, number, number])[] = (() => {
  const out: [number, number, number][] = [];
  for (let a = 0; a <= WEIGHT_STEPS; a++)
    for (let b = 0; a + b <= WEIGHT_STEPS; b++)
      out.push([a / WEIGHT_STEPS, b / WEIGHT_STEPS, (WEIGHT_STEPS - a - b) / WEIGHT_STEPS]);
  return out;
})();

/** The weights the validation chooses, and the members' forecasts for the horizon. */
export function chooseWeights(input: ModelInput): {
  weights: readonly [number, number, number];
  members: [Float64Array, Float64Array, Float64Array];
} {
  const { history, calendar: c, horizon } = input;
  const n = history.length;
  const params = fitDshw(input);
  const predictAll = (inp: ModelInput): [Float64Array, Float64Array, Float64Array] => [
    seasonalNaive.predict(inp),
    dshwForecast(inp, params),
    calendarRegression.predict(inp),
  ];
  const lead = Math.min(horizon, VALIDATION_MAX_LEAD_DAYS * c.slotsPerDay);
  const loss = new Float64Array(WEIGHTS.length);
  let origins = 0;
  for (let o = n - lead; o > 0 && origins < VALIDATION_ORIGINS; o--) {
    if (c.slot[o] !== 0 || c.slot[o - 1] === 0) continue; // a local midnight (the first of a repeated slot)
    if (o < 21 * c.slotsPerDay) break; // members need two weeks to start from, naive a third
    origins++;
    const p = predictAll(slice(input, o, lead));
    // daily sums per weight triple: sum over the positions of each local day
    let h = 0;
    while (h < lead) {
      const day = c.day[o + h] as number;
      let actual = 0;
      const member = [0, 0, 0];
      let complete = true;
      for (; h < lead && c.day[o + h] === day; h++) {
        const y = history[o + h] as number;
        if (Number.isNaN(y) || p.some((m) => Number.isNaN(m[h] as number))) complete = false;
        actual += y;
        for (let m = 0; m < 3; m++) member[m] = (member[m] as number) + (p[m]![h] as number);
      }
      if (!complete) continue;
      for (const [w, [a, b, r]] of WEIGHTS.entries()) {
        const f = a * member[0]! + b * member[1]! + r * member[2]!;
        loss[w] = (loss[w] as number) + Math.abs(actual - f);
      }
    }
  }
  let best = WEIGHTS.findIndex(([a, b, r]) => a === 0 && b === 0.5 && r === 0.5);
  if (origins > 0) for (let w = 0; w < WEIGHTS.length; w++) if (loss[w]! < loss[best]!) best = w;
  return { weights: WEIGHTS[best]!, members: predictAll(input) };
}

export const combination: ForecastModel = {
  name: 'combination',
  version: 1,
  predict(input: ModelInput): Float64Array {
    const { weights, members } = chooseWeights(input);
    const out = new Float64Array(input.horizon);
    for (let h = 0; h < out.length; h++) {
      let v = 0;
      for (let m = 0; m < 3; m++) if (weights[m]! > 0) v += weights[m]! * (members[m]![h] as number);
      out[h] = v;
    }
    return out;
  },
};
