/**
 * Corrections, undo, the audit chain and lineage against the real stores: readings ingested
 * through the series write model, then corrected with the real CLI (bin/dev.js), on the DST days
 * of Europe/Stockholm (92 and 100 quarter-hours).
 */
import { randomBytes } from 'node:crypto';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/core/audit/chain.js';
import type { VerifyReport } from '../../src/core/audit/service.js';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraRawArchive } from '../../src/core/cassandra/raw-archive.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { ClickHouseReadingStore } from '../../src/core/clickhouse/reading-store.js';
import { chString } from '../../src/core/clickhouse/sql.js';
import { encode } from '../../src/core/codecs/index.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import type { CorrectionReport } from '../../src/core/corrections/service.js';
import { createProducer, type MessageProducer } from '../../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import type { Explanation } from '../../src/core/lineage/explain.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { PostgresAuditLog } from '../../src/core/postgres/audit-log.js';
import { PostgresBookkeeping } from '../../src/core/postgres/bookkeeping.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { ingestWriter, type WriteUnit } from '../../src/core/series/planner.js';
import type { RegisteredMeter, SeriesPorts } from '../../src/core/series/ports.js';
import { writeSeries } from '../../src/core/series/writer.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import { VeeEngine } from '../../src/core/vee/engine.js';
import { loadDefaultRuleSet } from '../../src/core/vee/rule-set.js';
import { meterDay } from '../helpers/blocks.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { seriesDays } from '../helpers/series.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

const ZONE = 'Europe/Stockholm';
const CH = 'active_import_kwh';
const cal = LocalCalendar.for(ZONE);
const run = randomBytes(3).toString('hex');
let stores: IsolatedStores;
let config: SmtConfig;
let env: Record<string, string>;
let pool: pg.Pool;
let cass: cassandra.Client;
let producer: MessageProducer;
const TOPIC = `smt-it-corr-${run}`;

/** exactly representable values, so sums are exact: 0, 1/8, … 7/8 repeating */
const base = (i: number) => (i % 8) / 8;
const DAYS = ['2026-03-22', '2026-03-29', '2026-10-24', '2026-10-25', '2026-10-26'];

function meter(id: string): Meter {
  return {
    meterId: id,
    accountId: `A-${id}`,
    tariffId: 'T-FLAT',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: 17,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
}

function cli(args: string[]) {
  const r = runCli(args, { ...env, SMT_OPERATOR: 'it-operator' }, 180_000);
  if (r.status === 1) console.error(r.stderr, r.stdout);
  return r;
}

const local = (text: string) => {
  const [d, t] = text.split('T');
  const [h, m] = t!.split(':').map(Number);
  return cal.intervalStarts(d!, 15).find((s) => {
    const x = new Date(s + cal.offsetMsAt(s));
    return x.getUTCHours() === h && x.getUTCMinutes() === m;
  })!;
};

async function ingest(): Promise<void> {
  const engine = new VeeEngine(loadDefaultRuleSet());
  const units: WriteUnit[] = [];
  const registry = new Map<string, RegisteredMeter>();
  for (const id of ['CM-1', 'CM-2'])
    registry.set(id, {
      meterId: id,
      timezone: ZONE,
      intervalMinutes: 15,
      regionId: 'SE3',
      segment: 'residential',
      tariffId: 'T-FLAT',
    });
  let offset = 0;
  for (const id of ['CM-1', 'CM-2'])
    for (const day of DAYS) {
      const block = meterDay(id, day, ZONE, id === 'CM-1' ? base : (i) => 1 + base(i));
      const { columns, offsets } = engine.validateBatch([block], {
        now: Date.UTC(2026, 11, 1),
        timezone: ZONE,
      });
      units.push({
        source: `${TOPIC}/0/${offset++}`,
        sourceRef: { topic: TOPIC, partition: 0, offset: String(offset - 1) },
        key: id,
        format: 'json',
        payload: Buffer.from(encode('json', [block]) as string),
        receivedAt: Date.UTC(2026, 10, 30, 12, 0, offset),
        reject: null,
        blocks: [block],
        columns,
        offsets,
      });
    }
  const ks = config.string('cassandra.keyspace');
  const ch = createClickHouseClient(config);
  try {
    const ports: SeriesPorts = {
      series: new CassandraSeriesStore(cass, ks),
      raw: new CassandraRawArchive(cass, ks),
      analytics: new ClickHouseReadingStore(ch, config.string('clickhouse.database')),
      bookkeeping: new PostgresBookkeeping(pool),
      topics: { send: (t, m) => producer.sendJson(t, m) },
      topicNames: topicNames(config),
    };
    const plan = await writeSeries(ports, {
      writer: ingestWriter('it'),
      units,
      meters: registry,
      fallbackZone: ZONE,
      now: Date.UTC(2026, 11, 1),
      lastVersion: 0,
    });
    expect(plan.outcome.stored).toBe(2 * (96 + 92 + 96 + 100 + 96));
  } finally {
    await ch.close();
  }
}

async function chReading(
  meterId: string,
  start: number,
): Promise<{ value: number; version: string; missing: number; origin: number }> {
  const ch = createClickHouseClient(config);
  try {
    const rs = await ch.query({
      query: `SELECT value, toString(version) AS version, missing, origin FROM ${config.string('clickhouse.database')}.readings FINAL
              WHERE meter_id = ${chString(meterId)} AND channel = ${chString(CH)} AND ts = toDateTime(${start / 1000}, 'UTC')`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ value: number; version: string; missing: number; origin: number }>();
    return row!;
  } finally {
    await ch.close();
  }
}

/** ClickHouse's provisional daily rollup of one meter-day: its sum and reading count. */
async function chDaily(meterId: string, date: string): Promise<{ s: number; n: number }> {
  const ch = createClickHouseClient(config);
  try {
    const rs = await ch.query({
      query: `SELECT sumMerge(value_sum) AS s, sumMerge(readings) AS n FROM ${config.string('clickhouse.database')}.rollup_meter_daily
              WHERE meter_id = ${chString(meterId)} AND channel = ${chString(CH)} AND local_date = toDate(${chString(date)})`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ s: number; n: number | string }>();
    return { s: Number(row!.s), n: Number(row!.n) };
  } finally {
    await ch.close();
  }
}

beforeAll(async () => {
  stores = await isolatedStores('corrections');
  env = { ...stores.env, ...ingestTopicsEnv(TOPIC), SMT_KAFKA_PARTITIONS: '1' };
  const { loadConfig } = await import('../../src/core/config/config.js');
  config = loadConfig({ env: { ...process.env, ...env } });
  await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
  await ensureTopics(config);
  pool = createPostgresPool(config, { max: 8 });
  cass = createCassandraClient(config, { useKeyspace: true });
  producer = await createProducer(config);
  await new MeterRepository(pool).upsert([meter('CM-1'), meter('CM-2')]);
  await ingest();
}, 240_000);

afterAll(async () => {
  await producer?.close();
  await cass?.shutdown();
  await pool?.end();
  await stores?.drop();
});

describe('smt correct', () => {
  it('refuses a correction without a reason (exit 2) and writes nothing', () => {
    const r = cli([
      'correct',
      'CM-1',
      '--from',
      '2026-03-29T01:00',
      '--to',
      '2026-03-29T04:00',
      '--value',
      '0.5',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('a correction needs a reason (--reason)');
  });

  it('refuses a local time the spring-forward skips, and one the fall-back repeats', () => {
    const skipped = cli([
      'correct',
      'CM-1',
      '--from',
      '2026-03-29T02:15',
      '--to',
      '2026-03-29T04:00',
      '--value',
      '0.5',
      '--reason',
      'x',
    ]);
    expect(skipped.status).toBe(2);
    expect(skipped.stderr).toContain('2026-03-29T02:15 does not exist in Europe/Stockholm');
    const twice = cli([
      'correct',
      'CM-1',
      '--from',
      '2026-10-25T02:15',
      '--to',
      '2026-10-25T04:00',
      '--value',
      '0.5',
      '--reason',
      'x',
    ]);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('2026-10-25T02:15:00+02:00 or 2026-10-25T02:15:00+01:00');
  });

  it('dry-runs on the 92-interval day: intervals old → new in local time and UTC, day and month totals, nothing written', async () => {
    const r = cli([
      'correct',
      'CM-1',
      '--from',
      '2026-03-29T01:00',
      '--to',
      '2026-03-29T04:00',
      '--value',
      '0.5',
      '--reason',
      'agreed with the customer',
      '--dry-run',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    // 01:00–01:45 CET and 03:00–03:45 CEST: 02:xx does not exist
    // 01:00–01:45 CET and 03:00–03:45 CEST (02:xx does not exist): positions 4..11; 01:00 holds 0.5 already
    expect(rep.intervals).toEqual({ inRange: 8, changed: 7, unchanged: 1, skipped: 0 });
    expect(rep.changes.map((c) => c.startLocal)).toEqual([
      '2026-03-29T01:15:00+01:00',
      '2026-03-29T01:30:00+01:00',
      '2026-03-29T01:45:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T03:15:00+02:00',
      '2026-03-29T03:30:00+02:00',
      '2026-03-29T03:45:00+02:00',
    ]);
    expect(rep.changes[3]).toEqual({
      start: '2026-03-29T01:00:00.000Z',
      startLocal: '2026-03-29T03:00:00+02:00',
      old: 0,
      new: 0.5,
      oldQuality: 'actual, passed',
      newQuality: 'substituted (operator edit; data correction), passed',
    });
    // 92 positions of 0..7/8: 11 cycles of 3.5 + (0+1+2+3)/8; positions 4..11 held 3.5, now 8 × 0.5
    expect(rep.days).toEqual([{ key: '2026-03-29', before: 39.25, after: 39.75, delta: 0.5, stored: null }]);
    // March holds 2026-03-22 (96 positions: 42) and 2026-03-29
    expect(rep.months).toEqual([{ key: '2026-03', before: 81.25, after: 81.75, delta: 0.5, stored: null }]);
    expect(rep.validation?.ruleSet).toMatch(/^corrections v1 /);
    expect(rep.correctionId).toBeNull();
    const [stored] = await seriesDays(config, 'CM-1', '2026-03-29', '2026-03-29');
    expect(stored!.writer).toBe('ingest:it');
  });

  it('applies it: a new series version (substituted, data correction), the ledger rows, ClickHouse, the recalculation queue', async () => {
    const r = cli([
      'correct',
      'CM-1',
      '--from',
      '2026-03-29T01:00',
      '--to',
      '2026-03-29T04:00',
      '--value',
      '0.5',
      '--reason',
      'agreed with the customer',
      '--as',
      'alice',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    expect(rep.correctionId).toBe(1);
    expect(rep.operator).toBe('alice');
    expect(rep.recalcQueued).toBe(1);
    expect(rep.audit?.auditId).toBe(1);
    const [day] = await seriesDays(config, 'CM-1', '2026-03-29', '2026-03-29');
    expect(day!.values.length).toBe(92);
    expect([...day!.values.slice(3, 13)]).toEqual([3 / 8, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 4 / 8]);
    const corrected = packFields(
      Origin.Substituted,
      ValidationState.Passed,
      Method.OperatorEdit,
      Reason.DataCorrection,
    );
    expect(day!.quality[8]).toBe(corrected);
    expect(day!.quality[4]).toBe(packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None));
    expect(day!.writes[day!.writeIdx[8]!]!.source).toBe('correction:1');
    expect(day!.writer).toBe('correction:alice');
    expect(day!.reason).toBe('agreed with the customer');
    expect(rep.seriesVersions).toEqual([
      { day: '2026-03-29', version: day!.version, supersedes: day!.supersedes },
    ]);
    const ch = await chReading('CM-1', local('2026-03-29T03:00'));
    expect(ch).toEqual({ value: 0.5, version: String(day!.version), missing: 0, origin: Origin.Substituted });
    // the provisional rollup follows: the superseded values are taken back (readings_cancels)
    expect(await chDaily('CM-1', '2026-03-29')).toEqual({ s: 39.75, n: 92 });
    const rows = await pool.query(
      `SELECT old_value, new_value, new_quality, operator, reason_text, new_version::text AS v FROM smt.corrections WHERE correction_set = 1 ORDER BY interval_start`,
    );
    expect(rows.rows.map((x) => [x.old_value, x.new_value])).toEqual([
      [0.625, 0.5],
      [0.75, 0.5],
      [0.875, 0.5],
      [0, 0.5],
      [0.125, 0.5],
      [0.25, 0.5],
      [0.375, 0.5],
    ]);
    expect(rows.rows[0]).toMatchObject({
      new_quality: corrected,
      operator: 'alice',
      reason_text: 'agreed with the customer',
      v: String(day!.version),
    });
    const q = await pool.query(
      `SELECT to_char(local_date, 'YYYY-MM-DD') AS d, reason, status FROM smt.recalc_queue WHERE meter_id = 'CM-1'`,
    );
    expect(q.rows).toEqual([{ d: '2026-03-29', reason: 'correction', status: 'pending' }]);
  });

  it('dry-runs a copy of a 96-interval day onto the 92-interval day by wall-clock time', () => {
    const r = cli([
      'correct',
      'CM-2',
      '--from',
      '2026-03-29',
      '--to',
      '2026-03-29',
      '--copy-from',
      '2026-03-22',
      '--reason',
      'like day',
      '--dry-run',
      '--json',
      '--limit',
      '0',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    // 00:00–01:45 match (positions 0..7), from 03:00 the 92-day's position p takes the 96-day's p + 4
    expect(rep.intervals).toEqual({ inRange: 92, changed: 84, unchanged: 8, skipped: 0 });
    expect(rep.changes[0]).toMatchObject({ startLocal: '2026-03-29T03:00:00+02:00', old: 1, new: 1.5 });
    expect(rep.method).toBe('LikeDay');
  });

  it('a billed period needs --allow-closed; with it, linear estimation over the repeated hour of the 100-interval day raises an alert', async () => {
    await pool.query(
      `INSERT INTO smt.billing_periods (account_id, meter_id, period_start, period_end, status, billed_at) VALUES ('A-CM-1', 'CM-1', '2026-10-01', '2026-11-01', 'billed', now())`,
    );
    // the first 02:00–03:00 (CEST) of 2026-10-25: positions 8..11 of 100
    const args = [
      'correct',
      'CM-1',
      '--from',
      '2026-10-25T02:00+02:00',
      '--to',
      '2026-10-25T02:00+01:00',
      '--estimate',
      'linear',
      '--reason',
      'spike removed',
      '--json',
    ];
    const refused = cli(args);
    expect(refused.status).toBe(2);
    expect(json<{ error: { message: string } }>(refused).error.message).toContain('billed billing period');
    const [untouched] = await seriesDays(config, 'CM-1', '2026-10-25', '2026-10-25');
    expect(untouched!.writer).toBe('ingest:it');

    const r = cli([...args, '--allow-closed']);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    expect(rep.correctionId).toBe(2);
    const ta = local('2026-10-25T01:45');
    const tb = ta + 5 * 900_000; // the second 02:00 (CET), position 12
    const [va, vb] = [7 / 8, 4 / 8];
    const expected = [1, 2, 3, 4].map((k) => va + ((vb - va) * (ta + k * 900_000 - ta)) / (tb - ta));
    expect(rep.changes.map((c) => c.new)).toEqual(expected);
    expect(rep.changes.map((c) => c.startLocal)).toEqual([
      '2026-10-25T02:00:00+02:00',
      '2026-10-25T02:15:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:45:00+02:00',
    ]);
    const [day] = await seriesDays(config, 'CM-1', '2026-10-25', '2026-10-25');
    expect(day!.values.length).toBe(100);
    expect([...day!.values.slice(8, 13)]).toEqual([...expected, 4 / 8]);
    const before = (0 + 1 + 2 + 3) / 8;
    const after = expected.reduce((s2, x) => s2 + x, 0);
    expect(rep.closedPeriods).toEqual([
      {
        periodId: 1,
        periodStart: '2026-10-01',
        periodEnd: '2026-11-01',
        status: 'billed',
        before: rep.days[0]!.before,
        after: rep.days[0]!.after,
      },
    ]);
    expect(rep.days[0]!.delta).toBe(rep.days[0]!.after - rep.days[0]!.before);
    expect(rep.days[0]!.after - rep.days[0]!.before).toBeCloseTo(after - before, 12);
    const alerts = await pool.query(
      `SELECT correction_id::int AS c, period_id::int AS p, period_status, kwh_before, kwh_after FROM smt.correction_alerts`,
    );
    expect(alerts.rows).toEqual([
      { c: 2, p: 1, period_status: 'billed', kwh_before: rep.days[0]!.before, kwh_after: rep.days[0]!.after },
    ]);
  });
});

describe('smt correct undo', () => {
  it('restores the superseded values and quality as a new correction; a second undo is refused', async () => {
    const r = cli(['correct', 'undo', '1', '--reason', 'wrong meter', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    expect(rep).toMatchObject({
      correctionId: 3,
      operation: 'undo',
      undoes: 1,
      intervals: { changed: 7, skipped: 0 },
    });
    const [day] = await seriesDays(config, 'CM-1', '2026-03-29', '2026-03-29');
    expect([...day!.values]).toEqual(Array.from({ length: 92 }, (_, i) => base(i)));
    const actual = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
    expect([...day!.quality].every((q) => q === actual)).toBe(true);
    expect(day!.writes[day!.writeIdx[8]!]!.source).toBe('correction:3');
    const ch = await chReading('CM-1', local('2026-03-29T03:00'));
    expect(ch).toEqual({ value: 0, version: String(day!.version), missing: 0, origin: Origin.Actual });
    expect(await chDaily('CM-1', '2026-03-29')).toEqual({ s: 39.25, n: 92 });
    const again = cli(['correct', 'undo', '1', '--reason', 'again']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('correction 1 was already undone by correction 3');
    const sup = await pool.query(
      `SELECT count(*)::int AS n FROM smt.corrections c JOIN smt.corrections p ON p.correction_id = c.supersedes WHERE c.correction_set = 3 AND p.correction_set = 1`,
    );
    expect(sup.rows[0].n).toBe(7);
  });
});

describe('smt audit', () => {
  it("lists a meter's corrections with who, why and the audit entry", () => {
    const r = cli(['audit', 'CM-1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const items =
      json<
        {
          correctionId: number;
          operator: string;
          reason: string;
          undoes: number | null;
          undoneBy: number | null;
          intervals: number;
          auditId: number;
        }[]
      >(r);
    expect(
      items.map((x) => [x.correctionId, x.operator, x.reason, x.intervals, x.undoes, x.undoneBy, x.auditId]),
    ).toEqual([
      [1, 'alice', 'agreed with the customer', 7, null, 3, 1],
      [2, 'it-operator', 'spike removed', 4, null, null, 2],
      [3, 'it-operator', 'wrong meter', 7, 1, null, 3],
    ]);
    const march = json<unknown[]>(
      cli(['audit', 'CM-1', '--from', '2026-10-01', '--to', '2026-10-31', '--json']),
    );
    expect(march.length).toBe(1);
  });

  it('verifies the chain with concurrent appenders, then names the entry altered behind the trigger (exit 3)', async () => {
    const log = pool;
    await Promise.all(
      Array.from({ length: 12 }, async (_, k) => {
        const c = await log.connect();
        try {
          await c.query('BEGIN');
          await PostgresAuditLog.append(c, {
            actor: `t${k}`,
            action: 'test',
            entity: 'test',
            entityId: String(k),
            before: null,
            after: { k, x: 0.1 + k },
            reason: null,
          });
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      }),
    );
    const ok = cli(['audit', 'verify', '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    const report = json<VerifyReport>(ok);
    expect(report).toMatchObject({
      ok: true,
      verified: 15,
      unchained: 0,
      headAuditId: 15,
      firstBroken: null,
    });
    expect(report.head).not.toBe(GENESIS_HASH);

    await pool.query('ALTER TABLE smt.audit_log DISABLE TRIGGER audit_log_append_only');
    await pool.query(`UPDATE smt.audit_log SET reason = 'nothing to see' WHERE audit_id = 2`);
    await pool.query('ALTER TABLE smt.audit_log ENABLE TRIGGER audit_log_append_only');
    const broken = cli(['audit', 'verify']);
    expect(broken.status).toBe(3);
    expect(broken.stderr).toContain('the audit chain is broken at entry 2 (altered)');
    const j = json<{ error: { code: string; details: VerifyReport } }>(cli(['audit', 'verify', '--json']));
    expect(j.error.code).toBe('AUDIT_CHAIN_BROKEN');
    expect(j.error.details).toMatchObject({
      ok: false,
      verified: 1,
      firstBroken: { auditId: 2, problem: 'altered' },
    });
  });
});

describe('smt explain', () => {
  it('shows the raw payload, every version that changed the interval, the corrections and the current value', () => {
    const r = cli(['explain', 'CM-1', '2026-03-29T03:05', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const e = json<Explanation>(r);
    expect(e.interval).toEqual({
      start: '2026-03-29T01:00:00.000Z',
      startLocal: '2026-03-29T03:00:00+02:00',
      end: '2026-03-29T01:15:00.000Z',
      endLocal: '2026-03-29T03:15:00+02:00',
      localDate: '2026-03-29',
      position: 8,
      intervalsInDay: 92,
    });
    expect(e.history.map((h) => [h.source, h.value, h.origin, h.writer])).toEqual([
      ['correction:3', 0, 'actual', 'correction:it-operator'],
      ['correction:1', 0.5, 'substituted', 'correction:alice'],
      [`${TOPIC}/0/1`, 0, 'actual', 'ingest:it'],
    ]);
    expect(e.current).toMatchObject({ value: 0, source: 'correction:3', quality: 'actual, passed' });
    expect(e.raw).toHaveLength(1);
    expect(e.raw[0]).toMatchObject({
      source: `${TOPIC}/0/1`,
      format: 'json',
      archiveDay: '2026-03-29',
      readings: 92,
      receivedAt: '2026-11-30T12:00:02.000Z',
    });
    expect(e.raw[0]!.preview.startsWith('{')).toBe(true);
    expect(e.corrections.map((c) => [c.correctionId, c.old, c.new, c.undoes, c.undoneBy])).toEqual([
      [1, 0, 0.5, null, 3],
      [3, 0.5, 0, 1, null],
    ]);
    expect(e.aggregates).toEqual({ daily: null, monthly: null });
  });
});

describe('smt correct --estimate with the estimation methods', () => {
  it('dry-runs the chain over the 100-interval Sunday: no clean Sunday within reach, so average_day of its neighbours', () => {
    const r = cli([
      'correct',
      'CM-2',
      '--from',
      '2026-10-25',
      '--to',
      '2026-10-25',
      '--estimate',
      'chain',
      '--reason',
      'meter fault',
      '--dry-run',
      '--json',
      '--limit',
      '0',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    // 2026-10-24 and 10-26 hold 1 + base(q) at wall quarter q; the day's positions 12.. are q + 4
    expect(rep.intervals).toEqual({ inRange: 100, changed: 88, unchanged: 12, skipped: 0 });
    expect(rep.changes[0]).toMatchObject({ startLocal: '2026-10-25T02:00:00+01:00', old: 1.5, new: 1 });
    expect(rep.changes.map((c) => c.new)).toEqual(Array.from({ length: 88 }, (_, i) => 1 + base(i + 8)));
    expect(rep.method).toBe('AverageDailyLoad');
    expect(rep.parameters).toEqual({ method: 'chain', filledBy: { average_day: 100 } });
  });

  it('applies like-day to the 92-interval Sunday from the Sunday before: stored with the method in each quality', async () => {
    const r = cli([
      'correct',
      'CM-2',
      '--from',
      '2026-03-29',
      '--to',
      '2026-03-29',
      '--estimate',
      'like-day',
      '--reason',
      'meter fault',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rep = json<CorrectionReport>(r);
    expect(rep.intervals).toEqual({ inRange: 92, changed: 84, unchanged: 8, skipped: 0 });
    expect(rep.method).toBe('AverageLikeDay');
    const [day] = await seriesDays(config, 'CM-2', '2026-03-29', '2026-03-29');
    expect(day!.values.length).toBe(92);
    // from 03:00 (position 8) the 96-interval 2026-03-22's position p + 4
    expect([...day!.values]).toEqual(Array.from({ length: 92 }, (_, p) => 1 + base(p < 8 ? p : p + 4)));
    const substituted = packFields(
      Origin.Substituted,
      ValidationState.Passed,
      Method.AverageLikeDay,
      Reason.DataCorrection,
    );
    expect(day!.quality[8]).toBe(substituted);
    expect(day!.quality[91]).toBe(substituted);
    expect(day!.writes[day!.writeIdx[8]!]!.source).toBe(`correction:${rep.correctionId}`);
  });
});
