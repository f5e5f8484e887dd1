/**
 * Local time in validation: DST days must pass the alignment, spacing and duplicate rules, local days
 * must group the 92 / 100 quarter-hours of a Stockholm DST day, and the block-wise offset shortcut
 * of LocalClock must agree with LocalCalendar everywhere.
 */
import { describe, expect, it } from 'vitest';
import type { IntervalMinutes } from '../../src/core/readings/block.js';
import { ValidationState } from '../../src/core/readings/quality.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { LocalClock } from '../../src/core/vee/local-clock.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { DAY, fired, HOUR, MIN, mk, validate } from './vee-helpers.js';

const STHLM = 'Europe/Stockholm';

function localDay(
  zone: string,
  date: string,
  minutes: IntervalMinutes,
  value = (i: number) => 0.1 + (i % 7) / 100,
) {
  const starts = Array.from(LocalCalendar.for(zone).intervalStarts(date, minutes));
  return mk({ values: starts.map((_, i) => value(i)), starts, interval: minutes });
}

describe('Stockholm DST days', () => {
  it('spring forward 2026-03-29: 92 quarter-hours, all pass', () => {
    const b = localDay(STHLM, '2026-03-29', 15);
    expect(b.starts.length).toBe(92);
    // 01:45 local (+01:00) is 00:45Z, the next interval 03:00 local (+02:00) is 01:00Z: 15 minutes later in UTC
    expect(b.starts[8]! - b.starts[7]!).toBe(15 * MIN);
    const o = validate(b, { timezone: STHLM });
    expect(o.masks.every((m) => m === 0)).toBe(true);
    expect(o.states.every((s) => s === ValidationState.Passed)).toBe(true);
  });

  it('fall back 2026-10-25: 100 quarter-hours, the repeated hour included, all pass', () => {
    const b = localDay(STHLM, '2026-10-25', 15);
    expect(b.starts.length).toBe(100);
    const o = validate(b, { timezone: STHLM });
    expect(o.masks.every((m) => m === 0)).toBe(true);
  });

  it('hourly and 5-minute meters on DST days: 23 / 25 and 276 / 300 intervals pass', () => {
    for (const [date, minutes, n] of [
      ['2026-03-29', 60, 23],
      ['2026-10-25', 60, 25],
      ['2026-03-29', 5, 276],
      ['2026-10-25', 5, 300],
    ] as const) {
      const b = localDay(STHLM, date, minutes);
      expect(b.starts.length).toBe(n);
      expect(
        validate(b, { timezone: STHLM }).masks.every((m) => m === 0),
        `${date} ${minutes} min`,
      ).toBe(true);
    }
  });

  it('a 100-interval day is one local day for the day rules', () => {
    // Two equal peaks (index 2 = 00:30 local, index 50 in the afternoon). As one local day the
    // second-highest is the other peak, so only the first fires. Grouped by UTC day (the local day
    // starts at 22:00Z the day before) they would be in different days and both fire.
    const b = localDay(STHLM, '2026-10-25', 15, (i) => (i === 2 || i === 50 ? 4 : 0.2 + (i % 3) / 100));
    expect(fired(validate(b, { timezone: STHLM }), RuleId.DayPeakRatio)).toEqual([2]);
    expect(fired(validate(b, { timezone: 'UTC' }), RuleId.DayPeakRatio)).toEqual([2, 50]);
  });

  it('the repeated hour of a fall-back day is not a duplicate: its instants differ in UTC', () => {
    const b = localDay(STHLM, '2026-10-25', 15);
    expect(fired(validate(b, { timezone: STHLM }), RuleId.IntervalDuplicate)).toEqual([]);
  });

  it('a block crossing midnight of a DST day keeps each side on its own offset', () => {
    // 2026-03-28 22:00 local (+01:00) to 2026-03-29 04:00 local (+02:00), quarter-hours
    const first = Date.UTC(2026, 2, 28, 21);
    const b = mk({ values: new Array(20).fill(0.1).map((v, i) => v + i / 100), start: first });
    expect(validate(b, { timezone: STHLM }).masks.every((m) => m === 0)).toBe(true);
  });
});

describe('zones whose offset is not a whole hour', () => {
  it('hourly intervals in Asia/Kathmandu (+05:45) start at hh:15 UTC', () => {
    const b = mk({
      values: [0.1, 0.2, 0.3],
      starts: [Date.UTC(2026, 0, 12, 0, 15), Date.UTC(2026, 0, 12, 1, 15), Date.UTC(2026, 0, 12, 3, 0)],
      interval: 60,
    });
    expect(fired(validate(b, { timezone: 'Asia/Kathmandu' }), RuleId.IntervalAlignment)).toEqual([2]);
  });

  it('Lord Howe Island (30-minute DST shift): a local day of hourly intervals passes', () => {
    const b = localDay('Australia/Lord_Howe', '2026-04-05', 60);
    expect(validate(b, { timezone: 'Australia/Lord_Howe' }).masks.every((m) => m === 0)).toBe(true);
  });
});

describe('LocalClock agrees with LocalCalendar', () => {
  const zones = [
    'Europe/Stockholm',
    'America/New_York',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'America/St_Johns',
    'Australia/Sydney',
    'UTC',
  ];
  const windows = [
    Date.UTC(2026, 2, 27),
    Date.UTC(2026, 9, 23),
    Date.UTC(2026, 3, 3),
    Date.UTC(2026, 9, 2),
    Date.UTC(2026, 10, 1),
  ];

  it('on alignment of every quarter-hour (and some off-grid instants) around DST changes', () => {
    for (const zone of zones) {
      const cal = LocalCalendar.for(zone);
      const clock = LocalClock.for(zone);
      for (const w of windows) {
        // one 3-day block in time order (fast path) and the same instants reversed (per-reading path)
        const starts: number[] = [];
        for (let t = w; t < w + 3 * DAY; t += 15 * MIN) starts.push(t, t + 7 * MIN);
        for (const arr of [Float64Array.from(starts), Float64Array.from(starts).reverse()]) {
          const local = new Float64Array(arr.length);
          clock.toLocal(arr, arr.length, local);
          for (const minutes of [15, 30, 60] as const) {
            for (let i = 0; i < arr.length; i++) {
              expect(
                local[i]! % (minutes * MIN) === 0,
                `${zone} ${new Date(arr[i]!).toISOString()} ${minutes}`,
              ).toBe(cal.isAligned(arr[i]!, minutes));
            }
          }
        }
      }
    }
  });

  it('offsets match the calendar at arbitrary instants', () => {
    const clock = LocalClock.for(STHLM);
    const cal = LocalCalendar.for(STHLM);
    for (
      let t = Date.UTC(2026, 2, 29, 0, 59, 59, 999) - 3 * HOUR;
      t < Date.UTC(2026, 2, 29, 2);
      t += 7 * MIN + 13
    ) {
      expect(clock.offsetAt(t)).toBe(cal.offsetMsAt(t));
    }
  });
});
