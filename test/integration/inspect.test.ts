import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inspection } from '../../src/core/inspect/model.js';
import { InspectSession } from '../../src/core/inspect/service.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { json, runCli } from '../helpers/cli.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

const METER = 'INSPECT-1';
const RANGE = ['--from', '2026-03-01', '--to', '2026-03-31'];
let stores: IsolatedStores;
let env: Record<string, string>;

beforeAll(async () => {
  const topics = ingestTopicsEnv(randomBytes(3).toString('hex'), 'smt.t.inspect');
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

  it('shows what each version of a day changed', async () => {
    const session = await InspectSession.open(stores.config, METER);
    try {
      const history = await session.versions('2026-03-15');
      expect(history.map((v) => [v.writer, v.reason, v.changed, v.changedRanges])).toEqual([
        ['correction:alice', 'meter swap: register read', 1, ['12:30']],
        ['ingest:smt-ingest', 'received', 96, ['00:00–23:45']],
      ]);
    } finally {
      await session.close();
    }
  });
});
