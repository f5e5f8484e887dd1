import { describe, expect, it } from 'vitest';
import { dailyAggregate, factsOfDay } from '../../src/core/aggregate/daily.js';
import { widenRange } from '../../src/core/aggregate/service.js';
import { backfillSource, deliveryOf } from '../../src/core/backfill/revalidate.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import { emptyDay } from '../../src/core/series/day.js';

const ACTUAL = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
const RAW = packFields(Origin.Actual, ValidationState.NotValidated, Method.None, Reason.None);

describe('daily aggregate of a meter-day', () => {
  it('fall-back day: 100 intervals, peak at the first maximum, missing and unvalidated values make it provisional', () => {
    const d = emptyDay(
      { meterId: 'M', channel: 'active_import_kwh', day: '2026-10-25' },
      'Europe/Stockholm',
      15,
    );
    expect(d.values.length).toBe(100);
    for (let i = 0; i < 98; i++) {
      d.values[i] = i === 12 || i === 50 ? 0.75 : 0.25;
      d.quality[i] = i === 3 ? RAW : ACTUAL;
    }
    d.version = 42;
    const a = dailyAggregate(d, 100, 15, factsOfDay(d));
    expect(a).toEqual({
      meterId: 'M',
      channel: 'active_import_kwh',
      localDate: '2026-10-25',
      intervalMinutes: 15,
      energy: 96 * 0.25 + 2 * 0.75,
      min: 0.25,
      max: 0.75,
      peakDemand: 3,
      // index 12 on the fall-back day is the second 02:00 (CET) = 01:00 UTC
      peakStart: Date.UTC(2026, 9, 25, 1, 0),
      expected: 100,
      actual: 98,
      estimated: 0,
      missing: 2,
      failed: 0,
      estimatedShare: 0,
      status: 'provisional',
      seriesVersion: 42,
      estimatedMicro: 0,
      // 25 local hours (02:00 twice), four quarter-hours each; the last hour has two values
      hourly: {
        energyMicro: Array.from({ length: 25 }, (_, h) =>
          h === 3 || h === 12 ? 1_500_000 : h === 24 ? 500_000 : 1_000_000,
        ),
        peakMicro: Array.from({ length: 25 }, (_, h) => (h === 3 || h === 12 ? 750_000 : 250_000)),
        // minutes since the day's start: the hour's first interval, or the larger value (index 50)
        peakMinute: Array.from({ length: 25 }, (_, h) => (h === 12 ? 50 * 15 : h * 60)),
      },
    });
  });

  it('spring-forward day: 23 hours; estimated energy in micro-kWh; values rounded once to 6 decimals', () => {
    const d = emptyDay({ meterId: 'M', channel: 'c', day: '2026-03-29' }, 'Europe/Stockholm', 15);
    expect(d.values.length).toBe(92);
    const EST = packFields(Origin.Estimated, ValidationState.Passed, Method.LinearInterpolation, Reason.None);
    for (let i = 0; i < 92; i++) {
      d.values[i] = 0.1234564 + (i === 91 ? 1 : 0);
      d.quality[i] = i < 2 ? EST : ACTUAL;
    }
    const f = factsOfDay(d);
    expect(f.estimatedMicro).toBe(2 * 123_456);
    expect(f.hourly!.energyMicro).toEqual([...new Array(22).fill(4 * 123_456), 3 * 123_456 + 1_123_456]);
    expect(f.hourly!.peakMicro[22]).toBe(1_123_456);
    expect(f.hourly!.peakMinute[22]).toBe(91 * 15);
    expect(dailyAggregate(d, 92, 15, f).hourly).toBe(f.hourly);
  });

  it('a day without any series row is all missing, with no energy (missing is not zero)', () => {
    const a = dailyAggregate({ meterId: 'M', channel: 'c', day: '2026-03-29' }, 92, 15, undefined);
    expect(a).toMatchObject({
      energy: null,
      expected: 92,
      missing: 92,
      estimatedShare: null,
      status: 'provisional',
      seriesVersion: 0,
    });
  });
});

describe('periods and backfill sources', () => {
  it('widens to local weeks (Monday–Sunday) and months', () => {
    expect(widenRange('week', '2026-03-29', '2026-03-29')).toEqual({ from: '2026-03-23', to: '2026-03-29' });
    expect(widenRange('week', '2026-03-30', '2026-04-01')).toEqual({ from: '2026-03-30', to: '2026-04-05' });
    expect(widenRange('month', '2026-02-10', '2026-12-03')).toEqual({ from: '2026-02-01', to: '2026-12-31' });
    expect(widenRange('day', '2026-02-10', '2026-02-11')).toEqual({ from: '2026-02-10', to: '2026-02-11' });
    expect(() => widenRange('day', '2026-02-11', '2026-02-10')).toThrow(/after/);
  });

  it('a backfill source wraps the delivery it re-validated, also twice', () => {
    const once = backfillSource('job1', 'smt.readings.raw/3/17');
    expect(deliveryOf(once)).toBe('smt.readings.raw/3/17');
    expect(deliveryOf(backfillSource('job2', deliveryOf(once)))).toBe('smt.readings.raw/3/17');
    expect(deliveryOf('correction:42')).toBe('correction:42');
  });
});
