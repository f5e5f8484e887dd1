import { describe, expect, it } from 'vitest';
import { BinaryCopyWriter, decimalOf } from '../../src/core/postgres/copy-binary.js';

describe('decimalOf: String(v) as PostgreSQL numeric digits', () => {
  it.each([
    [0, { digits: [], weight: 0, negative: false, dscale: 0 }],
    [-0, { digits: [], weight: 0, negative: false, dscale: 0 }],
    [1, { digits: [1], weight: 0, negative: false, dscale: 0 }],
    [12345.678, { digits: [1, 2345, 6780], weight: 1, negative: false, dscale: 3 }],
    [-0.1, { digits: [1000], weight: -1, negative: true, dscale: 1 }],
    [0.30000000000000004, { digits: [3000, 0, 0, 0, 4000], weight: -1, negative: false, dscale: 17 }],
    [5e-7, { digits: [50], weight: -2, negative: false, dscale: 7 }],
    [1.5e-7, { digits: [15], weight: -2, negative: false, dscale: 8 }],
    [1e21, { digits: [10], weight: 5, negative: false, dscale: 0 }],
    [1.25e21, { digits: [12, 5000], weight: 5, negative: false, dscale: 0 }],
    [10000, { digits: [1], weight: 1, negative: false, dscale: 0 }],
  ])('%s', (v, expected) => {
    expect(decimalOf(v)).toEqual(expected);
  });

  it('refuses what numeric(18, 6) cannot hold as text either', () => {
    expect(() => decimalOf(Number.NaN)).toThrow(RangeError);
  });
});

/**
 * The numeric a writer put down, as a numeric(p, 6) column keeps it ('-1.500000'): rounded half away
 * from zero at the 6th decimal, as PostgreSQL's typmod rounds what it receives.
 */
function numericText(bytes: Buffer): string {
  const n = bytes.readInt16BE(4);
  const weight = bytes.readInt16BE(6);
  const digits = Array.from({ length: n }, (_, i) => bytes.readInt16BE(12 + 2 * i));
  return microText(digits, weight, bytes.readUInt16BE(8) === 0x4000);
}

/** base-10000 digits of weight `weight` rounded half up to 6 decimals, as text */
function microText(digits: number[], weight: number, negative: boolean): string {
  let scaled = 0n; // the magnitude × 10000^(groups after the point)
  for (const d of digits) scaled = scaled * 10000n + BigInt(d);
  const shift = digits.length - weight - 1;
  const num = scaled * 10n ** 6n * (shift < 0 ? 10000n ** BigInt(-shift) : 1n);
  const den = shift > 0 ? 10000n ** BigInt(shift) : 1n;
  const micro = (2n * num + den) / (2n * den);
  const text = `${micro / 1_000_000n}.${String(micro % 1_000_000n).padStart(6, '0')}`;
  return negative && micro > 0n ? `-${text}` : text;
}

/** The decimal text `String(v)` rounded half away from zero at the 6th decimal. */
function roundedText(v: number): string {
  const { digits, weight, negative } = decimalOf(v);
  return microText(digits, weight, negative);
}

const numeric6Bytes = (v: number): Buffer => {
  const w = new BinaryCopyWriter(64);
  w.take(); // drop the COPY header
  w.numeric6(v);
  return w.take();
};

describe('numeric6: String(v) rounded to 6 decimals as numeric(p, 6) stores it', () => {
  it.each([
    0,
    -0,
    1,
    0.1 + 0.2,
    5e-7,
    -5e-7,
    4.9999999e-7,
    1.5e-7,
    0.0000015,
    123.4567895,
    -123.4567895,
    47.123000000000005,
    99999999.1234565,
    1e-12,
    1.2e11,
    0.0000005,
    2.5e-7,
    1234567.0000005,
    9e15,
    1e21,
  ])('%s', (v) => {
    expect(numericText(numeric6Bytes(v))).toBe(roundedText(v));
  });

  it('agrees with the decimal text on sums of quarter-hour values', () => {
    // sums of 92–100 values of 3 decimals, as a day's energy: the usual input, and the fast path
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let k = 0; k < 20_000; k++) {
      let sum = 0;
      const n = 92 + (k % 9);
      for (let i = 0; i < n; i++) sum += Math.round(next() * 5000) / 1000;
      const v = k % 5 === 0 ? -sum / 7 : sum * (k % 3 === 0 ? 1 : 1e-3);
      expect(numericText(numeric6Bytes(v))).toBe(roundedText(v));
    }
  });
});
