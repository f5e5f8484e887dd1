/**
 * The data of `smt inspect`: one meter over a range of local days, every interval with its value,
 * mark, quality, rules and the write that set it. Built once from one series query (plus the
 * bookkeeping rows of the same range), then every key press works on it without a store; the same
 * object is what `--json` prints.
 */
import { describeQuality, Origin, originOf } from '../readings/quality.js';
import type { Meter } from '../registry/meter.js';
import { emptyDay, intervalStartAt, type SeriesDay, writeAt } from '../series/day.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { daySlots, mergeSlots, positionOffsets, slotLabel, type WallSlot } from './local-grid.js';
import { emptyCounts, type Mark, type MarkCounts, markOf } from './marks.js';

export interface InspectCell {
  position: number;
  /** interval start, ISO 8601 with the local offset (unambiguous on a fall-back day) */
  start: string;
  startMs: number;
  /** local wall-clock time, `02:00'` for the repeated hour of a fall-back day */
  local: string;
  /** null = no value */
  value: number | null;
  mark: Mark;
  quality: number;
  qualityText: string;
  origin: string;
  rules: string[];
  /** version of the write that set the value; null when none did */
  version: number | null;
  source: string | null;
}

export interface DayIngest {
  received: number;
  rejected: number;
  late: number;
  lastReceivedAt: string | null;
}

export interface InspectDay {
  date: string;
  intervals: number;
  /** false: no version of the day is stored */
  stored: boolean;
  version: number | null;
  writtenAt: string | null;
  writer: string | null;
  reason: string | null;
  /** sum of the values present */
  total: number;
  counts: MarkCounts;
  /** a validated aggregate exists in smt.daily_aggregates (otherwise the day is provisional) */
  validated: boolean;
  ingest: DayIngest | null;
  /** open late-data alerts of the day (aggregated_day, closed_period, billed_period) */
  lateAlerts: string[];
  cells: InspectCell[];
}

export interface GapRecord {
  start: string;
  end: string;
  intervals: number;
  status: string;
}

export interface InspectMeter {
  meterId: string;
  accountId: string;
  tariffId: string;
  regionId: string;
  segment: string;
  status: string;
  timezone: string;
  intervalMinutes: number;
  installedAt: string;
  removedAt: string | null;
}

export interface Completeness {
  expected: number;
  present: number;
  pct: number;
  counts: MarkCounts;
}

export interface Inspection {
  meter: InspectMeter;
  channel: string;
  from: string;
  to: string;
  /** newest `last_received_at` of the meter in smt.ingest_meter_days */
  lastReceivedAt: string | null;
  completeness: Completeness;
  validatedDays: number;
  provisionalDays: number;
  lateAfterHours: number;
  /** the carpet's columns: local wall-clock times in order */
  slots: string[];
  days: InspectDay[];
  /** smt.gaps records overlapping the range */
  gaps: GapRecord[];
  /** when the data was read, ISO */
  readAt: string;
}

export interface InspectionInput {
  meter: Meter;
  channel: string;
  from: string;
  to: string;
  days: readonly SeriesDay[];
  ingest: ReadonlyMap<string, DayIngest>;
  validated: ReadonlySet<string>;
  lateAlerts: ReadonlyMap<string, string[]>;
  gaps: GapRecord[];
  lastReceivedAt: string | null;
  lateAfterHours: number;
  now: number;
}

/** Every local date from `from` to `to`, inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = parseLocalDate(from); d <= parseLocalDate(to); d++) out.push(formatLocalDate(d));
  return out;
}

function isoLocal(ms: number, offsetMs: number): string {
  const local = new Date(ms + offsetMs).toISOString().slice(0, 19);
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function buildInspection(input: InspectionInput): Inspection {
  const { meter } = input;
  // a month holds a handful of distinct qualities: describe each once
  const described = new Map<number, string>();
  const describe = (q: number) => {
    let t = described.get(q);
    if (t === undefined) {
      t = describeQuality(q);
      described.set(q, t);
    }
    return t;
  };
  const lateAfterMs = input.lateAfterHours * 3_600_000;
  const byDate = new Map(input.days.map((d) => [d.day, d]));
  const seqs: WallSlot[][] = [];
  const total = emptyCounts();
  let expected = 0;
  const days: InspectDay[] = datesBetween(input.from, input.to).map((date) => {
    const stored = byDate.get(date);
    const d =
      stored ??
      emptyDay(
        { meterId: meter.meterId, channel: input.channel, day: date },
        meter.timezone,
        meter.intervalMinutes,
      );
    const offsets = positionOffsets(meter.timezone, d.dayStart, d.values.length, d.intervalMinutes);
    const slots = daySlots(offsets, d.intervalMinutes);
    seqs.push(slots);
    const counts = emptyCounts();
    let sum = 0;
    const cells = slots.map((slot, pos): InspectCell => {
      const v = d.values[pos]!;
      const mark = markOf(d, pos, lateAfterMs);
      counts[mark]++;
      if (!Number.isNaN(v)) sum += v;
      const w = writeAt(d, pos);
      const startMs = intervalStartAt(d, pos);
      const q = d.quality[pos]!;
      return {
        position: pos,
        start: isoLocal(startMs, offsets[pos]!),
        startMs,
        local: slotLabel(slot),
        value: Number.isNaN(v) ? null : v,
        mark,
        quality: q,
        qualityText: Number.isNaN(v) && stored === undefined ? 'no data' : describe(q),
        origin: (Origin[originOf(q)] ?? `origin ${originOf(q)}`).toLowerCase(),
        rules: [...(d.rules.get(pos) ?? [])],
        version: w?.version ?? null,
        source: w?.source ?? null,
      };
    });
    expected += cells.length;
    for (const m of Object.keys(counts) as Mark[]) total[m] += counts[m];
    return {
      date,
      intervals: cells.length,
      stored: stored !== undefined,
      version: stored?.version ?? null,
      writtenAt: stored ? new Date(stored.writtenAt).toISOString() : null,
      writer: stored?.writer ?? null,
      reason: stored?.reason ?? null,
      total: Math.round(sum * 1e6) / 1e6,
      counts,
      validated: input.validated.has(date),
      ingest: input.ingest.get(date) ?? null,
      lateAlerts: input.lateAlerts.get(date) ?? [],
      cells,
    };
  });
  const present = expected - total.missing - total.rejected;
  const validatedDays = days.filter((d) => d.validated).length;
  return {
    meter: {
      meterId: meter.meterId,
      accountId: meter.accountId,
      tariffId: meter.tariffId,
      regionId: meter.regionId,
      segment: meter.segment,
      status: meter.status,
      timezone: meter.timezone,
      intervalMinutes: meter.intervalMinutes,
      installedAt: meter.installedAt.toISOString(),
      removedAt: meter.removedAt?.toISOString() ?? null,
    },
    channel: input.channel,
    from: input.from,
    to: input.to,
    lastReceivedAt: input.lastReceivedAt,
    completeness: {
      expected,
      present,
      pct: expected === 0 ? 0 : Math.round((present / expected) * 1000) / 10,
      counts: total,
    },
    validatedDays,
    provisionalDays: days.length - validatedDays,
    lateAfterHours: input.lateAfterHours,
    slots: mergeSlots(seqs).map(slotLabel),
    days,
    gaps: input.gaps,
    readAt: new Date(input.now).toISOString(),
  };
}

/** Column of each cell of a day in the carpet (`slots` of the inspection). */
export function columnsOf(ins: Inspection, day: InspectDay): number[] {
  let index = slotIndex.get(ins);
  if (!index) {
    index = new Map(ins.slots.map((s, i) => [s, i]));
    slotIndex.set(ins, index);
  }
  return day.cells.map((c) => index.get(c.local)!);
}

const slotIndex = new WeakMap<Inspection, Map<string, number>>();
