import { GrowableBuffer } from '../growable-buffer.js';

/**
 * A growable little-endian buffer for ClickHouse RowBinary inserts: numbers are written as their
 * bytes (exact, no text round trip; 18.16 parses some TabSeparated doubles one ULP off) and no
 * string is built per reading.
 */
export class RowBinaryWriter extends GrowableBuffer {
  constructor(initialBytes = 1 << 16) {
    super(initialBytes);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** UInt64 from a safe integer. */
  u64(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, v % 0x1_0000_0000, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 0x1_0000_0000), true);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  varUint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** Bytes encoded elsewhere once and repeated (e.g. the columns shared by a day's readings). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.varUint(n);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  /** The bytes written so far (a view, valid until the next write). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** The RowBinary encoding of strings, for bytes repeated over many rows. */
export function encodeStrings(...items: string[]): Buffer {
  const w = new RowBinaryWriter(64);
  for (const s of items) w.string(s);
  return Buffer.from(w.result());
}

/**
 * A cursor over RowBinary output (little-endian, strings as varUint length + UTF-8): numbers are
 * read from their bytes, no text and no per-field object in between.
 */
export class RowBinaryReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  u8(): number {
    return this.buf[this.pos++]!;
  }

  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** UInt64 as a number: exact below 2^53 (µs versions until the year 2255). */
  u64(): number {
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }

  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  varUint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  }

  skip(bytes: number): void {
    this.pos += bytes;
  }

  string(): string {
    const n = this.varUint();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
