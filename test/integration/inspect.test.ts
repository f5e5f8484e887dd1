import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesCorrectionBackend } from '../../src/core/inspect/corrections.js';
import type { Inspection } from '../../src/core/inspect/model.js';
import { InspectSession } from '../../src/core/inspect/service.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { json, runCli } from '../helpers/cli.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

const METER = 'INSPECT-1';
const RANGE = ['--from', '2026-03-01', '--to', '2026-03-31'];
let stores: IsolatedStores;
let env: Record<string, string>;

beforeAll(async () => {
  const t = `smt.t.inspect.${randomBytes(3).toString('hex')}`;
  const topics = {
    SMT_TOPIC_RAW: `${t}.raw`,
    SMT_TOPIC_VALIDATED: `${t}.validated`,
    SMT_TOPIC_REJECTED: `${t}.rejected`,
    SMT_TOPIC_EVENTS: `${t}.events`,
  };
  Object.assign(process.env, topics);
  stores = await isolatedStores('inspect');
  env = { ...stores.env, ...topics };
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
  await seedInspectMonth(stores.config, METER);
});

afterAll(async () => {
  await stores?.drop();
});

describe('smt inspect against the local stack', () => {
  it('prints the month as JSON: exact counts per mark, the DST day, bookkeeping facts', () => {
    const r = runCli(['inspect', METER, ...RANGE, '--json'], env);
    expect(r.status).toBe(0);
    const ins = json<Inspection>(r);
    expect(ins.completeness).toEqual({
      expected: 30 * 96 + 92,
      present: 2972 - 104 - 1,
      pct: 96.5,
      counts: { actual: 2860, missing: 104, estimated: 4, corrected: 1, rejected: 1, suspect: 0, late: 2 },
    });
    const day = (d: string) => ins.days.find((x) => x.date === d)!;
    expect(day('2026-03-29').intervals).toBe(92);
    expect(
      day('2026-03-29')
        .cells.slice(7, 9)
        .map((c) => c.start),
    ).toEqual(['2026-03-29T01:45:00+01:00', '2026-03-29T03:00:00+02:00']);
    expect(day('2026-03-25').stored).toBe(false);
    expect(day('2026-03-15').cells[50]).toMatchObject({
      local: '12:30',
      value: 0.5,
      mark: 'corrected',
      source: 'correction:alice:1',
    });
    expect(day('2026-03-18').cells[60]).toMatchObject({ mark: 'rejected', rules: ['physical.max_power'] });
    expect(day('2026-03-18').ingest).toEqual({
      received: 96,
      rejected: 1,
      late: 0,
      lastReceivedAt: '2026-03-19T01:00:00.000Z',
    });
    expect(day('2026-03-20').lateAlerts).toEqual(['aggregated_day']);
    expect(ins.validatedDays).toBe(5);
    expect(ins.lastReceivedAt).toBe('2026-03-23T17:00:00.000Z');
    expect(ins.gaps).toEqual([
      { start: '2026-03-10T09:00:00.000Z', end: '2026-03-10T11:00:00.000Z', intervals: 8, status: 'open' },
    ]);
  });

  it('prints a static rendering without a terminal and exits 0', () => {
    const r = runCli(['inspect', METER, ...RANGE], env);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(` Su 03-29 ***#  ###%%%%%@@@@@@@@@@@@@@@@@@@@@@%%%%%#####**    16.9 `);
    expect(lines).toContain(` Tu 03-10 ***####%%%%%%@@@@@@@____@@@@@@@@@@@@%%%%%#####**    15.9 `);
    expect(lines).toContain(` We 03-25 ${'_'.repeat(48)}     0.0 `);
    expect(lines).toContain(' Fr 03-20 ***####%%%%%%@@@@@@@@@@@@@@@@@@@@@@l%%%%%#####**    17.6!');
    expect(lines).toContain(
      'intervals: 2860 actual, 104 missing, 4 estimated, 1 corrected, 1 rejected, 0 suspect, 2 late',
    );
  });

  it('refuses an unknown meter (exit 3) and a bad date (exit 2) with a hint', () => {
    const unknown = runCli(['inspect', 'NO-SUCH-METER'], env);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toContain('meter NO-SUCH-METER is not registered');
    const bad = runCli(['inspect', METER, '--from', '2026-13-01'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--from 2026-13-01 is not a date');
  });

  it('shows what each version of a day changed, and applies a correction as a new version', async () => {
    const session = await InspectSession.open(stores.config, METER);
    try {
      const history = await session.versions('2026-03-15');
      expect(history.map((v) => [v.writer, v.reason, v.changed, v.changedRanges])).toEqual([
        ['correction:alice', 'meter swap: register read', 1, ['12:30']],
        ['ingest:smt-ingest', 'received', 96, ['00:00–23:45']],
      ]);
      const backend = session.corrections();
      expect(backend).toBeInstanceOf(SeriesCorrectionBackend);
      const before = await session.load('2026-03-10', '2026-03-10');
      const cells = before.days[0]!.cells.slice(40, 42);
      const req = {
        meterId: METER,
        channel: before.channel,
        intervals: cells.map((c) => ({ startMs: c.startMs, value: 0.3 })),
        operator: 'tester',
      };
      const impact = await backend.preview(req);
      expect(impact).toEqual({
        changes: cells.map((c) => ({ startMs: c.startMs, before: null, after: 0.3 })),
        unchanged: 0,
        days: ['2026-03-10'],
        energyBefore: 0,
        energyAfter: 0.6,
        followUps: [],
      });
      // the preview wrote nothing
      expect((await session.versions('2026-03-10')).length).toBe(1);
      await expect(backend.apply({ ...req, reason: '  ' })).rejects.toThrow('a correction needs a reason');
      const result = await backend.apply({ ...req, reason: 'customer read' });
      expect(result.versions.map((v) => v.day)).toEqual(['2026-03-10']);
      const after = await session.load('2026-03-10', '2026-03-10');
      expect(after.days[0]!.cells.slice(39, 43).map((c) => [c.value, c.mark])).toEqual([
        [before.days[0]!.cells[39]!.value, 'actual'],
        [0.3, 'corrected'],
        [0.3, 'corrected'],
        [null, 'missing'],
      ]);
      const v = await session.versions('2026-03-10');
      expect(v.map((x) => [x.writer, x.reason, x.changedRanges])).toEqual([
        ['correction:tester', 'customer read', ['10:00–10:15']],
        ['ingest:smt-ingest', 'received', ['00:00–09:45', '12:00–23:45']],
      ]);
    } finally {
      await session.close();
    }
  });
});
