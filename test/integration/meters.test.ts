import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStores } from '../../src/core/migrations/service.js';
import type { MeterPage } from '../../src/core/postgres/meter-repository.js';
import type { MeterImportResult } from '../../src/core/registry/service.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

const HEADER =
  'meter_id,account_id,tariff_id,region_id,segment,timezone,interval_minutes,status,rated_kw,installed_at,removed_at';
let stores: IsolatedStores;
let dir: string;

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

beforeAll(async () => {
  stores = await isolatedStores('meters', { postgres: true });
  await migrateStores(stores.config, ['postgres']);
  dir = mkdtempSync(path.join(tmpdir(), 'smt-meters-'));
});
afterAll(async () => {
  await stores?.drop();
});

describe('smt meters (CLI against PostgreSQL)', () => {
  const rows = Array.from({ length: 120 }, (_, i) => {
    const id = `M${String(i).padStart(4, '0')}`;
    const segment = i % 3 === 0 ? 'commercial' : 'residential';
    return `${id},ACC${i},T-FLAT,${i % 2 === 0 ? 'SE3' : 'SE4'},${segment},Europe/Stockholm,15,active,${(i % 7) + 3},2024-01-0${(i % 9) + 1},`;
  });

  it('imports nothing when one row is bad, and names the line', () => {
    const bad = file(
      'bad.csv',
      [
        HEADER,
        ...rows.slice(0, 5),
        'M9999,ACC,T,SE3,residential,Europe/Stockholm,20,active,,2024-01-01,',
      ].join('\n'),
    );
    const r = runCli(['meters', 'import', bad, '--add-references'], stores.env);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/line 7/);
    expect(r.stderr).toMatch(/interval_minutes/);
    const list = json<MeterPage>(runCli(['meters', 'list', '--json'], stores.env));
    expect(list.total).toBe(0);
  });

  it('--skip-invalid imports the valid rows only', () => {
    const bad = file(
      'bad2.csv',
      [
        HEADER,
        ...rows.slice(0, 5),
        'M9999,ACC,T,SE3,residential,Europe/Stockholm,20,active,,2024-01-01,',
      ].join('\n'),
    );
    const r = json<MeterImportResult>(
      runCli(['meters', 'import', bad, '--skip-invalid', '--add-references', '--json'], stores.env),
    );
    expect(r.inserted).toBe(5);
    expect(r.skipped).toBe(1);
    expect(r.problems[0]?.line).toBe(7);
  });

  it('imports a file, and re-importing it changes nothing', () => {
    const good = file('good.csv', [HEADER, ...rows].join('\n'));
    const first = json<MeterImportResult>(
      runCli(['meters', 'import', good, '--add-references', '--json'], stores.env),
    );
    expect(first.inserted + first.unchanged).toBe(120);
    expect(first.inserted).toBe(115);
    const again = json<MeterImportResult>(runCli(['meters', 'import', good, '--json'], stores.env));
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 120 });
    const changed = file(
      'changed.csv',
      [HEADER, ...rows.slice(0, 119), rows[119]!.replace('T-FLAT', 'T-TOU')].join('\n'),
    );
    // T-TOU is a tariff the registry does not know yet: refused with the line, until added.
    const refused = runCli(['meters', 'import', changed, '--json'], stores.env);
    expect(refused.status).toBe(3);
    expect(JSON.parse(refused.stdout).error.details.problems).toEqual([
      {
        line: 121,
        field: 'tariff_id',
        message: 'unknown tariff "T-TOU" (not in smt.tariffs); pass --add-references to create it',
      },
    ]);
    expect(
      json<MeterImportResult>(
        runCli(['meters', 'import', changed, '--add-references', '--json'], stores.env),
      ),
    ).toMatchObject({ updated: 1, unchanged: 119 });
  });

  it('refuses unknown tariffs and regions with their lines, and imports nothing', () => {
    const f = file(
      'unknown-refs.csv',
      [
        HEADER,
        'N1,ACC,T-FLAT,SE3,residential,Europe/Stockholm,15,active,,2024-01-01,',
        'N2,ACC,T-NOPE,SE3,residential,Europe/Stockholm,15,active,,2024-01-01,',
        'N3,ACC,T-FLAT,XX9,residential,Europe/Stockholm,15,active,,2024-01-01,',
      ].join('\n'),
    );
    const r = runCli(['meters', 'import', f, '--json'], stores.env);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).error.details.problems).toEqual([
      {
        line: 3,
        field: 'tariff_id',
        message: 'unknown tariff "T-NOPE" (not in smt.tariffs); pass --add-references to create it',
      },
      {
        line: 4,
        field: 'region_id',
        message: 'unknown region "XX9" (not in smt.regions); pass --add-references to create it',
      },
    ]);
    const list = json<MeterPage>(runCli(['meters', 'list', '--prefix', 'N', '--json'], stores.env));
    expect(list.total).toBe(0);
  });

  it('a rated_kw of 10 GW or more is an invalid row (exit 3), and with --skip-invalid a skipped one', () => {
    const f = file(
      'huge-kw.csv',
      [
        HEADER,
        'K1,ACC,T-FLAT,SE3,industrial,Europe/Stockholm,15,active,9999999.999,2024-01-01,',
        'K2,ACC,T-FLAT,SE3,industrial,Europe/Stockholm,15,active,10000000,2024-01-01,',
      ].join('\n'),
    );
    const strict = runCli(['meters', 'import', f], stores.env);
    expect(strict.status).toBe(3);
    expect(strict.stderr).toMatch(/line 3, rated_kw: "10000000" kW is 10 GW or more/);
    expect(strict.stderr).not.toMatch(/bug in smt|\n\s+at /);
    const skipping = runCli(['meters', 'import', f, '--skip-invalid', '--json'], stores.env);
    expect(skipping.status).toBe(0);
    expect(JSON.parse(skipping.stdout)).toMatchObject({
      inserted: 1,
      skipped: 1,
      problems: [{ line: 3, field: 'rated_kw' }],
    });
    expect(JSON.parse(runCli(['meters', 'show', 'K1', '--json'], stores.env).stdout).ratedKw).toBe(
      9999999.999,
    );
  });

  it('a wrong PostgreSQL password is a refused service (exit 4) with a hint, not a bug', () => {
    const url = new URL(stores.env.SMT_POSTGRES_URL!);
    url.password = 'not-the-password';
    for (const args of [
      ['meters', 'list'],
      ['db', 'status'],
    ]) {
      const r = runCli(args, { ...stores.env, SMT_POSTGRES_URL: url.toString() });
      expect(r.status).toBe(4);
      expect(r.stderr).toMatch(/^Error: postgres: refused the connection: password authentication failed/m);
      expect(r.stderr).toMatch(/Hint: Check the user and password in postgres.url/);
      expect(r.stderr).not.toMatch(/bug in smt|\n\s+at /);
      expect(r.stderr).not.toContain('not-the-password');
    }
  });

  it('lists with filters and pages, and shows one meter', () => {
    const commercial = json<MeterPage>(
      runCli(
        ['meters', 'list', '--segment', 'commercial', '--region', 'SE3', '--limit', '5', '--json'],
        stores.env,
      ),
    );
    // ids 0, 6, 12, ... (divisible by 3 and even) are commercial in SE3: 20 of 120.
    expect(commercial.total).toBe(20);
    expect(commercial.meters).toHaveLength(5);
    expect(commercial.meters.every((m) => m.segment === 'commercial' && m.regionId === 'SE3')).toBe(true);
    const page2 = json<MeterPage>(
      runCli(
        [
          'meters',
          'list',
          '--segment',
          'commercial',
          '--region',
          'SE3',
          '--limit',
          '5',
          '--offset',
          '5',
          '--json',
        ],
        stores.env,
      ),
    );
    expect(page2.meters[0]!.meterId > commercial.meters[4]!.meterId).toBe(true);
    const shown = runCli(['meters', 'show', 'M0119', '--json'], stores.env);
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      meterId: 'M0119',
      tariffId: 'T-TOU',
      ratedKw: (119 % 7) + 3,
    });
    const missing = runCli(['meters', 'show', 'NOPE'], stores.env);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/not registered/);
  });
});
