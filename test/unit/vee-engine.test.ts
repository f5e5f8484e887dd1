/** The engine around the rules: batches, the two phases, output offsets, counts, reasons, registry snapshots. */
import { describe, expect, it } from 'vitest';
import { ValidationState } from '../../src/core/readings/quality.js';
import { isActiveAt, type Meter } from '../../src/core/registry/meter.js';
import {
  HISTORY_BUCKETS,
  type MeterSnapshot,
  registrySnapshot,
  snapshotActiveAt,
} from '../../src/core/vee/context.js';
import { ValidationColumns, VeeEngine } from '../../src/core/vee/engine.js';
import { blockFailures, explain } from '../../src/core/vee/explain.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { DAY, fired, HOUR, MIN, mk, range, ruleSet, MONDAY as T } from './vee-helpers.js';

const { NotValidated, Passed, Failed, Accepted } = ValidationState;

const snapshot = (over: Partial<MeterSnapshot> = {}): MeterSnapshot => ({
  meterId: 'M1',
  status: 'active',
  installedAt: Date.UTC(2020, 0, 1),
  removedAt: null,
  segment: 'residential',
  ratedKw: null,
  timezone: 'UTC',
  intervalMinutes: 15,
  ...over,
});

describe('validateBatch', () => {
  it('marks an interval repeated in another block of the same meter and channel', () => {
    const engine = new VeeEngine(ruleSet());
    const a = mk({ values: [0.1, 0.2, 0.3, 0.4] }); // 00:00 … 00:45
    const b = mk({ values: [0.3, 0.9, 0.5], start: T + 30 * MIN }); // 00:30 same value, 00:45 conflicting, 01:00 new
    const other = mk({ values: [0.3], start: T + 30 * MIN, channel: 'active_export_kwh' });
    const { columns, offsets } = engine.validateBatch([a, b, other], { now: T + DAY });
    expect(Array.from(offsets)).toEqual([0, 4, 7, 8]);
    const dup = fired({ masks: Array.from(columns.ruleMask) }, RuleId.IntervalDuplicate);
    // a[3] (global 3) conflicts with b[1] (global 5); b[0] (global 4) repeats a[2] with the same value
    expect(dup).toEqual([3, 4, 5]);
    expect(columns.ruleCounts[RuleId.IntervalDuplicate]).toBe(3);
    expect(Array.from(columns.states)).toEqual([
      Passed,
      Passed,
      Passed,
      Failed,
      Failed,
      Failed,
      Passed,
      Passed,
    ]);
    expect(columns.stateCounts[Failed]).toBe(3);
    expect(columns.stateCounts[Passed]).toBe(5);
  });

  it('validates each block at its offset in shared columns and refuses columns that are too short', () => {
    const engine = new VeeEngine(ruleSet());
    const cols = ValidationColumns.allocate(5);
    engine.validateBlock(mk({ values: [0.1, -1] }), { now: T + DAY }, cols, 3);
    expect(Array.from(cols.states)).toEqual([0, 0, 0, Passed, Failed]);
    expect(() => engine.validateBlock(mk({ values: [0.1, 0.2, 0.3] }), { now: T + DAY }, cols, 3)).toThrow(
      RangeError,
    );
    engine.validateBlock(mk({ values: [] }), { now: T + DAY }, cols, 5); // empty block: nothing to do
  });
});

describe('two phases: block rules in the worker, registry and history on the main thread', () => {
  const rules = ruleSet(
    'segments:\n  commercial:\n    limits.max_energy: { ratedKw: 100 }\n    comm.quality: { action: fail }\n',
  );

  it('merges context rules into an earlier result and keeps the counts consistent', () => {
    const engine = new VeeEngine(rules);
    const b = mk({ values: [0.1, null, 7, 0.2], commQuality: 40, start: T });
    const cols = ValidationColumns.allocate(4);
    // worker: no registry → base thresholds: 7 kWh > 5.175 fails, low comm quality is accepted
    engine.validateBlock(b, { now: T + 30 * MIN + DAY }, cols);
    expect(Array.from(cols.states)).toEqual([Accepted, NotValidated, Failed, Accepted]);
    expect(cols.lateCount).toBe(1); // only 00:00–00:15 ended more than 24 h before now

    // main thread: the meter is commercial and was installed at 00:15; history flags nothing
    const mean = new Float64Array(HISTORY_BUCKETS).fill(0.15);
    const stddev = new Float64Array(HISTORY_BUCKETS).fill(0.05);
    const ctx = {
      now: T + 30 * MIN + DAY,
      registry: new Map([['M1', snapshot({ segment: 'commercial', installedAt: T + 15 * MIN })]]),
      history: new Map([
        ['M1', { channel: 'active_import_kwh' as const, intervalMinutes: 15 as const, mean, stddev }],
      ]),
    };
    engine.validateContext(b, ctx, cols);
    expect(fired({ masks: Array.from(cols.ruleMask) }, RuleId.RegistryInactive)).toEqual([0]);
    expect(fired({ masks: Array.from(cols.ruleMask) }, RuleId.HistorySpike)).toEqual([2]); // 7 > 0.15 + max(0.3, 0.5)
    // commercial: comm.quality fails, so every present reading fails
    expect(Array.from(cols.states)).toEqual([Failed, NotValidated, Failed, Failed]);
    expect(Array.from(cols.stateCounts)).toEqual([1, 0, 3, 0]);
    expect(cols.ruleCounts[RuleId.CommQuality]).toBe(4);
    expect(cols.ruleCounts[RuleId.RegistryInactive]).toBe(1);
    expect(cols.lateCount).toBe(1); // the context phase does not touch late
    // block rules are not re-run: max_energy stays as the worker judged it
    expect(cols.ruleCounts[RuleId.LimitsMaxEnergy]).toBe(1);
  });

  it('the context phase without context changes nothing', () => {
    const engine = new VeeEngine(rules);
    const b = mk({ values: [0.1, -1] });
    const cols = ValidationColumns.allocate(2);
    engine.validateBlock(b, { now: T + DAY }, cols);
    const before = [Array.from(cols.states), Array.from(cols.ruleMask), Array.from(cols.stateCounts)];
    engine.validateContext(b, { now: T + DAY }, cols);
    expect([Array.from(cols.states), Array.from(cols.ruleMask), Array.from(cols.stateCounts)]).toEqual(
      before,
    );
  });
});

describe('reasons', () => {
  const engine = new VeeEngine(ruleSet('rules:\n  limits.max_energy: { ratedKw: 10, margin: 1 }\n'));

  it('say what fired with the numbers', () => {
    const b = mk({ values: [3, 0.1, 0.1, 0.1], sequence: [1, 2, 4, 5], status: [0, 0x84, 0, 0] });
    const ctx = { now: T - 20 * MIN }; // reading 0 ends at 00:15, 35 min after now
    expect(explain(engine, b, 0, RuleId.LimitsMaxEnergy, ctx)).toBe(
      'value 3 kWh > limit 2.5 kWh (rated 10 kW from the rule set × 0.25 h × margin 1)',
    );
    expect(explain(engine, b, 0, RuleId.TimestampFuture, ctx)).toBe(
      'interval ends 2026-01-12T00:15:00.000Z, 35 min after now (2026-01-11T23:40:00.000Z); tolerance 5 min',
    );
    expect(explain(engine, b, 2, RuleId.SequenceGap, ctx)).toBe('sequence 4 after 2; expected 3');
    expect(explain(engine, b, 1, RuleId.StatusDataNotValid, ctx)).toBe(
      'status 0x84 has data not valid bit(s) 0x04',
    );
    expect(explain(engine, b, 0, RuleId.DayPeakRatio, ctx)).toBe(
      'highest interval 3 kWh > 5 × third-highest 0.1 kWh on local day 2026-01-12 (peaks ≤ 1 kWh never fire)',
    );
  });

  it('describe runs, registry windows and alignment in local time', () => {
    const zeros = mk({ values: new Array(96).fill(0) });
    expect(explain(engine, zeros, 40, RuleId.RunZero, { now: T + 2 * DAY })).toBe(
      '96 consecutive readings zero from 2026-01-12T00:00:00.000Z (24 h; fires at 96 readings = 24 h)',
    );
    const registry = new Map([['M1', snapshot({ installedAt: T + HOUR })]]);
    expect(explain(engine, zeros, 0, RuleId.RegistryInactive, { now: T + DAY, registry })).toBe(
      'starts 2026-01-12T00:00:00.000Z, outside the installation [2026-01-12T01:00:00.000Z, open)',
    );
    const odd = mk({ values: [0.1], starts: [T + 7 * MIN] });
    expect(
      explain(engine, odd, 0, RuleId.IntervalAlignment, { now: T + DAY, timezone: 'Europe/Stockholm' }),
    ).toBe('starts 2026-01-12T00:07:00.000Z = 01:07 local (Europe/Stockholm), not on the 15-minute grid');
  });

  it('blockFailures lists fired rules in reading order with their action, up to a limit', () => {
    const b = mk({ values: [0.1, -1, 0.2], status: [0x80, 0, 0] });
    const cols = ValidationColumns.allocate(3);
    engine.validateBlock(b, { now: T + DAY }, cols);
    expect(
      blockFailures(engine, b, cols, 0, { now: T + DAY }, 10).map((f) => [f.index, f.rule, f.action]),
    ).toEqual([
      [0, 'status.power_down', 'accept'],
      [1, 'limits.negative', 'fail'],
    ]);
    expect(blockFailures(engine, b, cols, 0, { now: T + DAY }, 1)).toHaveLength(1);
  });
});

describe('registry snapshots', () => {
  const meter: Meter = {
    meterId: 'M9',
    accountId: 'A',
    tariffId: 'T',
    regionId: 'R',
    segment: 'industrial',
    timezone: 'Europe/Stockholm',
    intervalMinutes: 15,
    status: 'removed',
    ratedKw: 400,
    installedAt: new Date(T),
    removedAt: new Date(T + 2 * HOUR),
  };

  it('carry instants as epoch ms and agree with isActiveAt', () => {
    const snap = registrySnapshot([meter]).get('M9')!;
    expect(snap).toMatchObject({
      installedAt: T,
      removedAt: T + 2 * HOUR,
      segment: 'industrial',
      ratedKw: 400,
    });
    for (const status of ['active', 'inactive', 'removed'] as const) {
      for (const t of range(-2, 12).map((k) => T + k * 15 * MIN)) {
        expect(snapshotActiveAt({ ...snap, status }, t)).toBe(isActiveAt({ ...meter, status }, t));
      }
    }
  });

  it('reject an unknown time zone up front', () => {
    expect(() => registrySnapshot([{ ...meter, timezone: 'Europe/Stokholm' }])).toThrow(/Unknown time zone/);
  });
});
