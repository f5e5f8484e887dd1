/**
 * The billing engine against other open-source rate engines' published calculations (inputs in
 * test/fixtures/billing, sources and licences in its README):
 *
 * 1. NREL REopt API, `reo/tests/test_tiered_energy_rate.py` (BSD-3-Clause): URDB rate
 *    5550d6fd5457a3187e8b4567 (FPL RS-1, two energy tiers, 1000 kWh/month) and 24,000 kWh a year
 *    asserts year-one energy charges of exactly $2,342.88 (12,000 kWh in each tier).
 * 2. NREL SAM/ssc, `test/shared_test/lib_utility_rate_equations_test.cpp`, `test_demand_charges`
 *    (BSD-3-Clause): time-of-use demand with two tiers per period; the 24-hour January profile
 *    peaks at 5 kW in period 1 and 10 kW in period 2 and asserts a demand charge of $200.
 * 3. NREL SAM `Utilityrate5` (PySAM 7.1.1.post1, BSD-3-Clause) on SAM's residential TOU test
 *    tariff (`setup_residential_rates`, NREL/ssc cmod_utilityrate5_test.cpp) and an 8760-hour load
 *    by formula: annual bill $553.5311 and twelve monthly bills, printed by
 *    test/fixtures/billing/sam_residential_tou.py (run there, the figures copied here).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dailyAggregate, factsOfDay } from '../../src/core/aggregate/daily.js';
import { aggregatePeriodDays } from '../../src/core/billing/aggregate-days.js';
import { chargesOf } from '../../src/core/billing/charges.js';
import { computeDeterminants, determinantsOfDays } from '../../src/core/billing/determinants.js';
import { periodsBetween } from '../../src/core/billing/period.js';
import { constantMatrix, type Tariff, tariffKind } from '../../src/core/billing/tariff.js';
import { tariffsFromUrdbJson } from '../../src/core/billing/urdb.js';
import type { StoredDaily } from '../../src/core/postgres/aggregate-store.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { samResidentialTou } from '../helpers/billing-reference.js';

const CHANNEL = 'active_import_kwh';

/** Hourly days in UTC from a function of the hour of the year. */
function hourlyDays(
  meterId: string,
  from: string,
  to: string,
  kwh: (h: number, date: string) => number,
): SeriesDay[] {
  const days: SeriesDay[] = [];
  let h = 0;
  for (let e = parseLocalDate(from); e <= parseLocalDate(to); e++) {
    const date = formatLocalDate(e);
    const d = emptyDay({ meterId, channel: CHANNEL, day: date }, 'UTC', 60);
    for (let i = 0; i < 24; i++) d.values[i] = kwh(h++, date);
    d.version = 1;
    days.push(d);
  }
  return days;
}

function annualBill(tariff: Tariff, days: SeriesDay[], from: string, to: string) {
  return periodsBetween(from, to).map((period) => {
    const d = computeDeterminants({
      meterId: 'M',
      timezone: 'UTC',
      intervalMinutes: 60,
      channel: CHANNEL,
      tariff,
      period,
      days,
    });
    return { d, c: chargesOf(d, tariff) };
  });
}

describe('reference 1: REopt tiered energy rate (URDB FPL RS-1)', () => {
  const [tariff] = tariffsFromUrdbJson(
    readFileSync('test/fixtures/billing/fpl-rs1-urdb.json', 'utf8'),
    'fpl-rs1-urdb.json',
  );
  it('imports the URDB rate', () => {
    expect(tariff!.tariffId).toBe('5550d6fd5457a3187e8b4567');
    expect(tariff!.definition.energy.periods[0]!.tiers).toEqual([
      { max: 1000, rate: 0.07531 + 0.0119 },
      { max: null, rate: 0.09613 + 0.0119 },
    ]);
    expect(tariff!.definition.fixed).toEqual({ monthly: 7.57, daily: 0 });
    expect(tariff!.validFrom).toBe('2015-06-01');
  });

  it('bills 24,000 kWh at $2,342.88 of energy charges, 12,000 kWh in each tier', () => {
    // 2,000 kWh in every month of 2017 (the REopt case's year): a flat load, the month's last hour
    // taking the remainder so every month is exactly 2,000 kWh.
    const hoursIn = (date: string) => new Date(Date.UTC(2017, Number(date.slice(5, 7)), 0)).getUTCDate() * 24;
    let inMonth = 0;
    let month = '';
    const days = hourlyDays('M', '2017-01-01', '2017-12-31', (_h, date) => {
      if (date.slice(0, 7) !== month) {
        month = date.slice(0, 7);
        inMonth = 0;
      }
      const n = hoursIn(date);
      inMonth++;
      const base = Math.floor((2000 / n) * 1e6) / 1e6;
      return inMonth === n ? Math.round((2000 - base * (n - 1)) * 1e6) / 1e6 : base;
    });
    const bills = annualBill(tariff!, days, '2017-01-01', '2017-12-31');
    expect(bills.map((b) => b.d.energyKwh)).toEqual(new Array(12).fill(2000));
    const tier = (k: number) => bills.reduce((a, b) => a + b.d.energy[0]!.tiers[k]!.quantity, 0);
    expect([tier(0), tier(1)]).toEqual([12000, 12000]);
    const energyCents = bills.reduce(
      (a, b) =>
        a + b.c.lines.filter((l) => l.kind === 'energy').reduce((x, l) => x + Math.round(l.amount * 100), 0),
      0,
    );
    expect(energyCents).toBe(234288);
    const fixedCents = bills.reduce(
      (a, b) =>
        a + b.c.lines.filter((l) => l.kind === 'fixed').reduce((x, l) => x + Math.round(l.amount * 100), 0),
      0,
    );
    expect(fixedCents).toBe(12 * 757);
  });
});

describe('reference 2: SAM time-of-use demand charges with tiers', () => {
  // SAM's 1-based periods are 0-based here. Demand weekday schedule, January: hours 15-19 period 0, else 1.
  const dcWeekday = constantMatrix(1).map((row) => row.map((p, h) => (h >= 15 && h < 20 ? 0 : p)));
  const tariff: Tariff = {
    tariffId: 'sam-dc',
    name: 'SAM test_demand_charges',
    kind: 'demand',
    validFrom: null,
    validTo: null,
    definition: {
      version: 1,
      currency: 'USD',
      holidays: null,
      fixed: { monthly: 0, daily: 0 },
      minimumMonthly: 0,
      energy: {
        periods: [{ name: 'e', tiers: [{ max: null, rate: 0 }] }],
        schedule: { weekday: constantMatrix(), weekend: constantMatrix(), holiday: constantMatrix() },
      },
      demand: {
        periods: [
          {
            name: 'period 1',
            tiers: [
              { max: 100, rate: 20 },
              { max: null, rate: 15 },
            ],
          },
          {
            name: 'period 2',
            tiers: [
              { max: 100, rate: 10 },
              { max: null, rate: 5 },
            ],
          },
        ],
        schedule: { weekday: dcWeekday, weekend: constantMatrix(1), holiday: constantMatrix(1) },
      },
      flatDemand: null,
      source: { kind: 'yaml' },
    },
  };
  it('peaks of 5 kW and 10 kW cost $200', () => {
    expect(tariffKind(tariff.definition)).toBe('demand');
    const power = [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1];
    // 2026-01-05 is a Monday (SAM's day one is a weekday)
    const days = hourlyDays('M', '2026-01-05', '2026-01-05', (h) => power[h]!);
    const period = { from: '2026-01-05', to: '2026-01-05' };
    const d = computeDeterminants({
      meterId: 'M',
      timezone: 'UTC',
      intervalMinutes: 60,
      channel: CHANNEL,
      tariff,
      period,
      days,
    });
    expect(d.demand.map((x) => [x.period, x.kw, x.at])).toEqual([
      ['period 1', 5, '2026-01-05T15:00:00.000Z'],
      ['period 2', 10, '2026-01-05T10:00:00.000Z'],
    ]);
    expect(chargesOf(d, tariff).total).toBe(200);
  });
});

describe('reference 3: SAM Utilityrate5, residential TOU, 8760 hourly load', () => {
  const tariff = samResidentialTou();
  // SAM's year starts on a Monday and has no DST: 2018 in UTC.
  const days = hourlyDays('M', '2018-01-01', '2018-12-31', (h) => (200 + ((h * 37) % 101) * 7) / 1000);
  const bills = annualBill(tariff, days, '2018-01-01', '2018-12-31');
  const sam = [
    44.149, 39.7261, 44.01955, 42.463, 50.2962, 48.05705, 49.9957, 50.3004, 47.7989, 50.3942, 42.5886,
    43.7424,
  ];

  it('puts every kWh in the period SAM does: monthly bills equal SAM to 1e-9 before rounding', () => {
    expect(bills.reduce((a, b) => a + b.d.energyKwh * 1e6, 0)).toBe(4817888 * 1e3);
    const unrounded = bills.map((b) => b.d.energy.reduce((a, e) => a + e.kwh * e.tiers[0]!.rate, 0));
    expect(unrounded.map((v, i) => Math.abs(v - sam[i]!) < 1e-9)).toEqual(new Array(12).fill(true));
  });

  it('the same bill through the aggregate path: daily aggregates by local hour, then the bill from them', () => {
    // what `smt aggregate` stores per day (integration test: test/integration/billing-aggregates.test.ts)
    const rows: StoredDaily[] = days.map((d) => {
      const a = dailyAggregate(d, d.values.length, 60, factsOfDay(d));
      return { ...a, estimatedMicro: a.estimatedMicro, version: 1 };
    });
    const versions = new Map(days.map((d) => [d.day, d.version]));
    const fromAggregates = periodsBetween('2018-01-01', '2018-12-31').map((period) => {
      const a = aggregatePeriodDays('UTC', period, rows, versions);
      if (!a.usable) throw new Error(a.reason);
      const d = determinantsOfDays({
        meterId: 'M',
        timezone: 'UTC',
        intervalMinutes: 60,
        channel: CHANNEL,
        tariff,
        period,
        days: a.days,
      });
      return { d, c: chargesOf(d, tariff) };
    });
    expect(fromAggregates.reduce((a, b) => a + Math.round(b.c.total * 100), 0)).toBe(55354);
    expect(fromAggregates.map((b) => b.c)).toEqual(bills.map((b) => b.c));
    expect(fromAggregates.map((b) => b.d.energy)).toEqual(bills.map((b) => b.d.energy));
  });

  it('annual bill $553.54: SAM 553.5311 with each of the 48 lines rounded to the cent', () => {
    const cents = bills.reduce((a, b) => a + Math.round(b.c.total * 100), 0);
    expect(cents).toBe(55354);
    expect(bills.reduce((a, b) => a + b.c.lines.length, 0)).toBe(48);
    expect(Math.abs(cents / 100 - 553.5311)).toBeLessThanOrEqual(48 * 0.005);
  });
});
