import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/core/codecs/index.js';
import { block, iso, MIN, plain, ramp } from './codecs-fixtures.js';

const START = Date.UTC(2026, 2, 10, 0, 0); // 2026-03-10T00:00Z
const te = new TextEncoder();

function one(json: string, options = {}) {
  const r = decode('json', json, options);
  return r;
}

describe('JSON block: decoding', () => {
  it('decodes a meter-day block with nulls, status, first sequence and cq', () => {
    const r = one(
      '{"v":1,"meter":"M1","channel":"active_import_kwh","interval":15,"start":"2026-03-10T01:00:00+01:00",' +
        '"values":[0.12,null,0.5],"status":[0,4,0],"seq":1234,"cq":97}',
    );
    expect(r.failures).toEqual([]);
    expect(r.blocks).toHaveLength(1);
    expect(plain(r.blocks[0]!)).toEqual({
      meterId: 'M1',
      channel: 'active_import_kwh',
      intervalMinutes: 15,
      // 01:00+01:00 is 00:00Z; then every 15 minutes
      starts: [START, START + 15 * MIN, START + 30 * MIN],
      values: [0.12, Number.NaN, 0.5],
      status: [0, 4, 0],
      sequence: [1234, 1235, 1236],
      commQuality: 97,
    });
  });

  it('accepts epoch milliseconds, omitted status/seq/cq, and bytes as from Kafka', () => {
    const r = decode(
      'json',
      te.encode(
        `{"v":1,"meter":"M1","channel":"voltage_v","interval":5,"start":${START},"values":[230.1,229.9]}`,
      ),
    );
    expect(r.failures).toEqual([]);
    expect(plain(r.blocks[0]!)).toEqual({
      meterId: 'M1',
      channel: 'voltage_v',
      intervalMinutes: 5,
      starts: [START, START + 5 * MIN],
      values: [230.1, 229.9],
      status: [0, 0],
      sequence: [-1, -1],
      commQuality: Number.NaN,
    });
  });

  it('takes the meter from the message key when the payload has none', () => {
    const r = one(`{"v":1,"channel":"active_import_kwh","interval":15,"start":${START},"values":[1]}`, {
      meterId: 'KEY1',
    });
    expect(r.failures).toEqual([]);
    expect(r.blocks[0]!.meterId).toBe('KEY1');
  });

  it('takes a per-reading sequence array with nulls', () => {
    const r = one(
      `{"v":1,"meter":"M","channel":"active_import_kwh","interval":15,"start":${START},"values":[1,2,3],"seq":[7,null,9]}`,
    );
    expect(Array.from(r.blocks[0]!.sequence)).toEqual([7, -1, 9]);
  });

  it('ignores unknown fields (forward compatibility within v1)', () => {
    const r = one(
      `{"v":1,"meter":"M","channel":"active_import_kwh","interval":15,"start":${START},"values":[1],"x-head-end":"abc"}`,
    );
    expect(r.failures).toEqual([]);
  });

  it('decodes the spring-forward day in Europe/Stockholm: 92 quarter-hours from local midnight', () => {
    const values = ramp(92);
    const r = one(
      JSON.stringify({
        v: 1,
        meter: 'M',
        channel: 'active_import_kwh',
        interval: 15,
        start: '2026-03-29T00:00:00+01:00',
        values,
      }),
    );
    expect(r.failures).toEqual([]);
    const b = r.blocks[0]!;
    expect(b.values.length).toBe(92);
    expect(iso(b.starts[0]!)).toBe('2026-03-28T23:00:00.000Z');
    // the last quarter-hour of the local day: 23:45+02:00
    expect(iso(b.starts[91]!)).toBe('2026-03-29T21:45:00.000Z');
  });

  it('decodes the fall-back day: 100 quarter-hours', () => {
    const r = one(
      JSON.stringify({
        v: 1,
        meter: 'M',
        channel: 'active_import_kwh',
        interval: 15,
        start: '2026-10-25T00:00:00+02:00',
        values: ramp(100),
      }),
    );
    const b = r.blocks[0]!;
    expect(b.values.length).toBe(100);
    expect(iso(b.starts[0]!)).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(b.starts[99]!)).toBe('2026-10-25T22:45:00.000Z'); // 23:45+01:00
  });

  it('decodes a JSON array of blocks, keeping the good ones when one is bad', () => {
    const good = `{"v":1,"meter":"A","channel":"active_import_kwh","interval":15,"start":${START},"values":[1]}`;
    const bad = `{"v":1,"meter":"B","channel":"active_import_kwh","interval":15,"start":${START},"values":["x"]}`;
    const r = one(`[${good},${bad},${good.replace('"A"', '"C"')}]`);
    expect(r.blocks.map((b) => b.meterId)).toEqual(['A', 'C']);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.location).toEqual({ record: 'blocks[1]', field: 'values[0]' });
  });

  it('decodes NDJSON with line numbers in failures, skipping blank lines', () => {
    const l = (m: string) =>
      `{"v":1,"meter":"${m}","channel":"active_import_kwh","interval":15,"start":${START},"values":[1]}`;
    const text = `${l('A')}\n\n${l('B')}\n{"v":1,"meter":"C","channel":"nope","interval":15,"start":${START},"values":[1]}\n${l('D')}\n`;
    const r = one(text);
    expect(r.blocks.map((b) => b.meterId)).toEqual(['A', 'B', 'D']);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.location).toEqual({ line: 4, record: 'line 4', field: 'channel' });
  });

  it('reports a syntax error inside NDJSON on its own line', () => {
    const l = `{"v":1,"meter":"A","channel":"active_import_kwh","interval":15,"start":${START},"values":[1]}`;
    const r = one(`${l}\n${l}\n{"v":1,"meter":\n`);
    expect(r.blocks).toHaveLength(2);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.location.line).toBe(3);
    expect(r.failures[0]!.message).toMatch(/^JSON syntax error/);
  });
});

describe('JSON block: every failure names its field, expected and found', () => {
  const base = {
    v: 1,
    meter: 'M1',
    channel: 'active_import_kwh',
    interval: 15,
    start: '2026-03-10T00:00:00Z',
    values: [1, 2, 3],
  };
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['wrong version', { v: 2 }, 'v', 'v: expected 1, found 2'],
    ['missing version', { v: undefined }, 'v', 'v: expected 1, found nothing'],
    [
      'meter not a string',
      { meter: 42 },
      'meter',
      'meter: expected a string of 1 to 64 characters, found 42',
    ],
    ['meter empty', { meter: '' }, 'meter', 'meter: expected a string of 1 to 64 characters, found ""'],
    [
      'meter missing without key',
      { meter: undefined },
      'meter',
      'meter: expected a meter id (or a message key), found nothing',
    ],
    [
      'unknown channel',
      { channel: 'reactive' },
      'channel',
      'channel: expected a channel: a name such as active_import_kwh, an OBIS code such as 1-0:1.8.0, or nem12:E2, found "reactive"',
    ],
    ['interval 10', { interval: 10 }, 'interval', 'interval: expected 5, 15, 30 or 60, found 10'],
    ['interval as string', { interval: '15' }, 'interval', 'interval: expected 5, 15, 30 or 60, found "15"'],
    [
      'start without offset',
      { start: '2026-03-10T00:00:00' },
      'start',
      'start: expected ISO-8601 date-time with offset (e.g. 2026-03-29T00:00:00+01:00 or …Z), found "2026-03-10T00:00:00"',
    ],
    [
      'start not a date',
      { start: '2026-02-30T00:00:00Z' },
      'start',
      'start: expected a real calendar date and time, found "2026-02-30T00:00:00Z"',
    ],
    [
      'start misaligned',
      { start: '2026-03-10T00:07:00Z' },
      'start',
      'start: expected an interval start aligned to 15 minutes, found "2026-03-10T00:07:00Z"',
    ],
    [
      'start fractional epoch',
      { start: 1.5 },
      'start',
      'start: expected ISO-8601 date-time with offset or epoch milliseconds, found 1.5',
    ],
    [
      'values not an array',
      { values: 'abc' },
      'values',
      'values: expected an array of numbers or null, found "abc"',
    ],
    ['values empty', { values: [] }, 'values', 'values: expected 1 to 8928 readings, found 0'],
    ['status wrong length', { status: [0] }, 'status', 'status: expected 3 entries (one per value), found 1'],
    [
      'status negative',
      { status: [0, -1, 0] },
      'status[1]',
      'status[1]: expected an integer 0..4294967295, found -1',
    ],
    ['seq negative', { seq: -5 }, 'seq', 'seq: expected an integer 0..2147483645, found -5'],
    [
      'seq overflowing int32',
      { seq: 2147483647 },
      'seq',
      'seq: expected an integer 0..2147483645, found 2147483647',
    ],
    [
      'seq array element',
      { seq: [1, 'x', 3] },
      'seq[1]',
      'seq[1]: expected an integer 0..2147483647 or null, found "x"',
    ],
    [
      'seq wrong type',
      { seq: true },
      'seq',
      'seq: expected the first sequence number, or an array of them, found true',
    ],
    ['cq out of range', { cq: 101 }, 'cq', 'cq: expected a number 0..100 or null, found 101'],
  ];
  for (const [name, patch, field, message] of cases) {
    it(name, () => {
      const r = one(JSON.stringify({ ...base, ...patch }));
      expect(r.blocks).toEqual([]);
      expect(r.failures.map((f) => f.message)).toContain(message);
      const f = r.failures.find((x) => x.message === message)!;
      expect(f.location.field).toBe(field);
      expect(f.format).toBe('json');
    });
  }

  it('values[17]: expected number or null, found "abc"', () => {
    const values: unknown[] = ramp(96);
    values[17] = 'abc';
    const r = one(JSON.stringify({ ...base, values }));
    expect(r.failures).toEqual([
      {
        format: 'json',
        message: 'values[17]: expected number or null, found "abc"',
        location: { field: 'values[17]' },
        expected: 'number or null',
        found: '"abc"',
      },
    ]);
  });

  it('numbers beyond a double (1e999, -1e999) are refused by name, not stored as null or Infinity', () => {
    const text = JSON.stringify({ ...base, values: [1, 2, 3] }).replace('[1,2,3]', '[1e999,0.5,-1e999]');
    const r = one(text);
    expect(r.blocks).toEqual([]);
    expect(r.failures.map((f) => [f.location.field, f.found, f.message])).toEqual([
      [
        'values[0]',
        'Infinity',
        'values[0]: expected a finite number or null, found Infinity (a number beyond the range of a double)',
      ],
      [
        'values[2]',
        '-Infinity',
        'values[2]: expected a finite number or null, found -Infinity (a number beyond the range of a double)',
      ],
    ]);
  });

  it('lists every bad value, not just the first', () => {
    const r = one(JSON.stringify({ ...base, values: [true, 1, {}] }));
    expect(r.failures.map((f) => f.location.field)).toEqual(['values[0]', 'values[2]']);
    expect(r.failures[1]!.found).toBe('object');
  });

  it('a payload naming another meter than its message key is a failure (a routing bug)', () => {
    const r = one(JSON.stringify(base), { meterId: 'OTHER' });
    expect(r.failures[0]!.message).toBe('meter: expected "OTHER" (the message key), found "M1"');
  });

  it('a scalar, a string, an empty payload and garbage', () => {
    expect(one('42').failures[0]!.message).toBe(
      'expected a JSON block object, an array of blocks, or NDJSON, found "42"',
    );
    expect(one('[1]').failures[0]!.message).toBe('expected a JSON block object, found 1');
    expect(one('   ').failures[0]!.message).toBe('empty payload');
    expect(one('').failures[0]!.location).toEqual({ byteOffset: 0 });
  });

  it('a truncated single message is a syntax failure with a position, not an exception', () => {
    const full = JSON.stringify(base);
    for (let k = 1; k < full.length; k++) {
      const r = one(full.slice(0, k));
      expect(r.blocks).toEqual([]);
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]!.message).toMatch(/^JSON syntax error/);
    }
  });

  it('invalid UTF-8 is a failure at its byte', () => {
    const bytes = te.encode(JSON.stringify(base));
    const broken = new Uint8Array([...bytes.subarray(0, 20), 0xc3, 0x28, ...bytes.subarray(20)]);
    const r = decode('json', broken);
    expect(r.failures[0]!.location).toEqual({ byteOffset: 20 });
  });
});

describe('JSON block: encoding and round trips', () => {
  it('round-trips a block with NaN, status, sequence and cq', () => {
    const b = block({
      start: START,
      values: [0.1, null, 0.3],
      status: [0, 2, 0],
      sequence: [10, 11, 12],
      commQuality: 88,
    });
    const text = encode('json', [b]) as string;
    expect(text).toBe(
      `{"v":1,"meter":"M000001","channel":"active_import_kwh","interval":15,"start":"2026-03-10T00:00:00Z","values":[0.1,null,0.3],"status":[0,2,0],"seq":10,"cq":88}\n`,
    );
    expect(plain(decode('json', text).blocks[0]!)).toEqual(plain(b));
  });

  it('writes local starts with offset for a zone, and round-trips both DST days', () => {
    for (const [start, n, expectStart] of [
      [Date.UTC(2026, 2, 28, 23), 92, '2026-03-29T00:00:00+01:00'],
      [Date.UTC(2026, 9, 24, 22), 100, '2026-10-25T00:00:00+02:00'],
    ] as const) {
      const b = block({ start, values: ramp(n) });
      const text = encode('json', [b], { timezone: 'Europe/Stockholm' }) as string;
      expect(JSON.parse(text).start).toBe(expectStart);
      const back = decode('json', text);
      expect(back.failures).toEqual([]);
      expect(plain(back.blocks[0]!)).toEqual(plain(b));
    }
  });

  it('writes a non-consecutive sequence as an array and a gap as two objects (NDJSON)', () => {
    const b = block({ start: START, values: [1, 2, 3, 4], sequence: [5, 6, 9, 10] });
    // drop the third interval: a gap in starts
    const gap = {
      ...b,
      starts: Float64Array.from([START, START + 15 * MIN, START + 45 * MIN]),
      values: Float64Array.from([1, 2, 4]),
      status: new Uint32Array(3),
      sequence: Int32Array.from([5, 7, 10]),
    };
    const text = encode('json', [gap]) as string;
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!).seq).toEqual([5, 7]);
    expect(JSON.parse(lines[1]!).seq).toBe(10);
    const back = decode('json', text);
    expect(back.blocks.map((x) => Array.from(x.values))).toEqual([[1, 2], [4]]);
    expect(encode('json', [b, b], { jsonLayout: 'array' }).toString().startsWith('[\n{')).toBe(true);
  });

  it('round-trips many blocks through an array file and NDJSON', () => {
    const blocks = [
      block({ meterId: 'A', start: START, values: [1, null] }),
      block({ meterId: 'B', channel: 'power_factor', interval: 60, start: START, values: [0.98] }),
    ];
    for (const jsonLayout of ['array', 'ndjson'] as const) {
      const r = decode('json', encode('json', blocks, { jsonLayout }));
      expect(r.failures).toEqual([]);
      expect(r.blocks.map(plain)).toEqual(blocks.map(plain));
    }
  });
});
