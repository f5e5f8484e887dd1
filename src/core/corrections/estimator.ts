/**
 * Estimation methods a correction can use (`smt correct --estimate <method>`): the estimation
 * library's methods and its chain (src/core/estimation), over the correction's range. The range's
 * current values are hidden before estimating, so a correction estimates what the range should
 * hold from what surrounds it, never from what it replaces.
 */
import { InvalidDataError } from '../errors.js';
import { estimateRuns, LINEAR_REACH_DAYS, runsOf } from '../estimation/range.js';
import type { EstimationMethodName, EstimationSettings } from '../estimation/settings.js';
import type { MeterFacts } from '../gaps/expected.js';
import type { Method } from '../readings/quality.js';
import type { Meter } from '../registry/meter.js';
import type { SeriesDay } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';
import { ESTIMATE_METHODS } from './estimate-methods.js';
import { addDays } from './range.js';

export interface EstimateRequest {
  meter: Meter;
  channel: string;
  /** interval starts to estimate, ascending and contiguous; their current values are not used */
  starts: readonly number[];
  settings: EstimationSettings;
  /** the meter's current series (this channel) for local dates `from`..`to` inclusive */
  read(from: string, to: string): Promise<SeriesDay[]>;
}

export interface EstimatedRange {
  /** one per start */
  values: Float64Array;
  /** the quality method code of each start */
  codes: Method[];
  /** intervals filled per library method (the chain picks per local day) */
  byMethod: Partial<Record<EstimationMethodName, number>>;
}

function factsOf(m: Meter): MeterFacts {
  return {
    meterId: m.meterId,
    timezone: m.timezone,
    intervalMinutes: m.intervalMinutes,
    regionId: m.regionId,
    segment: m.segment,
    status: m.status,
    tariffId: m.tariffId,
    installedAt: m.installedAt.getTime(),
    removedAt: m.removedAt ? m.removedAt.getTime() : null,
    deenergised: [],
  };
}

/** The range estimated by `--estimate <name>`; a clear error when the method cannot estimate it. */
export async function estimateCorrection(name: string, req: EstimateRequest): Promise<EstimatedRange> {
  const method = ESTIMATE_METHODS.get(name)!;
  const n = req.starts.length;
  if (n === 0) return { values: new Float64Array(0), codes: [], byMethod: {} };
  const meter = factsOf(req.meter);
  const cal = LocalCalendar.for(meter.timezone);
  const chain = req.settings.segments[meter.segment] ?? req.settings.base;
  const reach = method === 'linear' ? LINEAR_REACH_DAYS : chain.likeDay.lookbackDays + 1;
  const days = await req.read(
    addDays(cal.localDateOf(req.starts[0]!), -reach),
    addDays(cal.localDateOf(req.starts[n - 1]!), reach),
  );
  const runs = runsOf(meter, req.starts);
  const e = estimateRuns(method, { meter, channel: req.channel, days, runs, settings: req.settings });
  if (!e)
    throw new InvalidDataError(
      method === 'linear'
        ? `linear interpolation needs a reading before and after the range; there is none on one side within ${LINEAR_REACH_DAYS} days`
        : `--estimate ${name} cannot estimate the range: ${method === 'chain' ? 'no method of the chain applies' : 'the method does not apply'} (like days are clean days of actuals within ${chain.likeDay.lookbackDays} days; profile also needs ${chain.profile.minReferenceHours} h of actuals on the day)`,
      {
        code: 'CANNOT_ESTIMATE',
        hint: 'Try --estimate chain or another method, widen the range to include readings on each side, or use --value or --copy-from.',
      },
    );
  const values = new Float64Array(n);
  const codes: Method[] = [];
  const byMethod: EstimatedRange['byMethod'] = {};
  let i = 0;
  e.values.forEach((v, r) => {
    values.set(v, i);
    i += v.length;
    for (let k = 0; k < v.length; k++) codes.push(e.codes[r]!);
    byMethod[e.methods[r]!] = (byMethod[e.methods[r]!] ?? 0) + v.length;
  });
  return { values, codes, byMethod };
}
