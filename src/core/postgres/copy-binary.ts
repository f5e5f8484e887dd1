import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { GrowableBuffer } from '../growable-buffer.js';

/** PostgreSQL's epoch (2000-01-01) in Unix days and milliseconds. */
const PG_EPOCH_DAY = 10_957;
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 0x1_0000_0000;

/** A safe integer as a big-endian int8 at `at`. */
function setInt64(view: DataView, at: number, v: number): void {
  // most values (micro-kWh of an hour, small counts): no division
  const hi = v >= 0 && v < TWO_32 ? 0 : Math.floor(v / TWO_32);
  view.setInt32(at, hi);
  view.setUint32(at + 4, v - hi * TWO_32);
}

/** One int8 element of an array: its length (8), then the value (12 bytes). */
function putInt8Element(view: DataView, at: number, v: number): void {
  view.setInt32(at, 8);
  setInt64(view, at + 4, v);
}
const INT8_OID = 20;
const INT2_OID = 21;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Rows in PostgreSQL's binary COPY format (big-endian; each field a length and the type's `recv`
 * bytes): no number is turned into text in node and none is parsed back in PostgreSQL (the array
 * text parser cost it more than the rest of a daily row). The caller writes the fields in the
 * table's column order and types; a wrong type is refused by PostgreSQL, not converted.
 */
export class BinaryCopyWriter extends GrowableBuffer {
  constructor(initialBytes = 1 << 17) {
    super(initialBytes);
    this.ensure(19);
    this.buf.set(SIGNATURE, 0);
    this.view.setInt32(11, 0); // flags: no OIDs
    this.view.setInt32(15, 0); // no header extension
    this.pos = 19;
  }

  private i16(v: number): void {
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }

  private i32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  private i64(v: number): void {
    setInt64(this.view, this.pos, v);
    this.pos += 8;
  }

  row(fields: number): void {
    this.ensure(2);
    this.i16(fields);
  }

  null(): void {
    this.ensure(4);
    this.i32(-1);
  }

  text(s: string | null): void {
    if (s === null) {
      this.null();
      return;
    }
    const n = Buffer.byteLength(s);
    this.ensure(4 + n);
    this.i32(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  int2(v: number | null): void {
    if (v === null) {
      this.null();
      return;
    }
    this.ensure(6);
    this.i32(2);
    this.i16(v);
  }

  /** bigint from a safe integer */
  int8(v: number | null): void {
    if (v === null) {
      this.null();
      return;
    }
    this.ensure(12);
    this.i32(8);
    this.i64(v);
  }

  float8(v: number | null): void {
    if (v === null) {
      this.null();
      return;
    }
    this.ensure(12);
    this.i32(8);
    // -0 as COPY text sends it ("0")
    this.view.setFloat64(this.pos, v === 0 ? 0 : v);
    this.pos += 8;
  }

  /** a date from its Unix epoch day */
  date(epochDay: number): void {
    this.ensure(8);
    this.i32(4);
    this.i32(epochDay - PG_EPOCH_DAY);
  }

  /** a timestamptz from epoch milliseconds */
  timestamptz(ms: number | null): void {
    if (ms === null) {
      this.null();
      return;
    }
    this.ensure(12);
    this.i32(8);
    this.i64((ms - PG_EPOCH_MS) * 1000);
  }

  /**
   * A numeric of the decimal JavaScript prints for `v` (`String(v)`, what COPY text sends):
   * PostgreSQL then rounds it to the column's scale exactly as it rounds that text.
   */
  numeric(v: number | null): void {
    if (v === null) {
      this.null();
      return;
    }
    const { digits, weight, negative, dscale } = decimalOf(v);
    this.ensure(12 + 2 * digits.length);
    this.i32(8 + 2 * digits.length);
    this.i16(digits.length);
    this.i16(weight);
    this.i16(negative ? 0x4000 : 0);
    this.i16(dscale);
    for (const d of digits) this.i16(d);
  }

  /**
   * A numeric of scale 6 (a `numeric(p, 6)` column) for `v`: what PostgreSQL stores for the text
   * `String(v)`, rounded half away from zero at the 6th decimal, without building that text. The
   * micro-units come from `v × 10⁶` in doubles when that product is far enough from a half for
   * its rounding error (under 4 ulp) not to matter; otherwise, and beyond 2⁵² micro-units, the
   * decimal text goes as `numeric` does and PostgreSQL rounds it.
   */
  numeric6(v: number | null): void {
    if (v === null) {
      this.null();
      return;
    }
    const x = Math.abs(v) * 1e6;
    const floor = Math.floor(x);
    if (!(x < 2 ** 52) || Math.abs(x - floor - 0.5) <= x * 1e-15 + 1e-9) {
      this.numeric(v);
      return;
    }
    const micro = x - floor > 0.5 ? floor + 1 : floor;
    if (micro === 0) {
      this.ensure(12);
      this.i32(8);
      this.i16(0);
      this.i16(0);
      this.i16(0);
      this.i16(6);
      return;
    }
    // base-10000 groups: up to 3 of the integer part (< 2^52 / 10^6 < 10^10), then two of the six
    // decimals (the second holding two digits and two zeros)
    const int = Math.floor(micro / 1e6);
    const frac = micro - int * 1e6;
    const g = this.groups;
    g[0] = Math.floor(int / 1e8);
    g[1] = Math.floor(int / 1e4) % 1e4;
    g[2] = int % 1e4;
    g[3] = Math.floor(frac / 100);
    g[4] = (frac % 100) * 100;
    let first = 0;
    while (g[first] === 0) first++;
    let last = 5;
    while (g[last - 1] === 0) last--;
    const n = last - first;
    this.ensure(12 + 2 * n);
    this.i32(8 + 2 * n);
    this.i16(n);
    this.i16(2 - first);
    this.i16(v < 0 ? 0x4000 : 0);
    this.i16(6);
    for (let i = first; i < last; i++) this.i16(g[i]!);
  }

  private readonly groups = new Int32Array(5);

  int8Array(xs: readonly (number | null)[] | null): void {
    this.array(xs, INT8_OID, 8);
  }

  int2Array(xs: readonly (number | null)[] | null): void {
    this.array(xs, INT2_OID, 2);
  }

  // indexed loops and one branch per element: these three arrays of 23–25 entries were the
  // largest part of a daily row's encoding
  private array(xs: readonly (number | null)[] | null, oid: number, width: 2 | 8): void {
    if (xs === null) {
      this.null();
      return;
    }
    const n = xs.length;
    let nulls = 0;
    for (let i = 0; i < n; i++) if (xs[i] === null) nulls++;
    this.arrayHeader(20 + n * 4 + (n - nulls) * width, nulls, oid, n);
    const view = this.view;
    let at = this.pos;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      if (x === null) {
        view.setInt32(at, -1);
        at += 4;
      } else if (width === 2) {
        view.setInt32(at, 2);
        view.setInt16(at + 4, x);
        at += 6;
      } else {
        putInt8Element(view, at, x);
        at += 12;
      }
    }
    this.pos = at;
  }

  /**
   * An int8[] of `xs[0, n)`, element i null where `at[i] < 0` when `at` is given: the bytes
   * `int8Array` writes for the same numbers and nulls.
   */
  int8ArrayOf(xs: Float64Array, n: number, at?: Int32Array): void {
    let nulls = 0;
    if (at) for (let i = 0; i < n; i++) if (at[i]! < 0) nulls++;
    const bytes = 20 + n * 4 + (n - nulls) * 8;
    this.arrayHeader(bytes, nulls, INT8_OID, n);
    const view = this.view;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      if (at && at[i]! < 0) {
        view.setInt32(p, -1);
        p += 4;
        continue;
      }
      putInt8Element(view, p, xs[i]!);
      p += 12;
    }
    this.pos = p;
  }

  /** An int2[] of `at[i] × scale` for i in [0, n), null where `at[i] < 0`. */
  int2ArrayOf(at: Int32Array, n: number, scale: number): void {
    let nulls = 0;
    for (let i = 0; i < n; i++) if (at[i]! < 0) nulls++;
    this.arrayHeader(20 + n * 4 + (n - nulls) * 2, nulls, INT2_OID, n);
    const view = this.view;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const x = at[i]!;
      if (x < 0) {
        view.setInt32(p, -1);
        p += 4;
      } else {
        view.setInt32(p, 2);
        view.setInt16(p + 4, x * scale);
        p += 6;
      }
    }
    this.pos = p;
  }

  /** length, dimensions, null flag, element type, size, lower bound; room for `bytes` ensured */
  private arrayHeader(bytes: number, nulls: number, oid: number, n: number): void {
    this.ensure(4 + bytes);
    const view = this.view;
    const at = this.pos;
    view.setInt32(at, bytes);
    view.setInt32(at + 4, 1);
    view.setInt32(at + 8, nulls > 0 ? 1 : 0);
    view.setInt32(at + 12, oid);
    view.setInt32(at + 16, n);
    view.setInt32(at + 20, 1);
    this.pos = at + 24;
  }

  /**
   * A 52-bit hash (a safe integer, stored as bigint) of the bytes written since `from`: equal
   * bytes, equal hash; two murmur3-style lanes over 32-bit words, so a collision is ~2⁻⁵².
   */
  hashSince(from: number): number {
    const view = this.view;
    const end = this.pos;
    let h1 = 0x9747b28c;
    let h2 = 0x85ebca6b ^ (end - from);
    let at = from;
    for (; at + 4 <= end; at += 4) {
      const k = view.getUint32(at, true);
      h1 =
        Math.imul(rotl(Math.imul(h1 ^ Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593), 1), 13), 5) +
        0xe6546b64;
      h2 = Math.imul(rotl(h2 ^ Math.imul(k, 0x85ebca77), 17), 0xc2b2ae3d) + 0x27d4eb2f;
    }
    for (; at < end; at++) {
      h1 = Math.imul(h1 ^ view.getUint8(at), 0x01000193);
      h2 = Math.imul(h2 ^ view.getUint8(at), 0x5bd1e995);
    }
    h1 = fmix(h1 ^ (end - from));
    h2 = fmix(h2 ^ h1);
    return (h1 & 0xfffff) * TWO_32 + (h2 >>> 0);
  }

  /** Drop what was written since `at` (a `length` read before it). */
  truncate(at: number): void {
    this.pos = at;
  }

  /** The bytes so far, handed over (a copy); the writer starts again empty (no header). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  /** The trailer; then `take()` the last bytes. */
  end(): void {
    this.ensure(2);
    this.i16(-1);
  }
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * `String(v)` as PostgreSQL's numeric keeps it: base-10000 digits (no leading or trailing zero
 * groups), the weight of the first group, and the decimal places of the text.
 */
export function decimalOf(v: number): {
  digits: number[];
  weight: number;
  negative: boolean;
  dscale: number;
} {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  const s = String(Math.abs(v));
  const e = s.indexOf('e');
  let mantissa = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let point = dot < 0 ? mantissa.length : dot;
  mantissa = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  point += exp;
  // the digits left and right of the decimal point, the point moved by the exponent
  let int = point <= 0 ? '' : mantissa.slice(0, point).padEnd(point, '0');
  let frac = point <= 0 ? '0'.repeat(-point) + mantissa : mantissa.slice(point);
  const dscale = frac.length;
  int = int.padStart(Math.ceil(int.length / 4) * 4, '0');
  frac = frac.padEnd(Math.ceil(frac.length / 4) * 4, '0');
  const all = int + frac;
  const groups: number[] = [];
  for (let i = 0; i < all.length; i += 4) groups.push(Number(all.slice(i, i + 4)));
  let weight = int.length / 4 - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) {
    first++;
    weight--;
  }
  let last = groups.length;
  while (last > first && groups[last - 1] === 0) last--;
  const digits = groups.slice(first, last);
  return { digits, weight: digits.length === 0 ? 0 : weight, negative: v < 0 && digits.length > 0, dscale };
}

/** COPY binary rows (the chunks of a `BinaryCopyWriter`, header first) into a table through the client. */
export async function copyBinary(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  chunks: Iterable<Buffer>,
): Promise<void> {
  const stream = client.query(
    copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT binary)`),
  );
  await pipeline(function* () {
    yield* chunks;
  }, stream);
}
