/**
 * samples/ is part of the contract for head-end integrators: the files must be exactly what
 * scripts/make-samples.ts writes, the valid ones must decode cleanly, and each invalid one must
 * fail in the way docs/formats.md says.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSamples, SAMPLES_DIR } from '../../scripts/make-samples.js';
import { decode, detectFormat } from '../../src/core/codecs/index.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const built = buildSamples();
const read = (name: string) => readFileSync(path.join(SAMPLES_DIR, name));

describe('samples/', () => {
  it('holds exactly what scripts/make-samples.ts writes (run it after changing an encoder)', () => {
    const onDisk = files(SAMPLES_DIR)
      .map((f) => path.relative(SAMPLES_DIR, f).split(path.sep).join('/'))
      .filter((f) => f !== 'README.md')
      .sort();
    expect(onDisk).toEqual(Object.keys(built).sort());
    for (const [name, content] of Object.entries(built)) {
      expect(Buffer.compare(read(name), Buffer.from(content)), name).toBe(0);
    }
  });

  const valid: Array<[string, number, string[]]> = [
    ['json/meter-day-dst-2026-03-29.json', 1, ['M000001 active_import_kwh 92']],
    [
      'json/meter-days.ndjson',
      3,
      ['M000001 active_import_kwh 96', 'M000001 active_import_kwh 92', 'M000001 active_import_kwh 100'],
    ],
    [
      'csv/head-end-export.csv',
      4,
      [
        'M000002 active_import_kwh 96',
        'M000002 active_export_kwh 96',
        'M000003 active_import_kwh 96',
        'M000003 active_export_kwh 96',
      ],
    ],
    ['dlms/load-profile-M000004.bin', 2, ['M000004 active_import_kwh 96', 'M000004 active_export_kwh 96']],
    ['dlms/load-profile-M000004.hex', 2, ['M000004 active_import_kwh 96', 'M000004 active_export_kwh 96']],
    [
      'nem12/NEM12#0000000001#SMTMDP#RETAILER1.csv',
      4,
      [
        'NCDE001111E1 active_import_kwh 48',
        'NCDE001111E1 active_import_kwh 48',
        'NCDE001111B1 active_export_kwh 48',
        'NCDE001111B1 active_export_kwh 48',
      ],
    ],
    [
      'nem12/NEM12#0000000002#SMTMDP#RETAILER1.csv',
      4,
      [
        'NCDE002222E1 active_import_kwh 48',
        'NCDE002222E1 active_import_kwh 48',
        'NCDE002222Q1 reactive_import_kvarh 48',
        'NCDE002222Q1 reactive_import_kvarh 48',
      ],
    ],
    [
      'nem12/portal-export-with-quirks.csv',
      4,
      [
        'ncde00333E1 active_import_kwh 96',
        'ncde00333E1 active_import_kwh 96',
        'ncde00333E1 active_import_kwh 96',
        'ncde00333E2 nem12:E2 96',
      ],
    ],
  ];
  for (const [name, n, summary] of valid) {
    it(`${name} is detected and decodes cleanly`, () => {
      const bytes = read(name);
      const input = name.endsWith('.hex') ? bytes.toString('utf8') : new Uint8Array(bytes);
      const format = detectFormat(input, name)!;
      const r = decode(format, input, {
        meterId: name.includes('M000004') ? 'M000004' : undefined,
        intervalMinutes: 15,
      });
      expect(r.failures).toEqual([]);
      expect(r.blocks).toHaveLength(n);
      expect(r.blocks.map((b) => `${b.meterId} ${b.channel} ${b.values.length}`)).toEqual(summary);
    });
  }

  it('the NEM13 sample is detected and decodes into 4 register reads (one a rollover, warned)', () => {
    const name = 'nem13/NEM13#0000000001#SMTMDP#RETAILER1.csv';
    const bytes = new Uint8Array(read(name));
    expect(detectFormat(bytes, name)).toBe('nem13');
    const r = decode('nem13', bytes);
    expect(r.failures).toEqual([]);
    expect(r.registerReads!.map((x) => `${x.meterId} ${x.quantity} ${x.derived}`)).toEqual([
      'NCDE00444411 1312.1 1312.1',
      'NCDE00444441 1230 1230',
      'NCDE00444411 1147.5 1147.5',
      'NCDE00444441 1070 -98930',
    ]);
    expect(r.warnings.map((w) => w.code)).toEqual(['NEM13_QUANTITY_DIFFERS']);
  });

  it('the JSON DST sample starts at local midnight and has its one missing reading as NaN', () => {
    const r = decode('json', read('json/meter-day-dst-2026-03-29.json'));
    expect(new Date(r.blocks[0]!.starts[0]!).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(r.blocks[0]!.values.filter(Number.isNaN).length).toBe(1);
  });

  it('the DLMS sample clock is CET (deviation -60): the first interval starts at 2026-01-14T23:00Z', () => {
    const r = decode('dlms', new Uint8Array(read('dlms/load-profile-M000004.bin')), {
      intervalMinutes: 15,
      meterId: 'M000004',
    });
    expect(new Date(r.blocks[0]!.starts[0]!).toISOString()).toBe('2026-01-14T23:00:00.000Z');
  });

  it('invalid/json-bad-value.json fails at values[17]', () => {
    const r = decode('json', read('invalid/json-bad-value.json'));
    expect(r.failures.map((f) => f.message)).toEqual(['values[17]: expected number or null, found "abc"']);
  });

  it('invalid/csv-bad-rows.csv fails on lines 6 and 10', () => {
    const r = decode('csv', read('invalid/csv-bad-rows.csv'));
    expect(r.failures.map((f) => [f.location.line, f.location.field])).toEqual([
      [6, 'value'],
      [10, 'interval_start'],
    ]);
  });

  it('invalid/dlms-truncated.hex fails at byte 100', () => {
    const r = decode('dlms', read('invalid/dlms-truncated.hex').toString('utf8'), {
      intervalMinutes: 15,
      meterId: 'M000004',
    });
    expect(r.failures.map((f) => f.location.byteOffset)).toEqual([100]);
  });

  it('invalid/nem12-wrong-count-no-900.csv fails on line 3 and at the missing end', () => {
    const r = decode('nem12', read('invalid/nem12-wrong-count-no-900.csv'));
    expect(r.failures.map((f) => [f.location.line, f.message])).toEqual([
      [3, 'expected 48 interval values (1440 / IntervalLength 30 of the 200 record at line 2), found 47'],
      [11, 'missing 900 end record'], // 10 records: 100, 200, 300, 300, 400 ×3, 200, 300, 300
    ]);
  });
});
