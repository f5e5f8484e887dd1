/**
 * Seeded randomness for the simulator. Every random draw is taken from a stream named by
 * (seed, meter, day, purpose), never from one sequence shared by the whole run. That makes a meter-day
 * the same whatever else is generated: changing the number of meters, the days, the format or the
 * rate of one fault leaves every other meter-day and every other fault where it was. Tests rely on it
 * (a run without faults is the clean baseline of a run with faults).
 */

/** murmur3 finalizer: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** 32-bit hash of a few integers (each may be up to 2^53; the high bits are mixed in too). */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = 0x9e3779b9;
  h = mix(h, a | 0);
  h = mix(h, Math.floor(a / 4294967296) | 0);
  h = mix(h, b | 0);
  h = mix(h, c | 0);
  h = mix(h, d | 0);
  return fmix32(h);
}

const SQRT3 = Math.sqrt(3);

/**
 * mulberry32: one 32-bit word of state, passes BigCrush's practical subset, ~1 ns a draw. Not for
 * cryptography; plenty for load noise and fault placement. Objects are reused through `reseed` so
 * the hot loop allocates nothing.
 */
export class Rng {
  private s: number;

  constructor(seed = 0) {
    this.s = seed >>> 0;
  }

  reseed(seed: number): this {
    this.s = seed >>> 0;
    return this;
  }

  /** uniform in [0, 1) */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** integer in [lo, hi] */
  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** uniform in [lo, hi) */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Approximately standard normal (Irwin–Hall with four uniforms, rescaled): bounded to ±3.46, which
   * is what load noise wants (no absurd tails), and four times cheaper than Box–Muller's log/cos.
   */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * SQRT3;
  }
}
