import { describe, expect, it } from 'vitest';
import { dayTypes } from '../../src/core/estimation/day-types.js';
import { type EstimationContext, estimateRange } from '../../src/core/estimation/methods.js';
import { estimateUnit, estimateWriter } from '../../src/core/estimation/service.js';
import { DEFAULT_CHAIN } from '../../src/core/estimation/settings.js';
import { detectDay } from '../../src/core/gaps/detect.js';
import { expectedDay, type MeterFacts } from '../../src/core/gaps/expected.js';
import { stillMissing } from '../../src/core/postgres/gap-store.js';
import {
  Method,
  methodOf,
  Origin,
  originOf,
  packFields,
  Reason,
  ValidationState,
} from '../../src/core/readings/quality.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { ingestWriter, planWrite } from '../../src/core/series/planner.js';
import type { RegisteredMeter } from '../../src/core/series/ports.js';
import { parseRuleSet, RuleSetError } from '../../src/core/vee/rule-set.js';
import { meterDay } from '../helpers/blocks.js';
import { meterFacts } from '../helpers/meter-facts.js';

const ZONE = 'Europe/Stockholm';
const meter = (over: Partial<MeterFacts> = {}): MeterFacts => meterFacts({ timezone: ZONE, ...over });
const registered: RegisteredMeter = {
  meterId: 'M1',
  timezone: ZONE,
  intervalMinutes: 15,
  regionId: 'SE3',
  segment: 'residential',
  tariffId: 'T',
};

function stored(date: string, value: (p: number) => number): SeriesDay {
  const d = emptyDay({ meterId: 'M1', channel: 'active_import_kwh', day: date }, ZONE, 15);
  for (let p = 0; p < d.values.length; p++) d.values[p] = value(p);
  d.version = 1;
  return d;
}

describe('expected intervals and gap runs', () => {
  it('92, 96 and 100 intervals; installation, removal and de-energised periods cut the day', () => {
    expect(expectedDay(meter(), '2026-03-29').expected).toBe(92);
    expect(expectedDay(meter(), '2026-10-25').expected).toBe(100);
    expect(expectedDay(meter(), '2026-06-01').mask).toBeNull();
    // installed 06:00 local (04:00 UTC) on the spring day: 92 − 5 h = 72 (02:00–03:00 does not exist)
    expect(expectedDay(meter({ installedAt: Date.UTC(2026, 2, 29, 4) }), '2026-03-29').expected).toBe(72);
    // removed at 01:00 local of the autumn day (23:00 UTC the day before): 4 intervals
    expect(expectedDay(meter({ removedAt: Date.UTC(2026, 9, 24, 23) }), '2026-10-25').expected).toBe(4);
    const off = meter({ deenergised: [{ start: Date.UTC(2026, 5, 1, 8), end: Date.UTC(2026, 5, 1, 10) }] });
    expect(expectedDay(off, '2026-06-01').expected).toBe(88);
    expect(expectedDay(meter({ status: 'inactive' }), '2026-06-01').expected).toBe(0);
  });

  it('finds runs of missing expected intervals, cut at midnight, with counts per origin', () => {
    const d = stored('2026-10-25', (p) => ((p >= 8 && p < 16) || p === 99 ? Number.NaN : 0.1));
    const g = detectDay(meter(), 'active_import_kwh', '2026-10-25', d, 2);
    expect(g).toMatchObject({
      expected: 100,
      actual: 91,
      estimated: 0,
      missing: 8 + 1,
      cause: 'readings_rejected',
    });
    expect(g.gaps).toEqual([
      { start: Date.UTC(2026, 9, 25, 0), end: Date.UTC(2026, 9, 25, 2), intervals: 8, firstPosition: 8 },
      {
        start: Date.UTC(2026, 9, 25, 22, 45),
        end: Date.UTC(2026, 9, 25, 23),
        intervals: 1,
        firstPosition: 99,
      },
    ]);
    expect(detectDay(meter(), 'active_import_kwh', '2026-03-29', undefined).gaps).toEqual([
      { start: Date.UTC(2026, 2, 28, 23), end: Date.UTC(2026, 2, 29, 22), intervals: 92, firstPosition: 0 },
    ]);
  });

  it('a write shrinks an open gap to what is still missing', () => {
    expect(
      stillMissing(0, 100, [
        [0, 20],
        [50, 60],
        [90, 200],
      ]),
    ).toEqual([
      [0, 20],
      [50, 60],
      [90, 100],
    ]);
    expect(stillMissing(0, 100, [])).toEqual([]);
  });
});

describe('estimation methods and the chain', () => {
  const days = new Map<string, SeriesDay>();
  for (let k = 1; k <= 28; k++) {
    const date = `2026-06-${String(k).padStart(2, '0')}`;
    days.set(
      date,
      stored(date, (p) => 0.1 + p / 1000),
    );
  }
  const gapDay = stored('2026-06-15', (p) => ((p >= 40 && p < 48) || p === 10 ? Number.NaN : 0.2 + p / 1000));
  days.set('2026-06-15', gapDay);
  const ctx = (from: number, to: number, over: Partial<EstimationContext> = {}): EstimationContext => ({
    meter: meter(),
    channel: 'active_import_kwh',
    days,
    localDate: '2026-06-15',
    from,
    to,
    settings: DEFAULT_CHAIN,
    dayType: dayTypes({ country: 'SE' }),
    ...over,
  });

  it('linear between the neighbours; the chain takes linear only up to maxMinutes', () => {
    expect([...estimateRange('linear', ctx(10, 11))!.values]).toEqual([0.2 + 9 / 1000 + 2 / 1000 / 2]);
    expect(estimateRange('chain', ctx(10, 11))!.method).toBe('linear');
    expect(estimateRange('chain', ctx(40, 48))!.method).toBe('interp_blend');
  });

  it('like_day averages the nearest clean days of the same type, skipping estimated days', () => {
    // 2026-06-15 is a Monday; the nearest weekdays are 12, 16, 11; the 12th holds an estimate
    const est = stored('2026-06-12', () => 5);
    est.quality[3] = packFields(
      Origin.Estimated,
      ValidationState.Passed,
      Method.AverageLikeDay,
      Reason.NoDataReceived,
    );
    const local = new Map(days).set('2026-06-12', est);
    const e = estimateRange('like_day', ctx(40, 48, { days: local }))!;
    expect(e.code).toBe(Method.AverageLikeDay);
    expect(e.values[0]).toBeCloseTo(0.1 + 40 / 1000, 12); // 16th, 11th, 17th: not the estimated 12th
  });

  it('profile scales the like-day shape to the level of the rest of the day', () => {
    const e = estimateRange('profile', ctx(40, 48))!;
    expect(e.code).toBe(Method.DataScaling);
    // the rest of the day is 0.1 above its like days: the shape is raised by their ratio, and
    // the deviations beside the gap (none left after the level) add nothing
    const like = estimateRange('like_day', ctx(40, 48))!.values;
    const ratio = e.values[0]! / like[0]!;
    expect(ratio).toBeGreaterThan(1.5);
    for (let i = 0; i < 8; i++) expect(e.values[i]! / like[i]!).toBeCloseTo(ratio, 1);
  });

  it('zero only where the meter is flagged de-energised', () => {
    expect(estimateRange('zero', ctx(40, 48))).toBeNull();
    const off = meter({ deenergised: [{ start: gapDay.dayStart, end: null }] });
    expect([...estimateRange('zero', ctx(40, 48, { meter: off }))!.values]).toEqual(new Array(8).fill(0));
  });

  it('Christmas and Sundays are one day type, Saturdays another (date-holidays, SE)', () => {
    const t = dayTypes({ country: 'SE' });
    expect([t('2026-12-25'), t('2026-12-26'), t('2026-12-27'), t('2026-12-28')]).toEqual([
      'sunday_holiday',
      'sunday_holiday', // annandag jul
      'sunday_holiday',
      'weekday',
    ]);
    expect(t('2026-12-19')).toBe('saturday');
  });
});

describe('the estimation section of a rule set', () => {
  it('resolves per segment and reports bad keys with their path', () => {
    const rs = parseRuleSet(
      'version: 1\nname: t\nestimation:\n  linear: { maxMinutes: 30 }\n  segments:\n    industrial: { chain: [linear, like_day] }\n',
      't.yaml',
    );
    expect(rs.estimation.base.linear.maxMinutes).toBe(30);
    expect(rs.estimation.segments.industrial.chain).toEqual(['linear', 'like_day']);
    expect(rs.estimation.segments.industrial.linear.maxMinutes).toBe(30);
    expect(rs.estimation.segments.residential.chain).toEqual(DEFAULT_CHAIN.chain);
    try {
      parseRuleSet(
        'version: 1\nname: t\nestimation:\n  chain: [linear, spline]\n  likeDay: { days: 0 }\n',
        't.yaml',
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RuleSetError);
      expect((err as RuleSetError).issues.map((i) => [i.path, i.line])).toEqual([
        ['estimation.chain', 4],
        ['estimation.likeDay.days', 5],
      ]);
    }
  });
});

describe('the planner with an estimate writer', () => {
  const plan = (
    writer: ReturnType<typeof ingestWriter>,
    blocks: ReturnType<typeof meterDay>[],
    st: SeriesDay[],
  ) =>
    planWrite({
      writer,
      units: [estimateUnit(writer.name, blocks, 1)],
      meters: new Map([['M1', registered]]),
      fallbackZone: ZONE,
      stored: new Map(st.map((d) => [`M1|active_import_kwh|${d.day}`, d])),
      closed: new Map(),
      now: 1_000,
      lastVersion: 0,
    });

  it('keeps actuals, and an actual equal to a stored estimate is a new version', () => {
    const actual = stored('2026-06-15', (p) => (p < 4 ? Number.NaN : 0.5));
    const e = plan(
      estimateWriter('like_day', 'r'),
      [meterDay('M1', '2026-06-15', ZONE, () => 0.5)],
      [actual],
    );
    expect(e.outcome).toMatchObject({ keptActuals: 92, stored: 4 });
    const day = e.days[0]!;
    expect(originOf(day.quality[0]!)).toBe(Origin.Estimated);
    expect(methodOf(day.quality[0]!)).toBe(Method.AverageLikeDay);
    expect(originOf(day.quality[10]!)).toBe(Origin.Actual);
    expect(e.gapStates).toEqual([
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        localDate: '2026-06-15',
        intervalMinutes: 15,
        missing: [],
        actual: 92,
        estimated: 4,
        resolvedAs: 'estimated',
      },
    ]);
    const late = plan(ingestWriter('g'), [meterDay('M1', '2026-06-15', ZONE, () => 0.5)], [day]);
    expect(late.outcome).toMatchObject({ duplicates: 92, newVersions: 4, stored: 4 });
    expect(originOf(late.days[0]!.quality[0]!)).toBe(Origin.Actual);
  });
});
