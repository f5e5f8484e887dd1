import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { chString } from '../../src/core/clickhouse/sql.js';
import { MIGRATIONS, migrateStores, storeSchemaStatus } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

let stores: IsolatedStores;
beforeAll(async () => {
  stores = await isolatedStores('migr');
});
afterAll(async () => {
  await stores?.drop();
});

describe('smt db migrate against the real stores', () => {
  it('applies every migration once, then nothing', async () => {
    const first = await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
    for (const r of first) {
      expect(r.applied.map((a) => a.version)).toEqual(MIGRATIONS[r.store].map((m) => m.version));
      expect(r.current).toBe(r.latest);
    }
    const second = await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
    for (const r of second) {
      expect(r.applied).toEqual([]);
      expect(r.pending).toEqual([]);
    }
    for (const store of ['postgres', 'cassandra', 'clickhouse'] as const) {
      const s = await storeSchemaStatus(stores.config, store);
      expect(s.current).toBe(MIGRATIONS[store].at(-1)!.version);
    }
  });

  it('created the tables the rest of smt relies on, in each store', async () => {
    const pool = createPostgresPool(stores.config, { max: 1 });
    try {
      const r = await pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'smt'",
      );
      const names = r.rows.map((x) => x.table_name);
      for (const t of [
        'meters',
        'customers',
        'tariffs',
        'regions',
        'daily_aggregates',
        'monthly_aggregates',
        'billing_periods',
        'billing_determinants',
        'corrections',
        'correction_sets',
        'correction_alerts',
        'audit_log',
        'gaps',
        'recalc_queue',
        'job_checkpoints',
        'ingest_meter_days',
      ]) {
        expect(names).toContain(t);
      }
      // The audit trail is append-only: an UPDATE must fail.
      await pool.query(
        "INSERT INTO smt.audit_log (actor, action, entity, entity_id, prev_hash, entry_hash) VALUES ('test', 'create', 'meter', 'M1', repeat('0', 64), repeat('0', 64))",
      );
      // … and chained (migration 10): an entry without its hashes is refused
      await expect(
        pool.query(
          "INSERT INTO smt.audit_log (actor, action, entity, entity_id) VALUES ('t', 'c', 'm', 'M2')",
        ),
      ).rejects.toThrow(/audit_log_chained/);
      await expect(pool.query('TRUNCATE smt.audit_log CASCADE')).rejects.toThrow(/append-only/);
      await expect(pool.query("UPDATE smt.audit_log SET actor = 'someone else'")).rejects.toThrow(
        /append-only/,
      );
    } finally {
      await pool.end();
    }

    const cass = createCassandraClient(stores.config);
    try {
      const ks = stores.config.string('cassandra.keyspace');
      const r = await cass.execute(
        'SELECT table_name, compaction, default_time_to_live FROM system_schema.tables WHERE keyspace_name = ?',
        [ks],
      );
      const byName = new Map(r.rows.map((x) => [x.table_name as string, x]));
      expect([...byName.keys()].sort()).toEqual([
        'interval_series',
        'raw_messages',
        'register_reads',
        'schema_migrations',
        'series_days',
      ]);
      expect(String((byName.get('raw_messages')!.compaction as Record<string, string>).class)).toMatch(
        /TimeWindowCompactionStrategy/,
      );
      expect(byName.get('raw_messages')!.default_time_to_live).toBe(
        stores.config.int('cassandra.rawTtlDays') * 86_400,
      );
    } finally {
      await cass.shutdown();
    }

    const ch = createClickHouseClient(stores.config, { useDatabase: false });
    try {
      const db = stores.config.string('clickhouse.database');
      const rs = await ch.query({
        query: `SELECT name, engine FROM system.tables WHERE database = ${chString(db)} ORDER BY name`,
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ name: string; engine: string }>();
      const engines = Object.fromEntries(rows.map((x) => [x.name, x.engine]));
      expect(engines.readings).toBe('ReplacingMergeTree');
      expect(engines.rollup_dims_daily).toBe('AggregatingMergeTree');
      expect(engines.rollup_dims_daily_mv).toBe('MaterializedView');
      // The views really feed the rollups.
      await ch.command({
        query: `INSERT INTO ${db}.readings (meter_id, channel, ts, local_date, interval_minutes, value, missing, quality, origin, validation_state, failed_rules, device_status, region, segment, tariff, version, ingested_at)
                VALUES ('M1', 'active_import_kwh', toDateTime('2026-03-29 00:00:00', 'UTC'), toDate('2026-03-29'), 15, 0.25, 0, 0, 0, 1, 0, 0, 'SE3', 'residential', 'T1', 1, now()),
                       ('M1', 'active_import_kwh', toDateTime('2026-03-29 00:15:00', 'UTC'), toDate('2026-03-29'), 15, 0.5, 0, 0, 0, 1, 0, 0, 'SE3', 'residential', 'T1', 1, now())`,
      });
      const agg = await ch.query({
        query: `SELECT sumMerge(value_sum) AS kwh, sumMerge(readings) AS n, uniqMerge(meters) AS meters FROM ${db}.rollup_dims_daily WHERE region = 'SE3'`,
        format: 'JSONEachRow',
      });
      const [row] = await agg.json<{ kwh: number; n: string | number; meters: string | number }>();
      expect(row!.kwh).toBeCloseTo(0.75, 9);
      expect(Number(row!.n)).toBe(2);
      expect(Number(row!.meters)).toBe(1);
    } finally {
      await ch.close();
    }
  });
});
