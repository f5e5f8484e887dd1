/**
 * `smt validate` on NEM12/NEM13 files through the real CLI (bin/dev.js): readings decoded and
 * dropped (by reason), warnings with code and assumption, times in UTC and in the file's zone
 * (AEST). The samples are the ones in samples/ (scripts/samples-mdff.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ValidateFileReport } from '../../src/core/vee/validate-file.js';
import { json, runCli } from '../helpers/cli.js';

const NOW = ['--now', '2026-04-05T00:00:00Z', '--timezone', 'Australia/Sydney'];
const E1Q1 = 'samples/nem12/NEM12#0000000002#SMTMDP#RETAILER1.csv';
const QUIRKS = 'samples/nem12/portal-export-with-quirks.csv';
const NEM13 = 'samples/nem13/NEM13#0000000001#SMTMDP#RETAILER1.csv';

describe('smt validate: NEM12 and NEM13', () => {
  it('an E1 (kWh) and a Q1 (kVArh) stream: every interval of both decoded, nothing dropped, AEST and UTC', () => {
    const r = runCli(['validate', E1Q1, ...NOW, '--json']);
    expect(r.status).toBe(0);
    const rep = json<ValidateFileReport>(r);
    expect(rep.format).toBe('nem12');
    expect([rep.blocks, rep.meters, rep.decoded, rep.readings.total]).toEqual([4, 2, 192, 192]);
    expect(rep.dropped).toEqual({ count: 0, reasons: [] });
    expect(rep.warnings).toEqual({ count: 0, byCode: [], items: [] });
    expect(rep.fileTimezone).toEqual({
      zone: 'UTC+10',
      label: 'AEST, NEM market time (UTC+10, no daylight saving)',
    });
    expect(rep.period).toEqual({
      from: '2026-02-28T14:00:00.000Z',
      to: '2026-03-02T14:00:00.000Z',
      fromFile: '2026-03-01T00:00:00+10:00',
      toFile: '2026-03-03T00:00:00+10:00',
    });
  });

  it('a portal export with quirks: warnings by code, dropped readings by reason, firings in three zones', () => {
    const r = runCli(['validate', QUIRKS, ...NOW, '--json', '--limit', '3']);
    expect(r.status).toBe(0);
    const rep = json<ValidateFileReport>(r);
    expect(rep.decoded).toBe(4 * 96);
    expect(rep.dropped).toEqual({
      count: 96,
      reasons: [{ reason: 'no channel for the data stream', readings: 96 }],
    });
    expect(rep.warnings.count).toBe(17);
    expect(rep.warnings.byCode).toEqual([
      { code: 'MDFF_NMI_SHORT', count: 3 },
      { code: 'MDFF_NMI_LOWER_CASE', count: 3 },
      { code: 'MDFF_EXTRA_EMPTY_FIELDS', count: 2 },
      { code: 'MDFF_MISSING_FIELDS', count: 2 },
      { code: 'NEM12_NO_HEADER', count: 1 },
      { code: 'NEM12_BLANK_UPDATE_DATETIME', count: 1 },
      { code: 'MDFF_DATETIME_LENGTH', count: 1 },
      { code: 'MDFF_QUALITY_WITHOUT_METHOD', count: 1 },
      { code: 'NEM12_DUPLICATE_DAY', count: 1 },
      { code: 'NEM12_BLANK_UOM', count: 1 },
      { code: 'NEM12_NO_CHANNEL', count: 1 },
    ]);
    expect(rep.warnings.items).toEqual([
      {
        message: 'the file starts with a "200" record, not the 100 header',
        line: 1,
        record: '200',
        field: 'RecordIndicator',
        code: 'NEM12_NO_HEADER',
        assumed: 'NEM12 (no header: created time and participants unknown)',
      },
      {
        message: '2 empty field(s) after the last field of the 200 record',
        line: 1,
        record: '200',
        field: 'RecordIndicator',
        code: 'MDFF_EXTRA_EMPTY_FIELDS',
        assumed: 'padding; ignored',
      },
      {
        message: 'NMI "ncde00333" has 9 characters where MDFF gives 10',
        line: 1,
        record: '200',
        field: 'NMI',
        code: 'MDFF_NMI_SHORT',
        assumed: 'the NMI as written',
      },
    ]);
    // the same day twice: the duplicate rule fires; its first firing in UTC, AEST and the meter's zone
    expect(rep.failures.items[0]).toMatchObject({
      meterId: 'ncde00333E1',
      start: '2026-03-01T14:00:00.000Z',
      startFile: '2026-03-02T00:00:00+10:00',
      startLocal: '2026-03-02T01:00:00+11:00', // Sydney is on daylight saving time in March
      rule: 'interval.duplicate',
    });
  });

  it('the table shows decoded, dropped and the warnings with their codes', () => {
    const r = runCli(['validate', QUIRKS, ...NOW, '--limit', '30']);
    expect(r.status).toBe(0);
    for (const s of [
      'file time zone',
      'AEST, NEM market time (UTC+10, no daylight saving)',
      '2026-03-01T00:00:00+10:00 – 2026-03-03T00:00:00+10:00',
      'readings decoded',
      'no channel for the data stream',
      'NEM12_BLANK_UOM',
      'kWh (suffix E2 is active energy)',
      'start (file)',
    ])
      expect(r.stdout).toContain(s);
  });

  it('NEM13: register reads with both reads in UTC and AEST, the rollover warned', () => {
    const r = runCli(['validate', NEM13, ...NOW, '--json']);
    expect(r.status).toBe(0);
    const rep = json<ValidateFileReport>(r);
    expect([rep.format, rep.decoded, rep.meters, rep.blocks]).toEqual(['nem13', 4, 2, 0]);
    expect(rep.registerReads!.items[3]).toEqual({
      line: 7,
      meterId: 'NCDE00444441',
      channel: 'register_import_kwh',
      unit: 'kWh',
      previous: {
        value: 99350,
        at: '2026-01-02T00:15:00.000Z',
        atFile: '2026-01-02T10:15:00+10:00',
        quality: 'A',
      },
      current: {
        value: 420,
        at: '2026-03-31T23:45:00.000Z',
        atFile: '2026-04-01T09:45:00+10:00',
        quality: 'A',
      },
      quantity: 1070,
      derived: -98930,
    });
    expect(rep.warnings.byCode).toEqual([{ code: 'NEM13_QUANTITY_DIFFERS', count: 1 }]);
  });

  it('a file whose every stream is dropped exits 3 and says why', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smt-validate-nem-'));
    const f = path.join(dir, 'n1.csv');
    const values = new Array(48).fill('0.5').join(',');
    writeFileSync(
      f,
      `100,NEM12,202603020830,A,B\n200,NEM1201009,N1,1,N1,N1,,kWh,30,\n300,20260301,${values},A,,,20260302083000,\n900\n`,
    );
    const r = runCli(['validate', f, ...NOW]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('holds no readings smt can keep (48 dropped: no channel for the data stream)');
  });
});
