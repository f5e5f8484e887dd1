import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttler } from '../../src/core/backfill/throttle.js';

describe('backfill --rate', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** the fake clock's time when each of these chunks was let through */
  async function released(rate: number, chunks: number[]): Promise<number[]> {
    const t0 = Date.now();
    const throttle = throttler(rate, () => Date.now());
    const at: number[] = [];
    for (const n of chunks) {
      const p = throttle(n).then(() => at.push(Date.now() - t0));
      await vi.runAllTimersAsync();
      await p;
    }
    return at;
  }

  it('lets chunks through when the meter-days booked before them are due', async () => {
    // 10 meter-days/s: 5 at once, the next 5 after 0.5 s, then 20 after 1 s, the last after 3 s
    expect(await released(10, [5, 5, 20, 1])).toEqual([0, 500, 1000, 3000]);
  });

  it('does not wait while the work itself is slower than the rate', async () => {
    const t0 = Date.now();
    const throttle = throttler(100, () => Date.now());
    await throttle(50);
    vi.setSystemTime(t0 + 2_000); // the chunk took 2 s, more than its 0.5 s at the rate
    const p = throttle(50);
    await vi.runAllTimersAsync();
    await p;
    expect(Date.now() - t0).toBe(2_000);
  });

  it('0 is no limit', async () => {
    expect(await released(0, [1_000_000, 1_000_000])).toEqual([0, 0]);
  });
});
