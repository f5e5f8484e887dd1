import { InvalidDataError } from '../errors.js';

/** Byte width of the fixed-width types a Native block is read as (little-endian). */
const WIDTH: Record<string, number> = {
  UInt8: 1,
  UInt16: 2,
  Date: 2,
  UInt32: 4,
  DateTime: 4,
  "DateTime('UTC')": 4,
  UInt64: 8,
  Float64: 8,
};

/** One column of a Native block: where its values are in the response. */
export interface NativeColumn {
  name: string;
  type: string;
  /** fixed width: byte offset of the first value (value i at offset + i × width) */
  offset: number;
  width: number;
  /** String: byte range [start, end) of each row's UTF-8 bytes; empty for fixed-width columns */
  start: Uint32Array;
  end: Uint32Array;
}

export interface NativeBlock {
  rows: number;
  columns: NativeColumn[];
}

/**
 * The blocks of a ClickHouse `FORMAT Native` response (over HTTP: per block the number of
 * columns and rows, then each column's name, type and values, column after column). Columnar:
 * a column of fixed-width numbers is one run of bytes, read in place; nothing is built per row
 * but the two offsets of a string. Only the types in `WIDTH` and `String` are understood;
 * anything else is refused (the query asks for these types).
 */
export function* nativeBlocks(buf: Buffer): Generator<NativeBlock> {
  let pos = 0;
  const varUint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = buf[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  const string = (): string => {
    const n = varUint();
    const s = buf.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  while (pos < buf.length) {
    const ncols = varUint();
    const rows = varUint();
    const columns: NativeColumn[] = [];
    for (let c = 0; c < ncols; c++) {
      const name = string();
      const type = string();
      if (type === 'String') {
        const start = new Uint32Array(rows);
        const end = new Uint32Array(rows);
        for (let i = 0; i < rows; i++) {
          const n = varUint();
          start[i] = pos;
          pos += n;
          end[i] = pos;
        }
        columns.push({ name, type, offset: 0, width: 0, start, end });
        continue;
      }
      const width = WIDTH[type];
      if (width === undefined)
        throw new InvalidDataError(
          `ClickHouse sent a column ${name} of type ${type}, which this reader does not decode`,
        );
      columns.push({ name, type, offset: pos, width, start: EMPTY, end: EMPTY });
      pos += rows * width;
    }
    if (pos > buf.length) throw new InvalidDataError('ClickHouse sent a truncated Native block');
    yield { rows, columns };
  }
}

const EMPTY = new Uint32Array(0);
