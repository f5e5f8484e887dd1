import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraMigrationTarget } from '../../src/core/cassandra/migration-target.js';
import { CASSANDRA_MIGRATIONS } from '../../src/core/cassandra/migrations.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { runMigrations } from '../../src/core/migrations/runner.js';
import { migrateStores, schemaContext } from '../../src/core/migrations/service.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import { emptyDay, type SeriesDay, writeAt } from '../../src/core/series/day.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

const ZONE = 'Europe/Stockholm';
let stores: IsolatedStores;
let client: cassandra.Client;
let store: CassandraSeriesStore;

function day(meterId: string, date: string, version: number, value: number, writtenAt: number): SeriesDay {
  const d = emptyDay({ meterId, channel: 'active_import_kwh', day: date }, ZONE, 15);
  d.values.fill(value);
  d.writes.push({ version, source: `src/${version}` });
  d.writeIdx.fill(0);
  d.version = version;
  d.writtenAt = writtenAt;
  d.writer = 'test';
  d.reason = `v${version}`;
  return d;
}

beforeAll(async () => {
  stores = await isolatedStores('series', { cassandra: true });
  await migrateStores(stores.config, ['cassandra']);
  client = createCassandraClient(stores.config, { useKeyspace: true });
  store = new CassandraSeriesStore(client, stores.config.string('cassandra.keyspace'));
});

afterAll(async () => {
  await client?.shutdown();
  await stores?.drop();
});

describe('Cassandra series store (series_days)', () => {
  it('reads the current version, as of an instant, and every version newest first', async () => {
    const v1 = day('S1', '2026-03-29', 1_000, 0.1, Date.UTC(2026, 3, 1));
    const v2 = day('S1', '2026-03-29', 2_000, 0.2, Date.UTC(2026, 3, 10));
    v2.supersedes = 1_000;
    await store.write([v1, v2]);
    await store.write([v2]); // a retry rewrites the same immutable row
    const key = { meterId: 'S1', channel: 'active_import_kwh', day: '2026-03-29' };
    const current = await store.current([key]);
    expect(current.get('S1|active_import_kwh|2026-03-29')!.version).toBe(2_000);
    const [now] = await store.days({
      meterId: 'S1',
      channel: 'active_import_kwh',
      from: '2026-03-01',
      to: '2026-03-31',
    });
    expect(now!.values.length).toBe(92);
    expect(now!.values[91]).toBe(0.2);
    const [then] = await store.days({
      meterId: 'S1',
      channel: 'active_import_kwh',
      from: '2026-03-29',
      to: '2026-03-29',
      asOf: Date.UTC(2026, 3, 5),
    });
    expect(then!.version).toBe(1_000);
    expect(then!.values[0]).toBe(0.1);
    const history = await store.versions(key);
    expect(history.map((d) => [d.version, d.supersedes, d.reason])).toEqual([
      [2_000, 1_000, 'v2000'],
      [1_000, null, 'v1000'],
    ]);
    expect(
      await store.days({ meterId: 'S1', from: '2026-03-29', to: '2026-03-29', asOf: Date.UTC(2026, 2, 1) }),
    ).toEqual([]);
  });

  it('reads a range across months in one query, in day order, and keeps quality, status and rules', async () => {
    const days = ['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02'].map((d, i) =>
      day('S2', d, 10 + i, i, Date.UTC(2026, 10, 3)),
    );
    days[0]!.quality[3] = packFields(
      Origin.Actual,
      ValidationState.Accepted,
      Method.None,
      Reason.FailedValidation,
    );
    days[0]!.status[3] = 0xffffffff;
    days[0]!.rules.set(3, ['status.clock_adjusted', 'rule.without_a_bit']);
    await store.write(days);
    const back = await store.days({
      meterId: 'S2',
      channel: 'active_import_kwh',
      from: '2026-10-31',
      to: '2026-11-01',
    });
    expect(back.map((d) => [d.day, d.values[0]])).toEqual([
      ['2026-10-31', 1],
      ['2026-11-01', 2],
    ]);
    const [first] = await store.days({ meterId: 'S2', from: '2026-10-30', to: '2026-10-30' });
    expect(first!.quality[3]).toBe(days[0]!.quality[3]);
    expect(first!.status[3]).toBe(0xffffffff);
    expect(first!.rules.get(3)).toEqual(['status.clock_adjusted', 'rule.without_a_bit']);
    expect(writeAt(first!, 3)).toEqual({ version: 10, source: 'src/10' });
  });

  it('writes the frozen lists only (no list tombstones) and still reads rows with the lists of migration 2', async () => {
    const ks = stores.config.string('cassandra.keyspace');
    const fresh = day('S3', '2026-10-25', 30, 3, Date.UTC(2026, 9, 26));
    fresh.rules.set(7, ['status.clock_adjusted']);
    await store.write([fresh]);
    const cells = await client.execute(
      `SELECT write_versions, write_sources, rule_keys, write_versions_frozen, write_sources_frozen, rule_keys_frozen FROM ${ks}.series_days WHERE meter_id = 'S3' AND month = 202610`,
    );
    expect(cells.rows.map((r) => [r.write_versions, r.write_sources, r.rule_keys])).toEqual([
      [null, null, null],
    ]);
    expect(cells.rows[0]!.write_versions_frozen.map(Number)).toEqual([30]);
    expect(cells.rows[0]!.write_sources_frozen).toEqual(['src/30']);
    expect(cells.rows[0]!.rule_keys_frozen).toEqual(['status.clock_adjusted']);

    // A row as migration 2's layout wrote it (non-frozen lists), on the 100-position DST day, then
    // a newer version in today's layout: both read back through the series read API.
    const old = day('S3', '2026-10-25', 20, 2, Date.UTC(2026, 9, 25));
    old.writes.push({ version: 19, source: 'src/19' });
    old.writeIdx[99] = 1;
    old.rules.set(99, ['rule.without_a_bit', 'status.clock_adjusted']);
    const legacy = new CassandraSeriesStore(client, ks, 128, 2);
    await legacy.write([old]);
    const oldCells = await client.execute(
      `SELECT write_versions, rule_keys, write_versions_frozen FROM ${ks}.series_days WHERE meter_id = 'S3' AND month = 202610 AND channel = 'active_import_kwh' AND day = '2026-10-25' AND version = 20`,
    );
    expect(oldCells.rows[0]!.write_versions.map(Number)).toEqual([20, 19]);
    expect(oldCells.rows[0]!.write_versions_frozen).toBeNull();

    const key = { meterId: 'S3', channel: 'active_import_kwh', day: '2026-10-25' };
    const [asOld] = await store.days({ ...key, from: key.day, to: key.day, asOf: Date.UTC(2026, 9, 25, 12) });
    expect(asOld!.values.length).toBe(100);
    expect(asOld!.version).toBe(20);
    expect(writeAt(asOld!, 0)).toEqual({ version: 20, source: 'src/20' });
    expect(writeAt(asOld!, 99)).toEqual({ version: 19, source: 'src/19' });
    expect(asOld!.rules.get(99)).toEqual(['rule.without_a_bit', 'status.clock_adjusted']);
    expect(asOld!.rules.size).toBe(1);
    const history = await store.versions(key);
    expect(history.map((d) => [d.version, d.writes, [...d.rules]])).toEqual([
      [30, [{ version: 30, source: 'src/30' }], [[7, ['status.clock_adjusted']]]],
      [
        20,
        [
          { version: 20, source: 'src/20' },
          { version: 19, source: 'src/19' },
        ],
        [[99, ['rule.without_a_bit', 'status.clock_adjusted']]],
      ],
    ]);
    expect((await store.current([key])).get('S3|active_import_kwh|2026-10-25')!.version).toBe(30);
  });
});

describe('smt db migrate: interval_series (layout v1) → series_days', () => {
  it('copies what the v1 layout wrote, version in µs, DST day included, idempotently', async () => {
    const iso = await isolatedStores('series_v1', { cassandra: true });
    const c = createCassandraClient(iso.config);
    try {
      const ctx = schemaContext(iso.config);
      const target = new CassandraMigrationTarget(c, ctx.keyspace, ctx.replication);
      await runMigrations(target, CASSANDRA_MIGRATIONS.slice(0, 1), ctx);
      // rows exactly as the v1 writer wrote them: one per reading, latest version only
      const insert = `INSERT INTO ${ctx.keyspace}.interval_series (meter_id, day, channel, interval_start, interval_minutes, value, quality, origin, validation_state, failed_rules, device_status, version, supersedes, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
      const cal = LocalCalendar.for(ctx.timezone);
      const spring = cal.intervalStarts('2026-03-29', 15);
      const passed = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
      for (let i = 0; i < spring.length; i++) {
        if (i === 10) continue; // never received
        await c.execute(
          insert,
          [
            'V1',
            cassandra.types.LocalDate.fromString('2026-03-29'),
            'active_import_kwh',
            new Date(spring[i]!),
            15,
            i / 10,
            passed,
            0,
            1,
            i === 5 ? 1 << RuleId.StatusClockAdjusted : 0,
            i === 5 ? 8 : 0,
            i < 50 ? 1_700_000_000_000 : 1_700_000_000_555,
            null,
            i < 50 ? 'raw/0/1' : 'raw/0/2',
            new Date(),
          ],
          { prepare: true },
        );
      }
      await runMigrations(target, CASSANDRA_MIGRATIONS, ctx);
      const s = new CassandraSeriesStore(c, ctx.keyspace);
      const [d] = await s.days({
        meterId: 'V1',
        channel: 'active_import_kwh',
        from: '2026-03-29',
        to: '2026-03-29',
      });
      expect(d!.values.length).toBe(92);
      expect(Number.isNaN(d!.values[10]!)).toBe(true);
      expect(d!.values[91]).toBe(9.1);
      expect(d!.version).toBe(1_700_000_000_555_000);
      expect(writeAt(d!, 0)).toEqual({ version: 1_700_000_000_000_000, source: 'raw/0/1' });
      expect(writeAt(d!, 60)).toEqual({ version: 1_700_000_000_555_000, source: 'raw/0/2' });
      expect(d!.rules.get(5)).toEqual(['status.clock_adjusted']);
      expect(d!.status[5]).toBe(8);
      expect(d!.quality[0]).toBe(passed);
      expect(d!.writer).toBe('migration:2');
      // the copy is idempotent
      const { copyIntervalSeries } = await import('../../src/core/cassandra/series-layout-v1.js');
      await copyIntervalSeries(c, ctx);
      expect(
        await s.versions({ meterId: 'V1', channel: 'active_import_kwh', day: '2026-03-29' }),
      ).toHaveLength(1);
    } finally {
      await c.shutdown();
      await iso.drop();
    }
  });
});
