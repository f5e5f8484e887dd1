import { ClickHouseLogLevel } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraRawArchive } from '../../src/core/cassandra/raw-archive.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { loadConfig } from '../../src/core/config/config.js';
import { ServiceUnavailableError, StoreRejectedError } from '../../src/core/errors.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { PostgresBookkeeping } from '../../src/core/postgres/bookkeeping.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import { emptyDay } from '../../src/core/series/day.js';
import type { DayChange, RegisteredMeter } from '../../src/core/series/ports.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

const ZONE = 'Europe/Stockholm';
let stores: IsolatedStores;
const meter: RegisteredMeter = {
  meterId: 'A1',
  timezone: ZONE,
  intervalMinutes: 15,
  regionId: 'SE3',
  segment: 'residential',
  tariffId: 'T1',
};

function change(version: number, positions: number[]): DayChange {
  const day = emptyDay({ meterId: 'A1', channel: 'reactive_q1_kvarh', day: '2026-10-25' }, ZONE, 15);
  day.writes.push({ version, source: `t/0/${version}` });
  for (const p of positions) {
    day.values[p] = 1.614 + p;
    day.quality[p] = packFields(
      Origin.Actual,
      ValidationState.Accepted,
      Method.None,
      Reason.FailedValidation,
    );
    day.writeIdx[p] = 0;
  }
  day.rules.set(positions[0]!, ['status.clock_adjusted', 'rule.without_a_bit']);
  return { day, positions, meter };
}

beforeAll(async () => {
  stores = await isolatedStores('adapters');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
});
afterAll(async () => {
  await stores?.drop();
});

describe('ClickHouse analytics adapter', () => {
  it('inserts exactly the changed readings, reports which it lacks, and classifies refusals', async () => {
    const ch = createClickHouseClient(stores.config);
    const db = stores.config.string('clickhouse.database');
    try {
      const store = new ClickHouseReadingStore(ch, db);
      await store.insert([change(7_000_001, [0, 99])], Date.UTC(2026, 10, 1));
      const rs = await ch.query({
        query: `SELECT channel, value, validation_state, rules, toString(version) AS v FROM ${db}.readings ORDER BY ts`,
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([
        {
          channel: 'reactive_q1_kvarh',
          value: 1.614,
          validation_state: 3,
          rules: ['status.clock_adjusted', 'rule.without_a_bit'],
          v: '7000001',
        },
        { channel: 'reactive_q1_kvarh', value: 100.614, validation_state: 3, rules: [], v: '7000001' },
      ]);
      const lacking = await store.missing([change(7_000_001, [0, 5, 99]), change(7_000_002, [0])]);
      expect(lacking.map((c) => [c.day.writes[0]!.version, c.positions])).toEqual([
        [7_000_001, [5]],
        [7_000_002, [0]],
      ]);
      await expect(
        new ClickHouseReadingStore(ch, 'no_such_database').insert([change(1, [0])], 0),
      ).rejects.toBeInstanceOf(StoreRejectedError);
    } finally {
      await ch.close();
    }
  });

  it('a new version of a reading cancels the older one in the rollups; retries and old double inserts stay exact', async () => {
    const ch = createClickHouseClient(stores.config);
    const db = stores.config.string('clickhouse.database');
    const at = (v: number, p: number, value: number, replaces = false): DayChange => {
      const c = change(v, [p]);
      c.day.meterId = 'V1';
      c.day.values[p] = value;
      c.day.rules.clear();
      return replaces ? { ...c, replaces: [p] } : c;
    };
    const rollup = async () => {
      const rs = await ch.query({
        query: `SELECT sumMerge(readings) AS n, sumMerge(value_sum) AS kwh, sumMerge(estimated) AS e
                FROM ${db}.rollup_meter_daily WHERE meter_id = 'V1'`,
        format: 'JSONEachRow',
      });
      const [r] = await rs.json<{ n: string; kwh: number; e: string }>();
      return { n: Number(r!.n), kwh: Math.round(r!.kwh * 1e9) / 1e9, e: Number(r!.e) };
    };
    try {
      const store = new ClickHouseReadingStore(ch, db);
      await store.insert([at(100, 3, 0.5)], 0);
      // before this version of smt, a re-sent reading could reach ClickHouse twice
      await store.insert([at(100, 7, 0.25), at(100, 7, 0.25)], 0);
      expect(await rollup()).toEqual({ n: 3, kwh: 1, e: 0 });
      const v2 = [at(200, 3, 2), at(200, 7, 4, true)];
      v2[0] = { ...v2[0]!, replaces: [3] };
      await store.insert(v2, 0);
      expect(await rollup()).toEqual({ n: 2, kwh: 6, e: 0 });
      // a retry after the cancels landed but the readings did not: cancels are not written twice
      await store.insert([at(300, 3, 1, true)], 0);
      await ch.command({
        query: `ALTER TABLE ${db}.readings DELETE WHERE meter_id = 'V1' AND version = 300`,
      });
      for (let i = 0; i < 50; i++) {
        const rs = await ch.query({
          query: `SELECT count() AS n FROM ${db}.readings WHERE meter_id = 'V1' AND version = 300`,
          format: 'JSONEachRow',
        });
        if (Number((await rs.json<{ n: string }>())[0]!.n) === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const lacking = await store.missing([at(300, 3, 1, true)]);
      expect(lacking.map((c) => c.positions)).toEqual([[3]]);
      await store.insert(lacking, 0);
      const cancels = await ch.query({
        query: `SELECT toString(version) AS v, toString(superseded_by) AS by, value FROM ${db}.readings_cancels WHERE meter_id = 'V1' ORDER BY superseded_by, version`,
        format: 'JSONEachRow',
      });
      expect(await cancels.json()).toEqual([
        { v: '100', by: '200', value: 0.5 },
        { v: '100', by: '200', value: 0.25 },
        { v: '100', by: '200', value: 0.25 },
        { v: '200', by: '300', value: 2 },
      ]);
    } finally {
      await ch.close();
    }
  });

  it('a server that does not answer is ServiceUnavailableError (a retry may help)', async () => {
    const config = loadConfig({
      env: { ...process.env, ...stores.env, SMT_CLICKHOUSE_URL: 'http://127.0.0.1:1' },
    });
    const closed = createClickHouseClient(config, {
      requestTimeoutMs: 2_000,
      logLevel: ClickHouseLogLevel.OFF,
    });
    try {
      await expect(
        new ClickHouseReadingStore(closed, 'x').insert([change(1, [0])], 0),
      ).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      await closed.close();
    }
  });
});

describe('PostgreSQL bookkeeping adapter', () => {
  it('adds counts, keeps the highest watermark, and names closed and billed days', async () => {
    const pool = createPostgresPool(stores.config, { max: 3 });
    try {
      const b = new PostgresBookkeeping(pool);
      const counts = [
        {
          meterId: 'A1',
          channel: 'active_import_kwh',
          localDate: '2026-03-20',
          received: 96,
          rejected: 2,
          late: 0,
        },
      ];
      const key = { clusterId: 'c', topic: 't', topicId: 'ab'.repeat(16), partition: 0 };
      const first = await b.lease(key, 5_000);
      expect(first.nextOffset).toBe(-1n);
      first.advanceTo = 10n;
      // a second member of the same partition waits for the first slice: fenced, not interleaved
      const second = b.lease(key, 5_000);
      await first.record({ counts, late: [] });
      await first.release();
      const again = await second;
      expect(again.nextOffset).toBe(10n);
      again.advanceTo = 5n;
      await again.record({ counts, late: [] });
      await again.release();
      // an uncommitted lease (a failed slice) leaves nothing behind
      const failed = await b.lease(key, 5_000);
      failed.advanceTo = 20n;
      await failed.release();
      const r = await pool.query('SELECT readings_received, readings_rejected FROM smt.ingest_meter_days');
      expect(r.rows).toEqual([{ readings_received: 192, readings_rejected: 4 }]);
      const w = await pool.query('SELECT next_offset FROM smt.ingest_watermarks');
      expect(w.rows).toEqual([{ next_offset: '10' }]);
      // a lease held elsewhere longer than the lock timeout fails the slice (a retry follows)
      const holder = await b.lease(key, 5_000);
      await expect(b.lease(key, 200)).rejects.toBeInstanceOf(ServiceUnavailableError);
      await holder.release();
      await pool.query(
        "INSERT INTO smt.billing_periods (account_id, meter_id, period_start, period_end, status) VALUES ('AC', 'A1', '2026-03-01', '2026-04-01', 'billed')",
      );
      const closed = await b.closedDays([
        { meterId: 'A1', channel: 'active_import_kwh', day: '2026-03-20' },
        { meterId: 'A1', channel: 'active_import_kwh', day: '2026-04-01' },
      ]);
      expect([...closed.entries()].map(([k, v]) => [k, v.map((x) => x.kind)])).toEqual([
        ['A1|active_import_kwh|2026-03-20', ['billed_period']],
      ]);
    } finally {
      await pool.end();
    }
  });
});

describe('Cassandra raw archive adapter', () => {
  it('a retry of the same source rewrites one row; another source adds one', async () => {
    const c = createCassandraClient(stores.config, { useKeyspace: true });
    try {
      const archive = new CassandraRawArchive(c, stores.config.string('cassandra.keyspace'));
      const row = {
        meterId: 'A1',
        day: '2026-03-20',
        source: 't/0/1',
        format: 'json',
        channel: 'active_import_kwh',
        readings: 96,
        firstInterval: 0,
        payload: Buffer.from('{"v":1}'),
        receivedAt: 1,
      };
      await archive.archive([row, row]);
      await archive.archive([{ ...row, source: 't/0/2' }]);
      const rs = await c.execute(
        "SELECT source, payload FROM raw_messages WHERE meter_id = 'A1' AND day = '2026-03-20'",
      );
      expect(rs.rows.map((x) => [x.source, (x.payload as Buffer).toString()])).toEqual([
        ['t/0/1', '{"v":1}'],
        ['t/0/2', '{"v":1}'],
      ]);
      await expect(archive.archive([{ ...row, meterId: 'K'.repeat(70_000) }])).rejects.toBeInstanceOf(
        StoreRejectedError,
      );
    } finally {
      await c.shutdown();
    }
  });
});
