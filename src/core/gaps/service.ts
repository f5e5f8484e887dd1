/**
 * `smt gaps detect`: every meter's expected intervals against the current series, one series query
 * per meter, gap records replaced per meter-day in PostgreSQL (idempotent: a rerun writes the same
 * rows). Meters are worked `concurrency` at a time and written in batches.
 */

import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import type { SeriesDay } from '../series/day.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { type DayGaps, detectDay } from './detect.js';
import type { MeterFacts } from './expected.js';
import { openQualityStores } from './stores.js';

export interface MeterSelection {
  /** explicit meter ids; null = every registered meter (or those with `prefix`) */
  meters: readonly string[] | null;
  prefix?: string;
}

export interface DetectOptions extends MeterSelection {
  from: string;
  to: string;
  channel: string;
  onProgress?: (p: { meters: number; of: number; meterDays: number; seconds: number }) => void;
}

export interface DetectSummary {
  from: string;
  to: string;
  channel: string;
  meters: number;
  meterDays: number;
  expected: number;
  actual: number;
  estimated: number;
  missing: number;
  gaps: number;
  /** (actual + estimated) / expected, percent */
  completePct: number;
  seconds: number;
  meterDaysPerSecond: number;
}

/** Local dates from..to inclusive; a usage error for a bad or reversed range. */
export function datesBetween(from: string, to: string): string[] {
  const a = parseLocalDate(from);
  const b = parseLocalDate(to);
  if (b < a) throw new UsageError(`--to ${to} is before --from ${from}`, 'Give --from on or before --to.');
  if (b - a > 3660)
    throw new UsageError(`${from}..${to} is more than ten years`, 'Detect gaps a year or less at a time.');
  const out: string[] = [];
  for (let d = a; d <= b; d++) out.push(formatLocalDate(d));
  return out;
}

/** Gaps of one meter over the dates, from its stored days (pure). */
export function detectMeter(
  meter: MeterFacts,
  channel: string,
  dates: readonly string[],
  days: readonly SeriesDay[],
  rejected: ReadonlyMap<string, number>,
): DayGaps[] {
  const byDate = new Map(days.map((d) => [d.day, d]));
  return dates.map((date) =>
    detectDay(meter, channel, date, byDate.get(date), rejected.get(`${meter.meterId}|${date}`) ?? 0),
  );
}

export async function detectGaps(config: SmtConfig, o: DetectOptions): Promise<DetectSummary> {
  const dates = datesBetween(o.from, o.to);
  const stores = openQualityStores(config);
  const t0 = performance.now();
  const sum = { meterDays: 0, expected: 0, actual: 0, estimated: 0, missing: 0, gaps: 0 };
  let writing: Promise<void> = Promise.resolve();
  try {
    const meters = await stores.gaps.meterFacts(o.meters, o.prefix);
    if (o.meters && meters.length < o.meters.length) {
      const known = new Set(meters.map((m) => m.meterId));
      const unknown = o.meters.filter((m) => !known.has(m));
      throw new UsageError(
        `meter ${unknown.slice(0, 5).join(', ')} is not registered`,
        'Check the ids with `smt meters list`.',
      );
    }
    let done = 0;
    const BATCH = 500;
    // meter-days are recorded in large sets: the store writes them a few transactions at once
    const FLUSH = 10_000;
    let pending: DayGaps[] = [];
    for (let i = 0; i < meters.length; i += BATCH) {
      const batch = meters.slice(i, i + BATCH);
      const rejected = await stores.gaps.rejectedCounts(
        batch.map((m) => m.meterId),
        o.channel,
        o.from,
        o.to,
      );
      const found: DayGaps[] = [];
      await forEachBounded(batch, 16, async (m) => {
        const days = await stores.reader.days({
          meterId: m.meterId,
          channel: o.channel,
          from: o.from,
          to: o.to,
        });
        found.push(...detectMeter(m, o.channel, dates, days, rejected));
      });
      pending.push(...found);
      if (pending.length >= FLUSH || i + BATCH >= meters.length) {
        // one write in flight while the next meters are read and detected
        await writing;
        writing = stores.gaps.replaceDays(pending);
        writing.catch(() => {}); // awaited before the next write and at the end
        pending = [];
      }
      for (const d of found) {
        sum.meterDays++;
        sum.expected += d.expected;
        sum.actual += d.actual;
        sum.estimated += d.estimated;
        sum.missing += d.missing;
        sum.gaps += d.gaps.length;
      }
      done += batch.length;
      o.onProgress?.({
        meters: done,
        of: meters.length,
        meterDays: sum.meterDays,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    await writing;
    const seconds = (performance.now() - t0) / 1000;
    return {
      from: o.from,
      to: o.to,
      channel: o.channel,
      meters: meters.length,
      ...sum,
      completePct:
        sum.expected === 0 ? 100 : Math.round((100_000 * (sum.actual + sum.estimated)) / sum.expected) / 1000,
      seconds: Math.round(seconds * 100) / 100,
      meterDaysPerSecond: Math.round(sum.meterDays / Math.max(seconds, 0.001)),
    };
  } finally {
    await writing.catch(() => {});
    await stores.close();
  }
}
