/**
 * NEM13 (MDFF accumulated meter data): 250 records → register reads with previous and current
 * read, the period's consumption as stated and as derived; 550 B2B details; built from the
 * record layout of AEMO's MDFF specification and the shape of AEMO's own example files.
 */
import { describe, expect, it } from 'vitest';
import { decode, detectFormat, NEM13_DROP } from '../../src/core/codecs/index.js';

const H100 = '100,NEM13,200401101030,MDA1,Ret1';
/** after AEMO's "consumption data" example: a leading space before UpdateDateTime, as published */
const R250 =
  '250,VABC005890,11,1,11,11,METSER123,E,006342.8,20031005093055,A,,,007654.9,20040107100333,A,,,1312.1,kWh,20040407, 20040108100333,20040108091133';
function file(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('NEM13 decoding', () => {
  it('a 250 record → one register read: meter NMI + suffix, reads in market time, quantity and derived', () => {
    const r = decode('nem13', file([H100, R250, '900']));
    expect(r.failures).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.blocks).toEqual([]);
    expect(r.registerReads).toEqual([
      {
        meterId: 'VABC00589011',
        channel: 'register_import_kwh',
        unit: 'kWh',
        previous: {
          value: 6342.8,
          at: Date.parse('2003-10-05T09:30:55+10:00'),
          flag: 65,
          method: -1,
          reason: -1,
          description: '',
        },
        current: {
          value: 7654.9,
          at: Date.parse('2004-01-07T10:03:33+10:00'),
          flag: 65,
          method: -1,
          reason: -1,
          description: '',
        },
        quantity: 1312.1,
        derived: 1312.1, // not 1312.0999999999995
        line: 2,
        nem13: {
          nmi: 'VABC005890',
          nmiSuffix: '11',
          nmiConfiguration: '11',
          registerId: '1',
          mdmDataStreamId: '11',
          meterSerial: 'METSER123',
          directionIndicator: 'E',
          uom: 'kWh',
          nextScheduledReadDate: '20040407',
          updateDateTime: '20040108100333',
          msatsLoadDateTime: '20040108091133',
        },
      },
    ]);
  });

  it('a Quantity that differs from current − previous is kept as stated, with a warning', () => {
    // AEMO's forward-estimate example: register 41 reads 0000950 → 0010015 with Quantity 65
    const r = decode(
      'nem13',
      file([
        H100,
        '250,VDEF005890,1141,2,41,41,MET5678,E,0000950,20040108103055,A,,,0010015,20040408000000,E64,,,65,kWh,20040408, 20040409000000,20040109103023',
        '550,N,,E,',
        '900',
      ]),
    );
    expect(r.failures).toEqual([]);
    const read = r.registerReads![0]!;
    expect([read.quantity, read.derived, read.current.flag, read.current.method]).toEqual([65, 9065, 69, 64]);
    expect(read.nem13!.b2b).toEqual({
      previousTransCode: 'N',
      previousRetServiceOrder: '',
      currentTransCode: 'E',
      currentRetServiceOrder: '',
    });
    expect(r.warnings.map((w) => [w.code, w.location.line, w.location.field, w.assumed])).toEqual([
      [
        'NEM13_QUANTITY_DIFFERS',
        2,
        'Quantity',
        'Quantity as stated (a register rollover, a multiplier or a meter exchange explains a difference)',
      ],
    ]);
  });

  it('units normalise (Wh → kWh, varh → kvarh); the direction is the meter side (I = export)', () => {
    const r = decode(
      'nem13',
      file([
        H100,
        R250.replace(',E,', ',I,').replace(',kWh,', ',Wh,'),
        R250.replace(',11,11,', ',Q1,Q1,').replace(',kWh,', ',kvarh,'),
        R250.replace(',11,11,', ',D1,D1,').replace(',kWh,', ',kW,'),
        '900',
      ]),
    );
    expect(r.failures).toEqual([]);
    expect(r.registerReads!.map((x) => [x.meterId, x.channel, x.unit, x.quantity, x.current.value])).toEqual([
      ['VABC00589011', 'register_export_kwh', 'kWh', 1.3121, 7.6549],
      ['VABC005890Q1', 'obis:1-0:3.8.0', 'kvarh', 1312.1, 7654.9],
      ['VABC005890D1', 'obis:1-0:1.6.0', 'kW', 1312.1, 7654.9],
    ]);
  });

  it('detected by content (100,NEM13 or a first 250 record) and by the AEMO file name', () => {
    expect(detectFormat(file([H100, R250, '900']), 'data.csv')).toBe('nem13');
    expect(detectFormat(Buffer.from(`\ufeff${file([R250, '900'])}`), 'data.csv')).toBe('nem13');
    expect(detectFormat('999,x\n', 'NEM13#123#MDP#RET.csv')).toBe('nem13');
  });

  it('tolerances as in NEM12: no header, a short lower-case NMI, 12-digit times, padding, blank UpdateDateTime', () => {
    const r = decode(
      'nem13',
      file([
        `${R250.replace('VABC005890', 'vabc0058').replace('20031005093055', '200310050930').replace(' 20040108100333', '')},,`,
        '900',
      ]),
    );
    expect(r.failures).toEqual([]);
    expect(r.registerReads!.map((x) => x.meterId)).toEqual(['vabc005811']);
    expect(r.warnings.map((w) => w.code)).toEqual([
      'NEM13_NO_HEADER',
      'MDFF_EXTRA_EMPTY_FIELDS',
      'MDFF_NMI_SHORT',
      'MDFF_NMI_LOWER_CASE',
      'MDFF_DATETIME_LENGTH',
      'NEM13_BLANK_UPDATE_DATETIME',
    ]);
  });

  it('bad records fail with their line and field, are counted as dropped, and the rest decodes', () => {
    const r = decode(
      'nem13',
      file([
        H100,
        R250.replace('006342.8', '63x'),
        R250.replace(',E,', ',X,'),
        R250.replace('20040107100333', '20030101000000'), // current before previous
        R250.split(',').slice(0, 12).join(','),
        R250,
        '550,N,,E,',
      ]),
    );
    expect(r.failures.map((f) => [f.location.line, f.location.field, f.message])).toEqual([
      [2, 'PreviousRegisterRead', 'PreviousRegisterRead: expected a decimal number, found "63x"'],
      [3, 'DirectionIndicator', 'DirectionIndicator: expected E or I, found "X"'],
      [
        4,
        'CurrentRegisterReadDateTime',
        'CurrentRegisterReadDateTime: expected a time after the previous read (20031005093055), found "20030101000000"',
      ],
      [5, undefined, 'expected 23 fields, found 12'],
      [8, undefined, 'missing 900 end record'],
    ]);
    expect(r.dropped).toEqual({ [NEM13_DROP.invalid250]: 4 });
    expect(r.registerReads!.map((x) => x.line)).toEqual([6]);
  });

  it('a read for another meter than the message key is a METER_MISMATCH', () => {
    const r = decode('nem13', file([H100, R250, '900']), { meterId: 'VABC00589041' });
    expect(r.failures.map((f) => f.code)).toEqual(['METER_MISMATCH']);
    expect(r.dropped).toEqual({ [NEM13_DROP.meterMismatch]: 1 });
  });
});
