import { describe, expect, it } from 'vitest';
import { HdlcDeframer } from '../../src/core/codecs/hdlc.js';
import { crc16X25, decode, detectFormat } from '../../src/core/codecs/index.js';

const le = (v: number) => [v & 0xff, v >> 8];

/** An HDLC type-3 frame around `info` (LLC + APDU), HCS and FCS computed, as a HAN port sends it. */
function frame(info: number[], segmented = false): number[] {
  // format (2), destination (1), source (2: 0x08 0x83), control (1), HCS (2), info, FCS (2)
  const length = 2 + 1 + 2 + 1 + 2 + info.length + 2;
  const header = [0xa0 | (segmented ? 0x08 : 0) | (length >> 8), length & 0xff, 0x41, 0x08, 0x83, 0x13];
  const hcs = crc16X25(header);
  const body = [...header, ...le(hcs), ...info];
  return [0x7e, ...body, ...le(crc16X25(body)), 0x7e];
}

const octets = (b: number[]) => [0x09, b.length, ...b];
const obis = (a: number, b: number, c: number, d: number, e: number) => octets([a, b, c, d, e, 255]);
const u32 = (v: number) => [0x06, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const u16 = (v: number) => [0x12, v >> 8, v & 0xff];
const visible = (s: string) => [0x0a, s.length, ...Buffer.from(s, 'latin1')];
/** COSEM date-time bytes (no tag): deviation in Blue Book sign (CET = -60) */
const dtBytes = (y: number, mo: number, d: number, h: number, mi: number, dev = 0, status = 0) => [
  y >> 8,
  y & 0xff,
  mo,
  d,
  0xff,
  h,
  mi,
  0,
  0,
  (dev >> 8) & 0xff,
  dev & 0xff,
  status,
];
const scalerUnit = (scaler: number, unit: number) => [0x02, 0x02, 0x0f, scaler & 0xff, 0x16, unit];
const notification = (body: number[], dt?: number[]) => [
  0xe6,
  0xe7,
  0x00,
  0x0f,
  0x40,
  0x00,
  0x00,
  0x00,
  ...(dt ? [0x0c, ...dt] : [0x00]),
  ...body,
];

/** Aidon-style hourly list: array of {OBIS, value, {scaler, unit}}, clock and meter id included. */
function aidonList(hour: number, importWh: number, exportWh: number): number[] {
  const items = [
    [0x02, 0x02, ...obis(0, 0, 1, 0, 0), ...octets(dtBytes(2026, 3, 10, hour, 0, -60, 0))],
    [0x02, 0x02, ...obis(0, 0, 96, 1, 0), ...visible('7359992890941742')],
    [0x02, 0x03, ...obis(1, 0, 1, 7, 0), ...u32(1234), ...scalerUnit(0, 27)],
    [0x02, 0x03, ...obis(1, 0, 32, 7, 0), ...u16(2301), ...scalerUnit(-1, 35)],
    [0x02, 0x03, ...obis(1, 0, 1, 8, 0), ...u32(importWh / 10), ...scalerUnit(1, 30)],
    [0x02, 0x03, ...obis(1, 0, 2, 8, 0), ...u32(exportWh), ...scalerUnit(0, 30)],
  ];
  return frame(notification([0x01, items.length, ...items.flat()]));
}

describe('DLMS/COSEM HDLC push frames', () => {
  it('CRC-16/X-25 has the catalogue check value (0x906E for "123456789")', () => {
    expect(crc16X25(Array.from(Buffer.from('123456789')))).toBe(0x906e);
  });

  it('Aidon-style lists with scaler/unit: hourly registers → hourly consumption; clock deviation (CET) → UTC', () => {
    const stream = Uint8Array.from([
      ...aidonList(10, 1_000_000, 500),
      ...aidonList(11, 1_001_250, 500),
      ...aidonList(12, 1_003_000, 750),
    ]);
    expect(detectFormat(stream)).toBe('hdlc');
    const r = decode('hdlc', stream);
    expect(r.failures).toEqual([]);
    const imp = r.blocks.find((b) => b.channel === 'active_import_kwh')!;
    expect(imp.meterId).toBe('7359992890941742');
    expect(imp.intervalMinutes).toBe(60);
    // 10:00 local with deviation -60 is 09:00Z
    expect(Array.from(imp.starts)).toEqual([Date.UTC(2026, 2, 10, 9), Date.UTC(2026, 2, 10, 10)]);
    expect(Array.from(imp.values)).toEqual([1.25, 1.75]);
    expect(Array.from(r.blocks.find((b) => b.channel === 'active_export_kwh')!.values)).toEqual([0, 0.25]);
    // the same stream as hex text, as HAN readers log it
    const hexText = Buffer.from(stream).toString('hex').replace(/(..)/g, '$1 ');
    expect(decode('hdlc', hexText).blocks.map((b) => Array.from(b.values))).toEqual(
      r.blocks.map((b) => Array.from(b.values)),
    );
    expect(decode('hdlc', Buffer.from(hexText)).blocks).toHaveLength(r.blocks.length);
    expect(r.warnings.map((w) => w.message)).toEqual([
      '1-0:1.7.0: 3 values not read (not a cumulative energy register)',
      '1-0:32.7.0: 3 values not read (not a cumulative energy register)',
    ]);
  });

  it('Kamstrup-style OBIS pairs (energy in 10 Wh) and the notification date-time as the clock', () => {
    const list = (hour: number, a: number) =>
      frame(
        notification(
          [
            0x02,
            0x07,
            ...visible('Kamstrup_V0001'),
            ...obis(1, 1, 0, 0, 5),
            ...visible('5706567000000000'),
            ...obis(1, 1, 1, 8, 0),
            ...u32(a),
            ...obis(1, 1, 1, 7, 0),
            ...u32(400),
          ],
          dtBytes(2026, 1, 5, hour, 0, -60),
        ),
      );
    const r = decode('hdlc', Uint8Array.from([...list(0, 100_000), ...list(1, 100_042)]), { meterId: 'K-1' });
    expect(r.failures).toEqual([]);
    const imp = r.blocks.find((b) => b.channel === 'active_import_kwh')!;
    expect(Array.from(imp.starts)).toEqual([Date.UTC(2026, 0, 4, 23)]);
    expect(Array.from(imp.values)).toEqual([0.42]);
  });

  it('Kaifa positional list 3 (18 elements, energy in Wh)', () => {
    const list3 = (hour: number, a: number) => {
      const v = [
        visible('KFM_001'),
        visible('6970631401234567'),
        visible('MA304H3E'),
        ...[1, 2, 3, 4].map(() => u32(100)),
        ...[1, 2, 3].map(() => u32(500)),
        ...[1, 2, 3].map(() => u32(2300)),
        octets(dtBytes(2026, 5, 1, hour, 0, -120, 0x80)),
        u32(a),
        u32(0),
        u32(0),
        u32(0),
      ];
      return frame(notification([0x02, v.length, ...v.flat()]));
    };
    const list1 = frame(notification(u32(601), dtBytes(2026, 5, 1, 0, 0, -120)));
    const r = decode('hdlc', Uint8Array.from([...list3(0, 403_000), ...list1, ...list3(1, 403_600)]));
    expect(r.failures).toEqual([]);
    const imp = r.blocks.find((b) => b.channel === 'active_import_kwh')!;
    expect(imp.meterId).toBe('6970631401234567');
    expect(Array.from(imp.starts)).toEqual([Date.UTC(2026, 3, 30, 22)]);
    expect(Array.from(imp.values)).toEqual([0.6]);
    expect(r.warnings.map((w) => w.message)).toContain(
      '(a lone value: Kaifa list 1 active power): 1 value not read (not a cumulative energy register)',
    );
  });

  it('the deframer returns the same frames whatever byte boundary the stream is split at (as pg-protocol tests do)', () => {
    const stream = Uint8Array.from([...aidonList(10, 1_000_000, 0), ...aidonList(11, 1_000_100, 0)]);
    const whole = new HdlcDeframer().push(stream);
    expect(whole.frames).toHaveLength(2);
    expect(whole.problems).toEqual([]);
    for (let k = 0; k <= stream.length; k++) {
      const d = new HdlcDeframer();
      const a = d.push(stream.subarray(0, k));
      const b = d.push(stream.subarray(k));
      expect([...a.frames, ...b.frames], `split at ${k}`).toEqual(whole.frames);
      expect([...a.problems, ...b.problems, ...d.end()], `split at ${k}`).toEqual([]);
    }
    // and byte by byte
    const d = new HdlcDeframer();
    const frames = Array.from(stream).flatMap((x) => d.push(Uint8Array.of(x)).frames);
    expect(frames).toEqual(whole.frames);
  });

  it('a segmented notification (two frames) is joined before decoding', () => {
    const info = notification([
      0x01,
      0x02,
      0x02,
      0x02,
      ...obis(1, 0, 1, 8, 0),
      ...u32(10),
      0x02,
      0x02,
      ...obis(0, 0, 1, 0, 0),
      ...octets(dtBytes(2026, 3, 10, 10, 0)),
    ]);
    const next = notification([
      0x01,
      0x02,
      0x02,
      0x02,
      ...obis(1, 0, 1, 8, 0),
      ...u32(2010),
      0x02,
      0x02,
      ...obis(0, 0, 1, 0, 0),
      ...octets(dtBytes(2026, 3, 10, 11, 0)),
    ]);
    const half = Math.floor(info.length / 2);
    const stream = Uint8Array.from([
      ...frame(info.slice(0, half), true),
      ...frame(info.slice(half)),
      ...frame(next),
    ]);
    const r = decode('hdlc', stream, { meterId: 'M' });
    expect(r.failures).toEqual([]);
    expect(Array.from(r.blocks[0]!.values)).toEqual([2]);
  });

  it('bad frames are failures at their byte offset, and the stream resynchronises on the next flag', () => {
    const good1 = aidonList(10, 1_000_000, 0);
    const bad = aidonList(11, 1_000_100, 0);
    bad[bad.length - 3] = bad[bad.length - 3]! ^ 0xff; // FCS corrupted
    const good2 = aidonList(12, 1_000_300, 0);
    const r = decode('hdlc', Uint8Array.from([0x00, 0x13, ...good1, ...bad, ...good2]));
    expect(r.failures.map((f) => [f.message.replace(/0x[0-9A-F]{4}/g, 'X'), f.location.byteOffset])).toEqual([
      ['2 bytes outside a frame skipped', 0],
      [
        `frame at byte ${2 + good1.length}: frame check sequence X does not match the frame (computed X)`,
        2 + good1.length + bad.length - 3,
      ],
    ]);
    // the two good frames still give their registers (10:00 and 12:00: 11:00 is missing)
    expect(Array.from(r.blocks.find((b) => b.channel === 'active_import_kwh')!.values)).toEqual([
      Number.NaN,
      Number.NaN,
    ]);
    const truncated = Uint8Array.from(good1.slice(0, 40));
    expect(decode('hdlc', truncated).failures[0]!.message).toMatch(/the stream ends inside a frame/);
    const notNotification = Uint8Array.from(frame([0xe6, 0xe7, 0x00, 0xc4, 0x01]));
    expect(decode('hdlc', notNotification).failures[0]!.message).toMatch(
      /APDU 0xC4 is not a data-notification/,
    );
    for (let k = 0; k < good1.length; k++)
      expect(() => decode('hdlc', Uint8Array.from(good1.slice(0, k)))).not.toThrow();
  });
});
