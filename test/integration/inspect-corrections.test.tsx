/**
 * `c` in `smt inspect` against the real stores: the app (ink-testing-library) on a real
 * InspectSession corrects a range across the spring-forward night through the audited service of
 * `smt correct`; the audit trail has the entry, `smt audit verify` passes, and a billed period
 * needs --allow-closed.
 */
import { randomBytes } from 'node:crypto';
import { render } from 'ink-testing-library';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditHistoryItem, VerifyReport } from '../../src/core/audit/service.js';
import type { InspectCorrections } from '../../src/core/inspect/corrections.js';
import { InspectSession } from '../../src/core/inspect/service.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { stripAnsi } from '../../src/ui/inspect/carpet.js';
import { InspectApp } from '../../src/ui/inspect/InspectApp.js';
import { json, runCli } from '../helpers/cli.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

const METER = 'INSPECT-CORR';
const FROM = '2026-03-01';
const TO = '2026-03-31';
let stores: IsolatedStores;
let env: Record<string, string>;
let pool: pg.Pool;

beforeAll(async () => {
  const topics = ingestTopicsEnv(randomBytes(3).toString('hex'), 'smt.t.inspect-corr');
  Object.assign(process.env, topics);
  stores = await isolatedStores('inspect_corr');
  env = { ...stores.env, ...topics };
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
  await seedInspectMonth(stores.config, METER);
  // as for `smt correct`: the topics exist on a running platform (smt ingest creates them)
  await ensureTopics(stores.config, topicNames(stores.config));
  pool = createPostgresPool(stores.config, { max: 1 });
}, 300_000);

afterAll(async () => {
  await pool?.end();
  await stores?.drop();
});

const tick = () => new Promise((r) => setTimeout(r, 100));
async function press(stdin: { write: (s: string) => void }, ...keys: string[]) {
  for (const k of keys) {
    stdin.write(k);
    await tick();
  }
}
async function frameWith(a: { lastFrame: () => string | undefined }, text: string, ms = 120_000) {
  // the correction box's borders and line breaks out of the way
  const flat = () => stripAnsi(a.lastFrame() ?? '').replace(/[│\s]+/g, ' ');
  for (const end = Date.now() + ms; !flat().includes(text) && Date.now() < end; ) await tick();
  await tick();
  if (!flat().includes(text)) throw new Error(`"${text}" never shown; the screen:\n${a.lastFrame()}`);
  return flat();
}
const ENTER = '\r';

function inspectApp(session: InspectSession, corrections: InspectCorrections) {
  return session.load(FROM, TO).then((ins) =>
    render(
      <InspectApp
        initial={ins}
        mode="ascii"
        size={{ columns: 100, rows: 45 }}
        backend={{
          versions: (d) => session.versions(d),
          audit: () => session.audit(),
          corrections,
          reload: () => session.load(FROM, TO),
        }}
      />,
    ),
  );
}

describe('smt inspect corrects through the audited service', () => {
  it('corrects 28 March 23:00 – 29 March 03:15 (over the skipped hour): audit entry, chain verified, new versions', async () => {
    const session = await InspectSession.open(stores.config, METER);
    try {
      const a = await inspectApp(session, session.corrections({ operator: 'tester', allowClosed: false }));
      await tick();
      // 31st → 28th, 23:00; v; down to the 29th, Home, 13 right: 03:15
      await press(a.stdin, 'k', 'k', 'k', '$', 'h', 'h', 'h', 'v', 'j', '0', ...Array(13).fill('l'), 'c');
      await frameWith(
        a,
        'Correct INSPECT-CORR 2026-03-28 23:00+01:00 – 2026-03-29 03:15+02:00 (14 intervals on 2 days)',
      );
      await press(a.stdin, '0', '.', '2', '5', ENTER);
      await frameWith(a, 'Reason (required)');
      await press(a.stdin, ...'meter swap (ticket 12)'.split(''), ENTER);
      let frame = await frameWith(a, 'Apply as tester with reason "meter swap (ticket 12)"? yes / no');
      expect(frame).toContain('Dry run: 14 of 14 interval(s) change, 0 unchanged;');
      expect(frame).toContain('new quality: substituted (operator edit; data correction), passed');
      expect(frame).toContain('2026-03-28T23:00:00+01:00 0.1331 → 0.2500');
      expect(frame).toContain('day 2026-03-29: 16.896 → 18.044 kWh (+1.148)');
      expect(frame).toContain('… 10 more');
      // the dry run wrote nothing
      expect((await pool.query(`SELECT count(*)::int AS n FROM smt.correction_sets`)).rows[0].n).toBe(0);
      await press(a.stdin, 'y');
      frame = await frameWith(a, 'Correction 1 recorded (audit entry');
      expect(frame).toMatch(/2026-03-28 version \d+, 2026-03-29 version \d+\. Any key: back/);
      await press(a.stdin, ' ');
      await frameWith(a, 'correction applied; view reloaded');
      a.unmount();

      const after = await session.load('2026-03-28', '2026-03-29');
      const corrected = after.days.flatMap((d) => d.cells).filter((c) => c.mark === 'corrected');
      expect(corrected.map((c) => [c.start, c.value, c.source])).toEqual(
        [
          ...['23:00', '23:15', '23:30', '23:45'].map((t) => `2026-03-28T${t}:00+01:00`),
          ...['00', '01'].flatMap((h) =>
            ['00', '15', '30', '45'].map((m) => `2026-03-29T${h}:${m}:00+01:00`),
          ),
          '2026-03-29T03:00:00+02:00',
          '2026-03-29T03:15:00+02:00',
        ].map((s) => [s, 0.25, 'correction:1']),
      );
    } finally {
      await session.close();
    }

    const audit = runCli(['audit', METER, '--json'], env);
    expect(audit.status, audit.stderr).toBe(0);
    const items = json<AuditHistoryItem[]>(audit);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      correctionId: 1,
      operator: 'tester',
      operation: 'value',
      reason: 'meter swap (ticket 12)',
      intervals: 14,
      rangeStart: '2026-03-28T22:00:00.000Z',
      rangeEnd: '2026-03-29T01:30:00.000Z',
    });
    const verify = runCli(['audit', 'verify', '--json'], env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(json<VerifyReport>(verify)).toMatchObject({ ok: true, verified: 1, firstBroken: null });
  }, 300_000);

  it('refuses a billed period without --allow-closed (nothing written), corrects it with, and the chain still verifies', async () => {
    await pool.query(
      `INSERT INTO smt.billing_periods (account_id, meter_id, period_start, period_end, status, billed_at) VALUES ('ACC-${METER}', '${METER}', '2026-03-01', '2026-04-01', 'billed', now())`,
    );
    const session = await InspectSession.open(stores.config, METER);
    try {
      const a = await inspectApp(session, session.corrections({ operator: 'tester', allowClosed: false }));
      await tick();
      await press(a.stdin, 'c');
      await frameWith(a, 'New values');
      await press(a.stdin, '0', '.', '3', ENTER);
      await frameWith(a, 'Reason (required)');
      await press(a.stdin, 'r', ENTER);
      const frame = await frameWith(a, 'Nothing can be written: the range is in a closed or billed period.');
      expect(frame).toMatch(/billed billing period \d+ \(2026-03-01 – 2026-04-01\)/);
      await press(a.stdin, 'y');
      await tick();
      a.unmount();
      expect((await pool.query(`SELECT count(*)::int AS n FROM smt.correction_sets`)).rows[0].n).toBe(1);

      const allowed = session.corrections({ operator: 'tester', allowClosed: true });
      const cell = (await session.load('2026-03-31', '2026-03-31')).days[0]!.cells[0]!;
      const r = await allowed.apply({
        start: cell.startMs,
        end: cell.startMs + 900_000,
        operation: { kind: 'value', value: 0.3 },
        reason: 'register read',
      });
      expect([r.correctionId, r.alertsRaised, r.intervals.changed, r.dryRun]).toEqual([2, 1, 1, false]);
    } finally {
      await session.close();
    }
    const verify = runCli(['audit', 'verify', '--json'], env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(json<VerifyReport>(verify)).toMatchObject({ ok: true, verified: 2, firstBroken: null });
  }, 300_000);
});
