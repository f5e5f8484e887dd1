/**
 * Local wall-clock time for the validation hot path. Alignment, local days and weekday × hour
 * buckets all follow from `local = utc + offset`; this computes the offset for a whole block with a
 * handful of zone lookups instead of one per reading.
 *
 * The offset is looked up through LocalCalendar (luxon / Intl, microseconds per call) and cached
 * per UTC quarter-hour: every tzdb change since the LMT era happens on a quarter-hour, because
 * offsets are whole quarter-hours and changes occur at whole or half local hours.
 */
import { LocalCalendar } from '../time/calendar.js';

const QUARTER_MS = 900_000;
const WEEK_MS = 7 * 86_400_000;
const MAX_CACHE = 200_000;

const clocks = new Map<string, LocalClock>();

export class LocalClock {
  readonly zone: string;
  readonly isUtc: boolean;
  private readonly calendar: LocalCalendar | undefined;
  private readonly cache = new Map<number, number>();

  private constructor(zone: string) {
    this.zone = zone;
    this.isUtc = zone === 'UTC' || zone === 'Etc/UTC';
    this.calendar = this.isUtc ? undefined : LocalCalendar.for(zone);
  }

  /** One per zone per thread (throws UnknownTimeZoneError for a name that is not a zone). */
  static for(zone: string): LocalClock {
    let c = clocks.get(zone);
    if (c === undefined) {
      c = new LocalClock(zone);
      clocks.set(zone, c);
    }
    return c;
  }

  /** UTC offset in ms at an instant (local = utc + offset). */
  offsetAt(ms: number): number {
    const cal = this.calendar;
    if (cal === undefined) return 0;
    const slot = Math.floor(ms / QUARTER_MS);
    const hit = this.cache.get(slot);
    if (hit !== undefined) return hit;
    const a = cal.offsetMsAt(slot * QUARTER_MS);
    // A change inside the quarter-hour (LMT-era history only): exact lookup, not cached.
    if (a !== cal.offsetMsAt(slot * QUARTER_MS + QUARTER_MS - 1)) return cal.offsetMsAt(ms);
    if (this.cache.size >= MAX_CACHE) this.cache.clear();
    this.cache.set(slot, a);
    return a;
  }

  /**
   * out[i] = starts[i] + offset(starts[i]) (NaN for a non-finite start). A block in time order
   * spanning less than a week has at most one offset change; it is found by bisection, so the
   * block costs two to nine lookups. Anything else is looked up per reading (still cached).
   */
  toLocal(starts: Float64Array, n: number, out: Float64Array): void {
    if (n === 0) return;
    if (this.calendar === undefined) {
      for (let i = 0; i < n; i++) out[i] = starts[i]!;
      return;
    }
    const first = starts[0]!;
    const last = starts[n - 1]!;
    let ordered = first - first === 0 && last - last === 0 && last - first < WEEK_MS;
    for (let i = 1; ordered && i < n; i++) ordered = starts[i]! >= starts[i - 1]!;
    if (!ordered) {
      for (let i = 0; i < n; i++) {
        const s = starts[i]!;
        out[i] = s - s === 0 ? s + this.offsetAt(s) : Number.NaN;
      }
      return;
    }
    const o0 = this.offsetAt(first);
    const o1 = this.offsetAt(last);
    let k = n;
    if (o0 !== o1) {
      // first index whose offset is no longer o0
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.offsetAt(starts[mid]!) === o0) lo = mid + 1;
        else hi = mid;
      }
      k = lo;
    }
    for (let i = 0; i < k; i++) out[i] = starts[i]! + o0;
    for (let i = k; i < n; i++) out[i] = starts[i]! + o1;
  }
}
