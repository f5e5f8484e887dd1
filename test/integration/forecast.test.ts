import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import type { AccuracyRow, ForecastReport } from '../../src/core/forecast/service.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

const ZONE = 'Europe/Berlin';
const HEADER =
  'meter_id,account_id,tariff_id,region_id,segment,timezone,interval_minutes,status,rated_kw,installed_at,removed_at';
const FIRST = '2026-07-27';
const LAST = '2026-10-26'; // 2026-10-25 is the autumn change: 25 hours
let stores: IsolatedStores;

/** Hourly usage that depends only on the local wall-clock hour and the weekday: weekly-periodic. */
function usage(ms: number, scale: number): number {
  const cal = LocalCalendar.for(ZONE);
  const local = ms + cal.offsetMsAt(ms);
  const hour = new Date(local).getUTCHours();
  const sunday = new Date(local).getUTCDay() === 0;
  return scale * (sunday ? 0.5 : 1) * (1 + hour / 10);
}

function days(meterId: string, from: string, to: string, scale: number): SeriesDay[] {
  const out: SeriesDay[] = [];
  for (let d = parseLocalDate(from); d <= parseLocalDate(to); d++) {
    const day = emptyDay({ meterId, channel: 'active_import_kwh', day: formatLocalDate(d) }, ZONE, 60);
    for (let i = 0; i < day.values.length; i++) {
      day.values[i] = usage(day.dayStart + i * 3_600_000, scale);
      day.writeIdx[i] = 0;
    }
    out.push({
      ...day,
      writes: [{ version: 1, source: 'test' }],
      version: 1,
      writtenAt: Date.now(),
      writer: 'test',
      reason: 'forecast test',
    });
  }
  return out;
}

beforeAll(async () => {
  stores = await isolatedStores('forecast', { postgres: true, cassandra: true });
  await migrateStores(stores.config, ['postgres', 'cassandra']);
  const dir = mkdtempSync(path.join(tmpdir(), 'smt-forecast-'));
  const csv = path.join(dir, 'meters.csv');
  writeFileSync(
    csv,
    [
      HEADER,
      `F1,A1,T,north,residential,${ZONE},60,active,,2026-01-01,`,
      `F2,A2,T,north,commercial,${ZONE},60,active,,2026-01-01,`,
      `F3,A3,T,south,residential,${ZONE},60,active,,2026-01-01,`,
      `SHORT,A4,T,south,residential,${ZONE},60,active,,2026-01-01,`,
    ].join('\n'),
  );
  expect(runCli(['meters', 'import', csv, '--add-references'], stores.env).status).toBe(0);
  const client = createCassandraClient(stores.config, { useKeyspace: true });
  try {
    const store = new CassandraSeriesStore(client, stores.config.string('cassandra.keyspace'));
    await store.write([
      ...days('F1', FIRST, LAST, 1),
      ...days('F2', FIRST, LAST, 3),
      ...days('F3', FIRST, LAST, 2),
      ...days('SHORT', '2026-09-26', LAST, 1),
    ]);
  } finally {
    await client.shutdown();
  }
}, 180_000);
afterAll(async () => {
  await stores?.drop();
});

describe('smt forecast against the stores', () => {
  it('forecasts the region over the 25-hour autumn day exactly (weekly-periodic series, seasonal naive) and stores it', async () => {
    const r = runCli(
      [
        'forecast',
        '--region',
        'north',
        '--horizon',
        '1d',
        '--from',
        '2026-10-25',
        '--history-days',
        '84',
        '--model',
        'seasonal-naive',
        '--json',
      ],
      stores.env,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const f = json<ForecastReport>(r);
    expect(f.meters).toBe(2);
    expect(f.intervals).toHaveLength(25);
    expect(f.days).toHaveLength(1);
    const start = LocalCalendar.for(ZONE).dayBounds('2026-10-25').start;
    for (const [h, p] of f.intervals.entries())
      expect(p.value).toBeCloseTo(usage(start + h * 3_600_000, 4), 9);
    expect(f.days[0]?.date).toBe('2026-10-25');
    const pool = new pg.Pool({ connectionString: stores.env.SMT_POSTGRES_URL });
    try {
      const rows = await pool.query(
        'SELECT level, target, model, horizon, cardinality("values") AS n FROM smt.forecasts',
      );
      expect(rows.rows).toEqual([
        { level: 'region', target: 'north', model: 'seasonal-naive', horizon: '1d', n: 25 },
      ]);
    } finally {
      await pool.end();
    }
  });

  it('forecast accuracy compares the stored forecast with the actuals: all 25 hours, no error', () => {
    const rows = json<AccuracyRow[]>(runCli(['forecast', 'accuracy', '--json'], stores.env));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      level: 'region',
      target: 'north',
      compared: 25,
      forecast: 25,
      mape: 0,
      wape: 0,
      dailyMape: 0,
    });
  });

  it('refuses a meter with 30 days of history: exit 3 and the reason', () => {
    const r = runCli(['forecast', 'SHORT', '--from', '2026-10-26', '--json', '--no-store'], stores.env);
    expect(r.status).toBe(3);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('FORECAST_INSUFFICIENT');
    expect(err.details.refusals.map((x: { code: string }) => x.code)).toEqual(['history.short']);
  });
});
