/**
 * A byte buffer that doubles when a write needs more room: the base of the binary encoders that
 * build a request body in one piece (ClickHouse RowBinary, PostgreSQL binary COPY). Subclasses write
 * at `pos` through `buf` or `view` after `ensure(n)`.
 */
export class GrowableBuffer {
  protected buf: Buffer;
  protected view: DataView;
  protected pos = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }
}
