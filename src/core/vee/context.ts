/**
 * What business rules need besides the block, passed in so every rule stays a pure function of
 * its inputs: `now`, the zone, a registry snapshot and per-meter history summaries. The caller
 * (ingest main thread, `smt validate`, a batch job) decides where they come from and how fresh.
 */
import type { Channel, IntervalMinutes } from '../readings/block.js';
import type { Meter, MeterStatus, Segment } from '../registry/meter.js';
import { assertTimeZone } from '../time/calendar.js';

/** The registry facts the rules use, with instants as epoch ms so workers get them cheaply. */
export interface MeterSnapshot {
  meterId: string;
  status: MeterStatus;
  /** epoch ms */
  installedAt: number;
  /** epoch ms; null while installed */
  removedAt: number | null;
  segment: Segment;
  /** null: `limits.max_energy.ratedKw` of the meter's segment applies */
  ratedKw: number | null;
  timezone: string;
  intervalMinutes: IntervalMinutes;
}

/**
 * Meter id → snapshot. Structural, so a plain Map serves (`smt validate`, workers) and so does the
 * ingest daemon's columnar registry, which builds snapshots on lookup instead of holding millions.
 */
export interface RegistrySnapshot {
  get(meterId: string): MeterSnapshot | undefined;
  has(meterId: string): boolean;
  readonly size: number;
}

export function meterSnapshot(m: Meter): MeterSnapshot {
  return {
    meterId: m.meterId,
    status: m.status,
    installedAt: m.installedAt.getTime(),
    removedAt: m.removedAt === null ? null : m.removedAt.getTime(),
    segment: m.segment,
    ratedKw: m.ratedKw,
    timezone: m.timezone,
    intervalMinutes: m.intervalMinutes,
  };
}

/**
 * Map meter id → snapshot; checks the zones here so validation never meets a bad one, each
 * distinct zone once (a check costs ~0.1 ms, and a registry has millions of meters in few zones).
 */
export function registrySnapshot(meters: Iterable<Meter | MeterSnapshot>): Map<string, MeterSnapshot> {
  const out = new Map<string, MeterSnapshot>();
  const checked = new Set<string>();
  for (const m of meters) {
    const s = m.installedAt instanceof Date ? meterSnapshot(m as Meter) : (m as MeterSnapshot);
    if (!checked.has(s.timezone)) checked.add(assertTimeZone(s.timezone));
    out.set(s.meterId, s);
  }
  return out;
}

/** Same semantics as registry/meter.ts isActiveAt: status active or removed, inside the window. */
export function snapshotActiveAt(m: MeterSnapshot, atMs: number): boolean {
  if (m.status !== 'active' && m.status !== 'removed') return false;
  if (atMs < m.installedAt) return false;
  return m.removedAt === null || atMs < m.removedAt;
}

/** 7 local weekdays (Monday = 0) × 24 local hours. */
export const HISTORY_BUCKETS = 168;

/** Bucket of a local weekday (Monday = 0 … Sunday = 6) and local hour (0..23). */
export function historyBucket(weekday: number, hour: number): number {
  return weekday * 24 + hour;
}

/**
 * A meter's history for one channel at its interval length, e.g. the last 8 weeks: per bucket the
 * mean and standard deviation of the interval values (same unit and interval length as the
 * readings being validated). NaN in `mean` = no history for that bucket (the rule is silent).
 */
export interface HistorySummary {
  channel: Channel;
  intervalMinutes: IntervalMinutes;
  mean: Float64Array;
  stddev: Float64Array;
}

export type HistoryContext = ReadonlyMap<string, HistorySummary>;

export interface ValidationContext {
  /** the instant validation runs at (epoch ms): future, age and late are measured from it */
  now: number;
  /** zone of meters without a registry entry (alignment, local days); default UTC */
  timezone?: string;
  /** registry rules run only when given; it also supplies segment, rating and zone per meter */
  registry?: RegistrySnapshot;
  /** history rules run only when given; keyed by meter id */
  history?: HistoryContext;
}
