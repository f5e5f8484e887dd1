/**
 * The pure half of every write to the interval series: decoded blocks + registry + the stored
 * state of the meter-days they touch → the new day versions, the rows of each store, the topic
 * messages and where every reading went. No I/O: `writer.ts` reads the state, calls `planWrite`,
 * and hands the plan to `apply.ts`.
 */

import type { DroppedReadings, RegisterRead } from '../codecs/types.js';
import type { ReadingBlock } from '../readings/block.js';
import {
  Method,
  Origin,
  originOf,
  packFields,
  Reason,
  stateOf,
  ValidationState,
} from '../readings/quality.js';
import { LocalCalendar } from '../time/calendar.js';
import type { ValidationColumns } from '../vee/engine.js';
import { ruleKey, rulesInMask } from '../vee/rules.js';
import type {
  DroppedReadingsEntry,
  DroppedReadingsLetter,
  RejectedMessageLetter,
  RejectedReadingsLetter,
  SourceRef,
  TopicMessage,
  ValidatedMessage,
} from './contracts.js';
import { validatedId } from './contracts.js';
import {
  copyDay,
  dayKey,
  emptyDay,
  positionOf,
  type SeriesDay,
  type SeriesDayKey,
  type WriteRef,
  writeAt as writeAtPos,
  writeIndex,
} from './day.js';
import type {
  ClosedDay,
  DayChange,
  GapState,
  LateTouch,
  MeterDayCount,
  MeterDayReject,
  MeterLookup,
  RawDelivery,
  RegisteredMeter,
  TopicMessages,
} from './ports.js';
import {
  planRegisterReads,
  type RegisterReadKey,
  readsOf,
  registerReadKey,
  type StoredRegisterRead,
} from './register-reads.js';

/** One input of a write: a Kafka message, a file, a correction, an estimation run's block set. */
export interface WriteUnit {
  /** identity of the input, e.g. `topic/partition/offset`, `correction:42`; makes a retry recognisable */
  source: string;
  /** Kafka position, for dead letters; null for other writers */
  sourceRef: SourceRef | null;
  key: string | null;
  format: string | null;
  /** archived as received when present */
  payload: Buffer | null;
  receivedAt: number;
  /** the whole unit goes to the dead-letter topic */
  reject: { rule: string; reason: string } | null;
  blocks: ReadingBlock[];
  /** validation results per reading (block k occupies [offsets[k], offsets[k+1])); null when rejected */
  columns: ValidationColumns | null;
  offsets: Uint32Array;
  /** readings the decoder put in no block, per record (a rejected unit's dead letter lists them too) */
  drops?: readonly DroppedReadings[];
  /** register read periods (NEM13): their reads go to the register reads, not to the interval days */
  registerReads?: readonly RegisterRead[];
  /**
   * Packed quality per reading (indexed like `columns`) for a writer that sets it itself (a
   * correction: reason data correction; an undo: the states it restores); absent: from the writer
   * and the validation state. With it, a NaN value clears its position back to missing instead of
   * being skipped.
   */
  quality?: Uint32Array;
}

export interface Writer {
  /** e.g. `ingest:smt-ingest`, `correction:alice` */
  name: string;
  /** why, for the version history */
  reason: string;
  /** what the writer's values are: Actual for ingest, Estimated for estimation … */
  origin: Origin;
  method: Method;
  /** the quality reason code of the values it writes (Reason.None when omitted) */
  qualityReason?: Reason;
  /** estimates: a position that holds an actual reading is left alone (counted in `keptActuals`) */
  keepActuals?: boolean;
  /**
   * A re-validation of history (backfill): a reading equal in value is a duplicate only when its
   * validation state and rules are equal too, so a changed rule set gives new versions.
   */
  revalidation?: boolean;
}

export interface WriteOutcome {
  deadLetteredMessages: number;
  /** readings of dead-lettered units that could be decoded */
  deadLetteredReadings: number;
  readings: number;
  stored: number;
  rejected: number;
  missing: number;
  /** same identity and value already in the series (re-delivery) */
  duplicates: number;
  /** same identity, different value: a new version superseding the stored one */
  newVersions: number;
  late: number;
  lateTouches: number;
  /** values of a `keepActuals` writer not written because the position holds an actual reading */
  keptActuals: number;
  /** readings the payloads held that their decoder put in no block (counted apart, like dead-lettered ones) */
  dropped: number;
  /** register reads received (both reads of each read period), and those stored as new rows */
  registerReads: number;
  registerReadsStored: number;
  rejectsByReason: Record<string, number>;
}

export interface PlanInput {
  writer: Writer;
  units: readonly WriteUnit[];
  meters: MeterLookup;
  /** the zone of deliveries whose meter is unknown (raw archive day) */
  fallbackZone: string;
  /** current versions of the touched meter-days (from `touchedDays`) */
  stored: ReadonlyMap<string, SeriesDay>;
  /** current versions of the touched register reads (from `touchedReads`) */
  storedReads?: ReadonlyMap<string, StoredRegisterRead>;
  closed: ReadonlyMap<string, ClosedDay[]>;
  now: number;
  /** the last version this process issued (µs); versions of the plan are above it and above every stored version they replace */
  lastVersion: number;
}

export interface WritePlan {
  raw: RawDelivery[];
  days: SeriesDay[];
  /** new register read versions */
  registerReads: StoredRegisterRead[];
  /** readings the analytics store gets: every position a new day version changed */
  changes: DayChange[];
  /**
   * readings a failed earlier attempt of the same unit stored in the series: the analytics store
   * gets those of them it does not hold yet (the crash may have come before its insert)
   */
  rechecks: DayChange[];
  messages: TopicMessages;
  counts: MeterDayCount[];
  /** readings not stored, per meter-day and reason */
  rejects: MeterDayReject[];
  late: LateTouch[];
  /** what each new day version holds now, so the writer's bookkeeping closes the gaps it filled */
  gapStates: GapState[];
  outcome: WriteOutcome;
  lastVersion: number;
}

/** Placeholder meter id of a delivery that names none (no key, nothing decodable). */
export const UNKEYED = '(unkeyed)';

export function emptyWriteOutcome(): WriteOutcome {
  return {
    deadLetteredMessages: 0,
    deadLetteredReadings: 0,
    readings: 0,
    stored: 0,
    rejected: 0,
    missing: 0,
    duplicates: 0,
    newVersions: 0,
    late: 0,
    lateTouches: 0,
    keptActuals: 0,
    dropped: 0,
    registerReads: 0,
    registerReadsStored: 0,
    rejectsByReason: {},
  };
}

export function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

/**
 * The local day of the last instant looked up. Readings come in runs of one day, so the per-day
 * work (keys, map lookups) runs once per run.
 */
class DayCursor {
  date = '';
  private start = Number.NaN;
  private end = Number.NaN;

  constructor(private readonly cal: LocalCalendar) {}

  /** Moves to the local day of `ms`; true when that is not the day of the previous call. */
  moveTo(ms: number): boolean {
    if (ms >= this.start && ms < this.end) return false;
    const bounds = this.cal.dayBoundsOf(this.cal.localDayOf(ms));
    this.start = bounds.start;
    this.end = bounds.end;
    this.date = this.cal.localDateOf(ms);
    return true;
  }
}

/** Why a whole unit cannot be taken, checked here once for every writer: its meters must be registered. */
function unitReject(u: WriteUnit, meters: MeterLookup): WriteUnit['reject'] {
  if (u.reject) return u.reject;
  const unknown = [...u.blocks, ...(u.registerReads ?? [])].find((b) => meters.get(b.meterId) === undefined);
  return unknown ? { rule: 'registry.unknown', reason: `meter ${unknown.meterId} is not registered` } : null;
}

/** The register reads whose stored state a plan of these units needs. */
export function touchedReads(units: readonly WriteUnit[], meters: MeterLookup): RegisterReadKey[] {
  const out: RegisterReadKey[] = [];
  for (const u of units) if (u.registerReads && !unitReject(u, meters)) out.push(...readsOf(u.registerReads));
  return out;
}

/** The meter-days whose stored state a plan of these units needs. */
export function touchedDays(units: readonly WriteUnit[], meters: MeterLookup): SeriesDayKey[] {
  const out = new Map<string, SeriesDayKey>();
  for (const u of units) {
    if (unitReject(u, meters)) continue;
    for (const b of u.blocks) {
      const cursor = new DayCursor(LocalCalendar.for(meters.get(b.meterId)!.timezone));
      for (let j = 0; j < b.starts.length; j++) {
        if (!cursor.moveTo(b.starts[j]!)) continue;
        const k = dayKey(b.meterId, b.channel, cursor.date);
        if (!out.has(k)) out.set(k, { meterId: b.meterId, channel: b.channel, day: cursor.date });
      }
    }
  }
  return [...out.values()];
}

function rawDelivery(u: WriteUnit, meters: MeterLookup, fallbackZone: string): RawDelivery | null {
  if (u.payload === null) return null;
  const first = u.blocks[0];
  const meterId = u.key || first?.meterId || UNKEYED;
  const zone = (first && meters.get(first.meterId)?.timezone) ?? fallbackZone;
  return {
    meterId,
    day: LocalCalendar.for(zone).localDateOf(first?.starts[0] ?? u.receivedAt),
    source: u.source,
    format: u.format ?? '',
    channel: first?.channel ?? null,
    readings: u.blocks.reduce((n, b) => n + b.starts.length, 0),
    firstInterval: first?.starts.length ? first.starts[0]! : null,
    payload: u.payload,
    receivedAt: u.receivedAt,
  };
}

interface DayWork {
  day: SeriesDay;
  stored: SeriesDay | undefined;
  meter: RegisteredMeter;
  /** 1 at each position this plan changes (a mark per interval: no set of numbers per reading) */
  changed: Uint8Array;
  changedCount: number;
  /** positions this very unit stored in an attempt that failed later: analytics may lack them */
  recheck: Set<number>;
  count: MeterDayCount;
  /** stored readings of this plan on the day (late-data follow-ups) */
  touched: number;
}

const NO_RULES: readonly string[] = [];

function rulesOf(mask: number): readonly string[] {
  return mask === 0 ? NO_RULES : rulesInMask(mask).map(ruleKey);
}

/** Whether a stored position already has this validation state and these rules. */
function sameValidation(day: SeriesDay, pos: number, state: number, mask: number): boolean {
  if (stateOf(day.quality[pos]!) !== state) return false;
  const stored = day.rules.get(pos) ?? NO_RULES;
  const now = rulesOf(mask);
  return stored.length === now.length && stored.every((r, i) => r === now[i]);
}

export function planWrite(input: PlanInput): WritePlan {
  const { units, meters, writer, now } = input;
  const out = emptyWriteOutcome();
  const raw: RawDelivery[] = [];
  const messages: TopicMessages = { validated: [], rejected: [], events: [] };
  const work = new Map<string, DayWork>();
  const rejectedAt = new Date(now).toISOString();
  const rejects = new RejectTally(meters, input.fallbackZone);
  const registerReads: StoredRegisterRead[] = [];
  const readsNow = new Map(input.storedReads);
  let last = input.lastVersion;

  for (const u of units) {
    const r = rawDelivery(u, meters, input.fallbackZone);
    if (r) raw.push(r);
    const drops = u.drops ?? [];
    for (const d of drops) {
      out.dropped += d.readings;
      bump(out.rejectsByReason, 'decode.dropped', d.readings);
      const meterId = d.meterId ?? (u.key || UNKEYED);
      rejects.at(meterId, d.channel ?? '', d.from ?? u.receivedAt, 'decode.dropped', d.reason, d.readings);
    }
    const reject = unitReject(u, meters);
    if (reject || !u.columns) {
      const n = u.blocks.reduce((s, b) => s + b.starts.length, 0);
      out.deadLetteredMessages++;
      out.deadLetteredReadings += n;
      const rule = reject?.rule ?? 'decode';
      bump(out.rejectsByReason, rule, Math.max(n, 1));
      for (const b of u.blocks) rejects.block(b, rule);
      messages.rejected.push(
        messageLetter(u, rule, reject?.reason ?? 'no validation results', rejectedAt, r, drops),
      );
      continue;
    }
    if (drops.length > 0) messages.rejected.push(droppedLetter(u, drops, rejectedAt, r));
    // One version per unit, above the last one issued; per day above the version it replaces, so
    // a restarted process with a clock behind the stored data still writes a newer version.
    const unitVersion = Math.max(now * 1000, last + 1);
    last = unitVersion;
    if (u.registerReads && u.registerReads.length > 0) {
      const p = planRegisterReads(u.registerReads, readsNow, u.source, unitVersion, now);
      registerReads.push(...p.rows);
      // a later unit of the plan compares with what this one writes (the previous read of its period)
      for (const row of p.rows) readsNow.set(registerReadKey(row), row);
      out.registerReads += p.received;
      out.registerReadsStored += p.rows.length;
      last = Math.max(last, p.lastVersion);
    }
    const columns = u.columns;
    for (let k = 0; k < u.blocks.length; k++) {
      const b = u.blocks[k]!;
      const meter = meters.get(b.meterId)!;
      const base = u.offsets[k]!;
      const cursor = new DayCursor(LocalCalendar.for(meter.timezone));
      // the registry says which channels the meter has; readings of any other are not its own
      const undeclared = meter.channelSet ? !meter.channelSet.has(b.channel) : false;
      const rejectedReadings: RejectedReadingsLetter['readings'] = [];
      const accepted: number[] = [];
      let blockVersion = 0;
      let w: DayWork = undefined as unknown as DayWork;
      let ref: WriteRef = undefined as unknown as WriteRef;
      let writeAt = -1;
      for (let j = 0; j < b.starts.length; j++) {
        const start = b.starts[j]!;
        if (cursor.moveTo(start)) {
          w = dayWork(work, input, b, cursor.date, meter);
          const version = unitVersion > w.day.version ? unitVersion : w.day.version + 1;
          if (version > last) last = version;
          if (version > blockVersion) blockVersion = version;
          ref = { version, source: u.source };
          writeAt = -1;
        }
        out.readings++;
        const value = b.values[j]!;
        const restored = u.quality?.[base + j];
        if (Number.isNaN(value) && restored === undefined) {
          out.missing++;
          continue;
        }
        const state = columns.states[base + j]!;
        const pos = w.day.intervalMinutes === b.intervalMinutes ? positionOf(w.day, start) : -1;
        if (state === ValidationState.Failed || pos < 0 || undeclared) {
          const rules = undeclared
            ? ['registry.channel']
            : state === ValidationState.Failed
              ? rulesOf(columns.ruleMask[base + j]!)
              : [w.day.intervalMinutes === b.intervalMinutes ? 'series.alignment' : 'series.interval_length'];
          out.rejected++;
          w.count.received++;
          w.count.rejected++;
          for (const rule of rules) {
            bump(out.rejectsByReason, rule);
            rejects.add(b.meterId, b.channel, cursor.date, rule, '', 1);
          }
          rejectedReadings.push({ start, value, rules: [...rules] });
          continue;
        }
        const day = w.day;
        const had = !Number.isNaN(day.values[pos]!);
        // Written by this very unit in an attempt that failed later on: stored already.
        const alreadyWritten = writeAtPos(day, pos)?.source === u.source;
        if (!had && Number.isNaN(value) && !alreadyWritten) {
          out.missing++;
          continue;
        }
        const storedOrigin = had ? originOf(day.quality[pos]!) : Origin.Missing;
        if (had && !alreadyWritten && writer.keepActuals && storedOrigin === Origin.Actual) {
          out.keptActuals++;
          continue;
        }
        // the same value with another origin (an actual equal to the estimate it replaces) is a new version
        if (
          had &&
          !alreadyWritten &&
          day.values[pos] === value &&
          storedOrigin === writer.origin &&
          (!writer.revalidation || sameValidation(day, pos, state, columns.ruleMask[base + j]!))
        ) {
          out.duplicates++;
          continue;
        }
        // a re-delivery of a stored value is not received again (a day sent twice counts 96, not 192)
        w.count.received++;
        if (had && !alreadyWritten) out.newVersions++;
        if (columns.late[base + j] === 1) {
          out.late++;
          w.count.late++;
        }
        w.touched++;
        out.stored++;
        // a position cleared back to missing is a change of the series, not a validated reading
        if (!Number.isNaN(value)) accepted.push(j);
        if (alreadyWritten) {
          w.recheck.add(pos);
          continue;
        }
        if (writeAt < 0) writeAt = writeIndex(day, ref);
        const mask = columns.ruleMask[base + j]!;
        day.values[pos] = value;
        day.quality[pos] =
          restored ??
          packFields(
            writer.origin,
            state as ValidationState,
            writer.method,
            state === ValidationState.Accepted
              ? Reason.FailedValidation
              : (writer.qualityReason ?? Reason.None),
          );
        day.status[pos] = b.status[j]!;
        day.writeIdx[pos] = writeAt;
        if (mask === 0) day.rules.delete(pos);
        else day.rules.set(pos, rulesOf(mask));
        if (w.changed[pos] === 0) {
          w.changed[pos] = 1;
          w.changedCount++;
        }
      }
      if (rejectedReadings.length > 0) {
        messages.rejected.push({
          key: b.meterId,
          value: {
            v: 2,
            kind: 'readings',
            meterId: b.meterId,
            channel: b.channel,
            intervalMinutes: b.intervalMinutes,
            source: u.sourceRef,
            readings: rejectedReadings,
            rejectedAt,
          },
        });
      }
      if (accepted.length > 0)
        messages.validated.push(validated(u, k, b, columns, base, accepted, blockVersion));
    }
  }

  const days: SeriesDay[] = [];
  const changes: DayChange[] = [];
  const rechecks: DayChange[] = [];
  const counts: MeterDayCount[] = [];
  const late: LateTouch[] = [];
  const gapStates: GapState[] = [];
  for (const [key, w] of work) {
    counts.push(w.count);
    if (w.touched > 0) {
      const closed = input.closed.get(key) ?? [];
      const delta = closed.length > 0 ? { dayBefore: daySum(w.stored), dayAfter: daySum(w.day) } : undefined;
      for (const c of closed) {
        late.push({
          ...keyFields(w.count),
          kind: c.kind,
          periodId: c.periodId,
          readings: w.touched,
          ...delta,
        });
      }
    }
    const recheck = [...w.recheck].filter((p) => w.changed[p] === 0);
    if (recheck.length > 0)
      rechecks.push({
        day: w.stored!,
        positions: recheck.sort((a, b) => a - b),
        meter: w.meter,
        // what an interrupted attempt replaced is not known here; the analytics store looks
        replaces: recheck,
      });
    if (w.changedCount === 0) continue;
    const day = w.day;
    const positions: number[] = [];
    for (let p = 0; p < w.changed.length; p++) if (w.changed[p] === 1) positions.push(p);
    let version = 0;
    for (const p of positions) version = Math.max(version, day.writes[day.writeIdx[p]!]!.version);
    day.version = Math.max(version, (w.stored?.version ?? 0) + 1);
    day.supersedes = w.stored?.version ?? null;
    day.writtenAt = now;
    day.writer = writer.name;
    day.reason = writer.reason;
    days.push(day);
    const before = w.stored?.values;
    const replaces = before ? positions.filter((p) => !Number.isNaN(before[p]!)) : [];
    changes.push({ day, positions, meter: w.meter, ...(replaces.length > 0 ? { replaces } : {}) });
    gapStates.push(gapStateOf(day, writer.origin));
  }
  out.lateTouches = late.length;
  for (const t of late) {
    messages.events.push({
      key: t.meterId,
      value: { v: 2, type: 'late_data', ...t, detectedAt: rejectedAt },
    });
  }
  return {
    raw,
    days,
    registerReads,
    changes,
    rechecks,
    messages,
    counts,
    rejects: rejects.rows(),
    late,
    gapStates,
    outcome: out,
    lastVersion: last,
  };
}

/** Readings not stored, summed per meter-day, rule and detail. */
class RejectTally {
  private readonly byKey = new Map<string, MeterDayReject>();

  constructor(
    private readonly meters: MeterLookup,
    private readonly fallbackZone: string,
  ) {}

  add(meterId: string, channel: string, localDate: string, rule: string, detail: string, n: number): void {
    const k = `${meterId}\u0000${channel}\u0000${localDate}\u0000${rule}\u0000${detail}`;
    const row = this.byKey.get(k);
    if (row) row.readings += n;
    else this.byKey.set(k, { meterId, channel, localDate, rule, detail, readings: n });
  }

  /** On the local day of `at` in the meter's zone (the fallback zone for a meter the registry lacks). */
  at(meterId: string, channel: string, at: number, rule: string, detail: string, n: number): void {
    this.add(meterId, channel, this.calendar(meterId).localDateOf(at), rule, detail, n);
  }

  /** Every reading of a block, per local day. */
  block(b: ReadingBlock, rule: string): void {
    const cursor = new DayCursor(this.calendar(b.meterId));
    let n = 0;
    for (let j = 0; j < b.starts.length; j++) {
      const date = cursor.date;
      if (cursor.moveTo(b.starts[j]!) && n > 0) {
        this.add(b.meterId, b.channel, date, rule, '', n);
        n = 0;
      }
      n++;
    }
    if (n > 0) this.add(b.meterId, b.channel, cursor.date, rule, '', n);
  }

  rows(): MeterDayReject[] {
    return [...this.byKey.values()];
  }

  private calendar(meterId: string): LocalCalendar {
    return LocalCalendar.for(this.meters.get(meterId)?.timezone ?? this.fallbackZone);
  }
}

function dropEntry(d: DroppedReadings): DroppedReadingsEntry {
  return {
    reason: d.reason,
    readings: d.readings,
    message: d.message,
    line: d.location.line ?? null,
    record: d.location.record ?? null,
    field: d.location.field ?? null,
    meterId: d.meterId ?? null,
    channel: d.channel ?? null,
    intervalMinutes: d.intervalMinutes ?? null,
    from: d.from ?? null,
    to: d.to ?? null,
  };
}

/** The rejected-topic entry of what the decoder dropped from a message that was otherwise taken. */
function droppedLetter(
  u: WriteUnit,
  drops: readonly DroppedReadings[],
  rejectedAt: string,
  archived: RawDelivery | null,
): TopicMessage<DroppedReadingsLetter> {
  const key = letterKey(u.key);
  return {
    key: drops[0]!.meterId ?? key,
    value: {
      v: 2,
      kind: 'dropped',
      source: u.sourceRef,
      format: u.format,
      key,
      drops: drops.map(dropEntry),
      payloadRef: archived ? { meterId: archived.meterId, day: archived.day, source: archived.source } : null,
      rejectedAt,
    },
  };
}

function letterKey(key: string | null): string | null {
  return key !== null && key.length > MAX_LETTER_KEY ? `${key.slice(0, MAX_LETTER_KEY)}…` : key;
}

/** Energy of a day version (the sum of its values); 0 for a day never written. */
function daySum(d: SeriesDay | undefined): number {
  if (!d) return 0;
  let s = 0;
  for (let i = 0; i < d.values.length; i++) if (!Number.isNaN(d.values[i]!)) s += d.values[i]!;
  return s;
}

/** The runs of a day version without a value, and its counts per origin. */
export function gapStateOf(day: SeriesDay, writerOrigin: Origin): GapState {
  const step = day.intervalMinutes * 60_000;
  const missing: [number, number][] = [];
  let actual = 0;
  let estimated = 0;
  let run = -1;
  for (let p = 0; p <= day.values.length; p++) {
    const has = p < day.values.length && !Number.isNaN(day.values[p]!);
    if (has) {
      if (originOf(day.quality[p]!) === Origin.Actual) actual++;
      else estimated++;
    }
    if (!has && p < day.values.length && run < 0) run = p;
    if ((has || p === day.values.length) && run >= 0) {
      missing.push([day.dayStart + run * step, day.dayStart + p * step]);
      run = -1;
    }
  }
  return {
    meterId: day.meterId,
    channel: day.channel,
    localDate: day.day,
    intervalMinutes: day.intervalMinutes,
    missing,
    actual,
    estimated,
    resolvedAs: writerOrigin === Origin.Actual ? 'filled' : 'estimated',
  };
}

/** Payloads up to this size travel inside their dead letter; larger ones by reference to the raw archive. */
export const MAX_EMBEDDED_PAYLOAD = 256 * 1024;

/** The dead letter of a whole unit; `archived` is its raw archive row when it has one. */
export function messageLetter(
  u: Pick<WriteUnit, 'sourceRef' | 'key' | 'format' | 'payload'>,
  rule: string,
  reason: string,
  rejectedAt: string,
  archived: RawDelivery | null,
  drops: readonly DroppedReadings[] = [],
): TopicMessage<RejectedMessageLetter> {
  const embed = u.payload !== null && u.payload.length <= MAX_EMBEDDED_PAYLOAD;
  const key = letterKey(u.key);
  return {
    key,
    value: {
      v: 2,
      kind: 'message',
      rule,
      reason,
      source: u.sourceRef,
      format: u.format,
      key,
      payloadBase64: embed ? u.payload!.toString('base64') : null,
      payloadBytes: u.payload?.length ?? 0,
      payloadRef:
        !embed && archived ? { meterId: archived.meterId, day: archived.day, source: archived.source } : null,
      ...(drops.length > 0 ? { drops: drops.map(dropEntry) } : {}),
      rejectedAt,
    },
  };
}

/** Keys longer than this are cut in dead letters (a key is a meter id: 64 characters at most when valid). */
const MAX_LETTER_KEY = 256;

function keyFields(c: MeterDayCount): { meterId: string; channel: string; localDate: string } {
  return { meterId: c.meterId, channel: c.channel, localDate: c.localDate };
}

function dayWork(
  work: Map<string, DayWork>,
  input: PlanInput,
  b: ReadingBlock,
  date: string,
  meter: RegisteredMeter,
): DayWork {
  const key = dayKey(b.meterId, b.channel, date);
  let w = work.get(key);
  if (w) return w;
  const stored = input.stored.get(key);
  const k = { meterId: b.meterId, channel: b.channel, day: date };
  const day = stored ? copyDay(stored) : emptyDay(k, meter.timezone, b.intervalMinutes);
  w = {
    day,
    stored,
    meter,
    changed: new Uint8Array(day.values.length),
    changedCount: 0,
    recheck: new Set(),
    count: { meterId: b.meterId, channel: b.channel, localDate: date, received: 0, rejected: 0, late: 0 },
    touched: 0,
  };
  work.set(key, w);
  return w;
}

function validated(
  u: WriteUnit,
  k: number,
  b: ReadingBlock,
  columns: ValidationColumns,
  base: number,
  accepted: number[],
  version: number,
): TopicMessage<ValidatedMessage> {
  return {
    key: b.meterId,
    value: {
      v: 2,
      id: validatedId(u.source, k),
      meterId: b.meterId,
      channel: b.channel,
      intervalMinutes: b.intervalMinutes,
      source: u.source,
      version,
      starts: accepted.map((j) => b.starts[j]!),
      values: accepted.map((j) => b.values[j]!),
      states: accepted.map((j) => columns.states[base + j]!),
      // shared arrays (the empty one for most readings): the message is only serialized
      rules: accepted.map((j) => rulesOf(columns.ruleMask[base + j]!)),
    },
  };
}

/** The ingest writer: actual readings from the meters. */
export function ingestWriter(group: string): Writer {
  return { name: `ingest:${group}`, reason: 'readings received', origin: Origin.Actual, method: Method.None };
}
