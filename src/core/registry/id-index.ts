/**
 * Meter id → row number for millions of ids. A Map<string, number> costs ~80 B per id (the entry,
 * its share of a power-of-two table, a string object) and, as it cannot be sized up front, rehashes
 * all entries in one step each time it doubles: ~350 ms of blocked event loop at 2.5 M ids. Here
 * the ids' UTF-16 code units sit in one array, and an open-addressing table of row numbers is sized
 * from the expected count: ~2 B per character + ~11 B per id, and no object per id for the garbage
 * collector to trace.
 */
const MAX_LOAD = 0.7;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** murmur3's finaliser after FNV-1a: sequential ids must spread over the whole table. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return mix(h);
}

/** hashString of the id stored in chars[start, end). */
function hashChars(chars: Uint16Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ chars[i]!, FNV_PRIME);
  return mix(h);
}

function capacityFor(n: number): number {
  let c = 16;
  while (c * MAX_LOAD < n) c *= 2;
  return c;
}

export class IdIndex {
  private chars: Uint16Array;
  private used = 0;
  /** row r's id is chars[offsets[r], offsets[r + 1]) */
  private offsets: Uint32Array;
  /**
   * Pairs (row + 1, hash) per slot, 0 = empty: a probe past another id is rejected by its hash,
   * in the cache line already loaded, instead of by comparing characters elsewhere in memory.
   */
  private slots: Int32Array;
  private rows = 0;

  /** `expected` ids of about `idLength` characters; more only cost a regrowth. */
  constructor(expected: number, idLength = 12) {
    this.slots = new Int32Array(2 * capacityFor(expected));
    this.offsets = new Uint32Array(Math.max(16, expected) + 1);
    this.chars = new Uint16Array(Math.max(256, expected * idLength));
  }

  get size(): number {
    return this.rows;
  }

  /** The row of `id`, or -1. */
  find(id: string): number {
    const h = hashString(id) | 0;
    const mask = this.slots.length / 2 - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const r = this.slots[2 * s]! - 1;
      if (r < 0) return -1;
      if (this.slots[2 * s + 1] === h && this.equals(r, id)) return r;
    }
  }

  /** The row of `id`, a new one (the next number) when absent. */
  add(id: string): number {
    const found = this.find(id);
    if (found >= 0) return found;
    if (this.rows + 1 > (this.slots.length / 2) * MAX_LOAD) this.rehash(this.slots.length);
    const r = this.rows++;
    if (this.rows >= this.offsets.length) this.offsets = grown(this.offsets, this.offsets.length * 2);
    if (this.used + id.length > this.chars.length)
      this.chars = grown(this.chars, Math.max(this.chars.length * 2, this.used + id.length));
    for (let i = 0; i < id.length; i++) this.chars[this.used + i] = id.charCodeAt(i);
    this.used += id.length;
    this.offsets[r + 1] = this.used;
    this.place(hashString(id), r);
    return r;
  }

  idAt(row: number): string {
    if (!(row >= 0 && row < this.rows)) throw new RangeError(`no row ${row} in an index of ${this.rows}`);
    return String.fromCharCode(...this.chars.subarray(this.offsets[row]!, this.offsets[row + 1]!));
  }

  /** Drops the spare room left by the expected sizes (a copy; call once, when complete). */
  trim(): void {
    if (this.chars.length > this.used * 1.1 + 256) this.chars = this.chars.slice(0, this.used);
    if (this.offsets.length > (this.rows + 1) * 1.1 + 16) this.offsets = this.offsets.slice(0, this.rows + 1);
  }

  private equals(row: number, id: string): boolean {
    const start = this.offsets[row]!;
    const n = this.offsets[row + 1]! - start;
    if (n !== id.length) return false;
    // From the end: ids of one fleet share their prefix and differ in the last digits.
    for (let i = n - 1; i >= 0; i--) if (this.chars[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private place(h: number, row: number): void {
    const mask = this.slots.length / 2 - 1;
    let s = h & mask;
    while (this.slots[2 * s] !== 0) s = (s + 1) & mask;
    this.slots[2 * s] = row + 1;
    this.slots[2 * s + 1] = h | 0;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(2 * capacity);
    for (let r = 0; r < this.rows; r++)
      this.place(hashChars(this.chars, this.offsets[r]!, this.offsets[r + 1]!), r);
  }
}

function grown<T extends Uint16Array | Uint32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
