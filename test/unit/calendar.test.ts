/**
 * Expected values come from the zones' published rules, not from running the code:
 * - Europe/Stockholm: CET +1 / CEST +2, changes at 01:00 UTC on the last Sundays of March and
 *   October (2026-03-29, 2026-10-25).
 * - America/New_York: EST -5 / EDT -4, changes at 02:00 local on the second Sunday of March and the
 *   first Sunday of November (2026-03-08, 2026-11-01).
 * - Australia/Sydney: AEST +10 / AEDT +11, DST ends 03:00 local on the first Sunday of April
 *   (2026-04-05) and starts 02:00 local on the first Sunday of October (2026-10-04).
 * - Australia/Adelaide: the same dates at +09:30 / +10:30. Asia/Kolkata: +05:30, no DST.
 *   Asia/Kathmandu: +05:45, no DST.
 * - America/Santiago: -04 / -03, changes at local midnight (04:00 UTC on the first Sunday of
 *   September on or after the 2nd, 03:00 UTC on the first Sunday of April on or after the 2nd).
 * - America/Havana: -05 / -04, changes at 00:00 standard time on the second Sunday of March and
 *   the first Sunday of November.
 * - Australia/Lord_Howe: +10:30 / +11, a 30-minute DST shift, same Sundays as Sydney, at 02:00 local.
 * A 23-hour day has 23 × 60 / m intervals of m minutes, a 25-hour day 25 × 60 / m.
 */
import { describe, expect, it } from 'vitest';
import { INTERVAL_MINUTES, type IntervalMinutes } from '../../src/core/readings/block.js';
import {
  floorToUtcGrid,
  formatLocalDate,
  InvalidLocalDateError,
  isOnUtcGrid,
  isValidTimeZone,
  LocalCalendar,
  parseLocalDate,
  UnknownTimeZoneError,
} from '../../src/core/time/index.js';

const H = 3_600_000;
const utc = (iso: string): number => Date.parse(iso);
const perDay = (hours: number, minutes: number): number => (hours * 60) / minutes;

describe('local day bounds and interval counts', () => {
  const cases: { zone: string; date: string; start: string; end: string; hours: number }[] = [
    {
      zone: 'Europe/Stockholm',
      date: '2026-03-29',
      start: '2026-03-28T23:00:00Z',
      end: '2026-03-29T22:00:00Z',
      hours: 23,
    },
    {
      zone: 'Europe/Stockholm',
      date: '2026-10-25',
      start: '2026-10-24T22:00:00Z',
      end: '2026-10-25T23:00:00Z',
      hours: 25,
    },
    {
      zone: 'Europe/Stockholm',
      date: '2026-06-15',
      start: '2026-06-14T22:00:00Z',
      end: '2026-06-15T22:00:00Z',
      hours: 24,
    },
    {
      zone: 'Europe/Stockholm',
      date: '2026-01-15',
      start: '2026-01-14T23:00:00Z',
      end: '2026-01-15T23:00:00Z',
      hours: 24,
    },
    {
      zone: 'America/New_York',
      date: '2026-03-08',
      start: '2026-03-08T05:00:00Z',
      end: '2026-03-09T04:00:00Z',
      hours: 23,
    },
    {
      zone: 'America/New_York',
      date: '2026-11-01',
      start: '2026-11-01T04:00:00Z',
      end: '2026-11-02T05:00:00Z',
      hours: 25,
    },
    {
      zone: 'Australia/Sydney',
      date: '2026-04-05',
      start: '2026-04-04T13:00:00Z',
      end: '2026-04-05T14:00:00Z',
      hours: 25,
    },
    {
      zone: 'Australia/Sydney',
      date: '2026-10-04',
      start: '2026-10-03T14:00:00Z',
      end: '2026-10-04T13:00:00Z',
      hours: 23,
    },
    {
      zone: 'Australia/Adelaide',
      date: '2026-04-05',
      start: '2026-04-04T13:30:00Z',
      end: '2026-04-05T14:30:00Z',
      hours: 25,
    },
    {
      zone: 'Australia/Adelaide',
      date: '2026-10-04',
      start: '2026-10-03T14:30:00Z',
      end: '2026-10-04T13:30:00Z',
      hours: 23,
    },
    {
      zone: 'Asia/Kolkata',
      date: '2026-03-29',
      start: '2026-03-28T18:30:00Z',
      end: '2026-03-29T18:30:00Z',
      hours: 24,
    },
    // DST changes at local midnight: midnight is skipped in September, repeated in April.
    {
      zone: 'America/Santiago',
      date: '2026-09-06',
      start: '2026-09-06T04:00:00Z',
      end: '2026-09-07T03:00:00Z',
      hours: 23,
    },
    {
      zone: 'America/Santiago',
      date: '2026-04-04',
      start: '2026-04-04T03:00:00Z',
      end: '2026-04-05T04:00:00Z',
      hours: 25,
    },
    // Cuba changes at 00:00 standard time: midnight skipped in March, repeated in November
    // (the day starts at the first of the two midnights)
    {
      zone: 'America/Havana',
      date: '2026-03-08',
      start: '2026-03-08T05:00:00Z',
      end: '2026-03-09T04:00:00Z',
      hours: 23,
    },
    {
      zone: 'America/Havana',
      date: '2026-11-01',
      start: '2026-11-01T04:00:00Z',
      end: '2026-11-02T05:00:00Z',
      hours: 25,
    },
    {
      zone: 'UTC',
      date: '2026-03-29',
      start: '2026-03-29T00:00:00Z',
      end: '2026-03-30T00:00:00Z',
      hours: 24,
    },
  ];

  for (const c of cases) {
    it(`${c.zone} ${c.date} is ${c.hours} h`, () => {
      const cal = LocalCalendar.for(c.zone);
      expect(cal.dayBounds(c.date)).toEqual({ start: utc(c.start), end: utc(c.end) });
      expect(cal.dayHours(c.date)).toBe(c.hours);
      for (const m of INTERVAL_MINUTES) {
        expect(cal.intervalsInDay(c.date, m), `${m} min`).toBe(perDay(c.hours, m));
        const starts = cal.intervalStarts(c.date, m);
        expect(starts.length).toBe(perDay(c.hours, m));
        expect(starts[0]).toBe(utc(c.start));
        // whole-hour and :30 zones with 1-hour DST: the grid is regular across the change
        for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(m * 60_000);
      }
    });
  }

  it('names the well-known counts: 96/92/100 at 15 min, 288/276/300 at 5 min, 24/23/25 at 60 min', () => {
    const cal = LocalCalendar.for('Europe/Stockholm');
    expect([
      cal.intervalsInDay('2026-06-15', 15),
      cal.intervalsInDay('2026-03-29', 15),
      cal.intervalsInDay('2026-10-25', 15),
    ]).toEqual([96, 92, 100]);
    expect([
      cal.intervalsInDay('2026-06-15', 5),
      cal.intervalsInDay('2026-03-29', 5),
      cal.intervalsInDay('2026-10-25', 5),
    ]).toEqual([288, 276, 300]);
    expect([
      cal.intervalsInDay('2026-06-15', 60),
      cal.intervalsInDay('2026-03-29', 60),
      cal.intervalsInDay('2026-10-25', 60),
    ]).toEqual([24, 23, 25]);
    expect([
      cal.intervalsInDay('2026-06-15', 30),
      cal.intervalsInDay('2026-03-29', 30),
      cal.intervalsInDay('2026-10-25', 30),
    ]).toEqual([48, 46, 50]);
  });

  it('returns a copy of the interval starts', () => {
    const cal = LocalCalendar.for('Europe/Stockholm');
    const a = cal.intervalStarts('2026-06-15', 15);
    a[0] = 0;
    expect(cal.intervalStarts('2026-06-15', 15)[0]).toBe(utc('2026-06-14T22:00:00Z'));
  });
});

describe('month bounds', () => {
  it.each([
    ['Europe/Stockholm', '2026-03', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z', 31 * 24 - 1],
    ['Europe/Stockholm', '2026-10', '2026-09-30T22:00:00Z', '2026-10-31T23:00:00Z', 31 * 24 + 1],
    ['Europe/Stockholm', '2026-02', '2026-01-31T23:00:00Z', '2026-02-28T23:00:00Z', 28 * 24],
    ['Europe/Stockholm', '2026-12', '2026-11-30T23:00:00Z', '2026-12-31T23:00:00Z', 31 * 24],
    ['America/New_York', '2026-11', '2026-11-01T04:00:00Z', '2026-12-01T05:00:00Z', 30 * 24 + 1],
    ['America/New_York', '2026-03', '2026-03-01T05:00:00Z', '2026-04-01T04:00:00Z', 31 * 24 - 1],
    ['Australia/Sydney', '2026-04', '2026-03-31T13:00:00Z', '2026-04-30T14:00:00Z', 30 * 24 + 1],
    ['Australia/Sydney', '2026-10', '2026-09-30T14:00:00Z', '2026-10-31T13:00:00Z', 31 * 24 - 1],
  ])('%s %s', (zone, month, start, end, hours) => {
    const b = LocalCalendar.for(zone).monthBounds(month);
    expect(b).toEqual({ start: utc(start), end: utc(end) });
    expect((b.end - b.start) / H).toBe(hours);
  });

  it('rejects a month that does not exist', () => {
    expect(() => LocalCalendar.for('UTC').monthBounds('2026-13')).toThrow(InvalidLocalDateError);
  });
});

describe('local date of an instant', () => {
  it('switches day exactly at local midnight', () => {
    const sto = LocalCalendar.for('Europe/Stockholm');
    expect(sto.localDateOf(utc('2026-03-28T22:59:59.999Z'))).toBe('2026-03-28');
    expect(sto.localDateOf(utc('2026-03-28T23:00:00Z'))).toBe('2026-03-29');
    expect(sto.localDateOf(utc('2026-03-29T21:59:59.999Z'))).toBe('2026-03-29');
    expect(sto.localDateOf(utc('2026-03-29T22:00:00Z'))).toBe('2026-03-30');
    const syd = LocalCalendar.for('Australia/Sydney');
    expect(syd.localDateOf(utc('2026-04-05T13:59:00Z'))).toBe('2026-04-05');
    expect(syd.localDateOf(utc('2026-04-05T14:00:00Z'))).toBe('2026-04-06');
    expect(syd.localDayOf(utc('2026-04-05T14:00:00Z'))).toBe(parseLocalDate('2026-04-06'));
  });

  it('gives the same answer out of order and after revisiting days', () => {
    const cal = new LocalCalendar('America/New_York');
    const instants = [
      '2026-11-01T03:59:00Z',
      '2026-11-02T04:59:00Z',
      '2026-11-01T04:00:00Z',
      '2026-11-02T05:00:00Z',
      '2025-01-01T00:00:00Z',
    ];
    expect(instants.map((s) => cal.localDateOf(utc(s)))).toEqual([
      '2026-10-31',
      '2026-11-01',
      '2026-11-01',
      '2026-11-02',
      '2024-12-31',
    ]);
  });
});

describe('interval index and alignment around DST', () => {
  it('Stockholm spring-forward: local 02:00-02:59 does not exist', () => {
    const cal = LocalCalendar.for('Europe/Stockholm');
    // 00:45Z is 01:45 CET (index 7), 01:00Z is 03:00 CEST: two hours after midnight, index 8
    expect(cal.intervalIndex(utc('2026-03-29T00:45:00Z'), 15)).toBe(7);
    expect(cal.intervalIndex(utc('2026-03-29T01:00:00Z'), 15)).toBe(8);
    expect(cal.intervalIndex(utc('2026-03-29T21:45:00Z'), 15)).toBe(91);
    expect(cal.intervalIndex(utc('2026-03-29T01:07:00Z'), 15)).toBe(-1);
    expect(cal.floorToInterval(utc('2026-03-29T01:07:00Z'), 15)).toBe(utc('2026-03-29T01:00:00Z'));
  });

  it('Stockholm fall-back: local 02:00-02:59 happens twice, indexes 8-11 then 12-15', () => {
    const cal = LocalCalendar.for('Europe/Stockholm');
    expect(cal.intervalIndex(utc('2026-10-25T00:00:00Z'), 15)).toBe(8); // 02:00 CEST
    expect(cal.intervalIndex(utc('2026-10-25T01:00:00Z'), 15)).toBe(12); // 02:00 CET
    expect(cal.intervalIndex(utc('2026-10-25T22:45:00Z'), 15)).toBe(99);
    expect(cal.intervalIndex(utc('2026-10-25T01:00:00Z'), 60)).toBe(3);
    expect(cal.intervalStartAt(parseLocalDate('2026-10-25'), 99, 15)).toBe(utc('2026-10-25T22:45:00Z'));
    expect(cal.intervalStartAt(parseLocalDate('2026-10-25'), 100, 15)).toBeNaN();
  });

  it('New York and Sydney: first interval after the change', () => {
    const ny = LocalCalendar.for('America/New_York');
    // 07:00Z = 03:00 EDT on 2026-03-08, two hours after local midnight (05:00Z)
    expect(ny.intervalIndex(utc('2026-03-08T07:00:00Z'), 15)).toBe(8);
    // 06:00Z = 01:00 EST (second time) on 2026-11-01, two hours after 04:00Z
    expect(ny.intervalIndex(utc('2026-11-01T06:00:00Z'), 60)).toBe(2);
    const syd = LocalCalendar.for('Australia/Sydney');
    // 16:00Z on 2026-04-04 = 02:00 AEST (second time), three hours after 13:00Z
    expect(syd.intervalIndex(utc('2026-04-04T16:00:00Z'), 60)).toBe(3);
    // 16:00Z on 2026-10-03 = 03:00 AEDT, two hours after 14:00Z
    expect(syd.intervalIndex(utc('2026-10-03T16:00:00Z'), 30)).toBe(4);
  });
});

describe('alignment is on the local clock', () => {
  it('Asia/Kolkata (+05:30): hours start at hh:30 UTC, half-hours coincide with UTC', () => {
    const cal = LocalCalendar.for('Asia/Kolkata');
    const t = utc('2026-06-01T06:30:00Z'); // 12:00 IST
    expect(cal.isAligned(t, 60)).toBe(true);
    expect(isOnUtcGrid(t, 60)).toBe(false);
    expect(cal.isAligned(utc('2026-06-01T06:00:00Z'), 60)).toBe(false); // 11:30 IST
    expect(cal.isAligned(utc('2026-06-01T06:00:00Z'), 30)).toBe(true);
    expect(cal.floorToInterval(utc('2026-06-01T07:10:00Z'), 60)).toBe(t);
    expect(floorToUtcGrid(utc('2026-06-01T07:10:00Z'), 60)).toBe(utc('2026-06-01T07:00:00Z'));
    expect(cal.intervalIndex(t, 60)).toBe(12);
    expect(cal.intervalStarts('2026-06-01', 60)[0]).toBe(utc('2026-05-31T18:30:00Z'));
  });

  it('Australia/Adelaide (+09:30/+10:30): 60-minute grid at hh:30 UTC on both sides of DST', () => {
    const cal = LocalCalendar.for('Australia/Adelaide');
    for (const date of ['2026-04-05', '2026-10-04', '2026-07-01']) {
      for (const s of cal.intervalStarts(date, 60)) expect(new Date(s).getUTCMinutes()).toBe(30);
    }
    // 16:30Z on 2026-04-04 = 02:00 ACST (second time): three hours after 13:30Z
    expect(cal.intervalIndex(utc('2026-04-04T16:30:00Z'), 60)).toBe(3);
    expect(cal.isAligned(utc('2026-04-04T16:00:00Z'), 60)).toBe(false);
  });

  it('Asia/Kathmandu (+05:45): 15 minutes match UTC, 30 and 60 do not', () => {
    const cal = LocalCalendar.for('Asia/Kathmandu');
    expect(cal.isAligned(utc('2026-06-01T06:00:00Z'), 15)).toBe(true);
    expect(cal.isAligned(utc('2026-06-01T06:00:00Z'), 30)).toBe(false);
    expect(cal.isAligned(utc('2026-06-01T06:15:00Z'), 30)).toBe(true); // 12:00 NPT
    expect(cal.isAligned(utc('2026-06-01T06:15:00Z'), 60)).toBe(true);
    expect(cal.isAligned(utc('2026-06-01T06:45:00Z'), 60)).toBe(false); // 12:30 NPT
  });

  it('Australia/Lord_Howe (30-minute DST): the 60-minute grid shifts and one interval is 90 minutes', () => {
    const cal = LocalCalendar.for('Australia/Lord_Howe');
    // 2026-10-04: 02:00 +10:30 (15:30Z Oct 3) jumps to 02:30 +11; 02:00 never exists, 03:00 = 16:00Z
    const spring = cal.intervalStarts('2026-10-04', 60);
    expect(spring.length).toBe(23);
    expect([spring[0], spring[1], spring[2]]).toEqual([
      utc('2026-10-03T13:30:00Z'),
      utc('2026-10-03T14:30:00Z'),
      utc('2026-10-03T16:00:00Z'),
    ]);
    expect(cal.intervalIndex(utc('2026-10-03T16:00:00Z'), 60)).toBe(2);
    expect(cal.intervalIndex(utc('2026-10-03T15:30:00Z'), 60)).toBe(-1);
    expect(cal.floorToInterval(utc('2026-10-03T15:45:00Z'), 60)).toBe(utc('2026-10-03T14:30:00Z'));
    expect(cal.intervalsInDay('2026-10-04', 15)).toBe(94); // 23.5 h
    // 2026-04-05: 02:00 +11 (15:00Z Apr 4) falls back to 01:30 +10:30; next hour start 02:00 = 15:30Z
    const fall = cal.intervalStarts('2026-04-05', 60);
    expect(fall.length).toBe(24);
    expect([fall[1], fall[2]]).toEqual([utc('2026-04-04T14:00:00Z'), utc('2026-04-04T15:30:00Z')]);
    expect(cal.intervalsInDay('2026-04-05', 15)).toBe(98); // 24.5 h
  });
});

describe('a whole year', () => {
  const zones = [
    'Europe/Stockholm',
    'America/New_York',
    'Australia/Sydney',
    'Australia/Adelaide',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
  ];
  const first = parseLocalDate('2026-01-01');
  const last = parseLocalDate('2026-12-31');

  for (const zone of zones) {
    it(`${zone}: every interval start of 2026 maps back to its day and index; days tile the year`, () => {
      const cal = new LocalCalendar(zone);
      for (const m of INTERVAL_MINUTES) {
        let total = 0;
        let previousEnd = cal.dayBoundsOf(first).start;
        for (let day = first; day <= last; day++) {
          const date = formatLocalDate(day);
          const bounds = cal.dayBoundsOf(day);
          expect(bounds.start).toBe(previousEnd);
          previousEnd = bounds.end;
          const starts = cal.intervalStartsOf(day, m);
          total += starts.length;
          for (let i = 0; i < starts.length; i++) {
            const s = starts[i]!;
            if (
              cal.localDateOf(s) !== date ||
              cal.intervalIndex(s, m) !== i ||
              cal.floorToInterval(s + m * 30_000, m) !== s // mid-interval
            ) {
              expect.fail(`${zone} ${m} min ${date} #${i} ${new Date(s).toISOString()}`);
            }
          }
        }
        // the year is 365 local days and 8760 hours: the DST hour taken in one season is given back in the other
        expect((previousEnd - cal.dayBoundsOf(first).start) / H, `${m} min`).toBe(365 * 24);
        if (zone !== 'Australia/Lord_Howe') expect(total, `${m} min`).toBe(perDay(365 * 24, m));
      }
    });
  }

  it('locateAll matches the per-reading calls over a year of 15-minute starts', () => {
    const cal = new LocalCalendar('Europe/Stockholm');
    const start = cal.dayBounds('2026-01-01').start;
    const end = cal.dayBounds('2026-12-31').end;
    const n = (end - start) / 900_000;
    const starts = new Float64Array(n + 2);
    for (let i = 0; i < n; i++) starts[i] = start + i * 900_000;
    starts[n] = start + 60_000; // not aligned
    starts[n + 1] = Number.NaN;
    const day = new Int32Array(n + 2);
    const index = new Int32Array(n + 2);
    expect(cal.locateAll(starts, 15, day, index)).toBe(2);
    expect(index[0]).toBe(0);
    expect(day[0]).toBe(parseLocalDate('2026-01-01'));
    const spring = cal.dayBounds('2026-03-29').start;
    const k = (spring - start) / 900_000 + 91;
    expect([formatLocalDate(day[k]!), index[k]]).toEqual(['2026-03-29', 91]);
    expect([formatLocalDate(day[k + 1]!), index[k + 1]]).toEqual(['2026-03-30', 0]);
    expect(index[n]).toBe(-1);
    expect(index[n + 1]).toBe(-1);
  });
});

describe('errors', () => {
  it('rejects an unknown zone with a hint', () => {
    expect(isValidTimeZone('Europe/Stockholm')).toBe(true);
    expect(isValidTimeZone('Europe/Stokholm')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    let err: unknown;
    try {
      new LocalCalendar('Mars/Olympus_Mons');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownTimeZoneError);
    const e = err as UnknownTimeZoneError;
    expect(e.message).toContain('Mars/Olympus_Mons');
    expect(e.code).toBe('UNKNOWN_TIME_ZONE');
    expect(e.hint).toContain('SMT_TIMEZONE');
    expect(() => LocalCalendar.for('Not/AZone')).toThrow(UnknownTimeZoneError);
  });

  it('rejects dates that do not exist', () => {
    const cal = LocalCalendar.for('UTC');
    for (const bad of ['2026-02-29', '2026-13-01', '2026-3-1', '20260301', '2026-04-31', '']) {
      expect(() => cal.dayBounds(bad), bad).toThrow(InvalidLocalDateError);
    }
    expect(cal.dayBounds('2028-02-29').start).toBe(utc('2028-02-29T00:00:00Z'));
  });

  it('rejects an unsupported interval length', () => {
    expect(() => LocalCalendar.for('UTC').intervalsInDay('2026-01-01', 20 as IntervalMinutes)).toThrow(
      /1, 5, 10, 15, 30 or 60/,
    );
  });
});

describe('local-date helpers', () => {
  it('round-trips dates including years below 100', () => {
    for (const d of ['1970-01-01', '2026-03-29', '0099-12-31', '2400-02-29'])
      expect(formatLocalDate(parseLocalDate(d))).toBe(d);
    expect(parseLocalDate('1970-01-02')).toBe(1);
  });
});
