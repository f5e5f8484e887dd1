import { describe, expect, it } from 'vitest';
import { type DecodedBlock, decode, encode, Nem12QualityFlag } from '../../src/core/codecs/index.js';
import { block, iso, MIN, plain } from './codecs-fixtures.js';

/** n interval values as text: f(i) for i = 0..n-1 */
function vals(n: number, f: (i: number) => string | number = () => '0.5'): string {
  return Array.from({ length: n }, (_, i) => String(f(i))).join(',');
}
function file(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
const H100 = '100,NEM12,202603020830,MDP1,RETAILER1';
const E1_30 = '200,NEM1201009,E1B1,1,E1,N1,METSER123,kWh,30,20260401';
/** 2026-03-01 00:00 market time (AEST, UTC+10) */
const DAY1 = Date.UTC(2026, 1, 28, 14);

function flags(b: DecodedBlock): string {
  return Array.from(b.quality!.flag, (c) => String.fromCharCode(c)).join('');
}

describe('NEM12: decoding valid files', () => {
  const valid = file([
    H100,
    E1_30,
    `300,20260301,${vals(48, (i) => (i + 1) / 100)},A,,,20260302083000,20260302090000`,
    `300,20260302,${vals(48)},E52,,,20260302083000,`,
    '500,O,S01009,20260302083000,',
    '200,NEM1201009,E1B1,1,B1,N2,METSER123,KWH,30,',
    `300,20260301,${vals(48, () => '0')},A,,,20260302083000,20260302090000`,
    '900',
  ]);

  it('gives one block per 300 record: meter = NMI + suffix, E1 → import, B1 → export, times in AEST', () => {
    const r = decode('nem12', valid);
    expect(r.failures).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.blocks.map((b) => [b.meterId, b.channel, b.intervalMinutes, b.values.length])).toEqual([
      ['NEM1201009E1', 'active_import_kwh', 30, 48],
      ['NEM1201009E1', 'active_import_kwh', 30, 48],
      ['NEM1201009B1', 'active_export_kwh', 30, 48],
    ]);
    const [d1, d2] = r.blocks;
    // interval 1 of 20260301 starts at 00:00 AEST = 2026-02-28T14:00Z, whatever DST does in the NMI's state
    expect(iso(d1!.starts[0]!)).toBe('2026-02-28T14:00:00.000Z');
    expect(iso(d1!.starts[47]!)).toBe('2026-03-01T13:30:00.000Z');
    expect(d2!.starts[0]).toBe(DAY1 + 1440 * MIN);
    expect(d1!.values[0]).toBe(0.01);
    expect(d1!.values[47]).toBe(0.48);
    expect(flags(d1!)).toBe('A'.repeat(48));
    expect(Array.from(d1!.quality!.method)).toEqual(new Array(48).fill(-1));
    expect(flags(d2!)).toBe('E'.repeat(48));
    expect(Array.from(d2!.quality!.method)).toEqual(new Array(48).fill(52));
    expect(d1!.nem12).toEqual({
      nmi: 'NEM1201009',
      nmiSuffix: 'E1',
      nmiConfiguration: 'E1B1',
      registerId: '1',
      mdmDataStreamId: 'N1',
      meterSerial: 'METSER123',
      uom: 'kWh',
      nextScheduledReadDate: '20260401',
      intervalDate: '20260301',
      updateDateTime: '20260302083000',
      msatsLoadDateTime: '20260302090000',
    });
    expect(Array.from(d1!.sequence)).toEqual(new Array(48).fill(-1));
    expect(Number.isNaN(d1!.commQuality)).toBe(true);
  });

  it('resolves QualityMethod V per interval from the 400 records', () => {
    // after the shape of AEMO's "multiple quality" example: 1-20 F14 reason 76, 21-24 A, 25-48 S14 reason 1
    const r = decode(
      'nem12',
      file([
        H100,
        '200,CCCC123456,E1,001,E1,N1,METSER123,kWh,30,',
        `300,20040417,${vals(48, (i) => (18 + i / 10).toFixed(3))},V,,,20040418203500,20040419003500`,
        '400,1,20,F14,76,',
        '400,21,24,A,,',
        '400,25,48,S14,1,',
        '900',
      ]),
    );
    expect(r.failures).toEqual([]);
    const b = r.blocks[0]!;
    expect(flags(b)).toBe(`${'F'.repeat(20)}AAAA${'S'.repeat(24)}`);
    expect(Array.from(b.quality!.method)).toEqual([
      ...new Array(20).fill(14),
      -1,
      -1,
      -1,
      -1,
      ...new Array(24).fill(14),
    ]);
    expect(Array.from(b.quality!.reason)).toEqual([
      ...new Array(20).fill(76),
      -1,
      -1,
      -1,
      -1,
      ...new Array(24).fill(1),
    ]);
    expect(b.values[1]).toBe(18.1);
  });

  it('converts Wh and MWh to kWh exactly', () => {
    const wh = decode(
      'nem12',
      file([
        H100,
        '200,NEM1201009,E1,1,E1,N1,,Wh,30,',
        `300,20260301,${vals(48, () => 1500)},A,,,20260302083000,`,
        '900',
      ]),
    );
    expect(wh.blocks[0]!.values[0]).toBe(1.5);
    const mwh = decode(
      'nem12',
      file([
        H100,
        '200,NEM1201009,E1,1,E1,N1,,MWH,30,',
        `300,20260301,${vals(48, () => '0.0015')},A,,,20260302083000,`,
        '900',
      ]),
    );
    expect(mwh.blocks[0]!.values[0]).toBe(1.5);
  });

  it('decodes N (null) intervals as missing, never 0', () => {
    const r = decode(
      'nem12',
      file([
        H100,
        E1_30,
        `300,20260301,${vals(48, () => 0)},V,,,20260302083000,`,
        '400,1,46,A,,',
        '400,47,48,N,,',
        '900',
      ]),
    );
    const b = r.blocks[0]!;
    expect(b.values[45]).toBe(0);
    expect(Number.isNaN(b.values[46]!)).toBe(true);
    expect(Number.isNaN(b.values[47]!)).toBe(true);
  });

  it('reads 5- and 15-minute data (288 and 96 values)', () => {
    const r = decode(
      'nem12',
      file([
        H100,
        '200,NEM1201009,E1,1,E1,N1,,kWh,5,',
        `300,20260301,${vals(288)},A,,,20260302083000,`,
        '200,NEM1201009,E1,1,E2,N2,,kWh,15,',
        `300,20260301,${vals(96)},A,,,20260302083000,`,
        '900',
      ]),
    );
    expect(r.failures).toEqual([]);
    expect(r.blocks.map((b) => [b.meterId, b.intervalMinutes, b.values.length])).toEqual([
      ['NEM1201009E1', 5, 288],
      ['NEM1201009E2', 15, 96],
    ]);
    expect(r.blocks[0]!.starts[287]! - r.blocks[0]!.starts[0]!).toBe(287 * 5 * MIN);
  });

  it('keeps reason codes and descriptions (code 0 is free text)', () => {
    const r = decode(
      'nem12',
      file([H100, E1_30, `300,20260301,${vals(48)},S53,0,"Meter, replaced",20260302083000,`, '900']),
    );
    expect(r.failures).toEqual([]);
    const q = r.blocks[0]!.quality!;
    expect([q.flag[0], q.method[0], q.reason[0], q.descriptions[q.description[0]!]]).toEqual([
      Nem12QualityFlag.Substituted,
      53,
      0,
      'Meter, replaced',
    ]);
  });

  it('skips streams smt has no channel for (reactive energy) with a warning, not a failure', () => {
    const r = decode(
      'nem12',
      file([
        H100,
        '200,NEM1201009,E1Q1,1,Q1,N1,,kvarh,30,',
        `300,20260301,${vals(48)},A,,,20260302083000,`,
        E1_30,
        `300,20260301,${vals(48)},A,,,20260302083000,`,
        '900',
      ]),
    );
    expect(r.failures).toEqual([]);
    expect(r.blocks.map((b) => b.meterId)).toEqual(['NEM1201009E1']);
    expect(r.warnings[0]).toMatchObject({ location: { line: 2, record: '200', field: 'NMISuffix' } });
  });
});

describe('NEM12: invalid files are rejected with line numbers', () => {
  const v48 = `300,20260301,${vals(48)},A,,,20260302083000,`;
  const cases: Array<[string, string[], { line: number; record?: string; field?: string }, string]> = [
    [
      'wrong interval count',
      [H100, E1_30, `300,20260301,${vals(47)},A,,,20260302083000,`, '900'],
      { line: 3, record: '300', field: 'IntervalValue' },
      'expected 48 interval values (1440 / IntervalLength 30 of the 200 record at line 2), found 47',
    ],
    [
      '300 before 200',
      [H100, v48, '900'],
      { line: 2, record: '300', field: 'RecordIndicator' },
      '300 record before any 200 record',
    ],
    ['missing 900', [H100, E1_30, v48], { line: 4, record: '900' }, 'missing 900 end record'],
    [
      'bad date',
      [H100, E1_30, v48.replace('20260301', '20260230'), '900'],
      { line: 3, record: '300', field: 'IntervalDate' },
      'IntervalDate: expected a date YYYYMMDD, found "20260230"',
    ],
    [
      'V without 400',
      [H100, E1_30, v48.replace(',A,', ',V,'), '900'],
      { line: 3, record: '300', field: 'QualityMethod' },
      'QualityMethod V needs 400 records covering intervals 1..48; covered none',
    ],
    [
      'V with 400s short of the day',
      [H100, E1_30, v48.replace(',A,', ',V,'), '400,1,20,A,,', '900'],
      { line: 3, record: '300', field: 'QualityMethod' },
      'QualityMethod V needs 400 records covering intervals 1..48; covered 1..20',
    ],
    [
      'unknown UOM',
      [H100, E1_30.replace('kWh', 'KWHH'), v48, '900'],
      { line: 2, record: '200', field: 'UOM' },
      'UOM: expected an MDFF unit of measure (kWh, Wh, MWh, V, kvarh, …), found "KWHH"',
    ],
    [
      'no 100 header',
      [E1_30, v48, '900'],
      { line: 1, record: '200', field: 'RecordIndicator' },
      'a NEM12 file starts with a 100 header record, found "200"',
    ],
    [
      'record after 900',
      [H100, E1_30, v48, '900', v48],
      { line: 5, record: '300', field: 'RecordIndicator' },
      'record after the 900 end record (line 4)',
    ],
    [
      '400 with a gap',
      [H100, E1_30, v48.replace(',A,', ',V,'), '400,1,20,A,,', '400,25,48,A,,', '900'],
      { line: 5, record: '400', field: 'StartInterval' },
      'StartInterval: expected 21 (400 records run in order without gaps or overlaps), found "25"',
    ],
    [
      '400 with a missing field',
      [H100, E1_30, v48.replace(',A,', ',V,'), '400,1,48,A,', '900'],
      { line: 4, record: '400', field: 'RecordIndicator' },
      'RecordIndicator: expected 6 fields (400,StartInterval,EndInterval,QualityMethod,ReasonCode,ReasonDescription), found 5 fields',
    ],
    [
      '400 with V',
      [H100, E1_30, v48.replace(',A,', ',V,'), '400,1,48,V,,', '900'],
      { line: 4, record: '400', field: 'QualityMethod' },
      'QualityMethod: expected a single quality (V is only for the 300 record), found V',
    ],
    [
      '400 past the last interval',
      [H100, E1_30, v48.replace(',A,', ',V,'), '400,1,49,A,,', '900'],
      { line: 4, record: '400', field: 'EndInterval' },
      'EndInterval: expected 1..48, found "49"',
    ],
    [
      'E without a method',
      [H100, E1_30, v48.replace(',A,', ',E,'), '900'],
      { line: 3, record: '300', field: 'QualityMethod' },
      'QualityMethod: expected a method number after E (e.g. E52), found "E"',
    ],
    [
      'A with a method',
      [H100, E1_30, v48.replace(',A,', ',A52,'), '900'],
      { line: 3, record: '300', field: 'QualityMethod' },
      'QualityMethod: expected A without a method number, found "A52"',
    ],
    [
      'unknown quality flag',
      [H100, E1_30, v48.replace(',A,', ',X,'), '900'],
      { line: 3, record: '300', field: 'QualityMethod' },
      'QualityMethod: expected a quality flag A, E, F, N, S or V with a 2-digit method where required (e.g. A, E52, S53, V), found "X"',
    ],
    [
      'a method flag AEMO does not define',
      [H100, E1_30, v48.replace(',A,', ',E99,'), '900'],
      { line: 3, record: '300', field: 'QualityMethod' },
      'QualityMethod: expected a method flag AEMO defines (11-25, 51-59, 61-69, 71-75), found "E99"',
    ],
    [
      'S without a reason',
      [H100, E1_30, v48.replace(',A,', ',S53,'), '900'],
      { line: 3, record: '300', field: 'ReasonCode' },
      'ReasonCode: expected a reason code (required for S), found ""',
    ],
    [
      'reason 0 without a description',
      [H100, E1_30, v48.replace(',A,,,', ',S53,0,,'), '900'],
      { line: 3, record: '300', field: 'ReasonDescription' },
      'ReasonDescription: expected a description (required with reason code 0), found ""',
    ],
    [
      'a value that is not a number',
      [
        H100,
        E1_30,
        v48.replace('300,20260301,0.5,0.5,0.5,0.5,0.5,', '300,20260301,0.5,0.5,0.5,0.5,abc,'),
        '900',
      ],
      { line: 3, record: '300', field: 'IntervalValue5' },
      'IntervalValue5: expected a decimal number, found "abc"',
    ],
    [
      'a value beyond a double',
      [
        H100,
        E1_30,
        v48.replace('300,20260301,0.5,0.5,0.5,0.5,0.5,', '300,20260301,0.5,0.5,0.5,0.5,1e999,'),
        '900',
      ],
      { line: 3, record: '300', field: 'IntervalValue5' },
      'IntervalValue5: expected a finite decimal number, found "1e999" (Infinity)',
    ],
    [
      'interval length 60',
      [H100, E1_30.replace(',30,', ',60,'), '900'],
      { line: 2, record: '200', field: 'IntervalLength' },
      'IntervalLength: expected 5, 15 or 30, found "60"',
    ],
    [
      'NMI of 9 characters',
      [H100, E1_30.replace('NEM1201009', 'NEM120100'), '900'],
      { line: 2, record: '200', field: 'NMI' },
      'NMI: expected 10 characters A-Z 0-9, found "NEM120100"',
    ],
    [
      'NEM13 header',
      [H100.replace('NEM12', 'NEM13'), '900'],
      { line: 1, record: '100', field: 'VersionHeader' },
      'VersionHeader: expected NEM12, found "NEM13"',
    ],
    [
      'a second 100',
      [H100, E1_30, v48, H100, '900'],
      { line: 4, record: '100', field: 'RecordIndicator' },
      'a second 100 header record: a file holds exactly one',
    ],
    [
      '400 not after a 300',
      [H100, E1_30, '400,1,48,A,,', '900'],
      { line: 3, record: '400', field: 'RecordIndicator' },
      '400 record must follow a 300 or 400 record, found after 200',
    ],
    [
      '400 changing quality under a non-V 300',
      [H100, E1_30, v48, '400,1,48,E52,,', '900'],
      { line: 4, record: '400', field: 'QualityMethod' },
      'QualityMethod: expected A as on the 300 record (which is not V), found "E52"',
    ],
    [
      'unknown record indicator',
      [H100, E1_30, '250,NEM1201009,x', '900'],
      { line: 3, record: '250', field: 'RecordIndicator' },
      'unknown record indicator "250"',
    ],
    [
      'bad UpdateDateTime',
      [H100, E1_30, v48.replace('20260302083000', '2026030208'), '900'],
      { line: 3, record: '300', field: 'UpdateDateTime' },
      'UpdateDateTime: expected YYYYMMDDhhmmss, found "2026030208"',
    ],
    [
      'bad 100 DateTime',
      [H100.replace('202603020830', '202613020830'), '900'],
      { line: 1, record: '100', field: 'DateTime' },
      'DateTime: expected YYYYMMDDhhmm, found "202613020830"',
    ],
  ];
  for (const [name, lines, location, message] of cases) {
    it(name, () => {
      const r = decode('nem12', file(lines), { sourceName: 'bad.csv' });
      const f = r.failures.find((x) => x.message === message);
      expect(f, `failures were: ${r.failures.map((x) => x.message).join(' | ')}`).toBeDefined();
      expect(f!.location).toEqual(location);
      expect(f!.source).toBe('bad.csv');
      expect(f!.format).toBe('nem12');
    });
  }

  it('a bad 300 record drops that day only; the file still reports every problem', () => {
    const r = decode(
      'nem12',
      file([
        H100,
        E1_30,
        `300,20260301,${vals(47)},A,,,20260302083000,`,
        v48.replace('20260301', '20260302'),
        v48.replace('20260301', '2026033'),
        '900',
      ]),
    );
    expect(r.blocks.map((b) => b.nem12!.intervalDate)).toEqual(['20260302']);
    expect(r.failures.map((f) => f.location.line)).toEqual([3, 5]);
  });

  it("a reason code outside AEMO's table is kept, with a warning", () => {
    const r = decode('nem12', file([H100, E1_30, v48.replace(',A,,,', ',S53,999,,'), '900']));
    expect(r.failures).toEqual([]);
    expect(r.blocks[0]!.quality!.reason[0]).toBe(999);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        message: "ReasonCode 999 is not in AEMO's reason code table",
        location: { line: 3, record: '300', field: 'ReasonCode' },
      }),
    ]);
  });

  it('an empty file', () => {
    expect(decode('nem12', '').failures[0]!.message).toBe('empty NEM12 file');
  });
});

describe('NEM12: encoding and round trips', () => {
  it('round-trips a decoded file: values, quality, details', () => {
    const text = file([
      H100,
      '200,NEM1201009,E1B1,1,E1,N1,METSER123,kWh,30,20260401',
      `300,20260301,${vals(48, (i) => (i * 7) / 1000)},V,,,20260302083000,20260302090000`,
      '400,1,10,A,,',
      '400,11,12,S53,0,Probe read error',
      '400,13,47,E52,,',
      '400,48,48,N,,',
      '200,NEM1201009,E1B1,1,B1,N2,METSER123,Wh,30,',
      `300,20260301,${vals(48, (i) => i * 3)},A,,,20260302083000,`,
      '900',
    ]);
    const first = decode('nem12', text);
    expect(first.failures).toEqual([]);
    const again = decode(
      'nem12',
      encode('nem12', first.blocks, {
        nem12: { createdAt: '202603020830', fromParticipant: 'MDP1', toParticipant: 'RETAILER1' },
      }),
    );
    expect(again.failures).toEqual([]);
    expect(again.blocks.map(plain)).toEqual(first.blocks.map(plain));
    expect(again.blocks.map((b) => b.quality)).toEqual(first.blocks.map((b) => b.quality));
    expect(again.blocks.map((b) => b.nem12)).toEqual(first.blocks.map((b) => b.nem12));
    expect(again.blocks[1]!.values[1]).toBe(0.003); // 3 Wh
  });

  it('writes plain blocks: NMI + suffix meter ids, A for values, N and 0 for missing, V + 400 for a mixed day, padding for a partial day', () => {
    const values: Array<number | null> = new Array(48).fill(0.25);
    values[46] = null;
    values[47] = null;
    const full = block({ meterId: 'NEM1201009E1', interval: 30, start: DAY1, values });
    const partial = block({
      meterId: 'NEM1201009B1',
      channel: 'active_export_kwh',
      interval: 30,
      start: DAY1 + 24 * 30 * MIN,
      values: new Array(24).fill(1),
    });
    const text = encode('nem12', [full, partial]) as string;
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('100,NEM12,200001010000,SMT,SMT');
    expect(lines[1]).toBe('200,NEM1201009,E1B1,1,E1,N1,,kWh,30,');
    expect(lines[2]).toBe(`300,20260301,${vals(46, () => 0.25)},0,0,V,,,20000101000000,`);
    expect(lines.slice(3, 5)).toEqual(['400,1,46,A,,', '400,47,48,N,,']);
    expect(lines[5]).toBe('200,NEM1201009,E1B1,1,B1,N2,,kWh,30,');
    expect(lines[6]).toBe(`300,20260301,${vals(24, () => 0)},${vals(24, () => 1)},V,,,20000101000000,`);
    expect(lines.slice(7)).toEqual(['400,1,24,N,,', '400,25,48,A,,', '900']);
    const back = decode('nem12', text);
    expect(back.failures).toEqual([]);
    expect(Array.from(back.blocks[0]!.values)).toEqual(Array.from(full.values));
  });

  it('cuts blocks at market-day boundaries (AEST), not UTC days', () => {
    // two AEST days of 15-minute data as one block
    const b = block({ meterId: 'NEM1201009E1', start: DAY1, values: new Array(192).fill(0.1) });
    const back = decode('nem12', encode('nem12', [b]));
    expect(back.blocks.map((x) => [x.nem12!.intervalDate, iso(x.starts[0]!)])).toEqual([
      ['20260301', '2026-02-28T14:00:00.000Z'],
      ['20260302', '2026-03-01T14:00:00.000Z'],
    ]);
  });

  it('refuses what NEM12 cannot hold', () => {
    expect(() =>
      encode('nem12', [block({ meterId: 'NEM1201009E1', interval: 60, start: DAY1, values: [1] })]),
    ).toThrow(/60-minute/);
    expect(() =>
      encode('nem12', [block({ meterId: 'not an nmi', interval: 30, start: DAY1, values: [1] })]),
    ).toThrow(/not an NMI/);
  });
});
