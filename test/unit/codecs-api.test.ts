import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  decode,
  decodeOrThrow,
  detectFormat,
  encode,
  formatFailure,
  isWireFormat,
  type WireFormat,
} from '../../src/core/codecs/index.js';
import { isAligned, parseIsoInstant } from '../../src/core/codecs/time.js';
import { ExitCode, InvalidDataError } from '../../src/core/errors.js';
import { block, plain } from './codecs-fixtures.js';

const START = Date.UTC(2026, 2, 10);

describe('codecs API', () => {
  it('decode never throws: an unknown format is a failure', () => {
    const r = decode('xml' as WireFormat, '<x/>');
    expect(r.failures[0]!.message).toBe('unknown payload format "xml"');
    expect(isWireFormat('nem12')).toBe(true);
    expect(isWireFormat('xml')).toBe(false);
  });

  it('decode never throws on random bytes in any format', () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let k = 0; k < 300; k++) {
      const bytes = Uint8Array.from({ length: 1 + (k % 60) }, rnd);
      if (k % 3 === 0) bytes[0] = 0x01; // look like a DLMS array now and then
      for (const f of ['json', 'csv', 'dlms', 'nem12'] as const) {
        expect(() => decode(f, bytes, { meterId: 'M' })).not.toThrow();
      }
    }
  });

  it('DecodeError is an InvalidDataError (exit 3) carrying the first failure and a hint', () => {
    const r = decode('json', '{"v":2}', { sourceName: 'smt.readings.raw/3@1200' });
    const err = new DecodeError(r.failures);
    expect(err).toBeInstanceOf(InvalidDataError);
    expect(err.exitCode).toBe(ExitCode.invalidData);
    expect(err.code).toBe('DECODE_FAILED');
    expect(err.failure).toBe(r.failures[0]);
    expect(err.message).toMatch(/^smt\.readings\.raw\/3@1200: v: expected 1, found 2 \(and \d+ more\)$/);
    expect(err.hint).toContain('smt validate');
    expect(() => decodeOrThrow('json', '{')).toThrow(DecodeError);
  });

  it('formatFailure puts source, line, byte and record before the message', () => {
    expect(
      formatFailure({
        format: 'csv',
        message: 'value: bad',
        location: { line: 12, field: 'value' },
        source: 'x.csv',
      }),
    ).toBe('x.csv, line 12: value: bad');
    expect(
      formatFailure({ format: 'dlms', message: 'm', location: { byteOffset: 7, record: 'entry[1]' } }),
    ).toBe('byte 7, entry[1]: m');
    expect(formatFailure({ format: 'json', message: 'm', location: {} })).toBe('m');
  });

  it('maxFailures bounds the list and says how many more there were', () => {
    const values = new Array(50).fill('x');
    const r = decode(
      'json',
      JSON.stringify({ v: 1, meter: 'M', channel: 'active_import_kwh', interval: 15, start: START, values }),
      { maxFailures: 10 },
    );
    expect(r.failures).toHaveLength(11);
    expect(r.failures[10]!.message).toBe('40 more failures not listed (maxFailures 10)');
  });

  it('detectFormat from content and file name', () => {
    const b = block({ meterId: 'NEM1201009E1', interval: 30, start: START, values: [1] });
    expect(detectFormat(encode('json', [b]))).toBe('json');
    expect(detectFormat('  [{"v":1}]', 'x.txt')).toBe('json');
    expect(detectFormat(encode('csv', [b]))).toBe('csv');
    expect(detectFormat(encode('nem12', [b]), 'meter.csv')).toBe('nem12');
    expect(detectFormat(new TextEncoder().encode(encode('nem12', [b]) as string))).toBe('nem12');
    expect(detectFormat(encode('dlms', [block({ start: START, values: [1] })]))).toBe('dlms');
    expect(detectFormat('01 02 02 04 09 0c 07 ea')).toBe('dlms');
    expect(detectFormat('whatever', 'profile.bin')).toBe('dlms');
    expect(detectFormat('a;b', 'export.csv')).toBe('csv');
    expect(detectFormat('hello')).toBeUndefined();
  });

  it('round-trips one block through every format', () => {
    const b = block({
      meterId: 'NEM1201009E1',
      interval: 15,
      start: Date.UTC(2026, 1, 28, 14),
      values: Array.from({ length: 96 }, (_, i) => i / 1000),
    });
    for (const f of ['json', 'csv', 'dlms', 'nem12'] as const) {
      const r = decode(f, encode(f, [b]), { meterId: b.meterId, intervalMinutes: 15 });
      expect(r.failures).toEqual([]);
      expect(r.blocks.map(plain)).toEqual([plain(b)]);
    }
  });
});

describe('decode options: every format honours the options it can use', () => {
  const b = block({
    meterId: 'NEM1201009E1',
    interval: 15,
    start: Date.UTC(2026, 1, 28, 14),
    values: Array.from({ length: 96 }, (_, i) => i / 1000),
  });
  const FORMATS = ['json', 'csv', 'dlms', 'nem12'] as const;

  it('meterId: a payload naming another meter fails with code METER_MISMATCH (JSON, CSV, NEM12)', () => {
    for (const f of ['json', 'csv', 'nem12'] as const) {
      const r = decode(f, encode(f, [b]), { meterId: 'NEM1201009E2' });
      expect(r.blocks, f).toEqual([]);
      // one per block (JSON, NEM12 200 record) or per row (CSV)
      expect(new Set(r.failures.map((x) => x.code)), f).toEqual(new Set(['METER_MISMATCH']));
      expect(r.failures[0]!.message, f).toMatch(
        /: expected "NEM1201009E2" \(the message key\), found "NEM1201009E1"$/,
      );
      expect(r.failures[0]!.found, f).toBe('"NEM1201009E1"');
    }
    const nem = decode('nem12', encode('nem12', [b]), { meterId: 'X' }).failures[0]!;
    expect(nem.location).toEqual({ line: 2, record: '200', field: 'NMI' });
    // DLMS names no meter: the option is its meter id; '' = none, in every format
    expect(
      decode('dlms', encode('dlms', [b]), { intervalMinutes: 15, meterId: 'K' }).blocks[0]!.meterId,
    ).toBe('K');
    for (const f of ['json', 'csv', 'nem12'] as const)
      expect(decode(f, encode(f, [b]), { meterId: '', intervalMinutes: 15 }).failures, f).toEqual([]);
    // other failures carry no code
    expect(decode('json', '{"v":2}').failures.every((x) => x.code === undefined)).toBe(true);
  });

  it('channel and intervalMinutes: fallbacks for JSON and CSV payloads that do not say', () => {
    const json = '{"v":1,"meter":"M","start":"2026-03-10T00:00:00Z","values":[1,2]}';
    expect(decode('json', json).failures.map((f) => f.location.field)).toEqual(['channel', 'interval']);
    const r = decode('json', json, { channel: 'active_export_kwh', intervalMinutes: 30 });
    expect(r.failures).toEqual([]);
    expect([r.blocks[0]!.channel, r.blocks[0]!.intervalMinutes]).toEqual(['active_export_kwh', 30]);
    const csv = 'meter_id,interval_start,value\nM,2026-03-10T00:00:00Z,1\nM,2026-03-10T00:30:00Z,2\n';
    const c = decode('csv', csv, { channel: 'active_export_kwh', intervalMinutes: 30 });
    expect(c.failures).toEqual([]);
    expect([c.blocks[0]!.channel, c.blocks[0]!.intervalMinutes]).toEqual(['active_export_kwh', 30]);
  });

  it('sourceName is copied onto the failures of every format', () => {
    for (const f of FORMATS)
      expect(decode(f, 'x', { sourceName: 'raw/0/7', meterId: 'M' }).failures[0]!.source, f).toBe('raw/0/7');
  });
});

describe('ISO instants', () => {
  it('parses offsets, Z, compact offsets, fractions and a space separator', () => {
    const ok = (s: string) => {
      const p = parseIsoInstant(s);
      return p.ok ? [p.ms, p.offsetMinutes] : p.reason;
    };
    expect(ok('2026-03-29T00:00:00+01:00')).toEqual([Date.UTC(2026, 2, 28, 23), 60]);
    expect(ok('2026-03-29T00:00+0530')).toEqual([Date.UTC(2026, 2, 28, 18, 30), 330]);
    expect(ok('2026-03-29 00:00:00.5Z')).toEqual([Date.UTC(2026, 2, 29, 0, 0, 0, 500), 0]);
    expect(ok('2026-03-29T00:00:00.123456789-03:00')).toEqual([Date.UTC(2026, 2, 29, 3, 0, 0, 123), -180]);
    expect(ok('2024-02-29T00:00:00Z')).toEqual([Date.UTC(2024, 1, 29), 0]);
    for (const bad of [
      '2026-03-29T00:00:00',
      '2026-03-29',
      '2026-3-29T00:00Z',
      '2026-03-29T00:00:00+1',
      'x',
      '2026-03-29T00:00:00Zjunk',
    ]) {
      expect(parseIsoInstant(bad).ok, bad).toBe(false);
    }
    for (const notReal of [
      '2025-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-03-29T24:00:00Z',
      '0099-01-01T00:00:00Z',
    ]) {
      expect(parseIsoInstant(notReal), notReal).toEqual({
        ok: false,
        reason: 'a real calendar date and time',
      });
    }
    expect(parseIsoInstant('2026-03-29T00:00:00+19:00')).toEqual({
      ok: false,
      reason: 'a UTC offset between -18:00 and +18:00',
    });
  });

  it('checks alignment in the written offset (Adelaide hours at +09:30), or on 15 minutes for epoch ms', () => {
    const adelaide = parseIsoInstant('2026-06-01T05:00:00+09:30');
    expect(adelaide.ok && isAligned(adelaide.ms, 60, adelaide.offsetMinutes)).toBe(true);
    expect(adelaide.ok && isAligned(adelaide.ms, 60, 0)).toBe(false);
    expect(isAligned(Date.UTC(2026, 0, 1, 0, 30), 60, undefined)).toBe(true);
    expect(isAligned(Date.UTC(2026, 0, 1, 0, 20), 60, undefined)).toBe(false);
  });
});
