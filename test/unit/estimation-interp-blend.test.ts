import { describe, expect, it } from 'vitest';
import { type EstimationContext, estimateRange } from '../../src/core/estimation/methods.js';
import { DEFAULT_CHAIN } from '../../src/core/estimation/settings.js';
import { wallMinuteOf } from '../../src/core/estimation/wall-clock.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { meterFacts } from '../helpers/meter-facts.js';

const ZONE = 'Europe/Stockholm';
const meter = meterFacts({ timezone: ZONE });

/** A day of actuals whose value at each position is `value(wall-clock minute, position)`; NaN in [gapFrom, gapTo). */
function day(date: string, value: (wall: number, p: number) => number, gapFrom = 0, gapTo = 0): SeriesDay {
  const d = emptyDay({ meterId: 'M1', channel: 'active_import_kwh', day: date }, ZONE, 15);
  for (let p = 0; p < d.values.length; p++)
    d.values[p] = p >= gapFrom && p < gapTo ? Number.NaN : value(wallMinuteOf(d, p, ZONE), p);
  d.version = 1;
  return d;
}

/** `days` days either side of `date`, each built by `value(date)`; the gap day by `gapValue`. */
function history(
  date: string,
  value: (date: string) => (wall: number, p: number) => number,
  gap: { from: number; to: number; value: (wall: number, p: number) => number },
): Map<string, SeriesDay> {
  const m = new Map<string, SeriesDay>();
  const base = parseLocalDate(date);
  for (let k = -30; k <= 30; k++) {
    const d = formatLocalDate(base + k);
    m.set(d, k === 0 ? day(d, gap.value, gap.from, gap.to) : day(d, value(d)));
  }
  return m;
}

const ctx = (
  days: Map<string, SeriesDay>,
  localDate: string,
  from: number,
  to: number,
  over: Partial<EstimationContext> = {},
): EstimationContext => ({
  meter,
  channel: 'active_import_kwh',
  days,
  localDate,
  from,
  to,
  settings: DEFAULT_CHAIN,
  // one day type: the like days are the nearest clean days whatever their weekday
  dayType: () => 'weekday',
  ...over,
});

// an irregular shape of exact binary fractions, by wall-clock quarter-hour
const shape = (wall: number) => 0.25 + (((wall / 15) * (wall / 15)) % 16) / 32;
const LEVEL = 0.125;

function expectValues(actual: Float64Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 12);
}

describe('interp_blend: linear interpolation blended with the like-day shape', () => {
  it('a meter whose days follow their like days gets the shape, shifted to meet the readings beside the gap', () => {
    const days = history('2026-06-17', () => shape, { from: 40, to: 56, value: (w) => shape(w) + LEVEL });
    const e = estimateRange('interp_blend', ctx(days, '2026-06-17', 40, 56))!;
    expect(e.method).toBe('interp_blend');
    expect(e.code).toBe(1); // Method.LinearInterpolation
    expectValues(
      e.values,
      Array.from({ length: 16 }, (_, i) => shape((40 + i) * 15) + LEVEL),
    );
    // plain linear misses the shape
    expect(estimateRange('linear', ctx(days, '2026-06-17', 40, 56))!.values[3]).not.toBeCloseTo(
      shape(43 * 15) + LEVEL,
      3,
    );
  });

  it('a meter whose like days mislead (a bump every other day) gets the straight line', () => {
    // odd days have a bump of 1 kWh in 10:00–12:00, even days are flat at 0.5: every day's like
    // days (the three nearest) hold one or two bumps, so the shape is wrong by 2/3 of a bump
    // wherever it is used, the line only on the bump days
    const bump = (date: string) => (wall: number) =>
      parseLocalDate(date) % 2 === 1 && wall >= 600 && wall < 720 ? 1.5 : 0.5;
    const date = parseLocalDate('2026-06-17') % 2 === 0 ? '2026-06-17' : '2026-06-18';
    const days = history(date, bump, { from: 38, to: 50, value: () => 0.5 });
    const e = estimateRange('interp_blend', ctx(days, date, 38, 50))!;
    expect([...e.values]).toEqual(new Array(12).fill(0.5));
  });

  it('spring DST day (92 quarter-hours): the gap across the skipped hour follows the shape by wall-clock time', () => {
    // positions 6..14 of 2026-03-29 are 01:30, 01:45, 03:00 … 04:30
    const days = history('2026-03-29', () => shape, { from: 6, to: 14, value: (w) => shape(w) + LEVEL });
    expect(days.get('2026-03-29')!.values.length).toBe(92);
    const e = estimateRange('interp_blend', ctx(days, '2026-03-29', 6, 14))!;
    const walls = [90, 105, 180, 195, 210, 225, 240, 255];
    expectValues(
      e.values,
      walls.map((w) => shape(w) + LEVEL),
    );
  });

  it('autumn DST day (100 quarter-hours): both 02:00 hours take the shape of 02:00', () => {
    // positions 6..14 of 2026-10-25 are 01:30, 01:45, 02:00 … 02:45 (first), 02:00, 02:15 (second)
    const days = history('2026-10-25', () => shape, { from: 6, to: 14, value: (w) => shape(w) + LEVEL });
    expect(days.get('2026-10-25')!.values.length).toBe(100);
    const e = estimateRange('interp_blend', ctx(days, '2026-10-25', 6, 14))!;
    const walls = [90, 105, 120, 135, 150, 165, 120, 135];
    expectValues(
      e.values,
      walls.map((w) => shape(w) + LEVEL),
    );
  });

  it('a register read over the gap: the estimate keeps its shape and sums to the read', () => {
    const days = history('2026-06-17', () => shape, { from: 40, to: 56, value: (w) => shape(w) + LEVEL });
    const free = estimateRange('interp_blend', ctx(days, '2026-06-17', 40, 56))!.values;
    const sum = free.reduce((a, b) => a + b, 0);
    const e = estimateRange('interp_blend', ctx(days, '2026-06-17', 40, 56, { knownTotal: 10 }))!;
    expectValues(
      e.values,
      [...free].map((v) => (v * 10) / sum),
    );
    expect(e.values.reduce((a, b) => a + b, 0)).toBeCloseTo(10, 12);
  });

  it('the chain: linear up to an hour, interp_blend for a 4-hour gap, not for a whole day', () => {
    const days = history('2026-06-17', () => shape, { from: 40, to: 56, value: (w) => shape(w) + LEVEL });
    const hour = history('2026-06-17', () => shape, { from: 40, to: 44, value: (w) => shape(w) + LEVEL });
    expect(estimateRange('chain', ctx(hour, '2026-06-17', 40, 44))!.method).toBe('linear');
    expect(estimateRange('chain', ctx(days, '2026-06-17', 40, 56))!.method).toBe('interp_blend');
    const whole = history('2026-06-17', () => shape, { from: 0, to: 96, value: shape });
    expect(estimateRange('interp_blend', ctx(whole, '2026-06-17', 0, 96))).toBeNull();
    expect(estimateRange('chain', ctx(whole, '2026-06-17', 0, 96))!.method).toBe('day_blend');
  });

  it('without a reading beside the gap or a clean day to learn from, it does not estimate', () => {
    const days = history('2026-06-17', () => shape, { from: 0, to: 16, value: shape });
    days.delete('2026-06-16');
    expect(estimateRange('interp_blend', ctx(days, '2026-06-17', 0, 16))).toBeNull();
    const two = (hole: boolean) => {
      const m = new Map([['2026-06-17', days.get('2026-06-17')!]]);
      for (const d of ['2026-06-16', '2026-06-18']) m.set(d, day(d, shape, hole ? 90 : 0, hole ? 91 : 0));
      return m;
    };
    // the two neighbours are the only other days: both are validation days, so it estimates …
    expect(estimateRange('interp_blend', ctx(two(false), '2026-06-17', 0, 16))).not.toBeNull();
    // … but not once they miss an interval (no clean day left)
    expect(estimateRange('interp_blend', ctx(two(true), '2026-06-17', 0, 16))).toBeNull();
  });
});
