import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/core/codecs/index.js';
import { block, iso, MIN, plain, ramp } from './codecs-fixtures.js';

const START = Date.UTC(2026, 2, 10);

function csv(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('CSV: decoding', () => {
  it('groups rows into blocks per meter and channel, in order of first appearance', () => {
    const r = decode(
      'csv',
      csv([
        'meter_id,channel,interval_start,interval_minutes,value,status,sequence,comm_quality',
        'M2,active_import_kwh,2026-03-10T00:00:00Z,15,0.5,0,100,90',
        'M1,active_import_kwh,2026-03-10T00:00:00Z,15,0.1,0,7,',
        'M2,active_import_kwh,2026-03-10T00:15:00Z,15,,8,101,80',
        'M1,active_export_kwh,2026-03-10T00:00:00Z,15,0.2,,,',
        'M1,active_import_kwh,2026-03-10T00:15:00Z,15,0.3,0x10,8,',
      ]),
    );
    expect(r.failures).toEqual([]);
    expect(r.blocks.map(plain)).toEqual([
      {
        meterId: 'M2',
        channel: 'active_import_kwh',
        intervalMinutes: 15,
        starts: [START, START + 15 * MIN],
        values: [0.5, Number.NaN],
        status: [0, 8],
        sequence: [100, 101],
        commQuality: 80,
      },
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        intervalMinutes: 15,
        starts: [START, START + 15 * MIN],
        values: [0.1, 0.3],
        status: [0, 16],
        sequence: [7, 8],
        commQuality: Number.NaN,
      },
      {
        meterId: 'M1',
        channel: 'active_export_kwh',
        intervalMinutes: 15,
        starts: [START],
        values: [0.2],
        status: [0],
        sequence: [-1],
        commQuality: Number.NaN,
      },
    ]);
  });

  it('accepts header aliases in any case and order, ignores unknown columns, handles CRLF and a BOM', () => {
    const text =
      '\ufeffValue,Extra,Meter,Interval Start,Interval,Channel\r\n1.5,x,M1,2026-03-10T01:00:00+01:00,60,ACTIVE_IMPORT_KWH\r\n';
    const r = decode('csv', text);
    expect(r.failures).toEqual([]);
    expect(plain(r.blocks[0]!)).toMatchObject({
      meterId: 'M1',
      channel: 'active_import_kwh',
      intervalMinutes: 60,
      starts: [START],
      values: [1.5],
    });
  });

  it('sorts rows of a block by start', () => {
    const r = decode(
      'csv',
      csv([
        'meter_id,channel,interval_start,interval_minutes,value',
        'M,active_import_kwh,2026-03-10T00:30:00Z,15,3',
        'M,active_import_kwh,2026-03-10T00:00:00Z,15,1',
        'M,active_import_kwh,2026-03-10T00:15:00Z,15,2',
      ]),
    );
    expect(Array.from(r.blocks[0]!.values)).toEqual([1, 2, 3]);
    expect(Array.from(r.blocks[0]!.starts)).toEqual([START, START + 15 * MIN, START + 30 * MIN]);
  });

  it('takes interval_end instead of interval_start (the start is one interval earlier)', () => {
    const r = decode(
      'csv',
      csv([
        'meter,channel,interval_end,interval_minutes,kwh',
        'M,active_import_kwh,2026-03-10T00:15:00Z,15,1',
      ]),
    );
    expect(Array.from(r.blocks[0]!.starts)).toEqual([START]);
  });

  it('takes meter, channel and interval from options when the file has no such columns', () => {
    const r = decode('csv', csv(['interval_start,value', `${START},4.2`]), {
      meterId: 'K',
      channel: 'voltage_v',
      intervalMinutes: 5,
    });
    expect(r.failures).toEqual([]);
    expect(plain(r.blocks[0]!)).toMatchObject({
      meterId: 'K',
      channel: 'voltage_v',
      intervalMinutes: 5,
      starts: [START],
      values: [4.2],
    });
  });

  it('reads semicolon exports with decimal commas', () => {
    const r = decode(
      'csv',
      csv([
        'meter_id;channel;interval_start;interval_minutes;value;comm_quality',
        'M;active_import_kwh;2026-03-10T00:00:00Z;15;0,125;97,5',
      ]),
    );
    expect(r.failures).toEqual([]);
    expect(r.blocks[0]!.values[0]).toBe(0.125);
    expect(r.blocks[0]!.commQuality).toBe(97.5);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks, counting lines right', () => {
    const r = decode(
      'csv',
      csv([
        'meter_id,note,channel,interval_start,interval_minutes,value',
        '"M,1","a ""b""\nc",active_import_kwh,2026-03-10T00:00:00Z,15,1',
        'M2,,bad,2026-03-10T00:00:00Z,15,1',
      ]),
    );
    expect(r.blocks[0]!.meterId).toBe('M,1');
    expect(r.failures[0]!.location).toEqual({ line: 4, field: 'channel' });
  });

  it('keeps a block its own communication quality: the worst of its rows', () => {
    const r = decode(
      'csv',
      csv([
        'meter_id,channel,interval_start,interval_minutes,value,cq',
        'M,active_import_kwh,2026-03-10T00:00:00Z,15,1,90',
        'M,active_import_kwh,2026-03-10T00:15:00Z,15,1,70',
        'M,active_import_kwh,2026-03-10T00:30:00Z,15,1,',
      ]),
    );
    expect(r.blocks[0]!.commQuality).toBe(70);
  });

  it('keeps the local-time DST days apart: 92 and 100 rows with offsets', () => {
    for (const [start, n] of [
      [Date.UTC(2026, 2, 28, 23), 92],
      [Date.UTC(2026, 9, 24, 22), 100],
    ] as const) {
      const b = block({ start, values: ramp(n) });
      const text = encode('csv', [b], { timezone: 'Europe/Stockholm' }) as string;
      const rows = text.trim().split('\n');
      expect(rows).toHaveLength(n + 1);
      const back = decode('csv', text);
      expect(back.failures).toEqual([]);
      expect(plain(back.blocks[0]!)).toEqual(plain(b));
    }
    const spring = (
      encode('csv', [block({ start: Date.UTC(2026, 2, 28, 23), values: ramp(92) })], {
        timezone: 'Europe/Stockholm',
      }) as string
    ).split('\n');
    // rows 8 and 9 (1-based, after the header): 01:45+01:00 then 03:00+02:00; 02:xx does not exist
    expect(spring[8]).toContain('2026-03-29T01:45:00+01:00');
    expect(spring[9]).toContain('2026-03-29T03:00:00+02:00');
    const fall = (
      encode('csv', [block({ start: Date.UTC(2026, 9, 24, 22), values: ramp(100) })], {
        timezone: 'Europe/Stockholm',
      }) as string
    ).split('\n');
    // 02:00 twice: first in summer time, an hour later in winter time
    expect(fall[9]).toContain('2026-10-25T02:00:00+02:00');
    expect(fall[13]).toContain('2026-10-25T02:00:00+01:00');
  });
});

describe('CSV: failures carry line numbers and column names', () => {
  const header = 'meter_id,channel,interval_start,interval_minutes,value,status,sequence,comm_quality';
  const row = (patch: Partial<Record<string, string>>) => {
    const r = {
      meter_id: 'M',
      channel: 'active_import_kwh',
      interval_start: '2026-03-10T00:00:00Z',
      interval_minutes: '15',
      value: '1',
      status: '0',
      sequence: '',
      comm_quality: '',
      ...patch,
    };
    return [
      r.meter_id,
      r.channel,
      r.interval_start,
      r.interval_minutes,
      r.value,
      r.status,
      r.sequence,
      r.comm_quality,
    ].join(',');
  };
  const cases: Array<[string, Partial<Record<string, string>>, string, string]> = [
    [
      'bad value',
      { value: 'abc' },
      'value',
      'value: expected a decimal number or empty (missing), found "abc"',
    ],
    [
      'a value beyond a double',
      { value: '1e999' },
      'value',
      'value: expected a finite decimal number or empty (missing), found "1e999" (Infinity)',
    ],
    [
      'a negative value beyond a double',
      { value: '-1e999' },
      'value',
      'value: expected a finite decimal number or empty (missing), found "-1e999" (-Infinity)',
    ],
    [
      'hex is not a value',
      { value: '0x10' },
      'value',
      'value: expected a decimal number or empty (missing), found "0x10"',
    ],
    [
      'unknown channel',
      { channel: 'kvarh' },
      'channel',
      'channel: expected a channel: a name such as active_import_kwh, an OBIS code such as 1-0:1.8.0, or nem12:E2, found "kvarh"',
    ],
    [
      'interval 10',
      { interval_minutes: '10' },
      'interval_minutes',
      'interval_minutes: expected 5, 15, 30 or 60, found "10"',
    ],
    [
      'local time without offset',
      { interval_start: '2026-03-10 00:00:00' },
      'interval_start',
      'interval_start: expected ISO-8601 date-time with offset (e.g. 2026-03-29T00:00:00+01:00 or …Z), found "2026-03-10 00:00:00"',
    ],
    [
      'misaligned start',
      { interval_start: '2026-03-10T00:05:00Z' },
      'interval_start',
      'interval_start: expected a time aligned to 15 minutes, found "2026-03-10T00:05:00Z"',
    ],
    [
      'not a date',
      { interval_start: '2026-13-01T00:00:00Z' },
      'interval_start',
      'interval_start: expected a real calendar date and time, found "2026-13-01T00:00:00Z"',
    ],
    [
      'negative status',
      { status: '-1' },
      'status',
      'status: expected an integer 0..4294967295 (decimal or 0x hex), found "-1"',
    ],
    [
      'sequence not integer',
      { sequence: '1.5' },
      'sequence',
      'sequence: expected an integer 0..2147483647 or empty, found "1.5"',
    ],
    [
      'comm quality above 100',
      { comm_quality: '120' },
      'comm_quality',
      'comm_quality: expected a number 0..100 or empty, found "120"',
    ],
    [
      'empty meter',
      { meter_id: '' },
      'meter_id',
      'meter_id: expected a meter id of 1 to 64 characters, found ""',
    ],
  ];
  for (const [name, patch, field, message] of cases) {
    it(name, () => {
      const r = decode(
        'csv',
        csv([
          header,
          row({}),
          row({ ...patch, interval_start: patch.interval_start ?? '2026-03-10T00:15:00Z' }),
        ]),
      );
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]!.message).toBe(message.replace('2026-03-10T00:00:00Z', '2026-03-10T00:15:00Z'));
      expect(r.failures[0]!.location).toEqual({ line: 3, field });
      // the good row still decodes
      expect(r.blocks[0]!.values.length).toBe(1);
    });
  }

  it('a row with the wrong number of fields', () => {
    const r = decode('csv', csv([header, row({}), 'M,active_import_kwh,2026-03-10T00:15:00Z']));
    expect(r.failures[0]).toMatchObject({
      message: 'expected 8 fields as in the header, found 3',
      location: { line: 3 },
    });
  });

  it('a duplicate interval names both lines and keeps the first', () => {
    const r = decode(
      'csv',
      csv([
        header,
        row({ value: '1' }),
        row({ interval_start: '2026-03-10T00:15:00Z' }),
        row({ value: '9' }),
      ]),
    );
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.message).toBe(
      'duplicate reading for M active_import_kwh at 2026-03-10T00:00:00.000Z (first at line 2)',
    );
    expect(r.failures[0]!.location).toEqual({ line: 4 });
    expect(Array.from(r.blocks[0]!.values)).toEqual([1, 1]);
  });

  it('missing required columns are reported on the header line, and nothing is decoded', () => {
    const r = decode('csv', csv(['meter_id,when,reading_value', 'M,x,1']));
    expect(r.blocks).toEqual([]);
    expect(r.failures.map((f) => f.message)).toEqual([
      'missing column channel (or give the channel)',
      'missing column interval_start (or interval_end)',
      'missing column interval_minutes (or give the interval length)',
      'missing column value (required)',
    ]);
    expect(r.failures.every((f) => f.location.line === 1)).toBe(true);
  });

  it('a column given twice, and both time columns', () => {
    const r = decode('csv', csv(['meter,meter_id,channel,start,end,interval,value']));
    expect(r.failures.map((f) => f.message)).toEqual([
      'column meter_id appears twice (meter and meter_id)',
      'both interval_start and interval_end columns: keep one',
    ]);
  });

  it('an empty file, an unterminated quote, and a key that disagrees with the file', () => {
    expect(decode('csv', '').failures[0]!.message).toBe('empty CSV: no header row');
    const q = decode('csv', csv([header, '"M,active_import_kwh,2026-03-10T00:00:00Z,15,1,0,,']));
    expect(q.failures[0]).toMatchObject({ message: 'unterminated quoted field', location: { line: 2 } });
    const k = decode('csv', csv([header, row({})]), { meterId: 'OTHER' });
    expect(k.failures[0]!.message).toBe('meter_id: expected "OTHER" (the message key), found "M"');
  });
});

describe('CSV: encoding', () => {
  it('writes the canonical header and round-trips NaN, status, sequence and cq', () => {
    const blocks = [
      block({ start: START, values: [0.1, null], status: [0, 3], sequence: [1, 2], commQuality: 55 }),
      block({ meterId: 'X', channel: 'voltage_v', interval: 5, start: START, values: [231] }),
    ];
    const text = encode('csv', blocks) as string;
    expect(text.split('\n').slice(0, 3)).toEqual([
      'meter_id,channel,interval_start,interval_minutes,value,status,sequence,comm_quality',
      'M000001,active_import_kwh,2026-03-10T00:00:00Z,15,0.1,0,1,55',
      'M000001,active_import_kwh,2026-03-10T00:15:00Z,15,,3,2,55',
    ]);
    const back = decode('csv', text);
    expect(back.failures).toEqual([]);
    expect(back.blocks.map(plain)).toEqual(blocks.map(plain));
  });

  it('writes semicolon files with decimal commas that decode back', () => {
    const b = block({ start: START, values: [0.125] });
    const text = encode('csv', [b], { csvDelimiter: ';' }) as string;
    expect(text.split('\n')[1]).toBe('M000001;active_import_kwh;2026-03-10T00:00:00Z;15;0,125;0;;');
    expect(plain(decode('csv', text).blocks[0]!)).toEqual(plain(b));
  });

  it('quotes meter ids that need it', () => {
    const b = block({ meterId: 'A,"B"', start: START, values: [1] });
    const text = encode('csv', [b]) as string;
    expect(text.split('\n')[1]!.startsWith('"A,""B""",')).toBe(true);
    expect(decode('csv', text).blocks[0]!.meterId).toBe('A,"B"');
    expect(iso(decode('csv', text).blocks[0]!.starts[0]!)).toBe('2026-03-10T00:00:00.000Z');
  });
});
