/**
 * Which intervals of a local day a meter is expected to deliver: every interval of the day on the
 * meter's own grid (92, 96 or 100 at 15 minutes across DST changes) from installation up to
 * removal, except while the meter is de-energised or inactive.
 */
import type { Segment } from '../registry/meter.js';
import { LocalCalendar } from '../time/calendar.js';
import { MS_PER_MINUTE } from '../time/local-date.js';

/** A span of time [start, end) in epoch ms; end null = still open. */
export interface Span {
  start: number;
  end: number | null;
}

/** The registry facts gap detection and estimation need per meter. */
export interface MeterFacts {
  meterId: string;
  timezone: string;
  intervalMinutes: number;
  regionId: string;
  segment: Segment;
  status: 'active' | 'inactive' | 'removed';
  tariffId?: string;
  installedAt: number;
  removedAt: number | null;
  /** known de-energised periods (smt.deenergised_periods) */
  deenergised: readonly Span[];
}

/** Intervals of one local day and which of them are expected. */
export interface ExpectedDay {
  dayStart: number;
  /** intervals of the day on the meter's grid */
  positions: number;
  /** 1 = expected; null = every position is expected (the common case: no mask is allocated) */
  mask: Uint8Array | null;
  expected: number;
}

export function inSpans(spans: readonly Span[], ms: number): boolean {
  for (const s of spans) if (ms >= s.start && (s.end === null || ms < s.end)) return true;
  return false;
}

export function expectedDay(m: MeterFacts, date: string): ExpectedDay {
  const bounds = LocalCalendar.for(m.timezone).dayBounds(date);
  const step = m.intervalMinutes * MS_PER_MINUTE;
  const positions = Math.round((bounds.end - bounds.start) / step);
  if (m.status === 'inactive')
    return { dayStart: bounds.start, positions, mask: new Uint8Array(positions), expected: 0 };
  const cut =
    m.installedAt > bounds.start ||
    (m.removedAt !== null && m.removedAt < bounds.end) ||
    m.deenergised.some((s) => s.start < bounds.end && (s.end === null || s.end > bounds.start));
  if (!cut) return { dayStart: bounds.start, positions, mask: null, expected: positions };
  const mask = new Uint8Array(positions);
  let expected = 0;
  for (let p = 0; p < positions; p++) {
    const t = bounds.start + p * step;
    if (t < m.installedAt || (m.removedAt !== null && t >= m.removedAt) || inSpans(m.deenergised, t))
      continue;
    mask[p] = 1;
    expected++;
  }
  return { dayStart: bounds.start, positions, mask, expected };
}
