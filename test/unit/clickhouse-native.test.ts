import { describe, expect, it } from 'vitest';
import { nativeBlocks } from '../../src/core/clickhouse/native.js';
import { InvalidDataError } from '../../src/core/errors.js';

// What ClickHouse 18.16 sent over HTTP for
// SELECT meter_id, local_date, version, value ... LIMIT 2 FORMAT Native (one block, 2 rows).
const block = (rows: string[], extraType?: string) => {
  const parts: Buffer[] = [Buffer.from([extraType ? 5 : 4, rows.length])];
  const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
  parts.push(str('meter_id'), str('String'), ...rows.map(str));
  parts.push(str('local_date'), str('Date'), Buffer.from(rows.flatMap(() => [0x21, 0x50])));
  const v = Buffer.alloc(8 * rows.length);
  rows.forEach((_, i) => v.writeBigUInt64LE(1_780_000_000_000_001n + BigInt(i), 8 * i));
  parts.push(str('version'), str('UInt64'), v);
  const f = Buffer.alloc(8 * rows.length);
  rows.forEach((_, i) => f.writeDoubleLE(0.1 * (i + 1), 8 * i));
  parts.push(str('value'), str('Float64'), f);
  if (extraType) parts.push(str('x'), str(extraType), Buffer.alloc(rows.length));
  return Buffer.concat(parts);
};

describe('nativeBlocks: ClickHouse Native blocks read in place', () => {
  it('finds each column and the bytes of each string, block after block', () => {
    const buf = Buffer.concat([block(['AG-1', 'ÅG-22']), block(['', 'AG-3', ''])]);
    const blocks = [...nativeBlocks(buf)];
    expect(blocks.map((b) => b.rows)).toEqual([2, 3]);
    const [meter, date, version, value] = blocks[0]!.columns;
    expect(blocks[0]!.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'meter_id String',
      'local_date Date',
      'version UInt64',
      'value Float64',
    ]);
    expect([0, 1].map((i) => buf.toString('utf8', meter!.start[i], meter!.end[i]))).toEqual([
      'AG-1',
      'ÅG-22',
    ]);
    expect(buf.readUInt16LE(date!.offset + 2)).toBe(0x5021);
    expect(buf.readBigUInt64LE(version!.offset + 8)).toBe(1_780_000_000_000_002n);
    expect(buf.readDoubleLE(value!.offset + 8)).toBe(0.2);
    const second = blocks[1]!.columns[0]!;
    expect([0, 1, 2].map((i) => buf.toString('utf8', second.start[i], second.end[i]))).toEqual([
      '',
      'AG-3',
      '',
    ]);
  });

  it('refuses a type it does not decode, and a truncated block', () => {
    expect(() => [...nativeBlocks(block(['AG-1'], 'Nullable(UInt8)'))]).toThrow(InvalidDataError);
    const whole = block(['AG-1', 'AG-2']);
    expect(() => [...nativeBlocks(whole.subarray(0, whole.length - 3))]).toThrow(InvalidDataError);
  });
});
