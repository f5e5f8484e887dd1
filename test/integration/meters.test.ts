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
    const r = runCli(['meters', 'import', bad], stores.env);
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
      runCli(['meters', 'import', bad, '--skip-invalid', '--json'], stores.env),
    );
    expect(r.inserted).toBe(5);
    expect(r.skipped).toBe(1);
    expect(r.problems[0]?.line).toBe(7);
  });

  it('imports a file, and re-importing it changes nothing', () => {
    const good = file('good.csv', [HEADER, ...rows].join('\n'));
    const first = json<MeterImportResult>(runCli(['meters', 'import', good, '--json'], stores.env));
    expect(first.inserted + first.unchanged).toBe(120);
    expect(first.inserted).toBe(115);
    const again = json<MeterImportResult>(runCli(['meters', 'import', good, '--json'], stores.env));
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 120 });
    const changed = file(
      'changed.csv',
      [HEADER, ...rows.slice(0, 119), rows[119]!.replace('T-FLAT', 'T-TOU')].join('\n'),
    );
    expect(
      json<MeterImportResult>(runCli(['meters', 'import', changed, '--json'], stores.env)),
    ).toMatchObject({ updated: 1, unchanged: 119 });
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
