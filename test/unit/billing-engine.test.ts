import { describe, expect, it } from 'vitest';
import { billPeriod, determinantDeltas, determinantRows } from '../../src/core/billing/bill.js';
import { chargesOf, roundCents } from '../../src/core/billing/charges.js';
import { computeDeterminants } from '../../src/core/billing/determinants.js';
import { monthFraction, periodOfMonth, periodsBetween } from '../../src/core/billing/period.js';
import type { Tariff } from '../../src/core/billing/tariff.js';
import { tariffFromYaml } from '../../src/core/billing/tariff-yaml.js';
import { tariffsFromUrdbJson } from '../../src/core/billing/urdb.js';
import { InvalidDataError } from '../../src/core/errors.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';

const ZONE = 'Europe/Stockholm';
const CH = 'active_import_kwh';

const TOU_YAML = `
id: SE-TOU
name: Two-season time of use
currency: SEK
holidays: { country: SE }
fixed: { monthly: 30, daily: 1.5 }
energy:
  periods:
    offpeak: 0.5
    peak: [{ upTo: 100, rate: 1.0 }, { rate: 2.0 }]
  seasons:
    - months: [10, 11, 12, 1, 2, 3]
      weekday: { "07-21": peak, "21-07": offpeak }
      weekend: offpeak
    - months: [4, 5, 6, 7, 8, 9]
      weekday: offpeak
demand:
  periods: { peak: 40, base: 10 }
  seasons:
    - months: all
      weekday: { "07-21": peak, "21-07": base }
      weekend: base
`;

function tou(): Tariff {
  return tariffFromYaml(TOU_YAML, 'se-tou.yaml');
}

function day(date: string, kwh: number | ((i: number) => number), zone = ZONE): SeriesDay {
  const d = emptyDay({ meterId: 'M', channel: CH, day: date }, zone, 15);
  for (let i = 0; i < d.values.length; i++) d.values[i] = typeof kwh === 'number' ? kwh : kwh(i);
  d.version = 1_000 + Number(date.slice(8, 10));
  return d;
}

function determinants(days: SeriesDay[], from: string, to: string, tariff = tou()) {
  return computeDeterminants({
    meterId: 'M',
    timezone: ZONE,
    intervalMinutes: 15,
    channel: CH,
    tariff,
    period: { from, to },
    days,
  });
}

describe('tariff YAML', () => {
  it('compiles periods, seasons, hour ranges across midnight, holidays', () => {
    const t = tou();
    expect(t.kind).toBe('demand');
    expect(t.definition.energy.periods.map((p) => p.name)).toEqual(['offpeak', 'peak']);
    expect(t.definition.energy.schedule.weekday[9]).toEqual([
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...new Array(14).fill(1),
      0,
      0,
      0,
    ]);
    expect(t.definition.energy.schedule.weekday[5]).toEqual(new Array(24).fill(0));
    expect(t.definition.energy.schedule.holiday[0]).toEqual(new Array(24).fill(0));
    expect(t.definition.holidays).toEqual({ country: 'SE' });
  });

  it.each([
    [
      'an hour covered twice',
      TOU_YAML.replace('"21-07": offpeak }', '"20-07": offpeak }'),
      'hour 20 is already covered',
    ],
    [
      'an hour not covered',
      TOU_YAML.replace('"21-07": offpeak }', '"22-07": offpeak }'),
      'hour 21 is not covered',
    ],
    [
      'a month in no season',
      TOU_YAML.replace('[4, 5, 6, 7, 8, 9]', '[4, 5, 6, 7, 8]'),
      'month 9 is in no season',
    ],
    ['an unknown period', TOU_YAML.replace('weekend: offpeak', 'weekend: night'), 'unknown period "night"'],
    [
      'tiers out of order',
      TOU_YAML.replace(
        '[{ upTo: 100, rate: 1.0 }, { rate: 2.0 }]',
        '[{ rate: 1.0 }, { upTo: 5, rate: 2.0 }]',
      ),
      'only the last tier may be unbounded',
    ],
    [
      'an unknown holiday country',
      TOU_YAML.replace('country: SE', 'country: XX'),
      'unknown holiday country "XX"',
    ],
  ])('refuses %s, naming where', (_what, yaml, message) => {
    expect(() => tariffFromYaml(yaml, 't.yaml')).toThrow(InvalidDataError);
    expect(() => tariffFromYaml(yaml, 't.yaml')).toThrow(message);
  });
});

describe('URDB import', () => {
  const base = {
    label: 'abc',
    energyratestructure: [[{ rate: 0.1 }], [{ rate: 0.2, adj: 0.01 }]],
    energyweekdayschedule: Array.from({ length: 12 }, () => [
      ...new Array(12).fill(0),
      ...new Array(12).fill(1),
    ]),
    energyweekendschedule: Array.from({ length: 12 }, () => new Array(24).fill(0)),
    fixedchargefirstmeter: 2,
    fixedchargeunits: '$/day',
    flatdemandstructure: [[{ rate: 5, unit: 'kW' }], [{ max: 9.9999996802856925e37, rate: 8 }]],
    flatdemandmonths: [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0],
  };
  it('maps schedules, rate + adj, daily fixed charge, flat demand by month', () => {
    const [t] = tariffsFromUrdbJson(JSON.stringify({ items: [base] }), 'u.json', {
      currency: 'USD',
      holidays: { country: 'US', state: 'CA' },
    });
    expect(t!.tariffId).toBe('abc');
    expect(t!.kind).toBe('demand');
    expect(t!.definition.energy.periods[1]!.tiers).toEqual([{ max: null, rate: 0.2 + 0.01 }]);
    expect(t!.definition.fixed).toEqual({ monthly: 0, daily: 2 });
    expect(t!.definition.flatDemand!.periods[1]!.tiers).toEqual([{ max: null, rate: 8 }]);
    expect(t!.definition.energy.schedule.holiday).toEqual(base.energyweekendschedule);
  });
  it.each([
    [
      { energyratestructure: [[{ rate: 0.1, unit: 'kWh/kW' }], [{ rate: 0.2 }]] },
      'energyratestructure[0][0].unit: tier unit kWh/kW is not supported',
    ],
    [{ energyweekdayschedule: [[0]] }, 'energyweekdayschedule: expected 12 rows'],
    [{ lookbackpercent: 0.8 }, 'lookbackpercent: demand ratchets are not supported'],
    [
      { energyweekendschedule: base.energyweekendschedule.map((r) => r.map(() => 2)) },
      'period 2 does not exist',
    ],
  ])('refuses what it cannot bill exactly: %j', (patch, message) => {
    expect(() => tariffsFromUrdbJson(JSON.stringify({ ...base, ...patch }), 'u.json')).toThrow(message);
  });
});

describe('billing periods and cycles', () => {
  it('a cycle day cuts months; a whole cycle is one month', () => {
    expect(periodOfMonth('2026-02', 15)).toEqual({ from: '2026-02-15', to: '2026-03-14' });
    expect(periodOfMonth('2026-12', 1)).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(monthFraction(periodOfMonth('2026-02', 15))).toBe(1);
    expect(monthFraction({ from: '2026-04-01', to: '2026-04-15' })).toBe(0.5);
    expect(periodsBetween('2026-01-10', '2026-03-20', 15)).toEqual([
      { from: '2026-01-10', to: '2026-01-14' },
      { from: '2026-01-15', to: '2026-02-14' },
      { from: '2026-02-15', to: '2026-03-14' },
      { from: '2026-03-15', to: '2026-03-20' },
    ]);
  });
});

describe('determinants in local time', () => {
  it('DST fall-back day: 100 quarter-hours expected and billed', () => {
    const d = determinants([day('2026-10-25', 0.25)], '2026-10-25', '2026-10-25');
    expect(d.intervals).toEqual({ expected: 100, actual: 100, estimated: 0, missing: 0 });
    expect(d.energyKwh).toBe(25);
    // Sunday: all off-peak energy, base demand
    expect(d.energy.map((e) => [e.period, e.kwh])).toEqual([
      ['offpeak', 25],
      ['peak', 0],
    ]);
  });

  it('DST days are split by local hour: 02:xx twice on fall-back, never on spring-forward', () => {
    // Europe/Stockholm changes clocks on Sundays: a weekend period for local 02:00-03:00 only
    // shows the repeated hour (fall-back) and the skipped one (spring-forward).
    const t = tariffFromYaml(
      `id: X\ncurrency: SEK\nenergy:\n  periods: { other: 1, two: 3 }\n  seasons:\n    - months: all\n      weekday: other\n      weekend: { "02-03": two, "03-02": other }\n`,
      'x.yaml',
    );
    const fall = determinants([day('2026-10-25', 0.25)], '2026-10-25', '2026-10-25', t);
    expect(fall.energy.map((e) => e.kwh)).toEqual([23, 2]); // 8 quarter-hours at local 02:xx
    const spring = determinants([day('2026-03-29', 0.25)], '2026-03-29', '2026-03-29', t);
    expect(spring.intervals.expected).toBe(92);
    expect(spring.energy.map((e) => e.kwh)).toEqual([23, 0]); // 02:00-03:00 does not exist
  });

  it('public holidays use the holiday schedule (Christmas Day 2026 is a Friday)', () => {
    const d = determinants([day('2026-12-24', 0.25), day('2026-12-25', 0.25)], '2026-12-24', '2026-12-25');
    // 24 Dec is a weekday but not a public holiday in date-holidays' SE calendar; 25 Dec is
    expect(d.energy.map((e) => [e.period, e.kwh])).toEqual([
      ['offpeak', 24 + 10],
      ['peak', 14],
    ]);
  });

  it('counts missing and estimated intervals and the estimated share of kWh', () => {
    const est = packFields(
      Origin.Estimated,
      ValidationState.Passed,
      Method.LinearInterpolation,
      Reason.CommunicationFailure,
    );
    const d1 = day('2026-10-05', 0.25);
    for (let i = 0; i < 8; i++) d1.quality[i] = est;
    const d2 = day('2026-10-06', (i) => (i < 4 ? Number.NaN : 0.5));
    const d = determinants([d1, d2], '2026-10-05', '2026-10-07');
    expect(d.intervals).toEqual({ expected: 288, actual: 88 + 92, estimated: 8, missing: 4 + 96 });
    expect(d.energyKwh).toBe(24 + 46);
    expect(d.estimatedKwh).toBe(2);
    expect(d.estimatedShare).toBe(2 / 70);
    expect(d.seriesVersions).toEqual([
      { day: '2026-10-05', version: 1005 },
      { day: '2026-10-06', version: 1006 },
    ]);
  });

  it('tiers of a part month are prorated; demand is the peak interval power', () => {
    const days = ['2026-10-05', '2026-10-06'].map((date) => day(date, (i) => (i === 40 ? 3 : 0.5)));
    const d = determinants(days, '2026-10-05', '2026-10-06');
    const peak = d.energy[1]!;
    // 2 weekdays × 14 h × 4 × 0.5 kWh + 2 × 2.5 extra = 61 kWh of peak; tier bound 100 × 2/31
    expect(peak.kwh).toBe(61);
    expect(peak.tiers.map((t) => [t.upTo, t.quantity])).toEqual([
      [Math.round((100 * 2 * 1e6) / 31) / 1e6, Math.round((100 * 2 * 1e6) / 31) / 1e6],
      [null, 61 - Math.round((100 * 2 * 1e6) / 31) / 1e6],
    ]);
    // interval 40 = 10:00 local: 3 kWh in 15 min = 12 kW
    expect(d.demand.map((x) => [x.period, x.kw, x.at])).toEqual([
      ['peak', 12, '2026-10-05T08:00:00.000Z'],
      ['base', 2, '2026-10-04T22:00:00.000Z'],
    ]);
    const c = chargesOf(d, tou());
    expect(c.lines.map((l) => [l.description, l.amount])).toEqual([
      ['fixed charge', roundCents((30 * 2) / 31)],
      ['daily charge', 3],
      ['energy offpeak', roundCents(d.energy[0]!.kwh * 0.5)],
      [`energy peak tier 1 (to ${peak.tiers[0]!.upTo} kWh)`, roundCents(peak.tiers[0]!.quantity)],
      ['energy peak tier 2 (rest)', roundCents(peak.tiers[1]!.quantity * 2)],
      ['demand peak', 480],
      ['demand base', 20],
    ]);
    expect(Math.round(c.total * 100)).toBe(c.lines.reduce((a, l) => a + Math.round(l.amount * 100), 0));
  });
});

describe('determinant rows and deltas', () => {
  it('a later version shows as a delta against what was billed', () => {
    const input = {
      meterId: 'M',
      accountId: 'A',
      timezone: ZONE,
      intervalMinutes: 15 as const,
      channel: CH,
      tariff: tou(),
      asOf: null,
    };
    const before = billPeriod(
      { ...input, days: [day('2026-10-05', 0.25)] },
      { from: '2026-10-05', to: '2026-10-05' },
    );
    const after = billPeriod(
      { ...input, days: [day('2026-10-05', 0.5)] },
      { from: '2026-10-05', to: '2026-10-05' },
    );
    const deltas = determinantDeltas(determinantRows(before), determinantRows(after));
    const by = new Map(deltas.map((d) => [d.determinant, d]));
    expect(by.get('energy_kwh')).toEqual({
      determinant: 'energy_kwh',
      unit: 'kWh',
      billed: 24,
      current: 48,
      delta: 24,
    });
    expect(by.get('energy:peak:tier1_kwh')!.delta).toBe(0);
    expect(by.get('total')!.delta).toBe(Math.round((after.total - before.total) * 1e6) / 1e6);
  });
});

describe('roundCents', () => {
  it('rounds half away from zero without binary noise', () => {
    expect(roundCents(0.285)).toBe(0.29);
    expect(roundCents(1.005)).toBe(1.01);
    expect(roundCents(-0.125)).toBe(-0.13);
    expect(roundCents(2342.879974)).toBe(2342.88);
  });
});
