import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryCopyWriter, copyBinary } from '../../src/core/postgres/copy-binary.js';
import { parseLocalDate } from '../../src/core/time/local-date.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

let stores: IsolatedStores;
let client: pg.Client;

const COLUMNS = ['k', 'label', 'd', 'small', 'amount', 'x', 'at', 'big', 'bigs', 'smalls'];
const TABLE = `(k smallint, label text, d date, small smallint, amount numeric(18, 6), x double precision,
  at timestamptz, big bigint, bigs bigint[], smalls smallint[])`;

// what the daily rows hold, edge cases included: rounding at the 6th decimal, exponent forms, -0,
// negative bigints, timestamps before PostgreSQL's epoch, nulls inside and instead of arrays
const AMOUNTS = [
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
  2.5e-7,
  1234567.0000005,
  -86.49999950000002,
  null,
];
const ROWS = AMOUNTS.map((amount, k) => ({
  k,
  label: k % 3 === 0 ? 'tab\tand\\backslash ünïcode' : `m-${k}`,
  d: ['1999-12-31', '2000-01-01', '2026-03-29', '2026-10-25'][k % 4]!,
  small: k % 5 === 0 ? null : -k * 7,
  amount,
  x: k % 4 === 0 ? null : (amount ?? 0) * 1.1 - 0.0,
  at: k % 6 === 0 ? null : 946_684_800_000 + (k - 8) * 86_399_999,
  big: k % 7 === 0 ? null : (k - 8) * 1_000_000_000_000_003,
  bigs: k % 5 === 1 ? null : [k, -k * 1_000_003, k % 2 === 0 ? null : 2 ** 53 - 1],
  smalls: k % 5 === 2 ? null : [0, 60, null, -1380],
}));

const text = (v: unknown): string =>
  v === null
    ? '\\N'
    : Array.isArray(v)
      ? `{${v.map((x) => (x === null ? 'NULL' : x)).join(',')}}`
      : String(v).replace(/[\\\t]/g, (c) => (c === '\t' ? '\\t' : '\\\\'));

beforeAll(async () => {
  stores = await isolatedStores('copy_binary', { postgres: true });
  client = new pg.Client({ connectionString: stores.config.string('postgres.url') });
  await client.connect();
  await client.query(
    `CREATE TABLE by_text ${TABLE}; CREATE TABLE by_binary ${TABLE}; CREATE TABLE by_binary6 ${TABLE}`,
  );
}, 60_000);

afterAll(async () => {
  await client?.end();
  await stores?.drop();
});

describe('binary COPY', () => {
  it('stores exactly what COPY text of the same values stores', async () => {
    await pipeline(
      function* () {
        for (const r of ROWS)
          yield `${[r.k, r.label, r.d, r.small, r.amount, r.x, r.at === null ? null : new Date(r.at).toISOString(), r.big, r.bigs, r.smalls].map(text).join('\t')}\n`;
      },
      client.query(copyFrom(`COPY by_text (${COLUMNS.join(', ')}) FROM STDIN`)),
    );
    for (const [table, numeric6] of [
      ['by_binary', false],
      ['by_binary6', true],
    ] as const) {
      const w = new BinaryCopyWriter(64); // small: the buffer grows mid-row
      for (const r of ROWS) {
        w.row(COLUMNS.length);
        w.int2(r.k);
        w.text(r.label);
        w.date(parseLocalDate(r.d));
        w.int2(r.small);
        if (numeric6) w.numeric6(r.amount);
        else w.numeric(r.amount);
        w.float8(r.x);
        w.timestamptz(r.at);
        w.int8(r.big);
        w.int8Array(r.bigs);
        w.int2Array(r.smalls);
      }
      w.end();
      await copyBinary(client, table, COLUMNS, [w.take()]);
    }
    const read = async (t: string) =>
      (await client.query(`SELECT t::text AS row FROM ${t} t ORDER BY k`)).rows.map((x) => x.row as string);
    const byText = await read('by_text');
    expect(await read('by_binary')).toEqual(byText);
    // the scale-6 numeric rounded in node: the same rows
    expect(await read('by_binary6')).toEqual(byText);
    expect(byText).toHaveLength(ROWS.length);
    // the rounding PostgreSQL applies to the text (half away from zero at the 6th decimal)
    expect(
      (await client.query('SELECT amount::text AS a FROM by_binary ORDER BY k')).rows.map((x) => x.a),
    ).toEqual([
      '0.000000',
      '0.000000',
      '1.000000',
      '0.300000',
      '0.000001',
      '-0.000001',
      '0.000000',
      '0.000000',
      '0.000002',
      '123.456790',
      '-123.456790',
      '47.123000',
      '99999999.123457',
      '0.000000',
      '120000000000.000000',
      '0.000000',
      '1234567.000001',
      '-86.500000',
      null,
    ]);
  });
});
