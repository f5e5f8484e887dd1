import { describe, expect, it } from 'vitest';
import { decimalOf } from '../../src/core/postgres/copy-binary.js';

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
