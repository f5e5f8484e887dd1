import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../src/core/registry/id-index.js';

describe('IdIndex', () => {
  it('numbers ids in insertion order and finds each one, past its expected size', () => {
    // expected 10 of 4 characters: the slots, offsets and characters all have to grow
    const index = new IdIndex(10, 4);
    const ids = Array.from({ length: 5_000 }, (_, i) => `SIM-${String(i + 1).padStart(6, '0')}`);
    expect(ids.map((id) => index.add(id))).toEqual(ids.map((_, i) => i));
    expect(index.size).toBe(5_000);
    expect(ids.map((id) => index.find(id))).toEqual(ids.map((_, i) => i));
    expect(ids.map((_, i) => index.idAt(i))).toEqual(ids);
  });

  it('adding an id again returns its row and adds nothing', () => {
    const index = new IdIndex(4);
    expect([index.add('a'), index.add('b'), index.add('a')]).toEqual([0, 1, 0]);
    expect(index.size).toBe(2);
  });

  it('tells apart ids that differ only in length, case or a non-ASCII character', () => {
    const index = new IdIndex(8);
    const ids = ['M1', 'M10', 'm1', 'MÄTARE-1', 'MATARE-1', '電表-1', ''];
    for (const id of ids) index.add(id);
    expect(ids.map((id) => index.find(id))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(ids.map((_, i) => index.idAt(i))).toEqual(ids);
    expect([index.find('M100'), index.find('M'), index.find('電表-2')]).toEqual([-1, -1, -1]);
  });

  it('keeps working after trim()', () => {
    const index = new IdIndex(1_000);
    for (let i = 0; i < 10; i++) index.add(`X${i}`);
    index.trim();
    expect(index.find('X9')).toBe(9);
    expect(index.add('X10')).toBe(10);
    expect(index.find('X10')).toBe(10);
    expect(index.idAt(10)).toBe('X10');
    expect(() => index.idAt(11)).toThrow(RangeError);
  });
});
