import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../src/core/errors.js';
import { backtest } from '../../src/core/forecast/backtest.js';
import { dayTypes, publicHolidays } from '../../src/core/forecast/calendar-features.js';
import { MODELS, modelInput, runForecast } from '../../src/core/forecast/engine.js';
import { seasonalNaive } from '../../src/core/forecast/models/seasonal-naive.js';
import { slotCalendar, type UsageSeries } from '../../src/core/forecast/series.js';
import { checkSufficiency } from '../../src/core/forecast/sufficiency.js';

/** mulberry32: a seeded generator so the "noise" is the same on every run */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const start = Date.UTC(2026, 0, 5); // Monday 2026-01-05 00:00 UTC

/** hourly: a daily shape, lower weekends, gaussian-ish noise of sd ≈ 2 % of the mean */
function synthetic(days: number, seed = 42): UsageSeries {
  const r = rng(seed);
  const values = new Float64Array(days * 24);
  for (let i = 0; i < values.length; i++) {
    const hour = i % 24;
    const weekday = Math.floor(i / 24) % 7;
    const base = 100 + 40 * Math.sin(((hour - 6) / 24) * 2 * Math.PI) + (weekday >= 5 ? -25 : 0);
    const noise = (r() + r() + r() - 1.5) * 2 * 2; // sd = 2
    values[i] = base + noise;
  }
  return { timezone: 'UTC', intervalMinutes: 60, start, values };
}

function truth(i: number): number {
  const hour = i % 24;
  const weekday = Math.floor(i / 24) % 7;
  return 100 + 40 * Math.sin(((hour - 6) / 24) * 2 * Math.PI) + (weekday >= 5 ? -25 : 0);
}

function mape(actual: ArrayLike<number>, pred: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++)
    s += Math.abs((actual[i] as number) - (pred[i] as number)) / Math.abs(actual[i] as number);
  return s / actual.length;
}

describe('forecast models on a known seasonal series', () => {
  const series = synthetic(70);
  const horizon = 7 * 24;
  const cal = slotCalendar('UTC', 60, start, series.values.length + horizon);
  const req = { series, horizon, model: 'seasonal-naive' as const, holidays: new Set<number>() };
  const input = modelInput(req, cal, series.values.length, horizon);
  const actual = Float64Array.from({ length: horizon }, (_, h) => truth(series.values.length + h));

  it('seasonal naive repeats last week exactly', () => {
    const p = seasonalNaive.predict(input);
    const n = series.values.length;
    for (let h = 0; h < horizon; h++) expect(p[h]).toBe(series.values[n - 168 + h]);
  });

  it.each([
    ['double-seasonal', 0.012],
    ['calendar-regression', 0.012],
  ] as const)('%s is within its stated error of the noiseless truth a week ahead', (name, bound) => {
    const err = mape(actual, MODELS[name].predict(input));
    // the noise alone is ~1.6 % MAPE against the truth for a naive copy of one noisy week
    expect(err).toBeLessThan(bound);
    expect(err).toBeLessThan(mape(actual, seasonalNaive.predict(input)) * 0.7);
  });

  it('gives 90 % intervals that hold about 90 % of a fresh week', () => {
    const longer = synthetic(77, 42);
    const hist = { ...longer, values: longer.values.subarray(0, 70 * 24) };
    const res = runForecast({ series: hist, horizon, model: 'double-seasonal', holidays: new Set() });
    let inside = 0;
    res.intervals.forEach((p, h) => {
      const y = longer.values[70 * 24 + h] as number;
      if (y >= p.lower && y <= p.upper) inside++;
    });
    expect(res.intervals).toHaveLength(168);
    expect(res.days).toHaveLength(7);
    expect(inside / horizon).toBeGreaterThan(0.8);
    expect(inside / horizon).toBeLessThan(0.98);
  });
});

describe('data sufficiency', () => {
  it('refuses less than 8 weeks with the reason', () => {
    const s = checkSufficiency(new Float64Array(55 * 24).fill(1), 24);
    expect(s.ok).toBe(false);
    expect(s.refusals.map((r) => r.code)).toEqual(['history.short']);
    expect(s.refusals[0]?.message).toBe('55 days of history, at least 56 (8 weeks) are needed');
  });

  it('refuses more than 10 % missing and warns of a gap', () => {
    const v = new Float64Array(60 * 24).fill(1);
    v.fill(Number.NaN, 0, 7 * 24); // 11.7 %
    const s = checkSufficiency(v, 24);
    expect(s.refusals.map((r) => r.code)).toEqual(['history.sparse']);
    expect(s.refusals[0]?.message).toBe("11.7 % of the history's intervals are missing, at most 10 % may be");
    expect(s.warnings.map((w) => w.code)).toEqual(['history.no-year', 'history.gap']);
  });

  it('accepts exactly 8 weeks and 10 % missing', () => {
    expect(checkSufficiency(new Float64Array(56 * 24).fill(1), 24).ok).toBe(true);
    const v = new Float64Array(60 * 24).fill(1);
    for (let i = 0; i < v.length; i += 10) v[i] = Number.NaN;
    const s = checkSufficiency(v, 24);
    expect(s.missingFraction).toBe(0.1);
    expect(s.ok).toBe(true);
  });

  it('runForecast refuses with exit code 3 (invalid data) and the reasons in details', () => {
    const short = synthetic(30);
    expect(() =>
      runForecast({ series: short, horizon: 24, model: 'double-seasonal', holidays: new Set() }),
    ).toThrow(InvalidDataError);
  });
});

describe('local calendar of the forecast', () => {
  it('keys slots on the wall clock across DST: the autumn day has 100 quarter-hours, 4 on one slot', () => {
    // 2026-10-25 Europe/Berlin: 25 hours; local midnight is 2026-10-24T22:00Z
    const c = slotCalendar('Europe/Berlin', 15, Date.UTC(2026, 9, 24, 22), 100);
    expect(new Set(c.day).size).toBe(1);
    const at2 = [...c.slot].filter((s) => s === 8).length; // 02:00 wall clock, twice
    expect(at2).toBe(2);
    expect(c.slot[99]).toBe(95);
    expect(c.weekday[0]).toBe(6); // Sunday
  });

  it('marks public holidays from date-holidays as Sunday-like days', () => {
    const c = slotCalendar('Europe/London', 60, Date.UTC(2000, 7, 27, 23), 24); // Mon 2000-08-28 local
    const hol = publicHolidays('GB-ENG', c.day[0] as number, c.day[0] as number);
    expect([...dayTypes(c, hol)].every((t) => t === 4)).toBe(true);
    expect([...dayTypes(c, new Set())].every((t) => t === 0)).toBe(true);
  });
});

describe('Taylor (2003) England & Wales half-hourly demand', () => {
  const rows = readFileSync(new URL('../../datasets/taylor/taylor-2000.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const values = Float64Array.from(rows.map((r) => Number(r.split(',')[1])));
  // measured (rolling origin, the 28 days after the first 8 weeks): double-seasonal 1.13 % MAPE
  // day-ahead, seasonal naive 2.15 %, calendar regression 2.52 %
  it('has 4032 half-hours; day-ahead double-seasonal is within 1.3 % MAPE and beats seasonal naive by 30 %', () => {
    expect(values.length).toBe(4032);
    const series: UsageSeries = {
      timezone: 'Europe/London',
      intervalMinutes: 30,
      start: Date.UTC(2000, 5, 4, 23),
      values,
    };
    const firstDay = Math.floor(Date.UTC(2000, 5, 5) / 86_400_000);
    const r = backtest({
      series,
      fromDay: firstDay + 56,
      toDay: firstDay + 83,
      horizons: ['1d'],
      models: ['seasonal-naive', 'double-seasonal'],
      holidays: new Set(),
    });
    const [naive, dshw] = r.cells;
    expect(naive?.origins).toBe(28);
    expect(r.skippedOrigins).toBe(0);
    expect(dshw?.interval.mape).toBeLessThan(0.013);
    expect(dshw!.interval.mape).toBeLessThan(0.7 * naive!.interval.mape);
  });
});
