/**
 * NEM12 as it circulates: files built the way MDP, retailer-portal and open-source exports look
 * (padding, short ids, blank optional fields, a BOM, no header, other interval lengths, every data
 * stream). Each tolerance keeps every value with a warning saying where and what was assumed;
 * every reading that ends up in no block is counted with its reason. All of these were rejected
 * (or silently skipped) before the tolerant reader.
 */
import { describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  type DecodeWarning,
  decode,
  detectFormat,
  encode,
  NEM12_DROP,
  nmiChecksum,
} from '../../src/core/codecs/index.js';
import { channelSpec } from '../../src/core/readings/channel.js';
import { iso } from './codecs-fixtures.js';

function vals(n: number, f: (i: number) => string | number = () => '0.5'): string {
  return Array.from({ length: n }, (_, i) => String(f(i))).join(',');
}
function file(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
const H100 = '100,NEM12,202603020830,MDP1,RETAILER1';
const E1_30 = '200,NEM1201009,E1B1,1,E1,N1,METSER123,kWh,30,20260401';
const v48 = `300,20260301,${vals(48)},A,,,20260302083000,20260302090000`;

/** code, line, field, assumed of every warning */
function warned(
  r: DecodeResult,
): Array<[string | undefined, number | undefined, string | undefined, string | undefined]> {
  return r.warnings.map((w: DecodeWarning) => [w.code, w.location.line, w.location.field, w.assumed]);
}
function decodeClean(text: string): DecodeResult {
  const r = decode('nem12', text);
  expect(r.failures, r.failures.map((f) => f.message).join(' | ')).toEqual([]);
  return r;
}

describe('NEM12 tolerances: every value kept, a warning says what was assumed', () => {
  it('a blank UpdateDateTime: kept blank, the day decodes', () => {
    const r = decodeClean(file([H100, E1_30, `300,20260301,${vals(48)},A,,,,`, '900']));
    expect(r.blocks).toHaveLength(1);
    expect(r.blocks[0]!.nem12!.updateDateTime).toBe('');
    expect(warned(r)).toEqual([
      ['NEM12_BLANK_UPDATE_DATETIME', 3, 'UpdateDateTime', 'no update time (kept blank)'],
    ]);
  });

  it('a blank MSATSLoadDateTime is what the specification allows: no warning', () => {
    const r = decodeClean(file([H100, E1_30, `300,20260301,${vals(48)},A,,,20260302083000,`, '900']));
    expect(r.warnings).toEqual([]);
  });

  it('NMIs shorter than 10 characters or in lower case are kept as written, with warnings', () => {
    const r = decodeClean(
      file([
        H100,
        '200,nem120100,E1,1,E1,N1,,kWh,30,',
        `300,20260301,${vals(48)},A,,,20260302083000,`,
        '900',
      ]),
    );
    expect(r.blocks.map((b) => b.meterId)).toEqual(['nem120100E1']);
    expect(r.blocks[0]!.nem12!.nmi).toBe('nem120100');
    expect(warned(r)).toEqual([
      ['MDFF_NMI_SHORT', 2, 'NMI', 'the NMI as written'],
      ['MDFF_NMI_LOWER_CASE', 2, 'NMI', 'the NMI as written'],
    ]);
  });

  it("AEMO's NMI checksum: known values, and an 11-character NMI checked against it", () => {
    // the worked examples of AEMO's NMI Procedure (Appendix: NMI checksum)
    const examples: Array<[string, number]> = [
      ['2001985732', 8],
      ['2001985733', 6],
      ['3075621875', 8],
      ['4316854005', 9],
      ['6350888444', 2],
      ['7102000001', 7],
      ['NAAAMYS582', 6],
      ['NBBBX11110', 0],
      ['NCCC519495', 5],
      ['QAAAVZZZZZ', 3],
      ['QCDWW00010', 2],
      ['SMVEW00085', 8],
      ['VAAA000065', 7],
      ['VAAA000066', 5],
      ['VAAASTY576', 8],
      ['VKTS876150', 3],
      ['1234C6789A', 3],
    ];
    expect(examples.map(([nmi]) => [nmi, nmiChecksum(nmi)])).toEqual(examples);
    expect(nmiChecksum('vaaa000065')).toBe(7); // case does not change it
    const with11 = (nmi: string) =>
      decodeClean(
        file([H100, `200,${nmi},E1,1,E1,N1,,kWh,30,`, `300,20260301,${vals(48)},A,,,20260302083000,`, '900']),
      );
    const ok = with11('QAAAVZZZZZ3');
    expect(ok.blocks[0]!.meterId).toBe('QAAAVZZZZZ3E1');
    expect(ok.warnings.map((w) => [w.code, w.message])).toEqual([
      ['MDFF_NMI_WITH_CHECKSUM', 'NMI "QAAAVZZZZZ3" has 11 characters: the 11th is its NMI checksum (valid)'],
    ]);
    expect(with11('QAAAVZZZZZ0').warnings.map((w) => [w.code, w.message])).toEqual([
      [
        'MDFF_NMI_CHECKSUM',
        'NMI "QAAAVZZZZZ0" has 11 characters but the 11th is not the NMI checksum of the first 10 (3)',
      ],
    ]);
  });

  it('rows padded with empty trailing fields are read; the padding is reported once per record', () => {
    const r = decodeClean(file([`${H100},,`, `${E1_30},,,`, `${v48},,`, '900,,'].map((l) => l)));
    expect(r.blocks).toHaveLength(1);
    expect(warned(r).map(([code, line]) => [code, line])).toEqual([
      ['MDFF_EXTRA_EMPTY_FIELDS', 1],
      ['MDFF_EXTRA_EMPTY_FIELDS', 2],
      ['MDFF_EXTRA_EMPTY_FIELDS', 3],
      ['MDFF_EXTRA_EMPTY_FIELDS', 4],
    ]);
  });

  it('padding that holds something is still an error (the record is malformed, its day dropped)', () => {
    const r = decode('nem12', file([H100, E1_30, `${v48},,X`, '900']));
    expect(r.failures.map((f) => [f.location.line, f.message])).toEqual([
      [3, 'RecordIndicator: expected 55 fields (48 values), found 57 fields'],
    ]);
    expect(r.dropped).toEqual({ [NEM12_DROP.invalid300]: 48 });
  });

  it('300 rows missing the optional trailing fields and 400 rows missing the reason fields', () => {
    const r = decodeClean(
      file([
        H100,
        E1_30,
        `300,20260301,${vals(48)},A,,,20260302083000`, // no MSATSLoadDateTime
        `300,20260302,${vals(48)},V`, // nothing after the QualityMethod
        '400,1,40,A',
        '400,41,48,E52,',
        '900',
      ]),
    );
    expect(r.blocks.map((b) => b.values.length)).toEqual([48, 48]);
    expect(Array.from(r.blocks[1]!.quality!.method.subarray(39, 41))).toEqual([-1, 52]);
    expect(warned(r)).toEqual([
      ['MDFF_MISSING_FIELDS', 3, 'MSATSLoadDateTime', 'MSATSLoadDateTime blank'],
      [
        'MDFF_MISSING_FIELDS',
        4,
        'ReasonCode',
        'ReasonCode, ReasonDescription, UpdateDateTime, MSATSLoadDateTime blank',
      ],
      ['NEM12_BLANK_UPDATE_DATETIME', 4, 'UpdateDateTime', 'no update time (kept blank)'],
      ['MDFF_MISSING_FIELDS', 5, 'ReasonCode', 'ReasonCode, ReasonDescription blank'],
      ['MDFF_MISSING_FIELDS', 6, 'ReasonDescription', 'ReasonDescription blank'],
    ]);
  });

  it('a value count that is wrong is still an error, not a missing trailing field', () => {
    // 47 values + 5 trailing fields has the field count of 48 values + 4 trailing fields
    const r = decode('nem12', file([H100, E1_30, `300,20260301,${vals(47)},A,,,20260302083000,`, '900']));
    expect(r.failures.map((f) => f.message)).toEqual([
      'expected 48 interval values (1440 / IntervalLength 30 of the 200 record at line 2), found 47',
    ]);
    expect(r.dropped).toEqual({ [NEM12_DROP.invalid300]: 47 });
  });

  it('12-digit date-times where 14 are specified (and 14 where 12 are), kept as written', () => {
    const r = decodeClean(
      file([
        '100,NEM12,20260302083000,MDP1,RETAILER1',
        E1_30,
        `300,20260301,${vals(48)},A,,,202603020830,202603020900`,
        '900',
      ]),
    );
    expect(r.blocks[0]!.nem12).toMatchObject({
      updateDateTime: '202603020830',
      msatsLoadDateTime: '202603020900',
    });
    expect(warned(r)).toEqual([
      ['MDFF_DATETIME_LENGTH', 1, 'DateTime', 'the seconds are ignored; kept as written'],
      ['MDFF_DATETIME_LENGTH', 3, 'UpdateDateTime', 'seconds 00; kept as written'],
      ['MDFF_DATETIME_LENGTH', 3, 'MSATSLoadDateTime', 'seconds 00; kept as written'],
    ]);
  });

  it('a 400 record whose quality differs from a non-V 300 record: the 400 applies to its intervals', () => {
    const r = decodeClean(file([H100, E1_30, v48, '400,1,10,A,,', '400,11,12,E52,,', '900']));
    const q = r.blocks[0]!.quality!;
    expect(String.fromCharCode(...q.flag.subarray(9, 13))).toBe('AEEA');
    expect(Array.from(q.method.subarray(9, 13))).toEqual([-1, 52, 52, -1]);
    expect(warned(r)).toEqual([
      [
        'NEM12_400_QUALITY_DIFFERS',
        5,
        'QualityMethod',
        'E52 for intervals 11..12 (the 400 record is the more specific)',
      ],
    ]);
  });

  it('S, F and E without a method number: quality kept, method unknown', () => {
    const r = decodeClean(
      file([
        H100,
        E1_30,
        `300,20260301,${vals(48)},V,,,20260302083000,`,
        '400,1,10,S,53,',
        '400,11,20,F,14,',
        '400,21,48,E,,',
        `300,20260302,${vals(48)},S,79,,20260302083000,`,
        '900',
      ]),
    );
    const [d1, d2] = r.blocks;
    expect(String.fromCharCode(d1!.quality!.flag[0]!, d1!.quality!.flag[10]!, d1!.quality!.flag[20]!)).toBe(
      'SFE',
    );
    expect(Array.from(new Set(d1!.quality!.method))).toEqual([-1]);
    expect(Array.from(new Set(d1!.quality!.reason))).toEqual([53, 14, -1]);
    expect(d2!.quality!.reason[0]).toBe(79);
    expect(warned(r).map(([code, line, field, assumed]) => [code, line, field, assumed])).toEqual([
      ['MDFF_QUALITY_WITHOUT_METHOD', 4, 'QualityMethod', 'quality S, method unknown'],
      ['MDFF_QUALITY_WITHOUT_METHOD', 5, 'QualityMethod', 'quality F, method unknown'],
      ['MDFF_QUALITY_WITHOUT_METHOD', 6, 'QualityMethod', 'quality E, method unknown'],
      ['MDFF_QUALITY_WITHOUT_METHOD', 7, 'QualityMethod', 'quality S, method unknown'],
    ]);
  });

  it('interval lengths 1, 5, 10, 15 and 30 (1 and 10 are outside MDFF: warned)', () => {
    for (const len of [1, 5, 10, 15, 30]) {
      const n = 1440 / len;
      const r = decodeClean(
        file([
          H100,
          `200,NEM1201009,E1,1,E1,N1,,kWh,${len},`,
          `300,20260301,${vals(n, (i) => i / 1000)},A,,,20260302083000,`,
          '900',
        ]),
      );
      const b = r.blocks[0]!;
      expect([b.intervalMinutes, b.values.length, b.values[n - 1]]).toEqual([len, n, (n - 1) / 1000]);
      expect(iso(b.starts[n - 1]! + len * 60_000)).toBe('2026-03-01T14:00:00.000Z');
      expect(warned(r)).toEqual(
        len === 1 || len === 10
          ? [['NEM12_INTERVAL_LENGTH', 2, 'IntervalLength', `${len}-minute intervals, ${n} values a day`]]
          : [],
      );
    }
  });

  it('a blank UOM on an active-energy stream: kWh assumed; on any other stream: dropped with its reason', () => {
    const r = decodeClean(
      file([
        H100,
        '200,NEM1201009,E1Q1,1,E1,N1,,,30,',
        v48,
        '200,NEM1201009,E1Q1,1,Q1,N2,,,30,',
        v48,
        v48.replace('20260301', '20260302'),
        '900',
      ]),
    );
    expect(r.blocks.map((b) => [b.meterId, b.channel, b.values[0]])).toEqual([
      ['NEM1201009E1', 'active_import_kwh', 0.5],
    ]);
    expect(r.blocks[0]!.nem12!.uom).toBe(''); // as written
    expect(warned(r)).toEqual([
      ['NEM12_BLANK_UOM', 2, 'UOM', 'kWh (suffix E1 is active energy)'],
      ['NEM12_BLANK_UOM', 4, 'UOM', 'nothing: the stream is dropped'],
    ]);
    expect(r.dropped).toEqual({ [NEM12_DROP.blankUom]: 96 });
  });

  it('a file without a 100 header, or with a UTF-8 byte-order mark, is detected as NEM12 and decodes', () => {
    const noHeader = file([E1_30, v48, '900']);
    expect(detectFormat(noHeader, 'export.csv')).toBe('nem12');
    expect(detectFormat(Buffer.from(noHeader), 'export.csv')).toBe('nem12');
    const r = decodeClean(noHeader);
    expect(r.blocks).toHaveLength(1);
    expect(warned(r)).toEqual([
      ['NEM12_NO_HEADER', 1, 'RecordIndicator', 'NEM12 (no header: created time and participants unknown)'],
    ]);

    const withBom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(file([H100, E1_30, v48, '900'])),
    ]);
    expect(detectFormat(new Uint8Array(withBom), 'export.csv')).toBe('nem12');
    expect(detectFormat(new Uint8Array(withBom), 'export.txt')).toBe('nem12');
    const b = decodeClean(new Uint8Array(withBom) as unknown as string);
    expect(b.warnings).toEqual([]);
    expect(b.blocks).toHaveLength(1);
    const bomNoHeader = `\ufeff${noHeader}`;
    expect(detectFormat(bomNoHeader, 'x.csv')).toBe('nem12');
    expect(decodeClean(bomNoHeader).blocks).toHaveLength(1);
  });

  it('the same NMI, stream and day twice in one file is flagged; both decode as written', () => {
    const r = decodeClean(file([H100, E1_30, v48, v48.replace(',0.5,', ',0.7,'), '900']));
    expect(r.blocks.map((b) => b.values[0])).toEqual([0.5, 0.7]);
    expect(r.warnings.map((w) => [w.code, w.location.line, w.message])).toEqual([
      ['NEM12_DUPLICATE_DAY', 4, 'NEM1201009E1 20260301 appears again (first at line 3)'],
    ]);
  });

  it('never changes a value: decode → encode → decode of a tolerated file gives the same blocks', () => {
    const text = file([
      '200,nem120100,E1,1,E1,N1,,,30,,',
      `300,20260301,${vals(48, (i) => i * 0.011)},A,,,,`,
      '900',
    ]);
    const first = decodeClean(text);
    const again = decodeClean(encode('nem12', first.blocks) as string);
    expect(again.blocks.map((b) => [b.meterId, Array.from(b.values)])).toEqual(
      first.blocks.map((b) => [b.meterId, Array.from(b.values)]),
    );
  });
});

describe('NEM12: every data stream a meter reports becomes a channel', () => {
  const stream = (suffix: string, uom: string) => [
    `200,NEM1201009,E1,1,${suffix},N1,,${uom},30,`,
    `300,20260301,${vals(48, () => 1500)},A,,,20260302083000,`,
  ];

  it('an E1 (kWh) and a Q1 (kVArh) stream: all intervals of both, units normalised, no warning', () => {
    const r = decodeClean(file([H100, ...stream('E1', 'kWh'), ...stream('Q1', 'kVArh'), '900']));
    expect(r.warnings).toEqual([]);
    expect(r.dropped).toEqual({});
    expect(r.blocks.map((b) => [b.meterId, b.channel, b.values.length, b.values[0]])).toEqual([
      ['NEM1201009E1', 'active_import_kwh', 48, 1500],
      ['NEM1201009Q1', 'reactive_import_kvarh', 48, 1500],
    ]);
  });

  const cases: Array<[string, string, string, string, number]> = [
    // suffix, UOM, channel, unit of the channel, value of 1500 in the file
    ['E1', 'Wh', 'active_import_kwh', 'kWh', 1.5],
    ['E2', 'kWh', 'nem12:E2', 'kWh', 1500],
    ['B1', 'kWh', 'active_export_kwh', 'kWh', 1500],
    ['B2', 'MWh', 'nem12:B2', 'kWh', 1_500_000],
    ['Q1', 'varh', 'reactive_import_kvarh', 'kvarh', 1.5],
    ['Q2', 'kvarh', 'nem12:Q2', 'kvarh', 1500],
    ['K1', 'kVArh', 'reactive_export_kvarh', 'kvarh', 1500],
    ['K1', 'VArh', 'reactive_export_kvarh', 'kvarh', 1.5],
    ['E1', 'kVAh', 'apparent_import_kvah', 'kVAh', 1500],
    ['B1', 'VAh', 'apparent_export_kvah', 'kVAh', 1.5],
    ['E1', 'kW', 'demand_import_kw', 'kW', 1500],
    ['B1', 'W', 'demand_export_kw', 'kW', 1.5],
    ['Q1', 'kvar', 'obis:1-0:3.4.0', 'kvar', 1500],
    ['E1', 'kVA', 'obis:1-0:9.4.0', 'kVA', 1500],
    ['V1', 'V', 'voltage_v', 'V', 1500],
    ['V2', 'kV', 'voltage_v', 'V', 1_500_000],
    ['A1', 'A', 'obis:1-0:11.7.0', 'A', 1500],
    ['P1', 'PF', 'power_factor', '', 1500],
  ];
  for (const [suffix, uom, channel, unit, value] of cases) {
    it(`${suffix} in ${uom} → ${channel} (${unit || 'ratio'})`, () => {
      const r = decodeClean(file([H100, ...stream(suffix, uom), '900']));
      expect(r.warnings).toEqual([]);
      expect(r.blocks.map((b) => [b.meterId, b.channel, b.values[0]])).toEqual([
        [`NEM1201009${suffix}`, channel, value],
      ]);
      expect(channelSpec(channel).unit).toBe(unit);
    });
  }

  it('a stream no channel fits is dropped with its reason and a warning, the others decode', () => {
    const r = decodeClean(
      file([H100, ...stream('N1', 'kWh'), ...stream('E1', 'kvarh'), ...stream('E1', 'kWh'), '900']),
    );
    expect(r.blocks.map((b) => b.meterId)).toEqual(['NEM1201009E1']);
    expect(r.warnings.map((w) => [w.code, w.location.line, w.message])).toEqual([
      [
        'NEM12_NO_CHANNEL',
        2,
        'data stream N1 (kWh) has no smt channel: suffix N1 names no quantity smt knows (E, B, Q, K)',
      ],
      [
        'NEM12_NO_CHANNEL',
        4,
        'data stream E1 (kvarh) has no smt channel: suffix E1 is active energy but the unit is reactive',
      ],
    ]);
    expect(r.dropped).toEqual({ [NEM12_DROP.noChannel]: 96 });
  });

  it('every dropped reading has a reason: invalid 200, 300 and 400 records and a meter mismatch', () => {
    const r = decode(
      'nem12',
      file([
        H100,
        E1_30.replace(',30,', ',20,'), // invalid 200: its two days are dropped
        v48,
        v48.replace('20260301', '20260302'),
        E1_30.replace(',E1,N1,', ',E2,N2,'),
        v48.replace(',0.5,', ',x,'), // invalid 300
        v48.replace('20260301', '20260302').replace(',A,', ',V,'),
        '400,1,48,A,,,', // padded: read
        v48.replace('20260301', '20260303').replace(',A,', ',V,'),
        '400,2,48,A,,', // invalid 400: starts at 2
        '900',
      ]),
    );
    expect(r.dropped).toEqual({
      [NEM12_DROP.invalid200]: 96,
      [NEM12_DROP.invalid300]: 48,
      [NEM12_DROP.invalid400]: 48,
    });
    expect(r.blocks.map((b) => b.nem12!.intervalDate)).toEqual(['20260302']);
    const keyed = decode('nem12', file([H100, E1_30, v48, '900']), { meterId: 'NEM1201009B1' });
    expect(keyed.failures.map((f) => f.code)).toEqual(['METER_MISMATCH']);
    expect(keyed.dropped).toEqual({ [NEM12_DROP.meterMismatch]: 48 });
  });
});

describe('NEM12: unrecoverable input is a clear failure with a line, never a crash', () => {
  const garbage: Array<[string, string]> = [
    ['binary noise', '\u0000\u0001\u0002,,,\n\u0003'],
    ['a 300 record of one field', file([H100, E1_30, '300', '900'])],
    ['a 200 record of two fields', file([H100, '200,X', v48, '900'])],
    ['a 400 of nothing but commas', file([H100, E1_30, v48.replace(',A,', ',V,'), '400,,,,,', '900'])],
    ['an unterminated quote', file([H100, E1_30, `300,20260301,"${vals(48)}`, '900'])],
  ];
  for (const [name, text] of garbage) {
    it(name, () => {
      const r = decode('nem12', text);
      expect(r.failures.length).toBeGreaterThan(0);
      expect(r.failures.every((f) => f.location.line !== undefined)).toBe(true);
      expect(r.failures.some((f) => f.message.startsWith('internal decoder error'))).toBe(false);
    });
  }
});

describe('NEM12: warnings past maxFailures', () => {
  it('are counted in one last warning, not lost', () => {
    const day = (d: number) => `300,202603${String(d).padStart(2, '0')},${vals(48)},A,,,,`;
    const r = decode(
      'nem12',
      file([H100, E1_30, ...Array.from({ length: 5 }, (_, i) => day(i + 1)), '900']),
      {
        maxFailures: 3,
      },
    );
    expect(r.warnings.map((w) => [w.code, w.message])).toEqual([
      ['NEM12_BLANK_UPDATE_DATETIME', 'UpdateDateTime is blank'],
      ['NEM12_BLANK_UPDATE_DATETIME', 'UpdateDateTime is blank'],
      ['NEM12_BLANK_UPDATE_DATETIME', 'UpdateDateTime is blank'],
      ['WARNINGS_NOT_LISTED', '2 more warnings not listed (maxFailures 3)'],
    ]);
    expect(r.blocks).toHaveLength(5);
  });
});
