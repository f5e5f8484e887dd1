import { describe, expect, it } from 'vitest';
import { tsvRows } from '../../src/core/clickhouse/reading-store.js';

describe('tsvRows (ClickHouse TabSeparated)', () => {
  it('splits rows and fields and unescapes what ClickHouse escapes in strings', () => {
    const text = 'M\\t1\tactive_import_kwh\t1773155700\nM\\\\2\tx\\ny\t0\n';
    expect(tsvRows(text)).toEqual([
      ['M\t1', 'active_import_kwh', '1773155700'],
      ['M\\2', 'x\ny', '0'],
    ]);
  });

  it('an empty result has no rows', () => {
    expect(tsvRows('')).toEqual([]);
  });
});
