/** `smt validate` through the real CLI (bin/dev.js), on files written with smt's own encoders. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/core/codecs/index.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import type { ValidateFileReport } from '../../src/core/vee/validate-file.js';
import { json, runCli } from '../helpers/cli.js';
import { mk } from './vee-helpers.js';

const ZONE = 'Europe/Stockholm';
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'smt-validate-'));
  const cal = LocalCalendar.for(ZONE);
  // MTR-1: the spring-forward day (92 quarter-hours) with a negative value at 10:00 local and
  // a missing one; MTR-2: an ordinary day with status bit DNV on one reading.
  const dst = Array.from(cal.intervalStarts('2026-03-29', 15));
  const a = mk({
    meterId: 'MTR-1',
    starts: dst,
    values: dst.map((_, i) => (i === 36 ? -0.5 : i === 40 ? null : 0.2 + (i % 5) / 100)),
  });
  const day = Array.from(cal.intervalStarts('2026-03-30', 15));
  const status = day.map((_, i) => (i === 12 ? 0x04 : 0));
  const b = mk({ meterId: 'MTR-2', starts: day, values: day.map((_, i) => 0.3 + (i % 4) / 100), status });
  writeFileSync(file('days.ndjson'), encode('json', [a, b], { timezone: ZONE }) as string);
  const csv = (encode('csv', [b], { timezone: ZONE }) as string).split('\n');
  csv[5] = csv[5]!.replace(/,0\.3\d*,/, ',12..5,');
  writeFileSync(file('rows.csv'), csv.join('\n'));
  writeFileSync(
    file('broken.json'),
    '{"v":1,"meter":"MTR-9","channel":"active_import_kwh","interval":15,"start":"2026-03-30T00:00:00+02:00","values":[0.1,"abc"]}\n',
  );
  writeFileSync(
    file('bad-rules.yaml'),
    'version: 1\nname: broken\nrules:\n  limits.negative: { tolerance: -1 }\n',
  );
  writeFileSync(
    file('strict.yaml'),
    'version: 7\nname: strict\nrules:\n  status.data_not_valid: { action: accept }\n',
  );
  writeFileSync(
    file('meters.csv'),
    'meter_id,account_id,tariff_id,region_id,segment,timezone,interval_minutes,status,rated_kw,installed_at,removed_at\nMTR-1,A1,T1,SE3,residential,Europe/Stockholm,15,active,,2020-01-01,\n',
  );
});

const NOW = ['--now', '2026-04-01T00:00:00Z', '--timezone', ZONE];

describe('smt validate', () => {
  it('reports states, rules and the first failures; exit 0 although readings fail', () => {
    const r = runCli(['validate', file('days.ndjson'), ...NOW, '--json']);
    expect(r.status).toBe(0);
    const rep = json<ValidateFileReport>(r);
    expect(rep.format).toBe('json');
    expect(rep.ruleSet).toMatchObject({ name: 'default', version: 1 });
    expect(rep.blocks).toBe(2);
    expect(rep.readings).toEqual({ total: 92 + 96, missing: 1, late: 92 + 96 });
    expect(rep.states).toEqual({ notValidated: 1, passed: 92 + 96 - 3, failed: 2, accepted: 0 });
    const counts = Object.fromEntries(rep.rules.filter((x) => x.count > 0).map((x) => [x.rule, x.count]));
    expect(counts).toEqual({ 'limits.negative': 1, 'status.data_not_valid': 1 });
    expect(rep.rules.find((x) => x.rule === 'registry.unknown')!.evaluated).toBe(false);
    expect(rep.failures.items).toEqual([
      {
        meterId: 'MTR-1',
        channel: 'active_import_kwh',
        index: 36,
        start: '2026-03-29T08:00:00.000Z',
        startLocal: '2026-03-29T10:00:00+02:00',
        ruleId: 6,
        rule: 'limits.negative',
        action: 'fail',
        reason: 'value -0.5 kWh is negative (tolerance 0 kWh)',
      },
      expect.objectContaining({
        meterId: 'MTR-2',
        index: 12,
        rule: 'status.data_not_valid',
        startLocal: '2026-03-30T03:00:00+02:00',
      }),
    ]);
  });

  it('prints tables for people', () => {
    const r = runCli(['validate', file('days.ndjson'), ...NOW, '--rules', file('strict.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('strict v7');
    expect(r.stdout).toMatch(/status\.data_not_valid\s*│\s*accept/);
    expect(r.stdout).toContain('value -0.5 kWh is negative');
  });

  it('lists decode failures with their line and still validates what decoded', () => {
    const rep = json<ValidateFileReport>(runCli(['validate', file('rows.csv'), ...NOW, '--json']));
    expect(rep.format).toBe('csv');
    expect(rep.decodeFailures.count).toBeGreaterThan(0);
    expect(rep.decodeFailures.items[0]).toMatchObject({ line: 6, found: '"12..5"' });
    expect(rep.readings.total).toBeGreaterThan(0);
  });

  it('runs the registry rules with --meters', () => {
    const rep = json<ValidateFileReport>(
      runCli(['validate', file('days.ndjson'), ...NOW, '--meters', file('meters.csv'), '--json']),
    );
    expect(rep.rules.find((x) => x.rule === 'registry.unknown')).toMatchObject({
      evaluated: true,
      count: 96,
    });
  });

  it('exits 3 when nothing decodes, naming the place', () => {
    const r = runCli(['validate', file('broken.json'), '--json']);
    expect(r.status).toBe(3);
    expect(json<{ error: { code: string; message: string } }>(r).error).toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringContaining('values[1]'),
    });
  });

  it('exits 3 for an invalid rule set, with file, line and key', () => {
    const r = runCli(['validate', file('days.ndjson'), '--rules', file('bad-rules.yaml')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(
      `${file('bad-rules.yaml')}:4:33: rules.limits.negative.tolerance: expected a number ≥ 0 (kWh), found -1`,
    );
    expect(r.stderr).toContain('Hint:');
  });

  it('exits 2 for a bad --now or a missing file', () => {
    expect(runCli(['validate', file('days.ndjson'), '--now', 'yesterday']).status).toBe(2);
    expect(runCli(['validate', file('nope.json')]).status).toBe(2);
  });
});
