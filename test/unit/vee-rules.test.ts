/**
 * Every VEE rule firing, and not firing, exactly at its threshold. Expected values are worked out
 * by hand in the comments, not recomputed with the engine's formulas.
 */
import { describe, expect, it } from 'vitest';
import { ValidationState } from '../../src/core/readings/quality.js';
import { HISTORY_BUCKETS, type HistorySummary, type MeterSnapshot } from '../../src/core/vee/context.js';
import { loadDefaultRuleSet } from '../../src/core/vee/rule-set.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { DAY, fired, HOUR, MIN, mk, range, ruleSet, MONDAY as T, validate } from './vee-helpers.js';

const { NotValidated, Passed, Failed, Accepted } = ValidationState;

function meter(over: Partial<MeterSnapshot> = {}): MeterSnapshot {
  return {
    meterId: 'M1',
    status: 'active',
    installedAt: Date.UTC(2020, 0, 1),
    removedAt: null,
    segment: 'residential',
    ratedKw: null,
    timezone: 'UTC',
    intervalMinutes: 15,
    ...over,
  };
}
const registryOf = (...ms: MeterSnapshot[]) => new Map(ms.map((m) => [m.meterId, m]));

describe('timestamp.future (tolerance 5 min on the interval end)', () => {
  it('passes an interval ending exactly at now + 5 min, fails one ending 1 ms later', () => {
    const b = mk({ values: [0.1] }); // 00:00–00:15
    expect(fired(validate(b, { now: T + 10 * MIN }), RuleId.TimestampFuture)).toEqual([]);
    expect(fired(validate(b, { now: T + 10 * MIN - 1 }), RuleId.TimestampFuture)).toEqual([0]);
  });

  it('honours the tolerance from the rule set', () => {
    const b = mk({ values: [0.1] });
    const rules = ruleSet('rules:\n  timestamp.future: { toleranceMinutes: 0 }\n');
    expect(fired(validate(b, { now: T + 15 * MIN }, rules), RuleId.TimestampFuture)).toEqual([]);
    expect(fired(validate(b, { now: T + 15 * MIN - 1 }, rules), RuleId.TimestampFuture)).toEqual([0]);
  });
});

describe('timestamp.range (the late-data acceptance threshold: 400 days) and late marking (24 h)', () => {
  it('passes a start exactly 400 days old, fails one 1 ms older', () => {
    const b = mk({ values: [0.1, 0.1], starts: [T, T + 15 * MIN] });
    const now = T + 15 * MIN + 400 * DAY; // reading 1 is exactly at the limit, reading 0 is 15 min older
    expect(fired(validate(b, { now }), RuleId.TimestampRange)).toEqual([0]);
    expect(fired(validate(b, { now: T + 400 * DAY }), RuleId.TimestampRange)).toEqual([]);
    expect(fired(validate(b, { now: T + 400 * DAY + 1 }), RuleId.TimestampRange)).toEqual([0]);
  });

  it('the shipped rule set (rules/default.yaml) fails a reading 400 days and 1 ms old, and a longer window is configurable', () => {
    const b = mk({ values: [0.1] });
    const shipped = loadDefaultRuleSet();
    const o = validate(b, { now: T + 400 * DAY + 1 }, shipped);
    expect(fired(o, RuleId.TimestampRange)).toEqual([0]);
    expect(o.states).toEqual([Failed]);
    expect(fired(validate(b, { now: T + 400 * DAY }, shipped), RuleId.TimestampRange)).toEqual([]);
    const wide = ruleSet('rules:\n  timestamp.range: { maxAgeDays: 1095 }\n');
    expect(fired(validate(b, { now: T + 1095 * DAY }, wide), RuleId.TimestampRange)).toEqual([]);
  });

  it('fails a start that is not an instant', () => {
    const b = mk({ values: [0.1, 0.2], starts: [T, Number.NaN] });
    const o = validate(b, { now: T + DAY });
    expect(fired(o, RuleId.TimestampRange)).toEqual([1]);
    expect(o.states).toEqual([Passed, Failed]);
  });

  it('marks late an interval that ended more than 24 h before now, without failing it', () => {
    const b = mk({ values: [0.1, 0.2] }); // ends 00:15 and 00:30
    const o = validate(b, { now: T + 30 * MIN + 24 * HOUR }); // limit = 00:30: 00:15 < limit, 00:30 is not
    expect(o.late).toEqual([1, 0]);
    expect(o.columns.lateCount).toBe(1);
    expect(o.states).toEqual([Passed, Passed]);
    expect(o.masks).toEqual([0, 0]);
  });

  it('takes the late threshold from the rule set', () => {
    const b = mk({ values: [0.1] });
    const rules = ruleSet('late: { afterHours: 1 }\n');
    expect(validate(b, { now: T + 15 * MIN + HOUR }, rules).late).toEqual([0]);
    expect(validate(b, { now: T + 15 * MIN + HOUR + 1 }, rules).late).toEqual([1]);
  });
});

describe('interval.alignment', () => {
  it('fails a start off the 15-minute grid and passes one on it (UTC)', () => {
    const b = mk({ values: [0.1, 0.1, 0.1], starts: [T, T + 15 * MIN, T + 37 * MIN] });
    expect(fired(validate(b, { timezone: 'UTC' }), RuleId.IntervalAlignment)).toEqual([2]);
  });

  it('follows the local clock: hourly intervals in Asia/Kolkata (+05:30) start at hh:30 UTC', () => {
    const b = mk({ values: [0.1, 0.1], starts: [T + 30 * MIN, T + 2 * HOUR], interval: 60 });
    // 00:30 UTC = 06:00 IST (aligned); 02:00 UTC = 07:30 IST (not)
    expect(fired(validate(b, { timezone: 'Asia/Kolkata' }), RuleId.IntervalAlignment)).toEqual([1]);
    expect(fired(validate(b, { timezone: 'UTC' }), RuleId.IntervalAlignment)).toEqual([0]);
  });

  it('uses the zone of the registry entry over the context zone', () => {
    const b = mk({ values: [0.1], starts: [T + 30 * MIN], interval: 60 });
    const registry = registryOf(meter({ timezone: 'Asia/Kolkata', intervalMinutes: 60 }));
    expect(fired(validate(b, { timezone: 'UTC', registry }), RuleId.IntervalAlignment)).toEqual([]);
  });
});

describe('interval.spacing', () => {
  it('accepts gaps that are whole intervals, fails overlaps and steps back in time', () => {
    const starts = [T, T + 45 * MIN, T + 50 * MIN, T + 30 * MIN];
    // 0→1: +45 min, a gap of two intervals (fine); 1→2: +5 min (overlap); 2→3: −20 min (back in time)
    const o = validate(mk({ values: [0.1, 0.2, 0.3, 0.4], starts }), { timezone: 'UTC' });
    expect(fired(o, RuleId.IntervalSpacing)).toEqual([2, 3]);
  });

  it('passes consecutive intervals exactly one length apart', () => {
    expect(fired(validate(mk({ values: [0.1, 0.2, 0.3], interval: 5 })), RuleId.IntervalSpacing)).toEqual([]);
  });
});

describe('interval.duplicate', () => {
  it('fails the repeat of an interval with the same value, not the first occurrence', () => {
    const b = mk({ values: [0.1, 0.2, 0.2], starts: [T, T + 15 * MIN, T + 15 * MIN] });
    const o = validate(b);
    expect(fired(o, RuleId.IntervalDuplicate)).toEqual([2]);
    expect(fired(o, RuleId.IntervalSpacing)).toEqual([]);
  });

  it('fails both occurrences when the values conflict', () => {
    const b = mk({ values: [0.1, 0.2, 0.3], starts: [T, T + 15 * MIN, T + 15 * MIN] });
    expect(fired(validate(b), RuleId.IntervalDuplicate)).toEqual([1, 2]);
  });

  it('treats two missing values as the same value', () => {
    const b = mk({ values: [null, null], starts: [T, T] });
    expect(fired(validate(b), RuleId.IntervalDuplicate)).toEqual([1]);
  });

  it('finds duplicates in a block out of time order', () => {
    const b = mk({ values: [0.5, 0.1, 0.5, 0.7], starts: [T + 15 * MIN, T, T + 15 * MIN, T] });
    // T+15 occurs at 0 and 2 with equal values → 2 fires; T occurs at 1 and 3 with 0.1 vs 0.7 → both
    expect(fired(validate(b), RuleId.IntervalDuplicate)).toEqual([1, 2, 3]);
  });
});

describe('interval.length (registry)', () => {
  it('fails every reading when the block interval differs from the registry', () => {
    const b = mk({ values: [0.1, 0.2], interval: 30 });
    expect(
      fired(validate(b, { registry: registryOf(meter({ intervalMinutes: 15 })) }), RuleId.IntervalLength),
    ).toEqual([0, 1]);
    expect(
      fired(validate(b, { registry: registryOf(meter({ intervalMinutes: 30 })) }), RuleId.IntervalLength),
    ).toEqual([]);
  });

  it('is not evaluated without a registry', () => {
    expect(fired(validate(mk({ values: [0.1], interval: 30 })), RuleId.IntervalLength)).toEqual([]);
  });
});

describe('limits.negative', () => {
  it('passes 0 and fails anything below on import and export channels', () => {
    expect(fired(validate(mk({ values: [0, -0, -0.001] })), RuleId.LimitsNegative)).toEqual([2]);
    expect(
      fired(validate(mk({ values: [0, -0.001], channel: 'active_export_kwh' })), RuleId.LimitsNegative),
    ).toEqual([1]);
  });

  it('allows down to -tolerance', () => {
    const rules = ruleSet('rules:\n  limits.negative: { tolerance: 0.25 }\n');
    expect(fired(validate(mk({ values: [-0.25, -0.2500001] }), {}, rules), RuleId.LimitsNegative)).toEqual([
      1,
    ]);
  });

  it('does not look at power factor', () => {
    expect(fired(validate(mk({ values: [-0.5], channel: 'power_factor' })), RuleId.LimitsNegative)).toEqual(
      [],
    );
  });
});

describe('limits.max_energy (rated kW × interval hours × margin)', () => {
  const rules = ruleSet(
    'rules:\n  limits.max_energy: { ratedKw: 10, margin: 1 }\nsegments:\n  commercial:\n    limits.max_energy: { ratedKw: 100 }\n',
  );

  it('passes the limit itself and fails just above: 10 kW × 0.25 h × 1 = 2.5 kWh', () => {
    expect(fired(validate(mk({ values: [2.5, 2.5000001] }), {}, rules), RuleId.LimitsMaxEnergy)).toEqual([1]);
  });

  it('scales with the interval length: 60 min → 10 kWh', () => {
    expect(
      fired(validate(mk({ values: [10, 10.001], interval: 60 }), {}, rules), RuleId.LimitsMaxEnergy),
    ).toEqual([1]);
  });

  it('applies the margin: 10 kW × 0.25 h × 1.5 = 3.75 kWh', () => {
    const r = ruleSet('rules:\n  limits.max_energy: { ratedKw: 10, margin: 1.5 }\n');
    expect(fired(validate(mk({ values: [3.75, 3.7500001] }), {}, r), RuleId.LimitsMaxEnergy)).toEqual([1]);
  });

  it("uses the registry's rating over the rule set's: 20 kW → 5 kWh", () => {
    const registry = registryOf(meter({ ratedKw: 20 }));
    expect(fired(validate(mk({ values: [5, 5.0001] }), { registry }, rules), RuleId.LimitsMaxEnergy)).toEqual(
      [1],
    );
  });

  it("uses the segment's rating when the registry has none: commercial 100 kW → 25 kWh", () => {
    const registry = registryOf(meter({ segment: 'commercial' }));
    expect(
      fired(validate(mk({ values: [20, 25, 25.001] }), { registry }, rules), RuleId.LimitsMaxEnergy),
    ).toEqual([2]);
    // the same readings for a residential meter: limit 2.5 kWh
    expect(
      fired(
        validate(mk({ values: [20, 25, 25.001] }), { registry: registryOf(meter()) }, rules),
        RuleId.LimitsMaxEnergy,
      ),
    ).toEqual([0, 1, 2]);
  });

  it('applies to export but not to voltage', () => {
    expect(
      fired(validate(mk({ values: [2.6], channel: 'active_export_kwh' }), {}, rules), RuleId.LimitsMaxEnergy),
    ).toEqual([0]);
    expect(
      fired(validate(mk({ values: [230], channel: 'voltage_v' }), {}, rules), RuleId.LimitsMaxEnergy),
    ).toEqual([]);
  });
});

describe('limits.voltage [180, 270] and limits.power_factor [-1, 1]', () => {
  it('passes both bounds, fails just outside', () => {
    const o = validate(mk({ values: [180, 179.999, 270, 270.001, 230], channel: 'voltage_v' }));
    expect(fired(o, RuleId.LimitsVoltage)).toEqual([1, 3]);
    expect(fired(o, RuleId.LimitsPowerFactor)).toEqual([]);
  });

  it('power factor: ±1 pass, beyond fails; a tighter range from the rule set', () => {
    expect(
      fired(
        validate(mk({ values: [1, -1, 1.0001, -1.0001], channel: 'power_factor' })),
        RuleId.LimitsPowerFactor,
      ),
    ).toEqual([2, 3]);
    const rules = ruleSet('rules:\n  limits.power_factor: { min: 0.5 }\n');
    expect(
      fired(
        validate(mk({ values: [0.5, 0.4999], channel: 'power_factor' }), {}, rules),
        RuleId.LimitsPowerFactor,
      ),
    ).toEqual([1]);
  });

  it('voltage limits do not apply to energy', () => {
    expect(fired(validate(mk({ values: [300] })), RuleId.LimitsVoltage)).toEqual([]);
  });
});

describe('sequence.gap', () => {
  it('fires on the reading after a gap or a repeat, and is silent without sequence numbers', () => {
    const o = validate(
      mk({ values: [1, 1, 1, 1, 1, 1].map((v, i) => v + i / 10), sequence: [5, 6, 7, 9, 9, 10] }),
    );
    expect(fired(o, RuleId.SequenceGap)).toEqual([3, 4]);
    expect(
      fired(validate(mk({ values: [0.1, 0.2, 0.3], sequence: [-1, 5, 6] })), RuleId.SequenceGap),
    ).toEqual([]);
    expect(
      fired(validate(mk({ values: [0.1, 0.2, 0.3], sequence: [5, -1, 9] })), RuleId.SequenceGap),
    ).toEqual([]);
  });

  it('wraps at the configured modulus', () => {
    const b = mk({ values: [0.1, 0.2, 0.3, 0.4], sequence: [65534, 65535, 0, 1] });
    expect(fired(validate(b), RuleId.SequenceGap)).toEqual([2]);
    expect(
      fired(validate(b, {}, ruleSet('rules:\n  sequence.gap: { wrap: 65536 }\n')), RuleId.SequenceGap),
    ).toEqual([]);
  });

  it('accepts (does not fail) by default', () => {
    expect(validate(mk({ values: [0.1, 0.2], sequence: [1, 3] })).states).toEqual([Passed, Accepted]);
  });
});

describe('device status bits (DLMS AMR profile status)', () => {
  it('maps each bit to its rule and action', () => {
    // 0x80 PDN (accept), 0x02 CIV (fail), 0x04 DNV (fail), 0x01 ERR (fail), 0x20 CAD (accept), 0x08 DST (nothing)
    const o = validate(
      mk({ values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], status: [0x80, 0x02, 0x04, 0x01, 0x20, 0x08] }),
    );
    expect(fired(o, RuleId.StatusPowerDown)).toEqual([0]);
    expect(fired(o, RuleId.StatusClockInvalid)).toEqual([1]);
    expect(fired(o, RuleId.StatusDataNotValid)).toEqual([2]);
    expect(fired(o, RuleId.StatusCriticalError)).toEqual([3]);
    expect(fired(o, RuleId.StatusClockAdjusted)).toEqual([4]);
    expect(o.states).toEqual([Accepted, Failed, Failed, Failed, Accepted, Passed]);
  });

  it('takes the bit mask and the action from the rule set', () => {
    const rules = ruleSet('rules:\n  status.power_down: { action: fail, mask: 0x100 }\n');
    const o = validate(mk({ values: [0.1, 0.2], status: [0x80, 0x180] }), {}, rules);
    expect(fired(o, RuleId.StatusPowerDown)).toEqual([1]);
    expect(o.states).toEqual([Passed, Failed]);
  });

  it('is not evaluated when off', () => {
    const o = validate(
      mk({ values: [0.1], status: [0x04] }),
      {},
      ruleSet('rules:\n  status.data_not_valid: { action: off }\n'),
    );
    expect(o.masks).toEqual([0]);
    expect(o.states).toEqual([Passed]);
  });
});

describe('registry.unknown and registry.inactive', () => {
  it('fails every reading of a meter missing from the registry snapshot', () => {
    const o = validate(mk({ values: [0.1, 0.2], meterId: 'NOPE' }), { registry: registryOf(meter()) });
    expect(fired(o, RuleId.RegistryUnknown)).toEqual([0, 1]);
    expect(fired(validate(mk({ values: [0.1] })), RuleId.RegistryUnknown)).toEqual([]);
  });

  it('checks the installation window [installedAt, removedAt)', () => {
    const m = meter({ status: 'removed', installedAt: T + 30 * MIN, removedAt: T + 60 * MIN });
    const o = validate(mk({ values: [0.1, 0.2, 0.3, 0.4, 0.5] }), { registry: registryOf(m) });
    // 00:00 and 00:15 before installation, 00:30 and 00:45 inside, 01:00 at removal (excluded)
    expect(fired(o, RuleId.RegistryInactive)).toEqual([0, 1, 4]);
  });

  it('fails every reading of an inactive meter', () => {
    const o = validate(mk({ values: [0.1, 0.2] }), { registry: registryOf(meter({ status: 'inactive' })) });
    expect(fired(o, RuleId.RegistryInactive)).toEqual([0, 1]);
  });
});

function history(mean: number, stddev: number, buckets?: number[]): HistorySummary {
  const m = new Float64Array(HISTORY_BUCKETS).fill(Number.NaN);
  const s = new Float64Array(HISTORY_BUCKETS).fill(Number.NaN);
  for (const b of buckets ?? range(0, HISTORY_BUCKETS)) {
    m[b] = mean;
    s[b] = stddev;
  }
  return { channel: 'active_import_kwh', intervalMinutes: 15, mean: m, stddev: s };
}

describe('history.spike (mean + max(sigma × stddev, minExcess) per local weekday × hour)', () => {
  it('bound 0.5 + max(6 × 0.125, 0.5) = 1.25: 1.25 passes, above fails', () => {
    const h = new Map([['M1', history(0.5, 0.125)]]);
    expect(fired(validate(mk({ values: [1.25, 1.2500001] }), { history: h }), RuleId.HistorySpike)).toEqual([
      1,
    ]);
  });

  it('a quiet bucket (stddev 0) uses minExcess: bound 0.5 + 0.5 = 1.0', () => {
    const h = new Map([['M1', history(0.5, 0)]]);
    expect(fired(validate(mk({ values: [1, 1.0001] }), { history: h }), RuleId.HistorySpike)).toEqual([1]);
  });

  it('is silent where the bucket has no history, and for another channel', () => {
    const h = new Map([['M1', history(0.1, 0, [0])]]); // Monday 00:xx only
    const b = mk({ values: [5, 5, 5, 5, 5], starts: [T, T + 15 * MIN, T + HOUR, T + DAY, T + 7 * DAY] });
    // Monday 00:00, 00:15 → bucket 0; Monday 01:00 → bucket 1 (none); Tuesday → none; next Monday 00:00 → bucket 0
    expect(fired(validate(b, { history: h }), RuleId.HistorySpike)).toEqual([0, 1, 4]);
    expect(
      fired(validate(mk({ values: [5], channel: 'active_export_kwh' }), { history: h }), RuleId.HistorySpike),
    ).toEqual([]);
  });

  it('buckets by local time: Monday 00:00 in Stockholm is Sunday 23:00 UTC', () => {
    const h = new Map([['M1', history(0.1, 0, [0])]]);
    const b = mk({ values: [5, 5], starts: [T - HOUR, T] }); // local Mon 00:00 and Mon 01:00
    expect(fired(validate(b, { history: h, timezone: 'Europe/Stockholm' }), RuleId.HistorySpike)).toEqual([
      0,
    ]);
  });

  it('is not evaluated without history', () => {
    expect(fired(validate(mk({ values: [99] })), RuleId.HistorySpike)).toEqual([]);
  });
});

describe('history.tamper (local day total < ratio × expected)', () => {
  const rules = ruleSet('rules:\n  history.tamper: { ratio: 0.125, minExpected: 2 }\n');
  const h = new Map([['M1', history(0.5, 0.1)]]); // expected day = 96 × 0.5 = 48, threshold 0.125 × 48 = 6

  it('passes a day at exactly the threshold and flags one just below', () => {
    const atThreshold = new Array(96).fill(0.0625); // 96 × 0.0625 = 6
    expect(fired(validate(mk({ values: atThreshold }), { history: h }, rules), RuleId.HistoryTamper)).toEqual(
      [],
    );
    const below = [...atThreshold];
    below[10] = 0.0624;
    const o = validate(mk({ values: below }), { history: h }, rules);
    expect(fired(o, RuleId.HistoryTamper)).toEqual(range(0, 96));
    expect(new Set(o.states)).toEqual(new Set([Accepted])); // accept by default: flagged, not failed
  });

  it('does not judge days expected to use less than minExpected', () => {
    const small = new Map([['M1', history(0.01, 0)]]); // expected 0.96 < 2
    expect(
      fired(validate(mk({ values: new Array(96).fill(0) }), { history: small }, rules), RuleId.HistoryTamper),
    ).toEqual([]);
  });
});

describe('day.peak_ratio (highest vs third-highest of the local day)', () => {
  it('passes highest = 5 × third-highest, fails above; fires on the highest reading only', () => {
    // top three: 2, 0.4, 0.4 → 5 × 0.4 = 2
    expect(fired(validate(mk({ values: [0.1, 2, 0.4, 0.4, 0.2] })), RuleId.DayPeakRatio)).toEqual([]);
    expect(fired(validate(mk({ values: [0.1, 2.0001, 0.4, 0.4, 0.2] })), RuleId.DayPeakRatio)).toEqual([1]);
  });

  it('never fires at or below minPeak (1 kWh)', () => {
    expect(fired(validate(mk({ values: [1, 0.1, 0.1] })), RuleId.DayPeakRatio)).toEqual([]);
    expect(fired(validate(mk({ values: [1.01, 0.1, 0.1] })), RuleId.DayPeakRatio)).toEqual([0]);
  });

  it('needs three values in the day', () => {
    expect(fired(validate(mk({ values: [5, 0.1, null] })), RuleId.DayPeakRatio)).toEqual([]);
  });

  it('judges each local day on its own', () => {
    const values = new Array(192).fill(0.2);
    values[100] = 3; // day 2 (UTC)
    expect(fired(validate(mk({ values }), { timezone: 'UTC' }), RuleId.DayPeakRatio)).toEqual([100]);
    // From 00:00 UTC in Stockholm (+01:00): readings 0–91 are Monday (01:00–23:45 local), 92–187
    // Tuesday. Peaks at 91 and 92 are in different local days (both fire) but in the same UTC day
    // (where the second-highest is the other peak, so the third-highest is 0.2 and only 91 fires).
    const v2 = new Array(192).fill(0.2);
    v2[91] = 3;
    v2[92] = 3;
    expect(
      fired(validate(mk({ values: v2 }), { timezone: 'Europe/Stockholm' }), RuleId.DayPeakRatio),
    ).toEqual([91, 92]);
    expect(fired(validate(mk({ values: v2 }), { timezone: 'UTC' }), RuleId.DayPeakRatio)).toEqual([91]);
  });

  it('uses segment overrides: industrial ratio 10, minPeak 50 in the shipped rules', () => {
    const rules = ruleSet('segments:\n  industrial:\n    day.peak_ratio: { ratio: 10, minPeak: 50 }\n');
    const registry = registryOf(meter({ segment: 'industrial' }));
    expect(fired(validate(mk({ values: [60, 7, 7, 7] }), { registry }, rules), RuleId.DayPeakRatio)).toEqual(
      [],
    ); // 60 ≤ 70
    expect(fired(validate(mk({ values: [71, 7, 7, 7] }), { registry }, rules), RuleId.DayPeakRatio)).toEqual([
      0,
    ]);
    expect(fired(validate(mk({ values: [60, 7, 7, 7] }), {}, rules), RuleId.DayPeakRatio)).toEqual([0]); // base: 60 > 35
  });
});

describe('run.zero (24 h of zeros) and run.flat (12 h of one non-zero value)', () => {
  it('fires on every reading of a run of exactly 96 zeros, not on 95', () => {
    const v96 = new Array(97).fill(0);
    v96[96] = 0.1;
    expect(fired(validate(mk({ values: v96 })), RuleId.RunZero)).toEqual(range(0, 96));
    const v95 = [0.1, ...new Array(95).fill(0), 0.1];
    expect(fired(validate(mk({ values: v95 })), RuleId.RunZero)).toEqual([]);
  });

  it('a missing value or a time gap breaks the run', () => {
    const withNull = new Array(96).fill(0);
    withNull[50] = null;
    expect(fired(validate(mk({ values: withNull })), RuleId.RunZero)).toEqual([]);
    const starts = range(0, 96).map((i) => T + i * 15 * MIN + (i >= 50 ? 15 * MIN : 0));
    expect(fired(validate(mk({ values: new Array(96).fill(0), starts })), RuleId.RunZero)).toEqual([]);
  });

  it('measures hours, not readings: 24 h at 60 minutes is 24 readings', () => {
    expect(fired(validate(mk({ values: new Array(24).fill(0), interval: 60 })), RuleId.RunZero)).toEqual(
      range(0, 24),
    );
    expect(fired(validate(mk({ values: new Array(23).fill(0), interval: 60 })), RuleId.RunZero)).toEqual([]);
  });

  it('zero runs apply to import only; segments have their own length', () => {
    expect(
      fired(validate(mk({ values: new Array(96).fill(0), channel: 'active_export_kwh' })), RuleId.RunZero),
    ).toEqual([]);
    const rules = ruleSet('segments:\n  commercial:\n    run.zero: { minHours: 48 }\n');
    const registry = registryOf(meter({ segment: 'commercial' }));
    expect(
      fired(validate(mk({ values: new Array(96).fill(0) }), { registry }, rules), RuleId.RunZero),
    ).toEqual([]);
    expect(
      fired(validate(mk({ values: new Array(192).fill(0) }), { registry }, rules), RuleId.RunZero),
    ).toEqual(range(0, 192));
  });

  it('flat: 48 equal non-zero values fire, 47 do not; zeros are not flat', () => {
    expect(fired(validate(mk({ values: [...new Array(48).fill(0.3), 0.4] })), RuleId.RunFlat)).toEqual(
      range(0, 48),
    );
    expect(fired(validate(mk({ values: [0.4, ...new Array(47).fill(0.3), 0.4] })), RuleId.RunFlat)).toEqual(
      [],
    );
    expect(fired(validate(mk({ values: new Array(48).fill(0) })), RuleId.RunFlat)).toEqual([]);
  });

  it('flat: values within tolerance of the first value of the run count as equal', () => {
    const rules = ruleSet('rules:\n  run.flat: { tolerance: 0.125 }\n');
    const alternating = range(0, 48).map((i) => (i % 2 === 0 ? 0.25 : 0.375)); // differ by exactly 0.125
    expect(fired(validate(mk({ values: alternating }), {}, rules), RuleId.RunFlat)).toEqual(range(0, 48));
    const beyond = range(0, 48).map((i) => (i % 2 === 0 ? 0.25 : 0.3750001));
    expect(fired(validate(mk({ values: beyond }), {}, rules), RuleId.RunFlat)).toEqual([]);
  });
});

describe('comm.quality (min 50)', () => {
  it('fires on every reading of a block below the threshold, never at it or when unknown', () => {
    expect(fired(validate(mk({ values: [0.1, 0.2], commQuality: 50 })), RuleId.CommQuality)).toEqual([]);
    const low = validate(mk({ values: [0.1, 0.2], commQuality: 49.9 }));
    expect(fired(low, RuleId.CommQuality)).toEqual([0, 1]);
    expect(low.states).toEqual([Accepted, Accepted]);
    expect(fired(validate(mk({ values: [0.1] })), RuleId.CommQuality)).toEqual([]);
  });
});

describe('states and counts', () => {
  it('missing readings stay NotValidated; fail beats accept', () => {
    // 0: missing with a failing status bit; 1: accept (PDN) + fail (DNV); 2: accept only; 3: clean
    const o = validate(mk({ values: [null, 0.1, 0.2, 0.3], status: [0x04, 0x84, 0x80, 0] }));
    expect(o.states).toEqual([NotValidated, Failed, Accepted, Passed]);
    expect(Array.from(o.columns.stateCounts)).toEqual([1, 1, 1, 1]);
    expect(o.columns.ruleCounts[RuleId.StatusDataNotValid]).toBe(2);
    expect(o.columns.ruleCounts[RuleId.StatusPowerDown]).toBe(2);
  });
});
