/**
 * Tariffs, bills, readiness and closing against the real stores (own PostgreSQL database and
 * Cassandra keyspace), through the CLI as an operator runs it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type cassandra from 'cassandra-driver';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { aggregate, aggregateDays, openAggregatePorts } from '../../src/core/aggregate/service.js';
import type {
  BillingExportResult,
  BillResult,
  CheckResult,
  CloseResult,
} from '../../src/core/billing/service.js';
import { billedDelta } from '../../src/core/billing/service.js';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { decode } from '../../src/core/codecs/index.js';
import type { ExportResult } from '../../src/core/export/service.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { TariffSummary } from '../../src/core/postgres/tariff-repository.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

// several CLI runs per test: each starts a Node process (seconds on a loaded 2-core machine)
vi.setConfig({ testTimeout: 300_000 });

const ZONE = 'Europe/Stockholm';
const CH = 'active_import_kwh';
let stores: IsolatedStores;
let client: cassandra.Client;
let series: CassandraSeriesStore;
const dir = mkdtempSync(path.join(tmpdir(), 'smt-billing-'));

const TARIFF = `
id: SE-TOU
name: Winter time of use
currency: SEK
holidays: { country: SE }
fixed: { monthly: 31 }
energy:
  periods:
    offpeak: 0.5
    peak: 1.25
  seasons:
    - months: [10, 11, 12, 1, 2, 3]
      weekday: { "07-21": peak, "21-07": offpeak }
      weekend: offpeak
    - months: [4, 5, 6, 7, 8, 9]
      weekday: offpeak
`;

function meter(meterId: string, accountId: string): Meter {
  return {
    meterId,
    accountId,
    tariffId: 'SE-TOU',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: null,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
}

function days(
  meterId: string,
  from: string,
  to: string,
  kwh: number,
  version: number,
  skip: string[] = [],
  zone = ZONE,
): SeriesDay[] {
  const out: SeriesDay[] = [];
  for (let e = parseLocalDate(from); e <= parseLocalDate(to); e++) {
    const date = formatLocalDate(e);
    if (skip.includes(date)) continue;
    const d = emptyDay({ meterId, channel: CH, day: date }, zone, 15);
    d.values.fill(kwh);
    d.writes.push({ version, source: `test/${version}` });
    d.writeIdx.fill(0);
    d.version = version;
    d.writtenAt = Math.floor(version / 1000);
    d.writer = 'test';
    d.reason = 'billing test';
    out.push(d);
  }
  return out;
}

beforeAll(async () => {
  stores = await isolatedStores('billing', { postgres: true, cassandra: true });
  await migrateStores(stores.config, ['postgres', 'cassandra']);
  const pool = createPostgresPool(stores.config, { max: 1 });
  try {
    await new MeterRepository(pool).upsert([
      meter('M1', 'A1'),
      meter('M2', 'A1'),
      meter('M3', 'A2'),
      { ...meter('NMI0000042E1', 'A3'), timezone: 'Australia/Brisbane' },
    ]);
  } finally {
    await pool.end();
  }
  client = createCassandraClient(stores.config, { useKeyspace: true });
  series = new CassandraSeriesStore(client, stores.config.string('cassandra.keyspace'));
  const v = Date.UTC(2026, 10, 2) * 1000;
  // M1: all of October 2026 (31 days, the 25th has 100 quarter-hours), 0.25 kWh each; 8 estimated
  const m1 = days('M1', '2026-10-01', '2026-10-31', 0.25, v);
  const est = packFields(
    Origin.Estimated,
    ValidationState.Passed,
    Method.LinearInterpolation,
    Reason.CommunicationFailure,
  );
  for (let i = 0; i < 8; i++) m1[4]!.quality[i] = est;
  // NMI0000042E1 (Brisbane, UTC+10 like NEM12 market time): two days, one interval missing
  const nmi = days('NMI0000042E1', '2026-10-01', '2026-10-02', 0.125, v, [], 'Australia/Brisbane');
  nmi[0]!.values[5] = Number.NaN;
  // M2: 2026-10-10 never arrived; M3: complete
  await series.write([
    ...m1,
    ...days('M2', '2026-10-01', '2026-10-31', 0.5, v, ['2026-10-10']),
    ...days('M3', '2026-10-01', '2026-10-31', 0.1, v),
    ...nmi,
  ]);
}, 120_000);

afterAll(async () => {
  await client?.shutdown();
  await stores?.drop();
});

describe('smt tariffs', () => {
  it('imports a YAML tariff once; a re-import changes nothing', () => {
    const file = path.join(dir, 'se-tou.yaml');
    writeFileSync(file, TARIFF);
    const first = runCli(['tariffs', 'import', file, '--json'], stores.env);
    expect(first.status, first.stderr).toBe(0);
    expect(json<{ inserted: number; updated: number }>(first)).toMatchObject({ inserted: 0, updated: 1 });
    const again = json<{ unchanged: number }>(runCli(['tariffs', 'import', file, '--json'], stores.env));
    expect(again.unchanged).toBe(1);
    const list = json<TariffSummary[]>(runCli(['tariffs', 'list', '--json'], stores.env));
    expect(list).toEqual([
      {
        tariffId: 'SE-TOU',
        name: 'Winter time of use',
        kind: 'time_of_use',
        currency: 'SEK',
        source: 'yaml',
        validFrom: null,
        validTo: null,
        meters: 4,
      },
    ]);
    const show = runCli(['tariffs', 'show', 'SE-TOU'], stores.env);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('07-21 peak');
  });

  it('a bad file exits 3 naming the place; nothing is written', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, TARIFF.replace('weekend: offpeak', 'weekend: night'));
    const r = runCli(['tariffs', 'import', file], stores.env);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('energy.seasons[0].weekend: unknown period "night"');
  });
});

describe('smt bill', () => {
  it('bills a meter for a month from the series, line by line, exactly', () => {
    const r = runCli(['bill', 'M1', '--period', '2026-10', '--json'], stores.env);
    expect(r.status, r.stderr).toBe(0);
    const b = json<BillResult>(r);
    const p = b.periods[0]!;
    // 31 days, 30 × 96 + 100 quarter-hours; 22 weekdays in October 2026 with 14 peak hours
    expect(p.determinants.intervals).toEqual({ expected: 2980, actual: 2972, estimated: 8, missing: 0 });
    expect(p.determinants.energyKwh).toBe(745);
    expect(p.determinants.energy.map((e) => [e.period, e.kwh])).toEqual([
      ['offpeak', 745 - 308],
      ['peak', 308],
    ]);
    expect(p.determinants.estimatedShare).toBe(2 / 745);
    expect(p.lines.map((l) => [l.description, l.amount])).toEqual([
      ['fixed charge', 31],
      ['energy offpeak', 218.5],
      ['energy peak', 385],
    ]);
    expect(p.total).toBe(634.5);
    expect(p.status).toBe('open');
    expect(p.determinants.seriesVersions).toHaveLength(31);
  });

  it('bills an account: the sum of its meters', () => {
    const b = json<BillResult>(runCli(['bill', 'A1', '--period', '2026-10', '--json'], stores.env));
    expect(b.subject).toEqual({ kind: 'account', id: 'A1' });
    expect(b.periods.map((p) => p.meterId).sort()).toEqual(['M1', 'M2']);
    expect(b.total).toBe(Math.round(b.periods.reduce((a, p) => a + p.total * 100, 0)) / 100);
  });

  it('an unknown subject exits 3; a missing period flag exits 2', () => {
    expect(runCli(['bill', 'NOPE', '--period', '2026-10'], stores.env).status).toBe(3);
    expect(runCli(['bill', 'M1'], stores.env).status).toBe(2);
  });
});

describe('smt billing check and close', () => {
  it('check lists the incomplete meter and exits 3', () => {
    const r = runCli(['billing', 'check', '--period', '2026-10', '--json'], stores.env);
    expect(r.status).toBe(3);
    const c = json<CheckResult>(r);
    expect(c.meters).toBe(4);
    expect(c.ready).toBe(2);
    expect(c.problems.map((p) => [p.meterId, p.intervalsMissing, p.reasons])).toEqual([
      ['M2', 96, ['incomplete']],
      ['NMI0000042E1', 29 * 96 + 1, ['incomplete']],
    ]);
    const strict = json<CheckResult>(
      runCli(
        [
          'billing',
          'check',
          '--period',
          '2026-10',
          '--subject',
          'M1',
          '--max-estimated-percent',
          '0',
          '--json',
        ],
        stores.env,
      ),
    );
    expect(strict.problems.map((p) => p.reasons)).toEqual([['estimated']]);
  });

  it('close freezes determinants with their series versions; a second close changes nothing', async () => {
    const r = runCli(['billing', 'close', '--period', '2026-10', '--subject', 'A1', '--json'], stores.env);
    expect(r.status, r.stderr).toBe(0);
    const c = json<CloseResult>(r);
    expect(c.closed.map((x) => x.meterId).sort()).toEqual(['M1', 'M2']);
    const pool = new pg.Pool({ connectionString: stores.env.SMT_POSTGRES_URL });
    try {
      const rows = await pool.query<{ determinant: string; value: string }>(
        `SELECT d.determinant, d.value::text AS value FROM smt.billing_determinants d
           JOIN smt.billing_periods p USING (period_id) WHERE p.meter_id = 'M1' ORDER BY 1`,
      );
      const by = Object.fromEntries(rows.rows.map((x) => [x.determinant, x.value]));
      expect(by).toMatchObject({
        energy_kwh: '745.000000',
        'energy:peak_kwh': '308.000000',
        'energy:offpeak_kwh': '437.000000',
        intervals_expected: '2980.000000',
        estimated_kwh: '2.000000',
        total: '634.500000',
      });
      const p = await pool.query<{ status: string; n: number; period_end: string }>(
        `SELECT status, jsonb_array_length(series_versions) AS n, to_char(period_end, 'YYYY-MM-DD') AS period_end
           FROM smt.billing_periods WHERE meter_id = 'M1'`,
      );
      expect(p.rows).toEqual([{ status: 'closed', n: 31, period_end: '2026-11-01' }]);
    } finally {
      await pool.end();
    }
    const again = json<CloseResult>(
      runCli(['billing', 'close', '--period', '2026-10', '--subject', 'A1', '--json'], stores.env),
    );
    expect(again.closed).toEqual([]);
    expect(again.alreadyClosed.map((x) => [x.meterId, x.status]).sort()).toEqual([
      ['M1', 'closed'],
      ['M2', 'closed'],
    ]);
    const bill = json<BillResult>(runCli(['bill', 'M1', '--period', '2026-10', '--json'], stores.env));
    expect(bill.periods[0]!.status).toBe('closed');
  });

  it('billing export hands the closed periods to invoicing: billed, and their daily aggregates too', async () => {
    const ports = await openAggregatePorts(stores.config);
    try {
      await aggregate(ports, {
        period: 'day',
        from: '2026-10-01',
        to: '2026-10-31',
        scope: { meterIds: ['M1'] },
        source: 'cassandra',
      });
    } finally {
      await ports.close();
    }
    const r = runCli(
      ['billing', 'export', '--period', '2026-10', '--subject', 'A1', '--invoice-ref', 'INV-10', '--json'],
      stores.env,
    );
    expect(r.status, r.stderr).toBe(0);
    const e = json<BillingExportResult>(r);
    expect(e.billed.map((b) => [b.meterId, b.from, b.to, b.total]).sort()).toEqual([
      ['M1', '2026-10-01', '2026-10-31', 634.5],
      ['M2', '2026-10-01', '2026-10-31', e.billed.find((b) => b.meterId === 'M2')!.total],
    ]);
    expect(e.invoiceRef).toBe('INV-10');
    expect(e.dailyAggregatesBilled).toBe(31);
    const pool = new pg.Pool({ connectionString: stores.env.SMT_POSTGRES_URL });
    try {
      const p = await pool.query(
        `SELECT meter_id, status, invoice_ref, billed_at IS NOT NULL AS at FROM smt.billing_periods ORDER BY meter_id`,
      );
      expect(p.rows).toEqual([
        { meter_id: 'M1', status: 'billed', invoice_ref: 'INV-10', at: true },
        { meter_id: 'M2', status: 'billed', invoice_ref: 'INV-10', at: true },
      ]);
      const d = await pool.query(
        `SELECT status, count(*)::int AS n FROM smt.daily_aggregates WHERE meter_id = 'M1' GROUP BY status`,
      );
      expect(d.rows).toEqual([{ status: 'billed', n: 31 }]);
    } finally {
      await pool.end();
    }
    // a second export finds nothing closed left
    const again = json<BillingExportResult>(
      runCli(['billing', 'export', '--period', '2026-10', '--subject', 'A1', '--json'], stores.env),
    );
    expect(again.billed).toEqual([]);
    const bill = json<BillResult>(runCli(['bill', 'M1', '--period', '2026-10', '--json'], stores.env));
    expect(bill.periods[0]!.status).toBe('billed');
  });

  it('late data after the close: the delta against what was billed', async () => {
    // a new version of 2026-10-05 (Monday): 0.5 kWh per quarter-hour instead of 0.25
    const v2 = Date.UTC(2026, 10, 20) * 1000;
    const [late] = days('M1', '2026-10-05', '2026-10-05', 0.5, v2);
    late!.supersedes = Date.UTC(2026, 10, 2) * 1000;
    await series.write([late!]);
    const cmp = await billedDelta(stores.config, 'M1', '2026-10-01');
    const by = new Map(cmp.deltas.map((d) => [d.determinant, d]));
    expect(by.get('energy_kwh')).toEqual({
      determinant: 'energy_kwh',
      unit: 'kWh',
      billed: 745,
      current: 769,
      delta: 24,
    });
    expect(by.get('energy:peak_kwh')!.delta).toBe(14);
    expect(by.get('estimated_kwh')!.delta).toBe(-2);
    expect(cmp.totalDelta).toBe(14 * 1.25 + 10 * 0.5);
    expect(cmp.current.determinants.seriesVersions.find((x) => x.day === '2026-10-05')!.version).toBe(v2);
    expect(cmp.period.status).toBe('billed');
    // the recomputed aggregate of the billed day keeps its status, with the new energy
    const ports = await openAggregatePorts(stores.config);
    try {
      await aggregateDays(ports, [{ meterId: 'M1', channel: CH, day: '2026-10-05' }]);
      const row = await ports.pool.query(
        `SELECT status, value_sum::text AS kwh FROM smt.daily_aggregates WHERE meter_id = 'M1' AND local_date = '2026-10-05'`,
      );
      expect(row.rows).toEqual([{ status: 'billed', kwh: '48.000000' }]);
    } finally {
      await ports.close();
    }
  });
});

describe('smt export', () => {
  const file = (name: string) => path.join(dir, name);
  it('csv: the series of an account, read back by smt’s CSV decoder value for value', () => {
    const r = runCli(
      [
        'export',
        '--format',
        'csv',
        'A1',
        '--from',
        '2026-10-24',
        '--to',
        '2026-10-25',
        '--output',
        file('a1.csv'),
        '--json',
      ],
      stores.env,
    );
    expect(r.status, r.stderr).toBe(0);
    const res = json<ExportResult>(r);
    expect(res).toMatchObject({ meters: ['M1', 'M2'], readings: 2 * (96 + 100), output: file('a1.csv') });
    const back = decode('csv', readFileSync(file('a1.csv'), 'utf8'));
    expect(back.failures).toEqual([]);
    const m1 = back.blocks.filter((b) => b.meterId === 'M1').flatMap((b) => [...b.values]);
    expect(m1).toEqual(new Array(196).fill(0.25));
  });

  it('nem12: an NMI meter (null kept as N); a non-NMI meter exits 3 naming the reason', () => {
    const r = runCli(
      ['export', '--format', 'nem12', 'NMI0000042E1', '--from', '2026-10-01', '--to', '2026-10-02'],
      stores.env,
    );
    expect(r.status, r.stderr).toBe(0);
    const back = decode('nem12', r.stdout);
    expect(back.failures).toEqual([]);
    const values = back.blocks.flatMap((b) => [...b.values]);
    expect(values.filter((v) => Number.isNaN(v))).toHaveLength(1);
    expect(values.filter((v) => v === 0.125)).toHaveLength(191);
    const bad = runCli(
      ['export', '--format', 'nem12', 'M1', '--from', '2026-10-01', '--to', '2026-10-02'],
      stores.env,
    );
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain('meter M1 is not an NMI');
  });

  it('greenbutton: one feed, --json without --output is a usage error', () => {
    const r = runCli(
      [
        'export',
        '--format',
        'greenbutton',
        'M1',
        '--from',
        '2026-10-25',
        '--to',
        '2026-10-25',
        '--output',
        file('m1.xml'),
      ],
      stores.env,
    );
    expect(r.status, r.stderr).toBe(0);
    const xml = readFileSync(file('m1.xml'), 'utf8');
    expect(xml.match(/<IntervalReading>/g)).toHaveLength(100);
    expect(xml).toContain('<interval><duration>90000</duration>');
    expect(
      runCli(
        ['export', '--format', 'greenbutton', 'M1', '--from', '2026-10-25', '--to', '2026-10-25', '--json'],
        stores.env,
      ).status,
    ).toBe(2);
  });
});
