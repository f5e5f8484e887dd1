import { describe, expect, it } from 'vitest';
import { formatMeterCsv, parseMeterCsv } from '../../src/core/registry/meter-csv.js';
import { Fleet } from '../../src/core/simulate/fleet.js';
import { simulateFleet } from '../../src/core/simulate/generator.js';
import {
  dayTypeOf,
  h0Dynamisation,
  PROFILE_IDS,
  profileDay,
  profilePower,
  seasonOf,
} from '../../src/core/simulate/load-profiles.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { parseLocalDate } from '../../src/core/time/local-date.js';

const ZONE = 'Europe/Stockholm';
const day = (s: string) => parseLocalDate(s);
/** W at the middle of a local hour */
const at = (p: (typeof PROFILE_IDS)[number], date: string, hour: number) =>
  profilePower(p, day(date), hour * 60 + 30);

// 2026-01-14 Wednesday, 2026-01-17 Saturday, 2026-01-18 Sunday; 2026-07-15 Wednesday
describe('calendar rules', () => {
  it('seasons and day types as BDEW defines them', () => {
    expect(seasonOf(day('2026-01-14'))).toBe('winter');
    expect(seasonOf(day('2026-03-20'))).toBe('winter');
    expect(seasonOf(day('2026-03-21'))).toBe('transition');
    expect(seasonOf(day('2026-05-15'))).toBe('summer');
    expect(seasonOf(day('2026-09-14'))).toBe('summer');
    expect(seasonOf(day('2026-09-15'))).toBe('transition');
    expect(seasonOf(day('2026-11-01'))).toBe('winter');
    expect(dayTypeOf(day('2026-01-14'))).toBe('weekday');
    expect(dayTypeOf(day('2026-01-17'))).toBe('saturday');
    expect(dayTypeOf(day('2026-01-18'))).toBe('sunday');
  });

  it('H0 dynamisation is high in winter and low in summer', () => {
    expect(h0Dynamisation(day('2026-01-01'))).toBeCloseTo(1.242, 2);
    expect(h0Dynamisation(day('2026-07-15'))).toBeLessThan(0.85);
  });
});

describe('load shapes', () => {
  it('H0: evening peak well above the night trough on a winter weekday, and a morning rise', () => {
    expect(at('H0', '2026-01-14', 18)).toBeGreaterThan(2.5 * at('H0', '2026-01-14', 3));
    expect(at('H0', '2026-01-14', 7)).toBeGreaterThan(1.5 * at('H0', '2026-01-14', 4));
  });

  it('H0: more at weekend midday than on a weekday; less in summer than in winter', () => {
    expect(at('H0', '2026-01-18', 12)).toBeGreaterThan(1.15 * at('H0', '2026-01-14', 12));
    expect(at('H0', '2026-07-15', 19)).toBeLessThan(0.8 * at('H0', '2026-01-14', 19));
  });

  it('G0: business hours on weekdays, quiet Sundays', () => {
    expect(at('G0', '2026-01-14', 12)).toBeGreaterThan(2 * at('G0', '2026-01-18', 12));
    expect(at('G0', '2026-01-14', 10)).toBeGreaterThan(3 * at('G0', '2026-01-14', 2));
  });

  it('industry: near-flat on three-shift weekdays, lower at weekends', () => {
    const hours = Array.from({ length: 24 }, (_, h) => at('I3', '2026-01-14', h));
    expect(Math.max(...hours) / Math.min(...hours)).toBeLessThan(1.3);
    expect(at('I3', '2026-01-18', 12)).toBeLessThan(0.7 * at('I3', '2026-01-14', 12));
    expect(at('I2', '2026-01-14', 2)).toBeLessThan(0.5 * at('I2', '2026-01-14', 10));
  });

  it('each profile uses 1,000 kWh in a year', () => {
    const cal = LocalCalendar.for('UTC');
    for (const p of PROFILE_IDS) {
      let kwh = 0;
      for (let d = day('2025-01-01'); d < day('2026-01-01'); d++)
        for (const e of profileDay(cal, d, 15).energy[p]) kwh += e;
      expect(kwh, p).toBeCloseTo(1000, 3);
    }
  });

  it('follows the local clock on DST days: 23 and 25 hours of load', () => {
    const cal = LocalCalendar.for(ZONE);
    const spring = profileDay(cal, day('2026-03-29'), 15);
    const autumn = profileDay(cal, day('2026-10-25'), 15);
    expect(spring.starts).toHaveLength(92);
    expect(autumn.starts).toHaveLength(100);
    // 02:00–03:00 does not exist in spring; it happens twice in autumn
    expect(Array.from(spring.localMinutes)).not.toContain(120);
    expect(Array.from(spring.localMinutes)).toContain(180);
    expect(Array.from(autumn.localMinutes).filter((m) => m === 120)).toHaveLength(2);
    const h = autumn.localMinutes.indexOf(120);
    const again = autumn.localMinutes.lastIndexOf(120);
    expect(autumn.energy.H0[again]).toBe(autumn.energy.H0[h]);
  });

  it('the simulated fleet shows the shapes: residential evening > night, commercial weekday noon > Sunday noon', () => {
    const sim = simulateFleet({ seed: 3, meters: 600, days: 5, start: '2026-01-14', timezone: ZONE });
    const sum = new Map<string, number>(); // segment/date/interval → kWh
    for (const m of sim) {
      const i = Number(m.key.slice(4)) - 1;
      const seg = sim.fleet.profileOf(i);
      const values = JSON.parse(m.value.toString()).values as number[];
      for (const idx of [12, 48, 72])
        sum.set(`${seg}/${m.day}/${idx}`, (sum.get(`${seg}/${m.day}/${idx}`) ?? 0) + values[idx]!);
    }
    // 03:00, 12:00, 18:00 local
    expect(sum.get('H0/2026-01-14/72')!).toBeGreaterThan(2 * sum.get('H0/2026-01-14/12')!);
    expect(sum.get('G0/2026-01-14/48')!).toBeGreaterThan(2 * sum.get('G0/2026-01-18/48')!);
  });
});

describe('fleet', () => {
  const fleet = new Fleet({ seed: 42, meters: 5000, timezone: ZONE, start: '2026-03-28' });

  it('is deterministic and a smaller fleet is a prefix of a larger one', () => {
    const small = new Fleet({ seed: 42, meters: 10, timezone: ZONE, start: '2026-03-28' });
    for (let i = 0; i < 10; i++) expect(small.meter(i)).toEqual(fleet.meter(i));
    expect(new Fleet({ seed: 43, meters: 10, timezone: ZONE, start: '2026-03-28' }).meter(0)).not.toEqual(
      fleet.meter(0),
    );
    expect(fleet.meter(0).meterId).toBe('SIM-000001');
    expect(fleet.meter(4999).meterId).toBe('SIM-005000');
  });

  it('has the segment mix ~85/12/3, every region and tariff, installed before the start', () => {
    const c = fleet.segmentCounts;
    expect(c.residential / 5000).toBeGreaterThan(0.82);
    expect(c.residential / 5000).toBeLessThan(0.88);
    expect(c.commercial / 5000).toBeGreaterThan(0.1);
    expect(c.commercial / 5000).toBeLessThan(0.14);
    expect(c.industrial / 5000).toBeGreaterThan(0.02);
    expect(c.industrial / 5000).toBeLessThan(0.04);
    const meters = [...fleet.chunks(1000)].flat();
    expect(new Set(meters.map((m) => m.regionId))).toEqual(new Set(['SE1', 'SE2', 'SE3', 'SE4']));
    expect(new Set(meters.map((m) => m.tariffId))).toEqual(new Set(['T-FLAT', 'T-TOU', 'T-DEMAND']));
    const start = LocalCalendar.for(ZONE).dayBounds('2026-03-28').start;
    expect(
      meters.every((m) => m.installedAt.getTime() < start && m.status === 'active' && m.timezone === ZONE),
    ).toBe(true);
    expect(
      meters
        .filter((m) => m.segment === 'industrial')
        .every((m) => m.tariffId === 'T-DEMAND' && m.ratedKw! >= 100),
    ).toBe(true);
  });

  it('registry rows parse back with parseMeterCsv', () => {
    const meters = [...fleet.chunks(2000)].flat();
    const parsed = parseMeterCsv(formatMeterCsv(meters));
    expect(parsed.fatal).toEqual([]);
    expect(parsed.problems).toEqual([]);
    expect(parsed.meters.map((m) => m.meter)).toEqual(meters);
  });

  it('ratings cover every clean reading (the physical-limit rule must not fire on clean data)', () => {
    const sim = simulateFleet({ seed: 42, meters: 400, days: 3, start: '2026-01-10', timezone: ZONE });
    let worst = 0;
    for (const m of sim) {
      const rated = sim.fleet.meter(Number(m.key.slice(4)) - 1).ratedKw!;
      const max = Math.max(...(JSON.parse(m.value.toString()).values as number[]));
      worst = Math.max(worst, max / (rated * 0.25));
    }
    expect(worst).toBeLessThan(1);
    expect(worst).toBeGreaterThan(0.05);
  });
});
