import { describe, expect, it } from 'vitest';
import {
  AxdrReader,
  DEFAULT_DLMS_PROFILE,
  type DecodeFailure,
  type DlmsProfileConfig,
  decode,
  encode,
} from '../../src/core/codecs/index.js';
import { block, iso, MIN, plain, ramp } from './codecs-fixtures.js';

const START = Date.UTC(2026, 2, 10); // Tuesday 2026-03-10 00:00Z

/** COSEM date-time octet-string, bytes written out by hand. */
function dt(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  dev = 0,
  status = 0x00,
  s = 0,
): number[] {
  return [0x09, 0x0c, y >> 8, y & 0xff, mo, d, 0xff, h, mi, s, 0x00, (dev >> 8) & 0xff, dev & 0xff, status];
}
const u32 = (v: number) => [0x06, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const u16 = (v: number) => [0x12, (v >> 8) & 0xff, v & 0xff];
const u8 = (v: number) => [0x11, v];

/**
 * Three entries of the default profile (clock, AMR status, +A Wh, -A Wh), assembled by hand:
 *   00:00 full clock       status 0   +A 1000 (u32)  -A 0 (u16)
 *   00:15 null-data clock  status 8   +A 1125 (u32)  -A 5 (u16)
 *   00:30 empty clock      status 0   +A 1234 (u64)  -A null
 */
const HAND = Uint8Array.from([
  0x01,
  0x03,
  0x02,
  0x04,
  ...dt(2026, 3, 10, 0, 0),
  ...u8(0),
  ...u32(1000),
  ...u16(0),
  0x02,
  0x04,
  0x00,
  ...u8(8),
  ...u32(1125),
  ...u16(5),
  0x02,
  0x04,
  0x09,
  0x00,
  ...u8(0),
  0x15,
  0,
  0,
  0,
  0,
  0,
  0,
  0x04,
  0xd2,
  0x00,
]);

function only(failures: DecodeFailure[]): DecodeFailure {
  expect(failures).toHaveLength(1);
  return failures[0]!;
}

describe('DLMS profile buffer: decoding', () => {
  it('decodes a hand-assembled buffer: register differences, compact clocks, mixed integer types, null values', () => {
    const r = decode('dlms', HAND, { intervalMinutes: 15, meterId: 'M1' });
    expect(r.failures).toEqual([]);
    expect(r.blocks.map(plain)).toEqual([
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        intervalMinutes: 15,
        // the first entry is the baseline; each later entry closes the interval before it
        starts: [START, START + 15 * MIN],
        values: [0.125, 0.109],
        status: [8, 0],
        sequence: [-1, -1],
        commQuality: Number.NaN,
      },
      {
        meterId: 'M1',
        channel: 'active_export_kwh',
        intervalMinutes: 15,
        starts: [START, START + 15 * MIN],
        values: [0.005, Number.NaN],
        status: [8, 0],
        sequence: [-1, -1],
        commQuality: Number.NaN,
      },
    ]);
    // clock status: the first closing entry had a null clock (not specified), the second an empty one
    expect(Array.from(r.blocks[0]!.clockStatus!)).toEqual([0xff, 0xff]);
  });

  it('accepts the same buffer as hex text', () => {
    const hex = Array.from(HAND, (b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(decode('dlms', hex, { intervalMinutes: 15, meterId: 'M1' }).blocks.map(plain)).toEqual(
      decode('dlms', HAND, { intervalMinutes: 15, meterId: 'M1' }).blocks.map(plain),
    );
  });

  it('applies the Blue Book deviation sign (CET = -60), or the utc-offset sign when configured', () => {
    const local = (dev: number) =>
      Uint8Array.from([
        0x01,
        0x02,
        0x02,
        0x04,
        ...dt(2026, 3, 10, 1, 0, dev),
        ...u8(0),
        ...u32(0),
        ...u16(0),
        0x02,
        0x04,
        0x00,
        ...u8(0),
        ...u32(250),
        ...u16(0),
      ]);
    const a = decode('dlms', local(-60), { intervalMinutes: 15, meterId: 'M' });
    expect(iso(a.blocks[0]!.starts[0]!)).toBe('2026-03-10T00:00:00.000Z');
    const b = decode('dlms', local(60), {
      intervalMinutes: 15,
      meterId: 'M',
      dlms: { ...DEFAULT_DLMS_PROFILE, deviationSign: 'utc-offset' },
    });
    expect(iso(b.blocks[0]!.starts[0]!)).toBe('2026-03-10T00:00:00.000Z');
    expect(b.blocks[0]!.values[0]).toBe(0.25);
  });

  it('resolves an unspecified deviation in the configured zone, using the DST clock-status bit on the repeated hour', () => {
    // 2026-10-25 02:15 happens twice in Stockholm: 00:15Z (summer time) and 01:15Z (winter time)
    const entry = (status: number) =>
      Uint8Array.from([
        0x01,
        0x02,
        0x02,
        0x04,
        ...dt(2026, 10, 25, 2, 15, -0x8000, status),
        ...u8(0),
        ...u32(0),
        ...u16(0),
        0x02,
        0x04,
        0x00,
        ...u8(0),
        ...u32(1),
        ...u16(0),
      ]);
    const summer = decode('dlms', entry(0x80), {
      intervalMinutes: 15,
      meterId: 'M',
      timezone: 'Europe/Stockholm',
    });
    expect(summer.failures).toEqual([]);
    expect(iso(summer.blocks[0]!.starts[0]!)).toBe('2026-10-25T00:15:00.000Z');
    const winter = decode('dlms', entry(0x00), {
      intervalMinutes: 15,
      meterId: 'M',
      timezone: 'Europe/Stockholm',
    });
    expect(iso(winter.blocks[0]!.starts[0]!)).toBe('2026-10-25T01:15:00.000Z');
  });

  it('tolerates a capture stamped a few seconds late, flooring it to the grid', () => {
    const buf = Uint8Array.from([
      0x01,
      0x02,
      0x02,
      0x04,
      ...dt(2026, 3, 10, 0, 0, 0, 0, 7),
      ...u8(0),
      ...u32(0),
      ...u16(0),
      0x02,
      0x04,
      ...dt(2026, 3, 10, 0, 15, 0, 0, 3),
      ...u8(0),
      ...u32(10),
      ...u16(0),
    ]);
    const r = decode('dlms', buf, { intervalMinutes: 15, meterId: 'M' });
    expect(r.failures).toEqual([]);
    expect(Array.from(r.blocks[0]!.starts)).toEqual([START]);
  });

  it('turns a missing entry into NaN intervals (a register difference over a gap belongs to no one interval)', () => {
    const e = (h: number, mi: number, wh: number) => [
      0x02,
      0x04,
      ...dt(2026, 3, 10, h, mi),
      ...u8(0),
      ...u32(wh),
      ...u16(0),
    ];
    const buf = Uint8Array.from([
      0x01,
      0x04,
      ...e(0, 0, 100),
      ...e(0, 15, 110),
      ...e(0, 30, 130),
      ...e(1, 0, 200),
    ]);
    const r = decode('dlms', buf, { intervalMinutes: 15, meterId: 'M' });
    expect(r.failures).toEqual([]);
    expect(Array.from(r.blocks[0]!.starts)).toEqual([0, 15, 30, 45].map((m) => START + m * MIN));
    expect(Array.from(r.blocks[0]!.values)).toEqual([0.01, 0.02, Number.NaN, Number.NaN]);
  });

  it('reads interval-energy columns (1.0.1.29.0.255) as captured: no baseline entry', () => {
    const profile: DlmsProfileConfig = {
      capturePeriodSeconds: 1800,
      captureObjects: [
        { obis: '0.0.1.0.0.255', classId: 8, attribute: 2 },
        {
          obis: '1-0:1.29.0.255',
          classId: 3,
          attribute: 2,
          channel: 'active_import_kwh',
          scaler: 1,
          unit: 30,
        },
        { obis: '1.0.32.7.0.255', classId: 3, attribute: 2, channel: 'voltage_v', scaler: -1, unit: 35 },
        { obis: '0.0.96.1.0.255', classId: 1, attribute: 2 },
      ],
    };
    const e = (h: number, mi: number, wh10: number, dv: number) => [
      0x02,
      0x04,
      ...dt(2026, 3, 10, h, mi),
      ...u32(wh10),
      0x10,
      (dv >> 8) & 0xff,
      dv & 0xff,
      0x0a,
      0x02,
      0x41,
      0x42,
    ];
    const buf = Uint8Array.from([0x01, 0x02, ...e(0, 30, 12, 2301), ...e(1, 0, 7, 2299)]);
    const r = decode('dlms', buf, { intervalMinutes: 15, meterId: 'M', dlms: profile });
    expect(r.failures).toEqual([]);
    // 12 × 10 Wh = 0.12 kWh in the half hour ending 00:30; 2301 × 0.1 V
    expect(r.blocks.map(plain)).toEqual([
      {
        meterId: 'M',
        channel: 'active_import_kwh',
        intervalMinutes: 30,
        starts: [START, START + 30 * MIN],
        values: [0.12, 0.07],
        status: [0, 0],
        sequence: [-1, -1],
        commQuality: Number.NaN,
      },
      {
        meterId: 'M',
        channel: 'voltage_v',
        intervalMinutes: 30,
        starts: [START, START + 30 * MIN],
        values: [230.1, 229.9],
        status: [0, 0],
        sequence: [-1, -1],
        commQuality: Number.NaN,
      },
    ]);
  });

  it('an empty buffer is valid but empty (a warning, no failure); an all-null column makes no block', () => {
    const empty = decode('dlms', Uint8Array.from([0x01, 0x00]), { intervalMinutes: 15, meterId: 'M' });
    expect(empty).toMatchObject({ blocks: [], failures: [] });
    expect(empty.warnings).toHaveLength(1);
    const b = encode('dlms', [block({ start: START, values: [1, 2] })]) as Uint8Array;
    const r = decode('dlms', b, { intervalMinutes: 15, meterId: 'M' });
    expect(r.blocks.map((x) => x.channel)).toEqual(['active_import_kwh']);
    expect(r.warnings[0]!.message).toBe(
      '1.0.2.8.0.255 (active_export_kwh) carries no values in this buffer: no block',
    );
  });
});

describe('DLMS profile buffer: failures at the exact byte', () => {
  const fail = (bytes: number[], options = {}) =>
    only(decode('dlms', Uint8Array.from(bytes), { intervalMinutes: 15, meterId: 'M', ...options }).failures);
  const entry0 = [0x02, 0x04, ...dt(2026, 3, 10, 0, 0), ...u8(0), ...u32(0), ...u16(0)];

  it('the root is not an array', () => {
    expect(fail([0x02, 0x00])).toMatchObject({
      location: { byteOffset: 0 },
      expected: 'array (0x01)',
      found: 'structure (0x02)',
    });
  });

  it('an entry with the wrong number of elements', () => {
    expect(fail([0x01, 0x01, 0x02, 0x03])).toMatchObject({
      message: 'entry[0] at byte 3: expected a structure of 4 elements (one per capture object), found 3',
      location: { byteOffset: 3, record: 'entry[0]' },
    });
  });

  it('a clock octet-string of the wrong length', () => {
    expect(fail([0x01, 0x01, 0x02, 0x04, 0x09, 0x05])).toMatchObject({
      location: { byteOffset: 5, record: 'entry[0]' },
      expected: 'length 12 (or 0)',
      found: '5',
    });
  });

  it('a value of a non-numeric type', () => {
    const f = fail([0x01, 0x01, 0x02, 0x04, ...dt(2026, 3, 10, 0, 0), ...u8(0), 0x0a, 0x01, 0x41, ...u16(0)]);
    expect(f.location).toEqual({ byteOffset: 20, record: 'entry[0]' });
    expect(f.found).toBe('visible-string (0x0a)');
  });

  it('the first entry has a null clock', () => {
    expect(fail([0x01, 0x01, 0x02, 0x04, 0x00, ...u8(0), ...u32(0), ...u16(0)]).message).toBe(
      'entry[0].clock at byte 4: the first entry has no clock to count from',
    );
  });

  it('a clock that goes backwards', () => {
    const e1 = [0x02, 0x04, ...dt(2026, 3, 9, 23, 45), ...u8(0), ...u32(0), ...u16(0)];
    const f = fail([0x01, 0x02, ...entry0, ...e1]);
    expect(f.location).toEqual({ byteOffset: entry0.length + 4, record: 'entry[1]' });
    expect(f.message).toContain('is not after the previous entry');
  });

  it('a capture time off the grid, a partly unspecified date, a date that does not exist, a deviation out of range', () => {
    expect(
      fail([0x01, 0x01, 0x02, 0x04, ...dt(2026, 3, 10, 0, 7), ...u8(0), ...u32(0), ...u16(0)]).message,
    ).toBe('entry[0].clock at byte 4: capture time 00:07:00 is not on the 15-minute grid');
    const partly = dt(2026, 3, 10, 0, 0);
    partly[2] = 0xff;
    partly[3] = 0xff;
    expect(fail([0x01, 0x01, 0x02, 0x04, ...partly, ...u8(0), ...u32(0), ...u16(0)]).expected).toBe(
      'a fully specified date-time or a null clock',
    );
    expect(
      fail([0x01, 0x01, 0x02, 0x04, ...dt(2026, 2, 30, 0, 0), ...u8(0), ...u32(0), ...u16(0)]).message,
    ).toBe('entry[0].clock at byte 4: 2026-2-30 is not a calendar date');
    expect(
      fail([0x01, 0x01, 0x02, 0x04, ...dt(2026, 3, 10, 0, 0, 900), ...u8(0), ...u32(0), ...u16(0)]).location,
    ).toEqual({ byteOffset: 15, record: 'entry[0]' });
  });

  it('an unspecified deviation without a time zone', () => {
    expect(
      fail([0x01, 0x01, 0x02, 0x04, ...dt(2026, 3, 10, 0, 0, -0x8000), ...u8(0), ...u32(0), ...u16(0)])
        .expected,
    ).toBe('a deviation, or a timezone in the DLMS profile');
  });

  it('bytes after the buffer', () => {
    expect(fail([0x01, 0x01, ...entry0, 0x00, 0x00])).toMatchObject({
      message: 'unexpected 2 bytes after the buffer at byte 28',
      location: { byteOffset: 28 },
    });
  });

  it('an invalid length prefix, and a 64-bit register beyond 2^53', () => {
    expect(fail([0x01, 0x85, 0, 0, 0, 0, 0])).toMatchObject({ location: { byteOffset: 1 }, found: '0x85' });
    const big = [
      0x01,
      0x01,
      0x02,
      0x04,
      ...dt(2026, 3, 10, 0, 0),
      ...u8(0),
      0x15,
      0x00,
      0x40,
      0,
      0,
      0,
      0,
      0,
      0,
      ...u16(0),
    ];
    expect(fail(big)).toMatchObject({ location: { byteOffset: 21 }, expected: 'a value below 2^53' });
  });

  it('no meter id, bad hex, a bad profile configuration', () => {
    expect(only(decode('dlms', HAND, { intervalMinutes: 15 }).failures).message).toBe(
      'a DLMS profile buffer carries no meter id: give one (the Kafka message key or --meter)',
    );
    expect(only(decode('dlms', '01 0g', { intervalMinutes: 15, meterId: 'M' }).failures)).toMatchObject({
      location: { field: 'hex', byteOffset: 4 },
      found: '"g"',
    });
    expect(only(decode('dlms', '01 0', { intervalMinutes: 15, meterId: 'M' }).failures).found).toBe(
      'an odd number of hex digits',
    );
    const r = decode('dlms', HAND, {
      intervalMinutes: 15,
      meterId: 'M',
      dlms: {
        capturePeriodSeconds: 1200,
        captureObjects: [
          { obis: '1.0.1.8.0.255', classId: 3, attribute: 2, channel: 'active_import_kwh', unit: 35 },
        ],
      },
    });
    expect(r.failures.map((f) => f.location.field)).toEqual([
      'dlms.capturePeriodSeconds',
      'dlms.captureObjects[0].unit',
      'dlms.captureObjects',
    ]);
  });
});

describe('DLMS profile buffer: every prefix of a valid buffer fails cleanly at its end', () => {
  const day = block({
    start: START,
    values: ramp(96),
    status: Array.from({ length: 96 }, (_, i) => (i % 7 === 0 ? 8 : 0)),
  });
  const fiveMin = block({ interval: 5, start: START, values: ramp(288) });
  const fiveMinProfile: DlmsProfileConfig = { ...DEFAULT_DLMS_PROFILE, capturePeriodSeconds: 300 };
  const buffers: Array<[string, Uint8Array, DlmsProfileConfig | undefined]> = [
    ['hand-assembled', HAND, undefined],
    ['meter-day, full clocks', encode('dlms', [day]) as Uint8Array, undefined],
    [
      'meter-day, null-data clocks',
      encode('dlms', [day], { dlms: { clock: 'null-data' } }) as Uint8Array,
      undefined,
    ],
    [
      'meter-day, not-specified clocks, 64-bit registers',
      encode('dlms', [day], {
        dlms: { clock: 'not-specified', baseline: { active_import_kwh: 2 ** 40 } },
      }) as Uint8Array,
      undefined,
    ],
    [
      '5-minute day (two-byte array length)',
      encode('dlms', [fiveMin], { dlms: { profile: fiveMinProfile, clock: 'empty' } }) as Uint8Array,
      fiveMinProfile,
    ],
  ];
  for (const [name, buf, profile] of buffers) {
    it(`${name} (${buf.length} bytes)`, () => {
      const options =
        profile === undefined
          ? { meterId: 'M', intervalMinutes: 15 as const }
          : { meterId: 'M', dlms: profile };
      expect(decode('dlms', buf, options).failures).toEqual([]);
      for (let k = 0; k < buf.length; k++) {
        const r = decode('dlms', buf.subarray(0, k), options);
        expect(r.blocks).toEqual([]);
        expect(r.failures).toHaveLength(1);
        const f = r.failures[0]!;
        expect(f.location.byteOffset).toBe(k);
        expect(f.found).toBe('end of data');
        expect(f.message).toMatch(new RegExp(`^truncated at byte ${k}: `));
      }
    });
  }

  it('the 5-minute day uses the two-byte long-form length 0x82 0x01 0x21 (289 entries)', () => {
    const buf = buffers[4]![1];
    expect(Array.from(buf.subarray(0, 4))).toEqual([0x01, 0x82, 0x01, 0x21]);
  });

  it('the cursor never throws RangeError on hostile lengths', () => {
    const r = new AxdrReader(Uint8Array.from([0x84, 0xff, 0xff, 0xff, 0xff]));
    expect(r.length('x')).toBe(0xffffffff);
    expect(() => r.bytes(0xffffffff, 'x')).toThrow(/^truncated at byte 5/);
    expect(
      decode('dlms', Uint8Array.from([0x01, 0x84, 0xff, 0xff, 0xff, 0xff]), {
        intervalMinutes: 15,
        meterId: 'M',
      }).failures[0]!.location.byteOffset,
    ).toBe(6);
  });
});

describe('DLMS profile buffer: encoding and round trips', () => {
  it('round-trips import and export in every clock style, with deviation and status', () => {
    const imp = block({
      start: START,
      values: ramp(96),
      status: Array.from({ length: 96 }, (_, i) => (i === 5 ? 0x80 : 0)),
    });
    const exp = block({
      channel: 'active_export_kwh',
      start: START,
      values: ramp(96, 500),
      status: Array.from({ length: 96 }, (_, i) => (i === 5 ? 0x80 : 0)),
    });
    for (const clock of ['full', 'null-data', 'empty', 'not-specified'] as const) {
      const buf = encode('dlms', [imp, exp], {
        dlms: { clock, deviation: -60, baseline: { active_import_kwh: 123_456_789 } },
      }) as Uint8Array;
      const r = decode('dlms', buf, { intervalMinutes: 15, meterId: 'M000001' });
      expect(r.failures).toEqual([]);
      expect(r.blocks.map(plain)).toEqual([plain(imp), plain(exp)]);
    }
  });

  it('writes the capture time as the end of each interval, and the baseline entry first', () => {
    const buf = encode('dlms', [block({ start: START, values: [0.5] })]) as Uint8Array;
    // array of 2 entries; first clock 00:00 (baseline), second 00:15 (closes the 00:00 interval)
    expect(Array.from(buf.subarray(0, 2))).toEqual([0x01, 0x02]);
    // the encoder writes the day of week (2026-03-10 is a Tuesday: COSEM 2) where the hand helper writes 0xff
    const tuesday = (h: number, mi: number) => dt(2026, 3, 10, h, mi).map((b, i) => (i === 6 ? 2 : b));
    expect(Array.from(buf.subarray(4, 18))).toEqual(tuesday(0, 0));
    // entry 0: 2 (structure) + 14 (clock) + 2 (status) + 5 (+A register) + 1 (-A: no block, null-data) = 24 bytes
    expect(buf[25]).toBe(0x00);
    expect(Array.from(buf.subarray(26, 28))).toEqual([0x02, 0x04]);
    expect(Array.from(buf.subarray(28, 42))).toEqual(tuesday(0, 15));
  });

  it('refuses blocks the profile cannot hold', () => {
    expect(() => encode('dlms', [block({ channel: 'voltage_v', start: START, values: [1] })])).toThrow(
      /no column for voltage_v/,
    );
    const quarterHourly = { ...DEFAULT_DLMS_PROFILE, capturePeriodSeconds: 900 };
    expect(() =>
      encode('dlms', [block({ interval: 30, start: START, values: [1] })], {
        dlms: { profile: quarterHourly },
      }),
    ).toThrow(/30-minute intervals/);
  });
});
