import { describe, expect, it } from 'vitest';
import { backtest } from '../../src/core/forecast/backtest.js';
import { modelInput } from '../../src/core/forecast/engine.js';
import { calendarRegression } from '../../src/core/forecast/models/calendar-regression.js';
import { chooseWeights, combination, WEIGHTS } from '../../src/core/forecast/models/combination.js';
import { dshwForecast, fitDshw } from '../../src/core/forecast/models/double-seasonal.js';
import { seasonalNaive } from '../../src/core/forecast/models/seasonal-naive.js';
import { slotCalendar, type UsageSeries } from '../../src/core/forecast/series.js';
import type { EvalRow } from '../../src/core/forecast/service.js';
import { simulatedLevels } from '../../src/core/forecast/simulated-levels.js';
import { parseLocalDate } from '../../src/core/time/local-date.js';
import { json, runCli } from '../helpers/cli.js';

const start = Date.UTC(2026, 0, 5); // Monday 2026-01-05 00:00 UTC

/** hourly shape with a different level per weekday (so no model but naive can be exact) */
function shape(i: number): number {
  const hour = i % 24;
  const weekday = Math.floor(i / 24) % 7;
  return (
    (100 + 40 * Math.sin(((hour - 6) / 24) * 2 * Math.PI)) * (1 + weekday * 0.03 - (weekday >= 5 ? 0.3 : 0))
  );
}

function series(days: number, level: (day: number) => number, f = shape): UsageSeries {
  const values = Float64Array.from({ length: days * 24 }, (_, i) => f(i) * level(Math.floor(i / 24)));
  return { timezone: 'UTC', intervalMinutes: 60, start, values };
}

function inputOf(s: UsageSeries, horizon: number) {
  const cal = slotCalendar('UTC', 60, start, s.values.length + horizon);
  return modelInput(
    { series: s, horizon, model: 'combination', holidays: new Set() },
    cal,
    s.values.length,
    horizon,
  );
}

function dayTotal(a: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i] as number;
  return s;
}

describe('calendar regression (v2): a level trend in proportion to each cell', () => {
  // one shape per day type of the regression, so only the trend is left to get right
  const weekend = (i: number) => shape(i % 24) * (Math.floor(i / 24) % 7 >= 5 ? 0.7 : 1);

  it('follows a steady 0.4 %/day decline of the whole profile a day and a week ahead', () => {
    const decline = (d: number) => 1 - 0.004 * d;
    const s = series(70, decline, weekend);
    const p = calendarRegression.predict(inputOf(s, 7 * 24));
    let worst = 0;
    for (let h = 0; h < 7 * 24; h++) {
      const truth = weekend(70 * 24 + h) * decline(70 + Math.floor(h / 24));
      worst = Math.max(worst, Math.abs((p[h] as number) - truth) / truth);
    }
    // without the trend (v1) the recency-weighted cell means lag by ~40 days: more than 10 % high
    expect(worst).toBeLessThan(0.005);
  });
});

describe('double-seasonal (v2): Taylor multiplicative form', () => {
  it('chooses the multiplicative form on a proportional level step and follows it within 0.5 % a day ahead', () => {
    const step = (d: number) => (d >= 60 ? 0.9 : 1); // 10 % less from day 60 of 63
    const s = series(63, step);
    const input = inputOf(s, 24);
    const params = fitDshw(input);
    expect(params.multiplicative).toBe(true);
    const truth = dayTotal(Float64Array.from({ length: 24 }, (_, h) => shape(63 * 24 + h) * 0.9));
    const err = (p: Float64Array) => Math.abs(dayTotal(p) - truth) / truth;
    expect(err(dshwForecast(input, params))).toBeLessThan(0.005);
    // the benchmark still copies the week before the step: 1 / 0.9 - 1 too high
    expect(err(seasonalNaive.predict(input))).toBeCloseTo(1 / 9, 9);
  });
});

describe('combination: weights chosen by rolling-origin validation inside the history', () => {
  it('has 15 weight triples on the simplex', () => {
    expect(WEIGHTS).toHaveLength(15);
    for (const w of WEIGHTS) expect(w[0] + w[1] + w[2]).toBeCloseTo(1, 12);
  });

  it('gives no weight to the regression where it cannot be exact (Tuesday to Thursday pooled) and repeats last week', () => {
    const s = series(63, () => 1);
    const input = inputOf(s, 24);
    expect(chooseWeights(input).weights[2]).toBe(0);
    const p = combination.predict(input);
    for (let h = 0; h < 24; h++) {
      const last = s.values[63 * 24 - 7 * 24 + h] as number;
      expect(Math.abs((p[h] as number) - last) / last).toBeLessThan(1e-9);
    }
  });
});

describe('simulated fleet levels (in memory, from the simulator messages)', () => {
  const targets = simulatedLevels({
    seed: 7,
    meters: 30,
    timezone: 'Europe/Berlin',
    from: '2026-03-23',
    to: '2026-04-05', // across the spring change of 29 March: one 23-hour day
    intervalMinutes: 60,
    keepMeters: 2,
  });
  const byLevel = (level: string) => targets.filter((t) => t.level === level);

  it('lays every level on one local-day grid: 14 days of which one has 23 hours', () => {
    for (const t of targets) expect(t.series.values.length).toBe(14 * 24 - 1);
    expect(byLevel('fleet')).toHaveLength(1);
    expect(byLevel('meter').map((t) => t.meters)).toEqual([1, 1]);
    expect(byLevel('region').reduce((n, t) => n + t.meters, 0)).toBe(30);
    expect(byLevel('segment').reduce((n, t) => n + t.meters, 0)).toBe(30);
  });

  it('sums the same readings into every level: fleet = Σ regions = Σ segments at every slot, none missing', () => {
    const fleet = byLevel('fleet')[0]!.series.values;
    for (const level of ['region', 'segment']) {
      const parts = byLevel(level);
      for (let i = 0; i < fleet.length; i++) {
        const sum = parts.reduce((s, t) => s + (t.series.values[i] as number), 0);
        expect(sum).toBeCloseTo(fleet[i] as number, 6);
      }
    }
    expect(fleet.every((v) => v > 0)).toBe(true);
  });
});

describe('smt forecast eval --simulate (the real CLI)', () => {
  it('evaluates an in-memory fleet without the stores and reports what the backtest computes', () => {
    const r = runCli(
      [
        'forecast',
        'eval',
        '--simulate',
        '12',
        '--timezone',
        'Europe/Berlin',
        '--from',
        '2026-03-02',
        '--to',
        '2026-03-03',
        '--levels',
        'fleet',
        '--models',
        'seasonal-naive',
        '--horizons',
        '1d',
        '--json',
      ],
      // no store is needed: no stack at all
      { SMT_STACK_DIR: '/nonexistent/smt-forecast-simulate' },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = json<EvalRow[]>(r);
    const fleet = simulatedLevels({
      seed: 42,
      meters: 12,
      timezone: 'Europe/Berlin',
      from: '2026-01-05', // 8 weeks before --from
      to: '2026-03-04', // the end of the last day-ahead horizon
      intervalMinutes: 60,
      keepMeters: 0,
    }).find((t) => t.level === 'fleet')!;
    const cell = backtest({
      series: fleet.series,
      fromDay: parseLocalDate('2026-03-02'),
      toDay: parseLocalDate('2026-03-03'),
      horizons: ['1d'],
      models: ['seasonal-naive'],
      holidays: new Set(),
    }).cells[0]!;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ level: 'fleet', targets: 1, model: 'seasonal-naive', origins: 2 });
    expect(rows[0]!.dailyMape).toBe(cell.daily.mape);
    expect(rows[0]!.dailyMape).toBeGreaterThan(0);
  });

  it('refuses --simulate together with --file (usage, exit 2)', () => {
    const r = runCli([
      'forecast',
      'eval',
      '--simulate',
      '5',
      '--file',
      'x.csv',
      '--from',
      '2026-03-02',
      '--to',
      '2026-03-03',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--file|--simulate/);
  });
});
