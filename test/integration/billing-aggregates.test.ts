/**
 * Bills from the authoritative daily aggregates against bills from the series, on the real stores
 * (own PostgreSQL database, Cassandra keyspace and ClickHouse database): the series is written to
 * Cassandra and ClickHouse, `aggregate` computes the daily rows by local hour from ClickHouse, and
 * both bills must agree to the micro-kWh and the cent — on a spring-forward month (a 92-interval
 * day) and a fall-back month (a 100-interval day), and on the published SAM TOU reference year.
 */
import type cassandra from 'cassandra-driver';
import { DateTime } from 'luxon';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { aggregate, aggregateDays, openAggregatePorts } from '../../src/core/aggregate/service.js';
import type { PeriodBill } from '../../src/core/billing/bill.js';
import { type BillResult, bill, type CloseResult, closePeriod } from '../../src/core/billing/service.js';
import { tariffFromYaml } from '../../src/core/billing/tariff-yaml.js';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { TariffRepository } from '../../src/core/postgres/tariff-repository.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { samResidentialTou } from '../helpers/billing-reference.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

vi.setConfig({ testTimeout: 300_000 });

const ZONE = 'Europe/Stockholm';
const CH = 'active_import_kwh';
const PASSED = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
const ESTIMATED = packFields(
  Origin.Estimated,
  ValidationState.Passed,
  Method.LinearInterpolation,
  Reason.CommunicationFailure,
);

// Hour 02 is its own period: billed twice on the fall-back day, not at all on spring-forward.
const TARIFF = `
id: BA-TOU
name: DST test time of use with demand
currency: SEK
holidays: { country: SE }
fixed: { monthly: 30 }
energy:
  periods:
    night: 0.3
    early: [{ upTo: 5, rate: 0.9 }, { rate: 1.1 }]
    day: 0.6
  seasons:
    - months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
      weekday: { "00-02": night, "02-03": early, "03-24": day }
      weekend: { "00-02": night, "02-03": early, "03-24": day }
demand:
  periods:
    offpeak: 10
    peak: 40
  seasons:
    - months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
      weekday: { "07-21": peak, "21-07": offpeak }
      weekend: offpeak
`;

function meter(meterId: string, over: Partial<Meter> = {}): Meter {
  return {
    meterId,
    accountId: `ACC-${meterId}`,
    tariffId: 'BA-TOU',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: null,
    installedAt: new Date('2017-01-01T00:00:00Z'),
    removedAt: null,
    ...over,
  };
}

let version = Date.UTC(2026, 10, 2) * 1000;

function days(
  m: Meter,
  from: string,
  to: string,
  value: (day: number, p: number) => number,
  quality: (day: number, p: number) => number = () => PASSED,
): SeriesDay[] {
  const out: SeriesDay[] = [];
  for (let e = parseLocalDate(from); e <= parseLocalDate(to); e++) {
    const d = emptyDay(
      { meterId: m.meterId, channel: CH, day: formatLocalDate(e) },
      m.timezone,
      m.intervalMinutes,
    );
    for (let p = 0; p < d.values.length; p++) {
      d.values[p] = value(e, p);
      d.quality[p] = quality(e, p);
      d.writeIdx[p] = 0;
    }
    d.version = ++version;
    d.writes.push({ version: d.version, source: `test/${d.version}` });
    d.writtenAt = Math.floor(d.version / 1000);
    d.writer = 'test';
    d.reason = 'billing from aggregates test';
    out.push(d);
  }
  return out;
}

let stores: IsolatedStores;
let client: cassandra.Client;
let series: CassandraSeriesStore;
let readings: ClickHouseReadingStore;
let chClose: () => Promise<void>;
const DST = meter('BA-DST');
const REF = meter('BA-REF', { tariffId: 'sam-res-tou', timezone: 'UTC', intervalMinutes: 60 });
const dstDays: SeriesDay[] = [];

async function write(list: SeriesDay[], m: Meter): Promise<void> {
  await series.write(list);
  await readings.insert(
    list.map((d) => ({
      day: d,
      positions: [...d.values.keys()].filter((p) => !Number.isNaN(d.values[p]!)),
      meter: m,
    })),
    Date.now(),
  );
}

beforeAll(async () => {
  stores = await isolatedStores('bill_agg');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
  const pool = createPostgresPool(stores.config, { max: 1 });
  try {
    await new MeterRepository(pool).upsert([DST, REF]);
    await new TariffRepository(pool).upsert([tariffFromYaml(TARIFF, 'test'), samResidentialTou()]);
  } finally {
    await pool.end();
  }
  client = createCassandraClient(stores.config, { useKeyspace: true });
  series = new CassandraSeriesStore(client, stores.config.string('cassandra.keyspace'));
  const ch = createClickHouseClient(stores.config);
  chClose = () => ch.close();
  readings = new ClickHouseReadingStore(ch, stores.config.string('clickhouse.database'));
  // values to 4 decimals with ties (the peak goes to the earliest); a gap on both DST days;
  // an estimated morning on the 10th
  const value = (e: number, p: number) =>
    (formatLocalDate(e).endsWith('-29') || formatLocalDate(e).endsWith('-25')) && p === 9
      ? Number.NaN
      : 0.05 + ((p * 13 + e * 7) % 97) / 400 + (p % 7 === 3 ? 0.00012345 : 0);
  const quality = (e: number, p: number) =>
    formatLocalDate(e).endsWith('-10') && p < 24 ? ESTIMATED : PASSED;
  dstDays.push(
    ...days(DST, '2026-03-01', '2026-03-31', value, quality),
    ...days(DST, '2026-10-01', '2026-10-31', value, quality),
  );
  await write(dstDays, DST);
  // SAM's load: 8,760 hours of 2018 in UTC
  await write(
    days(REF, '2018-01-01', '2018-12-31', (e, p) => {
      const h = (e - parseLocalDate('2018-01-01')) * 24 + p;
      return (200 + ((h * 37) % 101) * 7) / 1000;
    }),
    REF,
  );
  const ports = await openAggregatePorts(stores.config, { clickhouse: true });
  try {
    for (const [from, to] of [
      ['2026-03-01', '2026-03-31'],
      ['2026-10-01', '2026-10-31'],
      ['2018-01-01', '2018-12-31'],
    ] as const)
      await aggregate(ports, { period: 'day', from, to, source: 'clickhouse' });
  } finally {
    await ports.close();
  }
}, 300_000);

afterAll(async () => {
  await chClose?.();
  await client?.shutdown();
  await stores?.drop();
});

const billOf = (
  subject: string,
  selection: { period: string } | { from: string; to: string },
  source: 'aggregates' | 'series' | 'auto',
) => bill(stores.config, { subject, selection, source });

/** What a bill is, whatever it was computed from. */
const figures = (b: PeriodBill) => {
  const { aggregateVersions: _, ...determinants } = b.determinants;
  return { determinants, lines: b.lines, total: b.total };
};

/** kWh of the intervals whose local hour is `hour`, summed in micro-kWh, by luxon (not the engine). */
function kwhAtLocalHour(list: readonly SeriesDay[], month: string, hour: number): number {
  let micro = 0;
  for (const d of list) {
    if (!d.day.startsWith(month)) continue;
    d.values.forEach((v, p) => {
      const start = d.dayStart + p * d.intervalMinutes * 60_000;
      if (!Number.isNaN(v) && DateTime.fromMillis(start, { zone: ZONE }).hour === hour)
        micro += Math.round(v * 1e6);
    });
  }
  return micro / 1e6;
}

describe('a bill from the daily aggregates by local hour', () => {
  it('is the bill from the series, on the spring-forward and the fall-back month', async () => {
    for (const [period, expected, early] of [
      ['2026-03', 30 * 96 + 92, 30 * 4],
      ['2026-10', 30 * 96 + 100, 30 * 4 + 8],
    ] as const) {
      const a = (await billOf('BA-DST', { period }, 'aggregates')).periods[0]!;
      const s = (await billOf('BA-DST', { period }, 'series')).periods[0]!;
      expect(a.basis).toEqual({ source: 'aggregates', status: 'provisional', asOf: null, reason: null });
      expect(s.basis).toEqual({ source: 'series', status: 'provisional', asOf: null, reason: null });
      expect(figures(a)).toEqual(figures(s));
      expect(a.determinants.aggregateVersions.map((v) => v.day)).toEqual(
        a.determinants.seriesVersions.map((v) => v.day),
      );
      expect(a.determinants.intervals).toEqual({
        expected,
        // one gap on the 25th and one on the 29th; the 10th's first 24 quarter-hours estimated
        actual: expected - 2 - 24,
        estimated: 24,
        missing: 2,
      });
      // the 02:00 hour: 4 quarter-hours a day, none on March 29, 8 on October 25
      const byPeriod = new Map(a.determinants.energy.map((e) => [e.period, e.kwh]));
      expect(byPeriod.get('early')).toBe(kwhAtLocalHour(dstDays, period, 2));
      const earlyIntervals = dstDays
        .filter((d) => d.day.startsWith(period))
        .reduce(
          (n, d) =>
            n +
            [...d.values.keys()].filter(
              (p) => DateTime.fromMillis(d.dayStart + p * 900_000, { zone: ZONE }).hour === 2,
            ).length,
          0,
        );
      expect(earlyIntervals).toBe(early);
      expect(byPeriod.get('night')! + byPeriod.get('early')! + byPeriod.get('day')!).toBeCloseTo(
        a.determinants.energyKwh,
        9,
      );
    }
  });

  it('passes the SAM residential TOU reference year ($553.54, 48 lines) from the aggregates', async () => {
    const r = await billOf('BA-REF', { from: '2018-01-01', to: '2018-12-31' }, 'aggregates');
    expect(r.periods.map((p) => p.basis.source)).toEqual(new Array(12).fill('aggregates'));
    expect(r.periods.map((p) => p.basis.status)).toEqual(new Array(12).fill('validated'));
    expect(Math.round(r.total * 100)).toBe(55354);
    expect(r.periods.reduce((n, p) => n + p.lines.length, 0)).toBe(48);
    expect(r.periods.reduce((a, p) => a + Math.round(p.determinants.energyKwh * 1e6), 0)).toBe(4817888 * 1e3);
    const s = await billOf('BA-REF', { from: '2018-01-01', to: '2018-12-31' }, 'series');
    expect(r.periods.map(figures)).toEqual(s.periods.map(figures));
  });

  it('notices aggregates older than the series: auto bills the series and says why, --source aggregates refuses (exit 3)', async () => {
    const changed = days(DST, '2026-10-10', '2026-10-10', () => 0.5);
    // the series moves on; the copy and the aggregate do not (yet)
    await series.write(changed);
    const auto = (await billOf('BA-DST', { period: '2026-10' }, 'auto')).periods[0]!;
    expect(auto.basis.source).toBe('series');
    expect(auto.basis.reason).toMatch(
      new RegExp(
        `^the daily aggregates of 1 day \\(first 2026-10-10\\) are older than the series \\(2026-10-10: aggregated from series version \\d+, the series is at ${changed[0]!.version}\\)$`,
      ),
    );
    const refused = runCli(
      ['bill', 'BA-DST', '--period', '2026-10', '--source', 'aggregates', '--json'],
      stores.env,
    );
    expect(refused.status).toBe(3);
    expect(json<{ error: { code: string; message: string } }>(refused).error).toMatchObject({
      code: 'AGGREGATES_NOT_CURRENT',
      message: expect.stringContaining('BA-DST 2026-10-01 – 2026-10-31: cannot bill from the aggregates'),
    });
    const table = runCli(['bill', 'BA-DST', '--period', '2026-10'], stores.env);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(
      /source\s+│ series \(provisional, current versions\): the daily aggregates of 1 day/,
    );

    // the recomputation of exactly that day brings the aggregates level with the series again
    const ports = await openAggregatePorts(stores.config);
    try {
      await aggregateDays(ports, [{ meterId: 'BA-DST', channel: CH, day: '2026-10-10' }]);
    } finally {
      await ports.close();
    }
    const again = (await billOf('BA-DST', { period: '2026-10' }, 'auto')).periods[0]!;
    expect(again.basis.source).toBe('aggregates');
    expect(figures(again)).toEqual(
      figures((await billOf('BA-DST', { period: '2026-10' }, 'series')).periods[0]!),
    );
  });

  it('bills from the series, saying so, a period without aggregates', async () => {
    const r = (await billOf('BA-DST', { period: '2026-09' }, 'auto')).periods[0]!;
    expect(r.basis).toEqual({
      source: 'series',
      status: 'provisional',
      asOf: null,
      reason: 'no daily aggregate for 30 days (first 2026-09-01)',
    });
    expect(r.determinants.intervals.missing).toBe(30 * 96);
  });

  it('billing close freezes the bill with its source and the aggregate row versions', async () => {
    const r: CloseResult = await closePeriod(stores.config, { period: '2026-03', subject: 'BA-DST' });
    expect(r.closed.map((c) => [c.meterId, c.basis.source])).toEqual([['BA-DST', 'aggregates']]);
    const pool = new pg.Pool({ connectionString: stores.config.string('postgres.url'), max: 1 });
    try {
      const row = (
        await pool.query<{
          basis: string;
          aggregate_versions: { day: string; version: number }[];
          bill: BillResult['periods'][0];
        }>(
          `SELECT basis, aggregate_versions, bill FROM smt.billing_periods WHERE meter_id = 'BA-DST' AND period_start = '2026-03-01'`,
        )
      ).rows[0]!;
      expect(row.basis).toBe('aggregates');
      expect(row.aggregate_versions).toHaveLength(31);
      expect(row.aggregate_versions).toEqual(row.bill.determinants.aggregateVersions);
      const stored = await pool.query<{ d: string; version: number }>(
        `SELECT to_char(local_date, 'YYYY-MM-DD') AS d, version FROM smt.daily_aggregates
          WHERE meter_id = 'BA-DST' AND local_date BETWEEN '2026-03-01' AND '2026-03-31' ORDER BY local_date`,
      );
      expect(row.aggregate_versions).toEqual(stored.rows.map((x) => ({ day: x.d, version: x.version })));
    } finally {
      await pool.end();
    }
  });
});
