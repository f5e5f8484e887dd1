/**
 * One version of one meter-day of one channel: the unit the series is stored, compared and read
 * in. The day is held in columns indexed by interval position since local midnight (92, 96 or 100
 * positions at 15 minutes on DST days), so a write touches one row and a read of a month is 31 rows.
 *
 * A position without a reading holds NaN in `values` (missing is never 0). Per position the day also
 * keeps the packed quality (docs/time-and-quality.md), the device status bits as received, the rules
 * that fired (by key: no cap on their number, and the keys survive renumbering), and which write set
 * the value (`writeIdx` into `writes`: the version and source of that write).
 */
import { LocalCalendar } from '../time/calendar.js';
import { MS_PER_MINUTE } from '../time/local-date.js';

/** `writeIdx` of a position no write has set. */
export const NO_WRITE = 0xffff;

export interface SeriesDayKey {
  meterId: string;
  channel: string;
  /** local date in the meter's zone, YYYY-MM-DD */
  day: string;
}

/** One write that set values of the day: its version and what it came from. */
export interface WriteRef {
  /** durable, monotonic per meter-day: microseconds since the epoch, bumped past the stored version */
  version: number;
  /** e.g. `topic/partition/offset`, `correction:42`, `estimate:<run>` */
  source: string;
}

export interface SeriesDay extends SeriesDayKey {
  intervalMinutes: number;
  /** UTC instant of the local midnight that starts the day */
  dayStart: number;
  values: Float64Array;
  quality: Uint32Array;
  status: Uint32Array;
  writeIdx: Uint16Array;
  writes: WriteRef[];
  /** rule keys that fired, by position; absent = none */
  rules: Map<number, readonly string[]>;
  /** version of this state of the day: the newest of its writes */
  version: number;
  /** the version this one replaced; null for the first */
  supersedes: number | null;
  /** epoch ms when this version was written */
  writtenAt: number;
  /** who wrote it, e.g. `ingest:smt-ingest`, `correction:alice`, `migration:2` */
  writer: string;
  /** why, in words an operator reads in the audit history */
  reason: string;
}

export function dayKey(meterId: string, channel: string, day: string): string {
  return `${meterId}|${channel}|${day}`;
}

export function keyOf(k: SeriesDayKey): string {
  return dayKey(k.meterId, k.channel, k.day);
}

/** An empty day (no positions set) in the meter's zone. */
export function emptyDay(key: SeriesDayKey, timezone: string, intervalMinutes: number): SeriesDay {
  const bounds = LocalCalendar.for(timezone).dayBounds(key.day);
  const n = Math.round((bounds.end - bounds.start) / (intervalMinutes * MS_PER_MINUTE));
  // one allocation for the four columns (ingest makes one of these per new meter-day)
  const block = new ArrayBuffer(18 * n);
  return {
    ...key,
    intervalMinutes,
    dayStart: bounds.start,
    values: new Float64Array(block, 0, n).fill(Number.NaN),
    quality: new Uint32Array(block, 8 * n, n),
    status: new Uint32Array(block, 12 * n, n),
    writeIdx: new Uint16Array(block, 16 * n, n).fill(NO_WRITE),
    writes: [],
    rules: new Map(),
    version: 0,
    supersedes: null,
    writtenAt: 0,
    writer: '',
    reason: '',
  };
}

/** A working copy that a planner may change without touching the stored state it came from. */
export function copyDay(d: SeriesDay): SeriesDay {
  return {
    ...d,
    values: d.values.slice(),
    quality: d.quality.slice(),
    status: d.status.slice(),
    writeIdx: d.writeIdx.slice(),
    writes: d.writes.slice(),
    rules: new Map(d.rules),
  };
}

/** Position of an instant in the day, or -1 when it is outside the day or off the interval grid. */
export function positionOf(d: SeriesDay, ms: number): number {
  const step = d.intervalMinutes * MS_PER_MINUTE;
  const offset = ms - d.dayStart;
  if (offset < 0 || offset % step !== 0) return -1;
  const i = offset / step;
  return i < d.values.length ? i : -1;
}

export function intervalStartAt(d: SeriesDay, position: number): number {
  return d.dayStart + position * d.intervalMinutes * MS_PER_MINUTE;
}

/** Number of positions that hold a value. */
export function readingsIn(d: SeriesDay): number {
  let n = 0;
  for (let i = 0; i < d.values.length; i++) if (!Number.isNaN(d.values[i]!)) n++;
  return n;
}

/** The write that set a position, or undefined when none did. */
export function writeAt(d: SeriesDay, position: number): WriteRef | undefined {
  const w = d.writeIdx[position]!;
  return w === NO_WRITE ? undefined : d.writes[w];
}

/** Index of a write in the day's list, appending it the first time it is used. */
export function writeIndex(d: SeriesDay, w: WriteRef): number {
  for (let i = d.writes.length - 1; i >= 0; i--) {
    const x = d.writes[i]!;
    if (x.version === w.version && x.source === w.source) return i;
  }
  if (d.writes.length >= NO_WRITE) throw new RangeError(`more than ${NO_WRITE - 1} writes in one meter-day`);
  d.writes.push(w);
  return d.writes.length - 1;
}
