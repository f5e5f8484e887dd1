import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DLMS_PROFILE, decode } from '../../src/core/codecs/index.js';
import { validateFile } from '../../src/core/vee/validate-file.js';

/** COSEM date-time octet-string (deviation 0 = UTC, status 0). */
function dt(y: number, mo: number, d: number, h: number, mi: number): number[] {
  return [0x09, 0x0c, y >> 8, y & 0xff, mo, d, 0xff, h, mi, 0, 0x00, 0, 0, 0];
}
const u32 = (v: number) => [0x06, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const u16 = (v: number) => [0x12, (v >> 8) & 0xff, v & 0xff];
const u8 = (v: number) => [0x11, v];

/** Two entries of the default profile (clock, status, +A, -A) whose clocks are `years` apart. */
function twoEntries(years: number): Uint8Array {
  return Uint8Array.from([
    0x01,
    0x02,
    0x02,
    0x04,
    ...dt(2000, 1, 1, 0, 0),
    ...u8(0),
    ...u32(1000),
    ...u16(0),
    0x02,
    0x04,
    ...dt(2000 + years, 1, 1, 0, 0),
    ...u8(0),
    ...u32(2000),
    ...u16(0),
  ]);
}

describe('DLMS: a buffer expands to a bounded number of readings (issue 8)', () => {
  it('a 54-byte buffer whose clocks span 99 years is refused at decode, before allocating, with a reason', () => {
    const buf = twoEntries(99);
    expect(buf.length).toBe(54);
    const r = decode('dlms', buf, { meterId: 'M', intervalMinutes: 15 });
    expect(r.blocks).toEqual([]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.message).toBe(
      "the profile buffer's clocks span 2000-01-01T00:00:00.000Z … 2099-01-01T00:00:00.000Z: 3471361 capture periods × 2 value columns would be 6942722 readings; at most 44640 are taken from one buffer (check the clocks, or split the buffer)",
    );
    expect(r.failures[0]!.location).toEqual({ byteOffset: 0, field: 'clock' });
  });

  it('a buffer spanning one month of 15-minute periods with two columns decodes (below the bound)', () => {
    // 2000-01-01 → 2000-07-01 would be over the bound with two columns; a 30-day span is not
    const buf = Uint8Array.from([
      0x01,
      0x02,
      0x02,
      0x04,
      ...dt(2000, 1, 1, 0, 0),
      ...u8(0),
      ...u32(1000),
      ...u16(0),
      0x02,
      0x04,
      ...dt(2000, 1, 31, 0, 0),
      ...u8(0),
      ...u32(2000),
      ...u16(0),
    ]);
    const r = decode('dlms', buf, { meterId: 'M', intervalMinutes: 15 });
    expect(r.failures).toEqual([]);
    // cumulative: the first entry is the baseline, the gap between is NaN, nothing re-timed
    expect(r.blocks[0]!.starts.length).toBe(30 * 96);
    expect(Number.isNaN(r.blocks[0]!.values[0]!)).toBe(true);
  });
});

describe('DLMS: the capture period is never assumed', () => {
  const oneDay = Uint8Array.from([
    0x01,
    0x02,
    0x02,
    0x04,
    ...dt(2026, 3, 10, 0, 0),
    ...u8(0),
    ...u32(1000),
    ...u16(0),
    0x02,
    0x04,
    ...dt(2026, 3, 10, 1, 0),
    ...u8(0),
    ...u32(1500),
    ...u16(0),
  ]);

  it('without a capture period (profile, intervalMinutes) the decode is refused, naming the ways to give one', () => {
    const r = decode('dlms', oneDay, { meterId: 'M' });
    expect(r.blocks).toEqual([]);
    expect(r.failures.map((f) => [f.message, f.location.field])).toEqual([
      [
        'DLMS profile buffer: the capture period is not in the payload and none was given; give it with `smt validate --interval <minutes>`, the message header `smt-format: dlms; interval=<minutes>`, or capturePeriodSeconds in the DLMS profile (smt does not assume one)',
        'dlms.capturePeriodSeconds',
      ],
    ]);
  });

  it('an hourly buffer decoded with interval 60 is one hourly reading, not four re-timed quarter-hours', () => {
    const r = decode('dlms', oneDay, { meterId: 'M', intervalMinutes: 60 });
    expect(r.failures).toEqual([]);
    const b = r.blocks.find((x) => x.channel === 'active_import_kwh')!;
    expect(b.intervalMinutes).toBe(60);
    expect(Array.from(b.starts)).toEqual([Date.UTC(2026, 2, 10, 0)]);
    expect(Array.from(b.values)).toEqual([0.5]);
  });

  it('the profile configuration capture period wins over intervalMinutes', () => {
    const r = decode('dlms', oneDay, {
      meterId: 'M',
      intervalMinutes: 15,
      dlms: { ...DEFAULT_DLMS_PROFILE, capturePeriodSeconds: 3600 },
    });
    expect(r.failures).toEqual([]);
    expect(r.blocks[0]!.intervalMinutes).toBe(60);
  });

  it('smt validate refuses without --interval and decodes with it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smt-dlms-'));
    const file = path.join(dir, 'hourly.bin');
    writeFileSync(file, oneDay);
    const base = { file, timezone: 'UTC', meterId: 'M', now: Date.UTC(2026, 2, 11) };
    expect(() => validateFile(base)).toThrow(/capture period is not in the payload/);
    const report = validateFile({ ...base, intervalMinutes: 60 });
    expect(report.readings.total).toBe(2);
  });
});
