/**
 * Estimation methods a correction can use (`smt correct --estimate <method>`). The interface is the
 * seam for the estimation chain's methods (src/core/estimation): an estimator gets the interval
 * starts to fill and a read function over the meter's current series, and returns one value per
 * start (NaN where it cannot estimate). `linear` is the one defined here.
 */
import { InvalidDataError } from '../errors.js';
import { Method } from '../readings/quality.js';
import { intervalStartAt, type SeriesDay } from '../series/day.js';
import type { RegisteredMeter } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';
import { addDays } from './range.js';

export interface EstimateRequest {
  meter: RegisteredMeter;
  channel: string;
  /** interval starts to estimate, ascending; their current values are not used */
  starts: readonly number[];
  /** the meter's current series (this channel) for local dates `from`..`to` inclusive */
  read(from: string, to: string): Promise<SeriesDay[]>;
}

export interface Estimator {
  /** the name `--estimate` takes */
  readonly name: string;
  /** recorded in the quality of every value it produces */
  readonly method: Method;
  estimate(req: EstimateRequest): Promise<Float64Array>;
}

/** How far linear interpolation looks for a reading on each side of the range. */
const LINEAR_REACH_DAYS = 7;

/**
 * Linear interpolation in time between the last reading before the range and the first one after
 * it (interval values, so a flat line when both are equal). Refuses when either side has none
 * within a week: extrapolating is a different method.
 */
export const linearEstimator: Estimator = {
  name: 'linear',
  method: Method.LinearInterpolation,
  async estimate(req) {
    const out = new Float64Array(req.starts.length).fill(Number.NaN);
    if (req.starts.length === 0) return out;
    const first = req.starts[0]!;
    const last = req.starts[req.starts.length - 1]!;
    const cal = LocalCalendar.for(req.meter.timezone);
    const days = await req.read(
      addDays(cal.localDateOf(first), -LINEAR_REACH_DAYS),
      addDays(cal.localDateOf(last), LINEAR_REACH_DAYS),
    );
    let before: [number, number] | null = null;
    let after: [number, number] | null = null;
    for (const d of days) {
      for (let p = 0; p < d.values.length; p++) {
        const v = d.values[p]!;
        if (Number.isNaN(v)) continue;
        const t = intervalStartAt(d, p);
        if (t < first && (before === null || t > before[0])) before = [t, v];
        if (t > last && (after === null || t < after[0])) after = [t, v];
      }
    }
    if (before === null || after === null)
      throw new InvalidDataError(
        `linear interpolation needs a reading before and after the range; there is none ${before === null ? 'before' : 'after'} it within ${LINEAR_REACH_DAYS} days`,
        {
          code: 'CANNOT_ESTIMATE',
          hint: 'Widen the range to include a reading on each side, or use --value or --copy-from.',
        },
      );
    const [ta, va] = before;
    const [tb, vb] = after;
    for (let i = 0; i < req.starts.length; i++) out[i] = va + ((vb - va) * (req.starts[i]! - ta)) / (tb - ta);
    return out;
  },
};

/** Estimators by `--estimate` name. The estimation chain's methods join here (see docs/corrections.md). */
export const ESTIMATORS: ReadonlyMap<string, Estimator> = new Map([[linearEstimator.name, linearEstimator]]);
