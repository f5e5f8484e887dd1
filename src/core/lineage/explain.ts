/**
 * `smt explain <meter> <instant>`: where the value of one interval came from. Everything is read
 * from what the stores keep anyway: the meter-day's versions in the series (each names the write
 * that set the interval: a Kafka position, `correction:<id>`, an estimation run), the raw archive
 * rows of those Kafka positions, the correction ledger, and the validated aggregates the day feeds.
 */
import type { CorrectionLedger, StoredAggregate } from '../corrections/model.js';
import { addDays, localIso, parseInstant } from '../corrections/range.js';
import { requireMeter } from '../corrections/service.js';
import {
  describeQuality,
  Method,
  methodOf,
  Origin,
  originOf,
  stateOf,
  ValidationState,
} from '../readings/quality.js';
import type { Meter } from '../registry/meter.js';
import { positionOf, type SeriesDay, writeAt } from '../series/day.js';
import type { RawDelivery, RegisterReadReader, SeriesReader } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';

export interface LineagePorts {
  meter(meterId: string): Promise<Meter | null>;
  reader: SeriesReader;
  raw: { find(meterId: string, days: readonly string[], sources: readonly string[]): Promise<RawDelivery[]> };
  ledger: Pick<CorrectionLedger, 'forInterval' | 'storedAggregates'>;
  /** register reads of basic meters (NEM13); absent: not shown */
  registers?: RegisterReadReader;
}

/** A register read period of the meter that covers the interval: the read that closes it. */
export interface RegisterPeriod {
  channel: string;
  unit: string;
  periodStart: string;
  readAt: string;
  /** register value at readAt */
  value: number;
  /** consumption of the period as the file states it */
  quantity: number | null;
  quality: string;
  version: number;
  source: string;
}

export interface IntervalState {
  /** null = missing */
  value: number | null;
  quality: string;
  qualityCode: number;
  origin: string;
  method: string;
  state: string;
  /** rule keys that fired on the value */
  rules: readonly string[];
  /** the write that set the interval: its series version and source */
  writeVersion: number | null;
  source: string | null;
}

export interface VersionStep extends IntervalState {
  /** the meter-day version */
  version: number;
  supersedes: number | null;
  writtenAt: string;
  writer: string;
  reason: string;
}

export interface RawPayload {
  source: string;
  format: string;
  receivedAt: string;
  /** local date the archive files it under (of its first interval) */
  archiveDay: string;
  readings: number;
  payloadBytes: number;
  /** the start of the payload: text as is, binary as hex */
  preview: string;
}

export interface Explanation {
  meterId: string;
  channel: string;
  timezone: string;
  intervalMinutes: number;
  interval: {
    start: string;
    startLocal: string;
    end: string;
    endLocal: string;
    localDate: string;
    /** 0-based position in the local day, of `intervalsInDay` (92/96/100 at 15 minutes) */
    position: number;
    intervalsInDay: number;
  };
  current: VersionStep | null;
  /** the versions of the meter-day that changed this interval, newest first */
  history: VersionStep[];
  raw: RawPayload[];
  estimates: VersionStep[];
  corrections: {
    correctionId: number;
    operation: string;
    reason: string;
    operator: string;
    createdAt: string;
    old: number | null;
    new: number | null;
    seriesVersion: number | null;
    undoes: number | null;
    undoneBy: number | null;
    auditId: number;
  }[];
  aggregates: { daily: StoredAggregate | null; monthly: StoredAggregate | null };
  /** register read periods (any register channel) whose [periodStart, readAt) holds the interval start */
  registerPeriods: RegisterPeriod[];
}

function stateAt(d: SeriesDay, p: number): IntervalState {
  const v = d.values[p]!;
  const q = d.quality[p]!;
  const w = writeAt(d, p);
  const missing = Number.isNaN(v);
  return {
    value: missing ? null : v,
    quality: missing ? 'missing' : describeQuality(q),
    qualityCode: q,
    origin: missing ? 'missing' : (Origin[originOf(q)] ?? String(originOf(q))).toLowerCase(),
    method: Method[methodOf(q)] ?? String(methodOf(q)),
    state: ValidationState[stateOf(q)] ?? String(stateOf(q)),
    rules: d.rules.get(p) ?? [],
    writeVersion: w?.version ?? null,
    source: w?.source ?? null,
  };
}

function preview(payload: Buffer, format: string): string {
  const head = payload.subarray(0, 240);
  const text = /^(json|csv|nem12|text)/i.test(format) || !head.includes(0);
  return text && format !== 'dlms' ? head.toString('utf8') : head.toString('hex');
}

export async function explainInterval(
  ports: LineagePorts,
  o: { meterId: string; instant: string; channel: string },
): Promise<Explanation> {
  const meter = await requireMeter(ports.meter, o.meterId);
  const zone = meter.timezone;
  const cal = LocalCalendar.for(zone);
  const at = parseInstant(o.instant, zone, 'instant', 'instant');
  const start = cal.floorToInterval(at, meter.intervalMinutes);
  const day = cal.localDateOf(start);
  const next = start + meter.intervalMinutes * 60_000;
  const versions = await ports.reader.versions({ meterId: meter.meterId, channel: o.channel, day });
  const position = cal.intervalIndex(start, meter.intervalMinutes);
  // versions newest first; keep those whose write at this interval differs from the one before
  const steps: VersionStep[] = [];
  for (let i = versions.length - 1; i >= 0; i--) {
    const d = versions[i]!;
    const p = positionOf(d, start);
    if (p < 0) continue;
    const s = stateAt(d, p);
    const prev = steps.at(-1);
    if (prev && prev.writeVersion === s.writeVersion && prev.source === s.source) continue;
    if (!prev && s.source === null) continue;
    steps.push({
      ...s,
      version: d.version,
      supersedes: d.supersedes,
      writtenAt: new Date(d.writtenAt).toISOString(),
      writer: d.writer,
      reason: d.reason,
    });
  }
  steps.reverse();
  const newest = versions[0];
  const current =
    newest && positionOf(newest, start) >= 0
      ? {
          ...stateAt(newest, positionOf(newest, start)),
          version: newest.version,
          supersedes: newest.supersedes,
          writtenAt: new Date(newest.writtenAt).toISOString(),
          writer: newest.writer,
          reason: newest.reason,
        }
      : null;
  const kafkaSources = [
    ...new Set(steps.map((s) => s.source).filter((s): s is string => s !== null && !s.includes(':'))),
  ];
  const [raw, corrections, stored, reads] = await Promise.all([
    ports.raw.find(meter.meterId, [addDays(day, -1), day], kafkaSources),
    ports.ledger.forInterval(meter.meterId, o.channel, start),
    ports.ledger.storedAggregates(meter.meterId, o.channel, [day], [day.slice(0, 7)]),
    // a read period may be a quarter or longer: every read after the interval, then the one closing it
    ports.registers?.registerReads({ meterId: meter.meterId, from: start + 1, to: 8.64e15 }) ?? [],
  ]);
  const closing = new Map<string, RegisterPeriod>();
  for (const r of reads) {
    if (r.periodStart === null || r.periodStart > start || closing.has(r.channel)) continue;
    closing.set(r.channel, {
      channel: r.channel,
      unit: r.unit,
      periodStart: new Date(r.periodStart).toISOString(),
      readAt: new Date(r.at).toISOString(),
      value: r.value,
      quantity: r.quantity,
      quality: r.method >= 0 ? `${r.quality}${String(r.method).padStart(2, '0')}` : r.quality,
      version: r.version,
      source: r.source,
    });
  }
  return {
    meterId: meter.meterId,
    channel: o.channel,
    timezone: zone,
    intervalMinutes: meter.intervalMinutes,
    interval: {
      start: new Date(start).toISOString(),
      startLocal: localIso(start, zone),
      end: new Date(next).toISOString(),
      endLocal: localIso(next, zone),
      localDate: day,
      position,
      intervalsInDay: cal.intervalsInDay(day, meter.intervalMinutes),
    },
    current,
    history: steps,
    raw: raw
      .sort((a, b) => a.receivedAt - b.receivedAt || (a.source < b.source ? -1 : 1))
      .map((r) => ({
        source: r.source,
        format: r.format,
        receivedAt: new Date(r.receivedAt).toISOString(),
        archiveDay: r.day,
        readings: r.readings,
        payloadBytes: r.payload.length,
        preview: preview(r.payload, r.format),
      })),
    estimates: steps.filter((s) => s.origin === 'estimated'),
    corrections: corrections.map((c) => ({
      correctionId: c.correctionId,
      operation: c.set.operation,
      reason: c.set.reason,
      operator: c.set.operator,
      createdAt: c.set.createdAt,
      old: c.oldValue,
      new: c.newValue,
      seriesVersion: c.newVersion,
      undoes: c.set.undoes,
      undoneBy: c.set.undoneBy,
      auditId: c.set.auditId,
    })),
    aggregates: { daily: stored.days.get(day) ?? null, monthly: stored.months.get(day.slice(0, 7)) ?? null },
    registerPeriods: [...closing.values()],
  };
}
