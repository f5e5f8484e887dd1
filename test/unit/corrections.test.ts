import { describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  ChainVerifier,
  canonicalEntry,
  entryHash,
  GENESIS_HASH,
} from '../../src/core/audit/chain.js';
import { estimateCorrection } from '../../src/core/corrections/estimator.js';
import {
  byDate,
  copyByWallClock,
  dayTotals,
  monthTotals,
  propose,
  wallSlots,
} from '../../src/core/corrections/plan.js';
import { intervalRange, localIso, parseInstant } from '../../src/core/corrections/range.js';
import { UsageError } from '../../src/core/errors.js';
import { defaultEstimationSettings } from '../../src/core/estimation/settings.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { emptyDay, type SeriesDay, writeAt } from '../../src/core/series/day.js';
import { planWrite, type WriteUnit } from '../../src/core/series/planner.js';
import type { RegisteredMeter } from '../../src/core/series/ports.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { ValidationColumns } from '../../src/core/vee/engine.js';

const ZONE = 'Europe/Stockholm';
const cal = LocalCalendar.for(ZONE);
const M: RegisteredMeter = {
  meterId: 'M1',
  timezone: ZONE,
  intervalMinutes: 15,
  regionId: 'SE3',
  segment: 'residential',
  tariffId: 'T1',
};

function day(date: string, value: (p: number) => number, version = 1): SeriesDay {
  const d = emptyDay({ meterId: 'M1', channel: 'active_import_kwh', day: date }, ZONE, 15);
  for (let p = 0; p < d.values.length; p++) d.values[p] = value(p);
  d.writes.push({ version, source: 'raw/0/1' });
  d.writeIdx.fill(0);
  d.version = version;
  return d;
}

describe('correction ranges in the meter zone', () => {
  it('a date is the whole local day: 92, 96 and 100 quarter-hours', () => {
    for (const [date, n] of [
      ['2026-03-29', 92],
      ['2026-03-30', 96],
      ['2026-10-25', 100],
    ] as const) {
      const r = intervalRange(parseInstant(date, ZONE, 'from'), parseInstant(date, ZONE, 'to'), ZONE, 15);
      expect(r.starts.length).toBe(n);
      expect(r.days).toEqual([date]);
    }
  });

  it('refuses local times the clocks skip or repeat, and names the offsets', () => {
    expect(() => parseInstant('2026-03-29T02:30', ZONE, 'from')).toThrow(
      /does not exist in Europe\/Stockholm/,
    );
    try {
      parseInstant('2026-10-25T02:30', ZONE, 'from');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).hint).toBe(
        'Say which with an offset: 2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00.',
      );
    }
    expect(parseInstant('2026-10-25T02:30+01:00', ZONE, 'from')).toBe(Date.UTC(2026, 9, 25, 1, 30));
    expect(parseInstant('2026-10-25T03:30', ZONE, 'from')).toBe(Date.UTC(2026, 9, 25, 2, 30));
    expect(() => parseInstant('2026-02-30', ZONE, 'from')).toThrow(UsageError);
    expect(() => parseInstant('yesterday', ZONE, 'to')).toThrow(/is not a date or an instant/);
  });

  it('refuses ranges off the grid or empty', () => {
    const from = parseInstant('2026-03-30T10:05', ZONE, 'from');
    expect(() => intervalRange(from, from + 3_600_000, ZONE, 15)).toThrow(
      /--from 2026-03-30T10:05:00\+02:00 is not an interval boundary/,
    );
    expect(() => intervalRange(from, from, ZONE, 15)).toThrow(/the range is empty/);
  });

  it('prints local instants with their offset', () => {
    expect(localIso(Date.UTC(2026, 9, 25, 0, 15), ZONE)).toBe('2026-10-25T02:15:00+02:00');
    expect(localIso(Date.UTC(2026, 9, 25, 1, 15), ZONE)).toBe('2026-10-25T02:15:00+01:00');
  });
});

describe('copy by wall-clock time across DST days', () => {
  it('names the repeated hour of a fall-back day by occurrence', () => {
    const slots = wallSlots([...cal.intervalStarts('2026-10-25', 15)], ZONE);
    expect(slots.slice(7, 14)).toEqual([
      '01:45#1',
      '02:00#1',
      '02:15#1',
      '02:30#1',
      '02:45#1',
      '02:00#2',
      '02:15#2',
    ]);
  });

  it('96 → 92 drops the skipped hour; 96 → 100 repeats 02:xx', () => {
    const src = day('2026-03-22', (p) => p);
    const spring = copyByWallClock(src, [...cal.intervalStarts('2026-03-29', 15)], ZONE);
    expect(spring.length).toBe(92);
    expect([...spring.slice(6, 10)]).toEqual([6, 7, 12, 13]);
    const autumn = copyByWallClock(src, [...cal.intervalStarts('2026-10-25', 15)], ZONE);
    expect(autumn.length).toBe(100);
    expect([...autumn.slice(7, 17)]).toEqual([7, 8, 9, 10, 11, 8, 9, 10, 11, 12]);
    expect(autumn[99]).toBe(95);
  });
});

describe('proposals and totals', () => {
  it('counts changed, unchanged and skipped intervals and sums days and months exactly', () => {
    const d = day('2026-10-25', (p) => (p === 3 ? Number.NaN : p / 8));
    const current = byDate([d]);
    const range = intervalRange(
      parseInstant('2026-10-25T00:00', ZONE, 'from'),
      parseInstant('2026-10-25T01:15', ZONE, 'to'),
      ZONE,
      15,
    );
    const scaled = Float64Array.from(range.starts, (_s, i) => (i === 3 ? Number.NaN : (i / 8) * 2));
    const empty = (x: string) => emptyDay({ meterId: 'M1', channel: 'active_import_kwh', day: x }, ZONE, 15);
    const p = propose(range, ZONE, current, scaled, empty);
    expect(p.unchanged).toBe(1); // position 0: 0 × 2 = 0
    expect(p.skipped).toBe(1); // position 3 is missing: nothing to scale
    expect(p.changes.map((c) => [c.position, c.oldValue, c.newValue, c.oldVersion])).toEqual([
      [1, 0.125, 0.25, 1],
      [2, 0.25, 0.5, 1],
      [4, 0.5, 1, 1],
    ]);
    const before = (100 * 99) / 2 / 8 - 3 / 8;
    const days = dayTotals(current, p.changes, empty);
    expect(days).toEqual([{ key: '2026-10-25', before, after: before + 0.875, delta: 0.875 }]);
    const other = day('2026-10-24', () => 1);
    expect(monthTotals(new Map([['2026-10', [other, d]]]), days)).toEqual([
      { key: '2026-10', before: 96 + before, after: 96 + before + 0.875, delta: 0.875 },
    ]);
  });
});

describe('--estimate: the estimation library over a correction range', () => {
  const meter: Meter = {
    meterId: 'M1',
    accountId: 'A1',
    tariffId: 'T1',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: 17,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
  const settings = defaultEstimationSettings();
  const request = (days: SeriesDay[], starts: number[]) => ({
    meter,
    channel: 'active_import_kwh',
    starts,
    settings,
    read: async () => days,
  });

  it('linear interpolates in time between the readings either side, across the fall-back hour', async () => {
    const d = day('2026-10-25', (p) => p);
    const starts = [...cal.intervalStarts('2026-10-25', 15)].slice(8, 12);
    const out = await estimateCorrection('linear', request([d], starts));
    // what the range holds now (8..11) is never used
    expect([...out.values]).toEqual([1, 2, 3, 4].map((k) => 7 + ((12 - 7) * k) / 5));
    expect(out.codes).toEqual(Array(4).fill(Method.LinearInterpolation));
    expect(out.byMethod).toEqual({ linear: 4 });
  });

  it('linear refuses without a reading after the range', async () => {
    const d = day('2026-10-25', (p) => (p >= 90 ? Number.NaN : p));
    const starts = [...cal.intervalStarts('2026-10-25', 15)].slice(95);
    await expect(estimateCorrection('linear', request([d], starts))).rejects.toThrow(
      /needs a reading before and after the range; there is none on one side within 7 days/,
    );
  });

  it('like-day fills the 100-interval Sunday from the three nearest Sundays by wall-clock time', async () => {
    // wall quarter-hour q of a 96 day is position q; the three Sundays average to (q + 3) / 8
    const sundays = [
      day('2026-10-11', (q) => q / 8 + 6 / 8),
      day('2026-10-18', (q) => q / 8),
      day('2026-11-01', (q) => q / 8 + 3 / 8),
    ];
    const target = day('2026-10-25', () => 9);
    const starts = [...cal.intervalStarts('2026-10-25', 15)];
    expect(starts.length).toBe(100);
    const out = await estimateCorrection('like-day', request([...sundays, target], starts));
    // positions 8..11 and 12..15 are both 02:00–02:45: the repeated hour takes the same wall-clock values
    const wall = (p: number) => (p < 12 ? p : p - 4);
    expect([...out.values]).toEqual(starts.map((_s, p) => (wall(p) + 3) / 8));
    expect(out.byMethod).toEqual({ like_day: 100 });
    expect(new Set(out.codes)).toEqual(new Set([Method.AverageLikeDay]));
  });

  it('the chain fills a whole 92-interval day with the day blend (here: like days) and a short gap with linear', async () => {
    const history = [
      day('2026-03-15', (q) => 2 + q / 8),
      day('2026-03-22', (q) => 1 + q / 8),
      day('2026-04-05', (q) => q / 8),
    ];
    const target = day('2026-03-29', (p) => p);
    const all = [...cal.intervalStarts('2026-03-29', 15)];
    expect(all.length).toBe(92);
    const whole = await estimateCorrection('chain', request([...history, target], all));
    // 03:00 (position 8) is wall quarter 12
    const wall = (p: number) => (p < 8 ? p : p + 4);
    expect([...whole.values]).toEqual(all.map((_s, p) => 1 + wall(p) / 8));
    // tuned on the meter's other Sundays, the like-day average is the blend that fits them best
    expect(whole.byMethod).toEqual({ day_blend: 92 });
    const short = await estimateCorrection('chain', request([...history, target], all.slice(20, 23)));
    expect([...short.values]).toEqual([20, 21, 22]);
    expect(short.byMethod).toEqual({ linear: 3 });
  });

  it('refuses when the method has nothing to estimate from', async () => {
    const starts = [...cal.intervalStarts('2026-03-29', 15)];
    await expect(
      estimateCorrection('like-day', request([day('2026-03-29', (p) => p)], starts)),
    ).rejects.toThrow(/--estimate like-day cannot estimate the range/);
  });
});

describe('the write model restores earlier states (undo)', () => {
  it('takes per-reading quality and clears a position back to missing', () => {
    const stored = day('2026-03-29', (p) => p);
    stored.quality.fill(
      packFields(Origin.Substituted, ValidationState.Passed, Method.OperatorEdit, Reason.DataCorrection),
    );
    const starts = [...cal.intervalStarts('2026-03-29', 15)].slice(8, 10);
    const columns = ValidationColumns.allocate(2);
    columns.states.fill(ValidationState.Passed);
    const actual = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
    const unit: WriteUnit = {
      source: 'correction:9',
      sourceRef: null,
      key: 'M1',
      format: null,
      payload: null,
      receivedAt: 0,
      reject: null,
      blocks: [
        {
          meterId: 'M1',
          channel: 'active_import_kwh',
          intervalMinutes: 15,
          starts: Float64Array.from(starts),
          values: Float64Array.of(0.5, Number.NaN),
          status: Uint32Array.of(8, 0),
          sequence: Int32Array.of(-1, -1),
          commQuality: Number.NaN,
        },
      ],
      columns,
      offsets: Uint32Array.of(0, 2),
      quality: Uint32Array.of(actual, 0),
    };
    const plan = planWrite({
      writer: { name: 'correction:x', reason: 'undo', origin: Origin.Substituted, method: Method.Revision },
      units: [unit],
      meters: new Map([['M1', M]]),
      fallbackZone: ZONE,
      stored: new Map([['M1|active_import_kwh|2026-03-29', stored]]),
      closed: new Map(),
      now: 1_000,
      lastVersion: 0,
    });
    const [d] = plan.days;
    expect(d!.values[8]).toBe(0.5);
    expect(d!.quality[8]).toBe(actual);
    expect(d!.status[8]).toBe(8);
    expect(Number.isNaN(d!.values[9]!)).toBe(true);
    expect(d!.quality[9]).toBe(0);
    expect(writeAt(d!, 9)?.source).toBe('correction:9');
    expect(plan.changes[0]!.positions).toEqual([8, 9]);
    // a cleared position is not a validated reading
    expect(plan.messages.validated[0]!.value.values).toEqual([0.5]);
    expect(plan.outcome.stored).toBe(2);
  });
});

describe('audit hash chain', () => {
  const e = (id: number, reason = 'r'): AuditEntry => ({
    auditId: id,
    at: '2026-12-01T12:00:00.123456Z',
    actor: 'alice',
    action: 'correction.apply',
    entity: 'correction',
    entityId: String(id),
    before: { b: [1, null], a: 0.1 },
    after: null,
    reason,
  });

  it('serialises canonically: key order and NaN do not matter', () => {
    const x = e(1);
    const y = { ...x, before: { a: 0.1, b: [1, Number.NaN] } };
    expect(canonicalEntry(x, GENESIS_HASH)).toBe(canonicalEntry(y, GENESIS_HASH));
    expect(canonicalEntry(x, GENESIS_HASH)).toBe(
      `{"action":"correction.apply","actor":"alice","after":null,"at":"2026-12-01T12:00:00.123456Z","before":{"a":0.1,"b":[1,null]},"entity":"correction","entityId":"1","id":1,"prev":"${GENESIS_HASH}","reason":"r","v":1}`,
    );
  });

  function chain(n: number) {
    const out = [];
    let prev = GENESIS_HASH;
    for (let i = 1; i <= n; i++) {
      const entryHashValue = entryHash(e(i), prev);
      out.push({ ...e(i), prevHash: prev, entryHash: entryHashValue });
      prev = entryHashValue;
    }
    return out;
  }

  it('verifies an intact chain and names the first altered, removed or inserted entry', () => {
    const ok = new ChainVerifier();
    for (const x of chain(4)) expect(ok.push(x)).toBeNull();
    expect(ok.entries).toBe(4);

    const altered = chain(4);
    altered[2] = { ...altered[2]!, reason: 'changed' };
    const v1 = new ChainVerifier();
    const breaks = altered.map((x) => v1.push(x)).filter((b) => b !== null);
    expect(breaks[0]).toMatchObject({ auditId: 3, problem: 'altered' });

    const removed = chain(4).filter((x) => x.auditId !== 2);
    const v2 = new ChainVerifier();
    expect(v2.push(removed[0]!)).toBeNull();
    expect(v2.push(removed[1]!)).toMatchObject({ auditId: 3, problem: 'relinked' });
  });
});
