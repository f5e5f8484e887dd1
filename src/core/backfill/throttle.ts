/**
 * `--rate`: at most `rate` meter-days per second for this process (0: no limit). A chunk waits
 * until the meter-days booked before it are due, so a process works at the rate on average
 * whatever the chunk sizes, and the first chunk starts at once.
 */
export function throttler(
  rate: number,
  now: () => number = () => performance.now(),
): (meterDays: number) => Promise<void> {
  const start = now();
  let booked = 0;
  return async (n) => {
    if (rate <= 0) return;
    const due = start + (booked / rate) * 1000;
    booked += n;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
}
