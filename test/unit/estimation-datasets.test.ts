import { describe, expect, it } from 'vitest';
import { opendsmMeters, UCI_SCEAUX_ZONE, uciSceauxMeters } from '../../src/core/estimation/datasets.js';

describe('the vendored measured household of Sceaux (UCI, CC BY 4.0)', () => {
  const [m] = uciSceauxMeters();
  const day = (d: string) => m!.days.find((x) => x.day === d)!;
  const present = (d: string) => day(d).values.filter((v) => !Number.isNaN(v)).length;

  it('is one residential meter in Paris local days at 15 minutes, 2006-12-16 … 2010-11-26', () => {
    expect(m!.facts).toMatchObject({
      meterId: 'UCI-SCEAUX',
      timezone: UCI_SCEAUX_ZONE,
      intervalMinutes: 15,
      regionId: 'FR',
      segment: 'residential',
    });
    // 1,442 calendar days; 9 of them lie wholly in gaps the package had filled, so hold nothing
    expect(m!.days.length).toBe(1433);
    expect([m!.days[0]!.day, m!.days.at(-1)!.day]).toEqual(['2006-12-16', '2010-11-26']);
    // 136,497 quarter-hours in the file, each in exactly one day
    expect(m!.days.reduce((n, d) => n + d.values.filter((v) => !Number.isNaN(v)).length, 0)).toBe(136_497);
  });

  it('keeps the values as derived: Σ minute kW / 60, the first whole quarter-hour at 17:30 Paris', () => {
    const first = day('2006-12-16');
    // 17:30 CET = position 70
    expect(first.values[70]).toBe(1.035167);
    expect(Number.isNaN(first.values[69]!)).toBe(true);
  });

  it('DST days: spring 92 quarter-hours; autumn 100, its two 02:00 hours left out', () => {
    expect(day('2008-03-30').values.length).toBe(92);
    expect(present('2008-03-30')).toBe(92);
    expect(day('2007-03-25').values.length).toBe(92);
    // 03:00 CEST is position 8 (01:00 UTC): the reading the file gives for 03:00, not its copy at 02:00
    expect(day('2007-03-25').values[8]).toBe(0.584967);
    for (const autumn of ['2007-10-28', '2008-10-26', '2009-10-25', '2010-10-31']) {
      const d = day(autumn);
      expect(d.values.length).toBe(100);
      // 02:00–02:59 CEST and 02:00–02:59 CET: positions 8–15
      expect([...d.values.keys()].filter((i) => Number.isNaN(d.values[i]!))).toEqual([
        8, 9, 10, 11, 12, 13, 14, 15,
      ]);
    }
    // 03:00 CET (02:00 UTC) follows them
    expect(day('2007-10-28').values[16]).toBe(0.0807);
  });

  it('a quarter-hour that held a minute the package had filled is a gap, not a value', () => {
    // 2006-12-21 11:23 and 11:24 are missing in the original and filled by the package
    const d = day('2006-12-21');
    expect(Number.isNaN(d.values[45]!)).toBe(true);
    expect(d.values[44]).toBe(0.131767);
    expect(d.values[46]).toBe(0.072867);
  });
});

describe('the vendored OpenDSM samples', () => {
  it('are two half-hourly meters in UTC days', () => {
    const ms = opendsmMeters();
    expect(ms.map((m) => [m.facts.meterId, m.facts.timezone, m.facts.intervalMinutes])).toEqual([
      ['OPENDSM-UK-1', 'UTC', 30],
      ['OPENDSM-UK-2', 'UTC', 30],
    ]);
  });
});
