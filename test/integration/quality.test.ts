import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';
import { dayTypes } from '../../src/core/estimation/day-types.js';
import { estimateRange } from '../../src/core/estimation/methods.js';
import { estimateUnit, estimateWriter } from '../../src/core/estimation/service.js';
import { DEFAULT_CHAIN } from '../../src/core/estimation/settings.js';
import { openQualityStores, type QualityStores } from '../../src/core/gaps/stores.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { ReadingBlock } from '../../src/core/readings/block.js';
import { Method, methodOf, Origin, originOf } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { emptyDay } from '../../src/core/series/day.js';
import { ingestWriter } from '../../src/core/series/planner.js';
import type { RegisteredMeter } from '../../src/core/series/ports.js';
import { writeSeries } from '../../src/core/series/writer.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../../src/core/time/local-date.js';
import { meterDay } from '../helpers/blocks.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

const ZONE = 'Europe/Stockholm';
let iso: IsolatedStores;
let config: SmtConfig;
let env: Record<string, string>;
let stores: QualityStores;

function meter(id: string, installed: string): Meter {
  return {
    meterId: id,
    accountId: `A-${id}`,
    tariffId: 'T1',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: null,
    installedAt: new Date(installed),
    removedAt: null,
  };
}

const registered = (id: string): RegisteredMeter => ({
  meterId: id,
  timezone: ZONE,
  intervalMinutes: 15,
  regionId: 'SE3',
  segment: 'residential',
  tariffId: 'T1',
});

/** A deterministic load: a daily shape by wall-clock hour, higher at weekends. */
function load(date: string, i: number, n: number): number {
  const hour = ((i * 24) / n) | 0;
  const weekday = (((parseLocalDate(date) + 3) % 7) + 7) % 7;
  return Math.round((0.1 + 0.05 * Math.sin(hour / 3) + 0.02 * hour + (weekday >= 5 ? 0.1 : 0)) * 1000) / 1000;
}

function dates(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = parseLocalDate(from); d <= parseLocalDate(to); d++) out.push(formatLocalDate(d));
  return out;
}

async function writeActual(blocks: ReadingBlock[], source: string): Promise<void> {
  const lookup = new Map(['Q1', 'Q2', 'Q3'].map((id) => [id, registered(id)]));
  await writeSeries(await stores.ports(), {
    writer: ingestWriter('test'),
    units: [estimateUnit(source, blocks, Date.now())],
    meters: lookup,
    fallbackZone: ZONE,
    now: Date.now(),
    lastVersion: 0,
  });
}

beforeAll(async () => {
  iso = await isolatedStores('quality');
  env = {
    ...iso.env,
    ...ingestTopicsEnv(randomBytes(3).toString('hex'), 't.quality'),
    SMT_KAFKA_PARTITIONS: '1',
  };
  config = loadConfig({ env: { ...process.env, ...env } });
  await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
  stores = openQualityStores(config);
  await new MeterRepository(stores.pool).upsert([
    meter('Q1', '2026-01-01T00:00:00Z'),
    // installed at 12:00 local on the spring DST day: 48 of its 92 intervals are expected
    meter('Q2', '2026-03-29T10:00:00Z'),
    meter('Q3', '2026-01-01T00:00:00Z'),
  ]);
  // Q1: March with a 15-minute and a 2-hour gap on the 92-interval day and no 30 March at all
  const blocks: ReadingBlock[] = [];
  for (const d of dates('2026-02-01', '2026-04-05')) {
    if (d === '2026-03-30') continue;
    const b = meterDay('Q1', d, ZONE, (i) => load(d, i, LocalCalendar.for(ZONE).intervalsInDay(d, 15)));
    if (d === '2026-03-29') for (const p of [10, 40, 41, 42, 43, 44, 45, 46, 47]) b.values[p] = Number.NaN;
    blocks.push(b);
  }
  // Q3: October with the repeated hour of the 100-interval day missing (positions 8..15)
  for (const d of dates('2026-09-20', '2026-11-01')) {
    const b = meterDay('Q3', d, ZONE, (i) => load(d, i, LocalCalendar.for(ZONE).intervalsInDay(d, 15)));
    if (d === '2026-10-25') for (let p = 8; p < 16; p++) b.values[p] = Number.NaN;
    blocks.push(b);
  }
  await writeActual(blocks, 'seed');
}, 180_000);

afterAll(async () => {
  await stores?.close();
  await iso?.drop();
});

interface GapRow {
  meter_id: string;
  d: string;
  s: string;
  intervals: number;
  status: string;
  cause: string;
}
async function gapRows(): Promise<GapRow[]> {
  const r = await stores.pool.query<GapRow>(
    `SELECT meter_id, to_char(local_date, 'YYYY-MM-DD') AS d, to_char(gap_start AT TIME ZONE 'UTC', 'HH24:MI') AS s, intervals, status, cause
       FROM smt.gaps ORDER BY meter_id, gap_start`,
  );
  return r.rows;
}

describe('smt gaps detect / list / summary', () => {
  it('records the expected intervals of DST days and installation, idempotently', async () => {
    const args = [
      'gaps',
      'detect',
      '--from',
      '2026-03-29',
      '--to',
      '2026-03-30',
      '--meters',
      'Q1,Q2',
      '--json',
    ];
    const r = runCli(args, env);
    expect(r.status, r.stderr).toBe(0);
    const s = json<{ meterDays: number; expected: number; actual: number; missing: number; gaps: number }>(r);
    expect(s).toMatchObject({
      meterDays: 4,
      expected: 92 + 96 + 48 + 96,
      actual: 83,
      missing: 9 + 96 + 48 + 96,
      gaps: 5,
    });
    const expected: GapRow[] = [
      // 92-interval day starts 23:00 UTC the day before; position 10 = 01:30 UTC, 40..47 = 09:00–11:00 UTC
      {
        meter_id: 'Q1',
        d: '2026-03-29',
        s: '01:30',
        intervals: 1,
        status: 'open',
        cause: 'intervals_missing',
      },
      {
        meter_id: 'Q1',
        d: '2026-03-29',
        s: '09:00',
        intervals: 8,
        status: 'open',
        cause: 'intervals_missing',
      },
      {
        meter_id: 'Q1',
        d: '2026-03-30',
        s: '22:00',
        intervals: 96,
        status: 'open',
        cause: 'no_data_for_day',
      },
      {
        meter_id: 'Q2',
        d: '2026-03-29',
        s: '10:00',
        intervals: 48,
        status: 'open',
        cause: 'no_data_for_day',
      },
      {
        meter_id: 'Q2',
        d: '2026-03-30',
        s: '22:00',
        intervals: 96,
        status: 'open',
        cause: 'no_data_for_day',
      },
    ];
    // the 30th starts at 22:00 UTC on the 29th
    expect(await gapRows()).toEqual(expected);
    expect(runCli(args, env).status).toBe(0);
    expect(await gapRows()).toEqual(expected);
    const sum = runCli(
      [
        'gaps',
        'summary',
        '--from',
        '2026-03-29',
        '--to',
        '2026-03-30',
        '--by',
        'meter',
        '--stopped-days',
        '2',
        '--meters',
        'Q1,Q2',
        '--json',
      ],
      env,
    );
    expect(sum.status, sum.stderr).toBe(0);
    const body = json<{
      rows: { key: string; expected: number; actual: number; completePct: number }[];
      stopped: { meterId: string }[];
    }>(sum);
    expect(body.rows.map((x) => [x.key, x.expected, x.actual, x.completePct])).toEqual([
      ['Q1', 188, 83, 44.149],
      ['Q2', 144, 0, 0],
    ]);
    expect(body.stopped).toEqual([]); // Q2 was installed within the window; Q1 reported on the 29th
  }, 120_000);

  it('a bad date is a usage error', () => {
    const r = runCli(['gaps', 'detect', '--from', '2026-02-30', '--to', '2026-03-01'], env);
    expect(r.status).toBe(2);
  });
});

describe('smt estimate', () => {
  it('fills gaps with the chain through writeSeries, closes the gap records, never overwrites an actual', async () => {
    const before = await stores.reader.days({
      meterId: 'Q1',
      channel: 'active_import_kwh',
      from: '2026-02-01',
      to: '2026-04-05',
    });
    const days = new Map(before.map((d) => [d.day, d]));
    const r = runCli(
      ['estimate', '--from', '2026-03-29', '--to', '2026-03-30', '--meters', 'Q1', '--json'],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    const s = json<{ filled: number; unfilled: number; byMethod: Record<string, number> }>(r);
    expect(s).toMatchObject({
      filled: 105,
      unfilled: 0,
      // the whole missing day has no level of its own to shape to: the day blend
      byMethod: {
        linear: 1,
        interp_blend: 8,
        profile: 0,
        day_blend: 96,
        like_day: 0,
        average_day: 0,
        zero: 0,
      },
    });
    const [d29, d30] = await stores.reader.days({
      meterId: 'Q1',
      channel: 'active_import_kwh',
      from: '2026-03-29',
      to: '2026-03-30',
    });
    // linear: halfway between positions 9 and 11
    const v29 = days.get('2026-03-29')!.values;
    expect(d29!.values[10]).toBe(v29[9]! + (v29[11]! - v29[9]!) / 2);
    expect(originOf(d29!.quality[10]!)).toBe(Origin.Estimated);
    expect(methodOf(d29!.quality[10]!)).toBe(Method.LinearInterpolation);
    expect(methodOf(d29!.quality[40]!)).toBe(Method.LinearInterpolation);
    // the 2-hour gap is exactly interp_blend on the stored days
    const ctx = {
      meter: {
        meterId: 'Q1',
        timezone: ZONE,
        intervalMinutes: 15,
        regionId: 'SE3',
        segment: 'residential' as const,
        status: 'active' as const,
        installedAt: 0,
        removedAt: null,
        deenergised: [],
      },
      channel: 'active_import_kwh',
      days,
      localDate: '2026-03-29',
      from: 40,
      to: 48,
      settings: DEFAULT_CHAIN,
      dayType: dayTypes({ country: 'SE' }),
    };
    expect([...d29!.values.slice(40, 48)]).toEqual([...estimateRange('interp_blend', ctx)!.values]);
    expect(d30!.values.length).toBe(96);
    const withEmpty = new Map(days).set(
      '2026-03-30',
      emptyDay({ meterId: 'Q1', channel: 'active_import_kwh', day: '2026-03-30' }, ZONE, 15),
    );
    const blend30 = estimateRange('day_blend', {
      ...ctx,
      days: withEmpty,
      localDate: '2026-03-30',
      from: 0,
      to: 96,
    })!;
    expect([...d30!.values]).toEqual([...blend30.values]);
    expect(methodOf(d30!.quality[0]!)).toBe(Method.AverageLikeDay);
    // the estimate writes closed the gap records through the bookkeeping of the write path
    expect((await gapRows()).filter((g) => g.meter_id === 'Q1').map((g) => g.status)).toEqual([
      'estimated',
      'estimated',
      'estimated',
    ]);
    const c = await stores.pool.query(
      `SELECT actual, estimated, missing FROM smt.meter_day_completeness WHERE meter_id = 'Q1' ORDER BY local_date`,
    );
    expect(c.rows).toEqual([
      { actual: 83, estimated: 9, missing: 0 },
      { actual: 0, estimated: 96, missing: 0 },
    ]);
    // an estimate over an actual is not written
    const over = meterDay('Q1', '2026-03-28', ZONE, () => 9.99);
    const plan = await writeSeries(await stores.ports(), {
      writer: estimateWriter('like_day', 'test'),
      units: [estimateUnit('estimate:test', [over], Date.now())],
      meters: new Map([['Q1', registered('Q1')]]),
      fallbackZone: ZONE,
      now: Date.now(),
      lastVersion: 0,
    });
    expect(plan.outcome.keptActuals).toBe(96);
    expect(plan.days).toEqual([]);
    // nothing left to estimate
    const again = json<{ filled: number; missing: number }>(
      runCli(['estimate', '--from', '2026-03-29', '--to', '2026-03-30', '--meters', 'Q1', '--json'], env),
    );
    expect(again).toMatchObject({ filled: 0, missing: 0 });
  }, 120_000);

  it('a late actual replaces the estimate (even with the same value) and the estimate stays in the history', async () => {
    const [d29] = await stores.reader.days({
      meterId: 'Q1',
      channel: 'active_import_kwh',
      from: '2026-03-29',
      to: '2026-03-29',
    });
    const estimated = d29!.values[10]!;
    const late = meterDay('Q1', '2026-03-29', ZONE, () => Number.NaN);
    late.values[10] = estimated; // same value, another origin
    late.values[41] = 0.777;
    await writeActual([late], 'late/0/1');
    const [now] = await stores.reader.days({
      meterId: 'Q1',
      channel: 'active_import_kwh',
      from: '2026-03-29',
      to: '2026-03-29',
    });
    expect(originOf(now!.quality[10]!)).toBe(Origin.Actual);
    expect(now!.values[10]).toBe(estimated);
    expect(originOf(now!.quality[41]!)).toBe(Origin.Actual);
    expect(now!.values[41]).toBe(0.777);
    expect(originOf(now!.quality[40]!)).toBe(Origin.Estimated);
    const history = await stores.reader.versions({
      meterId: 'Q1',
      channel: 'active_import_kwh',
      day: '2026-03-29',
    });
    // newest first: the late actual, the two estimate versions (one per method: interp_blend, then linear), the seed
    const run = history[1]!.writer;
    expect(run).toMatch(/^estimate:\d{14}-[0-9a-f]{6}$/);
    expect(history.map((h) => [h.writer, h.reason])).toEqual([
      ['ingest:test', 'readings received'],
      [run, 'estimated (interp_blend) by smt estimate'],
      [run, 'estimated (linear) by smt estimate'],
      ['ingest:test', 'readings received'],
    ]);
    expect(originOf(history[1]!.quality[10]!)).toBe(Origin.Estimated);
    expect(history[1]!.values[10]).toBe(estimated);
  }, 60_000);

  it('estimates the repeated hour of the 100-interval day from like days by wall-clock time', async () => {
    const r = runCli(
      ['estimate', '--from', '2026-10-25', '--to', '2026-10-25', '--meters', 'Q3', '--json'],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(json<{ filled: number; byMethod: Record<string, number> }>(r)).toMatchObject({
      filled: 8,
      byMethod: { interp_blend: 8 },
    });
    const [d] = await stores.reader.days({
      meterId: 'Q3',
      channel: 'active_import_kwh',
      from: '2026-10-25',
      to: '2026-10-25',
    });
    expect(d!.values.length).toBe(100);
    const versions = await stores.reader.versions({
      meterId: 'Q3',
      channel: 'active_import_kwh',
      day: '2026-10-25',
    });
    const history = await stores.reader.days({
      meterId: 'Q3',
      channel: 'active_import_kwh',
      from: '2026-09-20',
      to: '2026-11-01',
    });
    const days = new Map(
      history.map((x) => [x.day, x.day === '2026-10-25' ? versions[versions.length - 1]! : x]),
    );
    const ctx = {
      meter: {
        meterId: 'Q3',
        timezone: ZONE,
        intervalMinutes: 15,
        regionId: 'SE3',
        segment: 'residential' as const,
        status: 'active' as const,
        installedAt: 0,
        removedAt: null,
        deenergised: [],
      },
      channel: 'active_import_kwh',
      days,
      localDate: '2026-10-25',
      from: 8,
      to: 16,
      settings: DEFAULT_CHAIN,
      dayType: dayTypes({ country: 'SE' }),
    };
    expect([...d!.values.slice(8, 16)]).toEqual([...estimateRange('interp_blend', ctx)!.values]);
    // both 02:00–03:00 hours take the like Sundays' 02:00–03:00 (positions 8..11 of 96-interval days)
    const like = estimateRange('like_day', ctx)!.values;
    expect([...like.slice(0, 4)]).toEqual([...like.slice(4, 8)]);
    expect(like[0]).toBeCloseTo(load('2026-10-18', 8, 96), 10);
  }, 60_000);
});

describe('late data on an aggregated and billed day', () => {
  it('queues the day for recalculation and raises an alert with the before/after delta of the billed energy', async () => {
    const p = await stores.pool.query<{ period_id: string }>(
      `INSERT INTO smt.billing_periods (account_id, meter_id, period_start, period_end, status)
       VALUES ('A-Q1', 'Q1', '2026-02-01', '2026-03-01', 'billed') RETURNING period_id`,
    );
    const period = p.rows[0]!.period_id;
    await stores.pool.query(
      `INSERT INTO smt.billing_determinants (period_id, meter_id, tariff_id, determinant, value, unit) VALUES ($1, 'Q1', 'T1', 'energy_kwh', 100, 'kWh')`,
      [period],
    );
    await stores.pool.query(
      `INSERT INTO smt.daily_aggregates (meter_id, channel, local_date, intervals_expected, intervals_actual, intervals_missing)
       VALUES ('Q1', 'active_import_kwh', '2026-02-10', 96, 96, 0)`,
    );
    const [before] = await stores.reader.days({
      meterId: 'Q1',
      channel: 'active_import_kwh',
      from: '2026-02-10',
      to: '2026-02-10',
    });
    const late = meterDay('Q1', '2026-02-10', ZONE, () => Number.NaN);
    late.values[5] = before!.values[5]! + 0.5;
    await writeActual([late], 'late/0/2');
    const q = await stores.pool.query(
      `SELECT reason, status FROM smt.recalc_queue WHERE meter_id = 'Q1' AND local_date = '2026-02-10'`,
    );
    expect(q.rows).toEqual([{ reason: 'late_data', status: 'pending' }]);
    const a = await stores.pool.query<{
      kind: string;
      readings: number;
      delta: number;
      billed_before: string;
      billed_after: string;
    }>(
      `SELECT kind, readings, day_after - day_before AS delta, billed_before::text, billed_after::text
         FROM smt.late_data_alerts WHERE meter_id = 'Q1' AND local_date = '2026-02-10' ORDER BY kind`,
    );
    expect(a.rows.map((r) => r.kind)).toEqual(['aggregated_day', 'billed_period']);
    const billed = a.rows[1]!;
    expect(billed.readings).toBe(1);
    expect(billed.delta).toBeCloseTo(0.5, 9);
    expect(billed.billed_before).toBe('100.000000');
    expect(billed.billed_after).toBe('100.500000');
  }, 60_000);
});
