/**
 * Same local interval one week earlier; a missing reference falls back to two, three, four weeks
 * earlier, and horizons past a week repeat the last observed week. The benchmark every other model
 * must beat.
 */
import type { ForecastModel, ModelInput } from './model.js';

const MAX_WEEKS_BACK = 4;

export const seasonalNaive: ForecastModel = {
  name: 'seasonal-naive',
  version: 1,
  predict(input: ModelInput): Float64Array {
    const { history, calendar: c, horizon } = input;
    const spd = c.slotsPerDay;
    const firstDay = c.day[0] as number;
    const byDaySlot = new Map<number, number>();
    for (let i = 0; i < history.length; i++) {
      const v = history[i] as number;
      if (Number.isNaN(v)) continue;
      const key = ((c.day[i] as number) - firstDay) * spd + (c.slot[i] as number);
      // the repeated hour of an autumn change: the first reading of the wall-clock slot stands
      if (!byDaySlot.has(key)) byDaySlot.set(key, v);
    }
    const lastDay = c.day[history.length - 1] as number;
    const out = new Float64Array(horizon).fill(Number.NaN);
    for (let h = 0; h < horizon; h++) {
      const i = history.length + h;
      const day = c.day[i] as number;
      const weeksToHistory = Math.max(1, Math.ceil((day - lastDay) / 7));
      for (let k = weeksToHistory; k < weeksToHistory + MAX_WEEKS_BACK; k++) {
        const v = byDaySlot.get((day - 7 * k - firstDay) * spd + (c.slot[i] as number));
        if (v !== undefined) {
          out[h] = v;
          break;
        }
      }
    }
    return out;
  },
};
