import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { emptyDay } from '../../src/core/series/day.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { FIXTURE_ZONE, fixtureMeter } from '../helpers/series-fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ZONE = FIXTURE_ZONE;
const DAYS = 30;
let iso: IsolatedStores;

function recalcProcess(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string }>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--no-warnings', path.join(ROOT, 'bin/dev.js'), 'recalc', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...iso.env, NODE_OPTIONS: '' },
    },
  );
  let stdout = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.resume();
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout })),
  );
  return { child, done };
}

beforeAll(async () => {
  iso = await isolatedStores('recalc', { postgres: true, cassandra: true });
  await migrateStores(iso.config, ['postgres', 'cassandra']);
  const c = createCassandraClient(iso.config, { useKeyspace: true });
  try {
    const store = new CassandraSeriesStore(c, iso.config.string('cassandra.keyspace'));
    const days = [];
    for (let k = 0; k < DAYS; k++) {
      const date = formatLocalDate(parseLocalDate('2026-03-15') + k);
      const d = emptyDay({ meterId: 'R1', channel: 'active_import_kwh', day: date }, ZONE, 15);
      d.values.fill(0.25);
      d.values[0] = k; // a per-day sum the test can check: 0.25 × (n − 1) + k
      d.writes.push({ version: 1, source: 'seed' });
      d.writeIdx.fill(0);
      d.version = 1;
      d.writtenAt = Date.now();
      d.writer = 'test';
      d.reason = 'seed';
      days.push(d);
    }
    await store.write(days);
  } finally {
    await c.shutdown();
  }
  const pool = createPostgresPool(iso.config, { max: 1 });
  try {
    // the aggregation engine takes the expected intervals from the registered meter's calendar
    await new MeterRepository(pool).upsert([fixtureMeter('R1', 'SE3', 'residential', 'T1')]);
    await pool.query(
      `INSERT INTO smt.recalc_queue (meter_id, channel, local_date, reason)
       SELECT 'R1', 'active_import_kwh', DATE '2026-03-15' + k, 'late_data' FROM generate_series(0, $1 - 1) AS k`,
      [DAYS],
    );
  } finally {
    await pool.end();
  }
}, 120_000);

afterAll(async () => {
  await iso?.drop();
});

describe('smt recalc: two processes on one queue, one killed', () => {
  it('every item is recalculated once; the killed worker’s claims are taken over after their lease', async () => {
    const slow = [
      '--until-empty',
      '--batch',
      '4',
      '--lease-seconds',
      '3',
      '--item-delay-ms',
      '250',
      '--json',
    ];
    const a = recalcProcess(slow);
    const b = recalcProcess(slow);
    const pool = createPostgresPool(iso.config, { max: 1 });
    try {
      // wait until the first worker holds claims (up to 90 s: a cold tsx start on a loaded machine
      // takes 10–20 s), then kill it without warning
      let victim: string | null = null;
      for (let i = 0; i < 900 && victim === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const r = await pool.query<{ claimed_by: string }>(
          `SELECT claimed_by FROM smt.recalc_queue WHERE status = 'running' AND claimed_by LIKE $1 LIMIT 1`,
          [`%:${a.child.pid}`],
        );
        victim = r.rows[0]?.claimed_by ?? null;
      }
      expect(victim).not.toBeNull();
      a.child.kill('SIGKILL');
      expect((await a.done).code).toBe(null);
      const held = await pool.query(
        `SELECT recalc_id FROM smt.recalc_queue WHERE status = 'running' AND claimed_by = $1`,
        [victim],
      );
      expect(held.rows.length).toBeGreaterThan(0);
      const heldIds = held.rows.map((r) => Number(r.recalc_id));
      const finished = await b.done;
      expect(finished.code).toBe(0);
      const summary = JSON.parse(finished.stdout) as { done: number; queue: Record<string, number> };
      expect(summary.queue).toEqual({ pending: 0, running: 0, expired: 0, done: DAYS, failed: 0 });
      const byA = await pool.query(
        `SELECT count(*)::int AS n FROM smt.recalc_queue WHERE claimed_by = $1 AND status = 'done'`,
        [victim],
      );
      // each item completed by exactly one worker: the survivor's count + the victim's = all
      expect(summary.done + byA.rows[0].n).toBe(DAYS);
      const taken = await pool.query(
        `SELECT attempts, claimed_by FROM smt.recalc_queue WHERE recalc_id = ANY($1::bigint[])`,
        [heldIds],
      );
      for (const r of taken.rows) {
        expect(r.attempts).toBe(2);
        expect(r.claimed_by).not.toBe(victim);
      }
      const agg = await pool.query<{ d: string; s: string; n: number; e: number; peak: number; v: string }>(
        `SELECT to_char(local_date, 'YYYY-MM-DD') AS d, value_sum::text AS s, intervals_actual AS n,
                intervals_expected AS e, peak_demand_kw AS peak, series_version::text AS v
           FROM smt.daily_aggregates ORDER BY local_date`,
      );
      expect(agg.rows.length).toBe(DAYS);
      // 2026-03-29 is the 92-interval day (k = 14); the peak (kW) is the largest quarter-hour × 4:
      // rows only the aggregation engine (src/core/aggregate) fills in
      expect(agg.rows[14]).toEqual({
        d: '2026-03-29',
        s: (0.25 * 91 + 14).toFixed(6),
        n: 92,
        e: 92,
        peak: 56,
        v: '1',
      });
      expect(agg.rows[0]).toEqual({
        d: '2026-03-15',
        s: (0.25 * 95).toFixed(6),
        n: 96,
        e: 96,
        peak: 1,
        v: '1',
      });
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await pool.end();
    }
  }, 180_000);

  it('an item for a meter that is not registered fails with the reason instead of passing as done', async () => {
    const pool = createPostgresPool(iso.config, { max: 1 });
    try {
      await pool.query(
        `INSERT INTO smt.recalc_queue (meter_id, channel, local_date, reason)
         VALUES ('R-UNKNOWN', 'active_import_kwh', DATE '2026-03-20', 'late_data')`,
      );
      const r = recalcProcess(['--until-empty', '--max-attempts', '1', '--json']);
      const finished = await r.done;
      expect(finished.code).toBe(3);
      const summary = JSON.parse(finished.stdout) as { done: number; failed: number };
      expect({ done: summary.done, failed: summary.failed }).toEqual({ done: 0, failed: 1 });
      const item = await pool.query(
        `SELECT status, last_error FROM smt.recalc_queue WHERE meter_id = 'R-UNKNOWN'`,
      );
      expect(item.rows).toEqual([
        {
          status: 'failed',
          last_error:
            'meter R-UNKNOWN is not registered or is inactive: register it (smt meters import) before recalculating its days',
        },
      ]);
      const agg = await pool.query(
        `SELECT count(*)::int AS n FROM smt.daily_aggregates WHERE meter_id = 'R-UNKNOWN'`,
      );
      expect(agg.rows[0].n).toBe(0);
    } finally {
      await pool.end();
    }
  }, 60_000);
});
