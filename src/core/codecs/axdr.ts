/**
 * A-XDR (IEC 61334-6) reading and writing for DLMS/COSEM `Data`, shaped like node-postgres'
 * BufferReader: one cursor with an offset and one small method per primitive. Every read checks
 * bounds first and throws AxdrError (offset, expected, found) — never a RangeError — so a
 * truncated frame fails at the exact byte where it ends.
 */

/** DLMS data type tags (Blue Book, "Data" CHOICE). */
export enum DlmsTag {
  NullData = 0,
  Array = 1,
  Structure = 2,
  Boolean = 3,
  BitString = 4,
  DoubleLong = 5,
  DoubleLongUnsigned = 6,
  OctetString = 9,
  VisibleString = 10,
  Utf8String = 12,
  Bcd = 13,
  Integer = 15,
  Long = 16,
  Unsigned = 17,
  LongUnsigned = 18,
  CompactArray = 19,
  Long64 = 20,
  Long64Unsigned = 21,
  Enum = 22,
  Float32 = 23,
  Float64 = 24,
  DateTime = 25,
  Date = 26,
  Time = 27,
}

export function tagName(tag: number): string {
  const name = DlmsTag[tag];
  const hex = `0x${tag.toString(16).padStart(2, '0')}`;
  return name === undefined ? `unknown tag ${hex}` : `${kebab(name)} (${hex})`;
}

function kebab(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Fixed sizes of the simple types; undefined for variable-length and constructed ones. */
const FIXED_SIZE: Partial<Record<number, number>> = {
  [DlmsTag.NullData]: 0,
  [DlmsTag.Boolean]: 1,
  [DlmsTag.DoubleLong]: 4,
  [DlmsTag.DoubleLongUnsigned]: 4,
  [DlmsTag.Bcd]: 1,
  [DlmsTag.Integer]: 1,
  [DlmsTag.Long]: 2,
  [DlmsTag.Unsigned]: 1,
  [DlmsTag.LongUnsigned]: 2,
  [DlmsTag.Long64]: 8,
  [DlmsTag.Long64Unsigned]: 8,
  [DlmsTag.Enum]: 1,
  [DlmsTag.Float32]: 4,
  [DlmsTag.Float64]: 8,
  [DlmsTag.DateTime]: 12,
  [DlmsTag.Date]: 5,
  [DlmsTag.Time]: 4,
};

export class AxdrError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(message);
    this.name = 'AxdrError';
  }
}

export class AxdrReader {
  offset = 0;
  /**
   * Prefix of every label in error messages (e.g. `entry[5]`). Labels are only put together when
   * something fails: building them for every read cost more than the reads themselves.
   */
  context = '';
  private readonly view: DataView;

  constructor(readonly buffer: Uint8Array) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  /** `entry[5].clock year` from context `entry[5]` and `clock year`. */
  label(what: string, suffix = ''): string {
    const base = this.context === '' ? what : what === '' ? this.context : `${this.context}.${what}`;
    return suffix === '' ? base : `${base} ${suffix}`;
  }

  /** Throws unless n more bytes are there; `what` (and `suffix`) name what was being read. */
  need(n: number, what: string, suffix = ''): void {
    if (this.offset + n > this.buffer.length) {
      const left = this.buffer.length - this.offset;
      const label = this.label(what, suffix);
      throw new AxdrError(
        `truncated at byte ${this.buffer.length}: ${label} needs ${n} byte${n === 1 ? '' : 's'} at byte ${this.offset}, ${left} left`,
        this.buffer.length,
        label,
        'end of data',
      );
    }
  }

  peek(what: string): number {
    this.need(1, what);
    return this.buffer[this.offset]!;
  }

  u8(what: string, suffix = ''): number {
    this.need(1, what, suffix);
    return this.buffer[this.offset++]!;
  }

  i8(what: string): number {
    this.need(1, what);
    return this.view.getInt8(this.offset++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  i16(what: string): number {
    this.need(2, what);
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  /** 64-bit integers as numbers; beyond 2^53 a register would silently lose Wh, so that fails. */
  u64(what: string): number {
    this.need(8, what);
    const at = this.offset;
    const v = this.view.getBigUint64(at);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new AxdrError(
        `${this.label(what)} at byte ${at} exceeds 2^53`,
        at,
        'a value below 2^53',
        v.toString(),
      );
    }
    return Number(v);
  }

  i64(what: string): number {
    this.need(8, what);
    const at = this.offset;
    const v = this.view.getBigInt64(at);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new AxdrError(
        `${this.label(what)} at byte ${at} exceeds 2^53`,
        at,
        'a value within ±2^53',
        v.toString(),
      );
    }
    return Number(v);
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.offset);
    this.offset += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /**
   * A-XDR length: one byte below 0x80, else 0x80 | k followed by k big-endian bytes. k is limited
   * to 4; a length running past the end of the buffer is left for the caller's reads to catch.
   */
  length(what: string): number {
    const at = this.offset;
    const first = this.u8(what, 'length');
    if (first < 0x80) return first;
    const k = first & 0x7f;
    if (k === 0 || k > 4) {
      throw new AxdrError(
        `${this.label(what, 'length')} at byte ${at}: invalid length prefix 0x${first.toString(16)}`,
        at,
        'a length prefix 0x00..0x7f or 0x81..0x84',
        `0x${first.toString(16)}`,
      );
    }
    let n = 0;
    for (let i = 0; i < k; i++) n = n * 256 + this.u8(what, 'length');
    return n;
  }

  /** Read a tag and insist on one of `allowed` (any tag when none is given). */
  tag(what: string, ...allowed: DlmsTag[]): DlmsTag {
    const at = this.offset;
    const t = this.u8(what, 'tag');
    if (allowed.length > 0 && !allowed.includes(t)) {
      const expected = allowed.map(tagName).join(' or ');
      throw new AxdrError(
        `${this.label(what)} at byte ${at}: expected ${expected}, found ${tagName(t)}`,
        at,
        expected,
        tagName(t),
      );
    }
    return t;
  }

  /** Skip one complete Data element (any type), bounded in depth against hostile input. */
  skipData(what: string, depth = 0): void {
    const at = this.offset;
    const t = this.u8(what, 'tag');
    const fixed = FIXED_SIZE[t];
    if (fixed !== undefined) {
      this.bytes(fixed, what);
      return;
    }
    if (depth > 16) {
      throw new AxdrError(
        `${this.label(what)} at byte ${at}: nested deeper than 16`,
        at,
        'at most 16 levels',
        'deeper',
      );
    }
    switch (t) {
      case DlmsTag.Array:
      case DlmsTag.Structure: {
        const n = this.length(what);
        for (let i = 0; i < n; i++) this.skipData(what, depth + 1);
        return;
      }
      case DlmsTag.OctetString:
      case DlmsTag.VisibleString:
      case DlmsTag.Utf8String:
        this.bytes(this.length(what), what);
        return;
      case DlmsTag.BitString:
        this.bytes(Math.ceil(this.length(what) / 8), what);
        return;
      default:
        throw new AxdrError(
          `${this.label(what)} at byte ${at}: unsupported ${tagName(t)}`,
          at,
          'a DLMS data type',
          tagName(t),
        );
    }
  }
}

/** Growable big-endian writer for the encoder. */
export class AxdrWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }

  i16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.length, v);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
    return this;
  }

  u64(v: number): this {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v));
    this.length += 8;
    return this;
  }

  i64(v: number): this {
    this.ensure(8);
    this.view.setBigInt64(this.length, BigInt(v));
    this.length += 8;
    return this;
  }

  f32(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.length, v);
    this.length += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** A-XDR length (short form below 0x80). */
  axdrLength(n: number): this {
    if (n < 0x80) return this.u8(n);
    if (n <= 0xff) return this.u8(0x81).u8(n);
    if (n <= 0xffff) return this.u8(0x82).u16(n);
    return this.u8(0x84).u32(n);
  }

  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
