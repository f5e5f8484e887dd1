import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../../src/core/dashboard/service.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { json, runCli } from '../helpers/cli.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

let stores: IsolatedStores;
const ZONE = 'Europe/Stockholm';

beforeAll(async () => {
  stores = await isolatedStores('dashboard');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
  await seedInspectMonth(stores.config, 'DASH-1');
  const c = new pg.Client({ connectionString: stores.env.SMT_POSTGRES_URL });
  await c.connect();
  try {
    const today = LocalCalendar.for(ZONE).localDateOf(Date.now());
    await c.query(
      `INSERT INTO smt.ingest_meter_days (meter_id, channel, local_date, readings_received, readings_rejected)
       VALUES ('DASH-1', 'active_import_kwh', $1, 40, 2)`,
      [today],
    );
    await c.query(
      `INSERT INTO smt.recalc_queue (meter_id, channel, local_date, reason) VALUES ('DASH-1', 'active_import_kwh', $1, 'correction')`,
      [today],
    );
  } finally {
    await c.end();
  }
});

afterAll(async () => {
  await stores?.drop();
});

describe('smt dashboard --once', () => {
  it('reports every section, and the ingest daemon that is not running as unavailable', () => {
    const env = { ...stores.env, SMT_TIMEZONE: ZONE, SMT_INGEST_METRICS_PORT: '1' };
    const r = runCli(['dashboard', '--json'], env);
    expect(r.status).toBe(0);
    const s = json<DashboardSnapshot>(r);
    const at = Date.parse(s.at);
    const cal = LocalCalendar.for(ZONE);
    const elapsed = Math.floor((at - cal.dayBounds(cal.localDateOf(at)).start) / 60_000);
    const expected = Math.floor(elapsed / 15);
    expect(s.completeness).toEqual({
      ok: true,
      value: [
        {
          region: 'SE3',
          meters: 1,
          expected,
          received: 38,
          pct: expected === 0 ? 0 : Math.round((Math.min(38, expected) / expected) * 1000) / 10,
        },
      ],
    });
    expect(s.ingest).toEqual({
      ok: false,
      error: expect.stringContaining('no ingest daemon at http://127.0.0.1:1/metrics'),
    });
    expect(s.recalcQueue).toEqual({ ok: true, value: { pending: 1, running: 0, failed: 0 } });
    expect(s.lateAlerts.ok && s.lateAlerts.value.open).toBe(1);
    expect(s.lateAlerts.ok && s.lateAlerts.value.latest.map((a) => [a.meterId, a.localDate, a.kind])).toEqual(
      [['DASH-1', '2026-03-20', 'aggregated_day']],
    );
    expect(s.estimatedShare).toEqual({ ok: true, value: null });
    expect(s.regionalLoad).toEqual({ ok: true, value: [] });
    expect(s.stores.ok && s.stores.value.down).toEqual([]);

    const text = runCli(['dashboard', '--once'], env);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('recalculation queue: 1 pending, 0 running, 0 failed');
    expect(text.stdout).toContain('late-data alerts open: 1');
    expect(text.stdout).toMatch(/^ {2}SE3 +[\d.]+% {2}38\/[\d,]+ {2}1 meters$/m);
  });
});
