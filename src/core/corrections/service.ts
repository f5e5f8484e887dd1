/**
 * `smt correct` and `smt correct undo`: read the meter's current series, work out the new values,
 * validate them with the corrections rule set, show the impact, and — unless it is a dry run —
 * record the correction and write it as a new series version in one PostgreSQL transaction:
 *
 *   BEGIN → reserve the correction id → plan the write (writeSeries, apply: false) → record the
 *   set, its intervals, alerts and the chained audit entry → apply the plan (Cassandra series,
 *   ClickHouse, topics, then the recalculation queue inside this transaction) → COMMIT
 *
 * Nothing is recorded if any step fails. The one window left: a failure after the series write and
 * before COMMIT leaves a series version whose source (`correction:<id>`) has no record; the error
 * says so and names the id (docs/corrections.md).
 */
import { fileURLToPath } from 'node:url';
import type { ChainedEntry } from '../audit/chain.js';
import { InvalidDataError, SmtError, UsageError } from '../errors.js';
import { estimationSettingsOf } from '../estimation/service.js';
import type { EstimationSettings } from '../estimation/settings.js';
import type { ReadingBlock } from '../readings/block.js';
import {
  describeQuality,
  Method,
  Origin,
  packFields,
  Reason,
  stateOf,
  ValidationState,
} from '../readings/quality.js';
import type { Meter } from '../registry/meter.js';
import { meterNotRegistered } from '../registry/service.js';
import { applyPlan } from '../series/apply.js';
import { emptyDay, positionOf, type SeriesDay, writeAt } from '../series/day.js';
import type { WritePlan, Writer, WriteUnit } from '../series/planner.js';
import type { MeterLookup, RegisteredMeter, SeriesPorts, SeriesReader } from '../series/ports.js';
import { writeSeries } from '../series/writer.js';
import { LocalCalendar } from '../time/calendar.js';
import { registrySnapshot } from '../vee/context.js';
import { ValidationColumns, VeeEngine } from '../vee/engine.js';
import { loadRuleSetFile, type RuleSetDefinition } from '../vee/rule-set.js';
import { RULES_BY_KEY, ruleKey, rulesInMask } from '../vee/rules.js';
import { ESTIMATE_METHODS } from './estimate-methods.js';
import { type EstimatedRange, estimateCorrection } from './estimator.js';
import type {
  ClosedPeriod,
  CorrectedInterval,
  CorrectionAlert,
  CorrectionLedger,
  CorrectionOperation,
  OperationKind,
} from './model.js';
import { operatorName } from './operator.js';
import {
  byDate,
  copyByWallClock,
  type DaysByDate,
  dayTotals,
  monthTotals,
  type ProposedInterval,
  propose,
  type TotalChange,
} from './plan.js';
import { addDays, type IntervalRange, intervalRange, localIso, parseInstant } from './range.js';

/** rules/corrections.yaml of the installed package (same relative place from src/ and dist/). */
export const CORRECTIONS_RULE_SET_PATH = fileURLToPath(
  new URL('../../../rules/corrections.yaml', import.meta.url),
);

export interface CorrectionPorts {
  meter(meterId: string): Promise<Meter | null>;
  reader: SeriesReader;
  ledger: CorrectionLedger;
  /** the write model's stores; a wet run swaps in the ledger transaction's bookkeeping */
  series: SeriesPorts;
  now(): number;
}

export interface CorrectOptions {
  meterId: string;
  channel: string;
  from: string;
  to: string;
  operation: CorrectionOperation;
  reason: string;
  /** default: the OS user */
  operator?: string;
  dryRun: boolean;
  allowClosed: boolean;
  /** rule-set file; default rules/corrections.yaml */
  rules?: string;
  /** the estimation settings `--estimate` uses; default: the shipped rule set's */
  estimation?: EstimationSettings;
}

export interface UndoOptions {
  correctionId: number;
  reason: string;
  operator?: string;
  dryRun: boolean;
  allowClosed: boolean;
}

export interface IntervalChange {
  start: string;
  startLocal: string;
  old: number | null;
  new: number | null;
  oldQuality: string;
  newQuality: string;
}

export interface TotalRow extends TotalChange {
  /** the validated aggregate stored in PostgreSQL now (null: none yet) */
  stored: number | null;
}

export interface CorrectionReport {
  dryRun: boolean;
  /** null on a dry run */
  correctionId: number | null;
  meterId: string;
  channel: string;
  timezone: string;
  intervalMinutes: number;
  from: string;
  to: string;
  fromLocal: string;
  toLocal: string;
  operation: OperationKind;
  parameters: Record<string, unknown>;
  method: string;
  reason: string;
  operator: string;
  undoes: number | null;
  /** null for an undo (it restores states the series held) */
  validation: {
    ruleSet: string;
    passed: number;
    accepted: number;
    rulesFired: Record<string, number>;
  } | null;
  intervals: { inRange: number; changed: number; unchanged: number; skipped: number };
  changes: IntervalChange[];
  days: TotalRow[];
  months: TotalRow[];
  closedPeriods: (ClosedPeriod & { before: number; after: number })[];
  /** meter-days queued for recalculation (reason `correction`) */
  recalcQueued: number;
  alertsRaised: number;
  seriesVersions: { day: string; version: number; supersedes: number | null }[];
  audit: { auditId: number; entryHash: string } | null;
}

function registered(m: Meter): RegisteredMeter {
  return {
    meterId: m.meterId,
    timezone: m.timezone,
    intervalMinutes: m.intervalMinutes,
    regionId: m.regionId,
    segment: m.segment,
    tariffId: m.tariffId,
  };
}

/** The registered meter, or the registry's not-registered error (exit 3). */
export async function requireMeter(
  lookup: (meterId: string) => Promise<Meter | null>,
  meterId: string,
  what = 'meter',
): Promise<Meter> {
  const m = await lookup(meterId);
  if (!m) throw meterNotRegistered(meterId, what);
  return m;
}

function meterOf(ports: CorrectionPorts, meterId: string, what?: string): Promise<Meter> {
  return requireMeter(ports.meter, meterId, what);
}

function requireReason(reason: string): string {
  const r = reason.trim();
  if (r === '')
    throw new UsageError(
      'a correction needs a reason (--reason): it is recorded in the audit trail',
      'Say why, e.g. --reason "meter replaced 2026-03-28, readings of the old meter copied (ticket 4711)".',
    );
  return r;
}

/** The operations whose values need no estimation library */
type DirectOperation = Exclude<CorrectionOperation, { kind: 'estimate' }>;

/** How the operation's values are produced, as recorded in each value's quality. */
function methodOf(op: DirectOperation): Method {
  switch (op.kind) {
    case 'value':
      return Method.OperatorEdit;
    case 'scale':
      return Method.DataScaling;
    case 'copy_from':
      return 'day' in op ? Method.LikeDay : Method.CheckMeter;
  }
}

/** The method code that filled most of an estimated range (the first on a tie); each value's own is in its quality. */
function mainCode(e: EstimatedRange): Method {
  const counts = new Map<Method, number>();
  for (const c of e.codes) counts.set(c, (counts.get(c) ?? 0) + 1);
  let best = Method.None;
  let n = 0;
  for (const [c, k] of counts)
    if (k > n) {
      best = c;
      n = k;
    }
  return best;
}

function parametersOf(op: CorrectionOperation): Record<string, unknown> {
  const { kind: _kind, ...rest } = op;
  return rest;
}

async function readDays(
  reader: SeriesReader,
  meterId: string,
  channel: string,
  from: string,
  to: string,
): Promise<SeriesDay[]> {
  return reader.days({ meterId, channel, from, to });
}

/** The values the operation gives each interval of the range (NaN: none). */
async function proposedValues(
  ports: CorrectionPorts,
  op: DirectOperation,
  meter: Meter,
  channel: string,
  range: IntervalRange,
  current: DaysByDate,
): Promise<Float64Array> {
  const n = range.starts.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const zone = meter.timezone;
  const cal = LocalCalendar.for(zone);
  switch (op.kind) {
    case 'value':
      out.fill(op.value);
      return out;
    case 'scale':
      range.starts.forEach((s, i) => {
        const d = current.get(cal.localDateOf(s));
        const p = d ? positionOf(d, s) : -1;
        if (p >= 0) out[i] = d!.values[p]! * op.factor;
      });
      return out;
    case 'copy_from': {
      if ('day' in op) {
        const [source] = await readDays(ports.reader, meter.meterId, channel, op.day, op.day);
        if (!source)
          throw new InvalidDataError(
            `--copy-from ${op.day}: meter ${meter.meterId} has no readings on that day`,
            {
              code: 'NO_SOURCE_DATA',
              hint: 'Pick a day with readings (smt explain shows what a day holds).',
            },
          );
        return copyByWallClock(source, range.starts, zone);
      }
      const src = await meterOf(ports, op.meterId, '--copy-from meter');
      if (src.intervalMinutes !== meter.intervalMinutes)
        throw new UsageError(
          `--copy-from ${src.meterId} has ${src.intervalMinutes}-minute intervals, ${meter.meterId} has ${meter.intervalMinutes}`,
          'Copy from a meter with the same interval length.',
        );
      const scal = LocalCalendar.for(src.timezone);
      const days = await readDays(
        ports.reader,
        src.meterId,
        channel,
        scal.localDateOf(range.start),
        scal.localDateOf(range.end - 1),
      );
      const byStart = new Map<number, number>();
      for (const d of days)
        for (let p = 0; p < d.values.length; p++)
          byStart.set(d.dayStart + p * d.intervalMinutes * 60_000, d.values[p]!);
      range.starts.forEach((s, i) => {
        out[i] = byStart.get(s) ?? Number.NaN;
      });
      return out;
    }
  }
}

export function loadCorrectionRules(file?: string): RuleSetDefinition {
  return loadRuleSetFile(file ?? CORRECTIONS_RULE_SET_PATH);
}

interface Validated {
  columns: ValidationColumns;
  summary: NonNullable<CorrectionReport['validation']>;
}

/** The corrected values through the lighter rule set; any failure refuses the correction. */
function validateChanges(
  ruleSet: RuleSetDefinition,
  meter: Meter,
  block: ReadingBlock,
  changes: readonly ProposedInterval[],
  now: number,
): Validated {
  const engine = new VeeEngine(ruleSet);
  const { columns } = engine.validateBatch([block], {
    now,
    timezone: meter.timezone,
    registry: registrySnapshot([meter]),
  });
  const failed: { start: string; startLocal: string; value: number; rules: string[] }[] = [];
  const fired: Record<string, number> = {};
  for (let i = 0; i < changes.length; i++) {
    const keys = rulesInMask(columns.ruleMask[i]!).map(ruleKey);
    for (const k of keys) fired[k] = (fired[k] ?? 0) + 1;
    if (columns.states[i] === ValidationState.Failed)
      failed.push({
        start: new Date(changes[i]!.start).toISOString(),
        startLocal: localIso(changes[i]!.start, meter.timezone),
        value: changes[i]!.newValue,
        rules: keys,
      });
  }
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new InvalidDataError(
      `the correction fails the rule set ${ruleSet.name} v${ruleSet.version} on ${failed.length} of ${changes.length} intervals (first: ${first.startLocal} value ${first.value}: ${first.rules.join(', ')}); nothing was written`,
      {
        code: 'CORRECTION_INVALID',
        hint: 'Check the value against the meter (docs/vee-rules.md explains each rule), or pass another rule set with --rules.',
        details: { failed },
      },
    );
  }
  return {
    columns,
    summary: {
      ruleSet: `${ruleSet.name} v${ruleSet.version} (${ruleSet.fingerprint})`,
      passed: columns.stateCounts[ValidationState.Passed]!,
      accepted: columns.stateCounts[ValidationState.Accepted]!,
      rulesFired: fired,
    },
  };
}

function blockOf(
  meter: Meter,
  channel: string,
  changes: readonly ProposedInterval[],
  statusOf: (c: ProposedInterval) => number,
): ReadingBlock {
  const n = changes.length;
  return {
    meterId: meter.meterId,
    channel,
    intervalMinutes: meter.intervalMinutes,
    starts: Float64Array.from(changes, (c) => c.start),
    values: Float64Array.from(changes, (c) => c.newValue),
    status: Uint32Array.from(changes, statusOf),
    sequence: new Int32Array(n).fill(-1),
    commQuality: Number.NaN,
  };
}

/** What an apply needs besides the proposal: the unit's columns and per-reading quality. */
interface Prepared {
  meter: Meter;
  channel: string;
  range: IntervalRange;
  current: DaysByDate;
  operation: OperationKind;
  parameters: Record<string, unknown>;
  method: Method;
  reason: string;
  operator: string;
  undoes: number | null;
  allowClosed: boolean;
  dryRun: boolean;
  changes: ProposedInterval[];
  unchanged: number;
  skipped: number;
  block: ReadingBlock;
  columns: ValidationColumns;
  quality: Uint32Array;
  validation: CorrectionReport['validation'];
}

export async function correct(ports: CorrectionPorts, o: CorrectOptions): Promise<CorrectionReport> {
  const reason = requireReason(o.reason);
  const operator = operatorName(o.operator);
  if (o.operation.kind === 'estimate' && !ESTIMATE_METHODS.has(o.operation.method))
    throw new UsageError(
      `--estimate ${o.operation.method} is not a known method`,
      `Known: ${[...ESTIMATE_METHODS.keys()].join(', ')}.`,
    );
  const ruleSet = loadCorrectionRules(o.rules);
  const meter = await meterOf(ports, o.meterId);
  const range = intervalRange(
    parseInstant(o.from, meter.timezone, 'from'),
    parseInstant(o.to, meter.timezone, 'to'),
    meter.timezone,
    meter.intervalMinutes,
  );
  const current = byDate(
    await readDays(ports.reader, meter.meterId, o.channel, range.days[0]!, range.days.at(-1)!),
  );
  const op = o.operation;
  const estimated =
    op.kind === 'estimate'
      ? await estimateCorrection(op.method, {
          meter,
          channel: o.channel,
          starts: range.starts,
          settings: o.estimation ?? estimationSettingsOf(undefined).settings,
          read: (from, to) => readDays(ports.reader, meter.meterId, o.channel, from, to),
        })
      : null;
  const values =
    op.kind === 'estimate'
      ? estimated!.values
      : await proposedValues(ports, op, meter, o.channel, range, current);
  const emptyOf = emptyDayFor(meter, o.channel);
  const p = propose(range, meter.timezone, current, values, emptyOf);
  const method = op.kind === 'estimate' ? mainCode(estimated!) : methodOf(op);
  const codeAt = new Map<number, Method>(
    estimated ? range.starts.map((s, i) => [s, estimated.codes[i]!]) : [],
  );
  const now = ports.now();
  const block = blockOf(meter, o.channel, p.changes, () => 0);
  const v =
    p.changes.length > 0
      ? validateChanges(ruleSet, meter, block, p.changes, now)
      : { columns: ValidationColumns.allocate(0), summary: null };
  const quality = Uint32Array.from(p.changes, (c, i) =>
    packFields(
      Origin.Substituted,
      v.columns.states[i] as ValidationState,
      codeAt.get(c.start) ?? method,
      Reason.DataCorrection,
    ),
  );
  return run(ports, {
    meter,
    channel: o.channel,
    range,
    current,
    operation: o.operation.kind,
    parameters: estimated ? { ...parametersOf(op), filledBy: estimated.byMethod } : parametersOf(op),
    method,
    reason,
    operator,
    undoes: null,
    allowClosed: o.allowClosed,
    dryRun: o.dryRun,
    changes: p.changes,
    unchanged: p.unchanged,
    skipped: p.skipped,
    block,
    columns: v.columns,
    quality,
    validation: v.summary,
  });
}

function emptyDayFor(meter: Meter, channel: string): (day: string) => SeriesDay {
  return (day) => emptyDay({ meterId: meter.meterId, channel, day }, meter.timezone, meter.intervalMinutes);
}

/**
 * A new correction restoring what the series held before correction `id`, interval by interval,
 * with the value, quality, device status and rules of the version it superseded. Intervals changed
 * again since (a later correction, late data) are left as they are and counted as skipped.
 */
export async function undoCorrection(ports: CorrectionPorts, o: UndoOptions): Promise<CorrectionReport> {
  const reason = requireReason(o.reason);
  const operator = operatorName(o.operator);
  const set = await ports.ledger.set(o.correctionId);
  if (!set)
    throw new SmtError(`correction ${o.correctionId} does not exist`, {
      hint: 'List the corrections of a meter with `smt audit <meter>`.',
      exitCode: 3,
      code: 'NOT_FOUND',
    });
  if (set.undoneBy !== null)
    throw new UsageError(
      `correction ${set.correctionId} was already undone by correction ${set.undoneBy}`,
      `To restore its values again, undo ${set.undoneBy}: smt correct undo ${set.undoneBy} --reason "…"`,
    );
  const meter = await meterOf(ports, set.meterId);
  const rows = await ports.ledger.intervals(set.correctionId);
  const range = intervalRange(
    Date.parse(set.rangeStart),
    Date.parse(set.rangeEnd),
    meter.timezone,
    meter.intervalMinutes,
  );
  const current = byDate(
    await readDays(ports.reader, meter.meterId, set.channel, range.days[0]!, range.days.at(-1)!),
  );
  const cal = LocalCalendar.for(meter.timezone);
  // the versions the correction superseded, per day
  const before = new Map<string, SeriesDay | null>();
  for (const r of rows) {
    const day = cal.localDateOf(r.start);
    if (before.has(day)) continue;
    const versions = r.oldVersion
      ? await ports.reader.versions({ meterId: meter.meterId, channel: set.channel, day })
      : [];
    before.set(day, versions.find((d) => d.version === r.oldVersion) ?? null);
  }
  const emptyOf = emptyDayFor(meter, set.channel);
  const restoreAt = new Map<
    number,
    { value: number; quality: number; status: number; rules: readonly string[] }
  >();
  let changedSince = 0;
  for (const r of rows) {
    const day = cal.localDateOf(r.start);
    const now = current.get(day);
    const p = now ? positionOf(now, r.start) : -1;
    const w = p >= 0 ? writeAt(now!, p) : undefined;
    if (w?.source !== set.seriesSource) {
      changedSince++;
      continue;
    }
    const old = before.get(day) ?? emptyOf(day);
    restoreAt.set(r.start, {
      value: old.values[p]!,
      quality: old.quality[p]!,
      status: old.status[p]!,
      rules: old.rules.get(p) ?? [],
    });
  }
  const values = Float64Array.from(range.starts, (s) => restoreAt.get(s)?.value ?? Number.NaN);
  const p = propose(range, meter.timezone, current, values, emptyOf, true);
  const changes = p.changes.filter((c) => restoreAt.has(c.start));
  const n = changes.length;
  const columns = ValidationColumns.allocate(n);
  const quality = new Uint32Array(n);
  changes.forEach((c, i) => {
    const r = restoreAt.get(c.start)!;
    quality[i] = r.quality;
    columns.states[i] = Number.isNaN(r.value) ? ValidationState.NotValidated : stateOf(r.quality);
    let mask = 0;
    for (const k of r.rules) {
      const id = RULES_BY_KEY.get(k)?.id;
      if (id !== undefined && id < 32) mask |= 1 << id;
    }
    columns.ruleMask[i] = mask >>> 0;
  });
  return run(ports, {
    meter,
    channel: set.channel,
    range,
    current,
    operation: 'undo',
    parameters: { correctionId: set.correctionId },
    method: Method.Revision,
    reason,
    operator,
    undoes: set.correctionId,
    allowClosed: o.allowClosed,
    dryRun: o.dryRun,
    changes,
    unchanged: range.starts.length - changes.length - changedSince,
    skipped: changedSince,
    block: blockOf(meter, set.channel, changes, (c) => restoreAt.get(c.start)!.status),
    columns,
    quality,
    validation: null,
  });
}

async function run(ports: CorrectionPorts, x: Prepared): Promise<CorrectionReport> {
  const { meter, channel, range } = x;
  const zone = meter.timezone;
  const emptyOf = emptyDayFor(meter, channel);
  const days = dayTotals(x.current, x.changes, emptyOf);
  const months = [...new Set(days.map((d) => d.key.slice(0, 7)))];
  const monthDays = new Map<string, SeriesDay[]>();
  const cal = LocalCalendar.for(zone);
  for (const m of months) {
    const next = cal.localDateOf(cal.monthBounds(m).end);
    monthDays.set(m, await readDays(ports.reader, meter.meterId, channel, `${m}-01`, addDays(next, -1)));
  }
  const monthRows = monthTotals(monthDays, days);
  const stored = await ports.ledger.storedAggregates(
    meter.meterId,
    channel,
    days.map((d) => d.key),
    months,
  );
  const periods =
    days.length === 0 ? [] : await ports.ledger.closedPeriods(meter.meterId, days[0]!.key, days.at(-1)!.key);
  const closedPeriods = periods.map((pp) => {
    let before = 0;
    let after = 0;
    for (const d of days)
      if (d.key >= pp.periodStart && d.key < pp.periodEnd) {
        before += d.before;
        after += d.after;
      }
    return { ...pp, before, after };
  });
  const report: CorrectionReport = {
    dryRun: x.dryRun,
    correctionId: null,
    meterId: meter.meterId,
    channel,
    timezone: zone,
    intervalMinutes: meter.intervalMinutes,
    from: new Date(range.start).toISOString(),
    to: new Date(range.end).toISOString(),
    fromLocal: localIso(range.start, zone),
    toLocal: localIso(range.end, zone),
    operation: x.operation,
    parameters: x.parameters,
    method: Method[x.method] ?? String(x.method),
    reason: x.reason,
    operator: x.operator,
    undoes: x.undoes,
    validation: x.validation,
    intervals: {
      inRange: range.starts.length,
      changed: x.changes.length,
      unchanged: x.unchanged,
      skipped: x.skipped,
    },
    changes: x.changes.map((c, i) => ({
      start: new Date(c.start).toISOString(),
      startLocal: localIso(c.start, zone),
      old: Number.isNaN(c.oldValue) ? null : c.oldValue,
      new: Number.isNaN(c.newValue) ? null : c.newValue,
      oldQuality: Number.isNaN(c.oldValue) ? 'missing' : describeQuality(c.oldQuality),
      newQuality: Number.isNaN(c.newValue) ? 'missing' : describeQuality(x.quality[i]!),
    })),
    days: days.map((d) => ({ ...d, stored: stored.days.get(d.key)?.kwh ?? null })),
    months: monthRows.map((m) => ({ ...m, stored: stored.months.get(m.key)?.kwh ?? null })),
    closedPeriods,
    recalcQueued: 0,
    alertsRaised: 0,
    seriesVersions: [],
    audit: null,
  };
  if (closedPeriods.length > 0 && !x.allowClosed && !x.dryRun)
    throw new UsageError(
      `the correction touches ${closedPeriods.length === 1 ? 'a' : closedPeriods.length} ${closedPeriods.map((pp) => `${pp.status} billing period ${pp.periodId} (${pp.periodStart} – ${pp.periodEnd})`).join(', ')}; nothing was written`,
      'Run it with --dry-run to see the change to the billed quantities; pass --allow-closed to correct anyway (an alert is raised for billing).',
    );
  if (x.dryRun || x.changes.length === 0) return report;

  const writer: Writer = {
    name: `correction:${x.operator}`,
    reason: x.reason,
    origin: Origin.Substituted,
    method: x.method,
  };
  const lookup: MeterLookup = {
    get: (id) => (id === meter.meterId ? registered(meter) : undefined),
  };
  const now = ports.now();
  let seriesWritten = false;
  let correctionId = 0;
  try {
    return await ports.ledger.transaction(async (tx) => {
      correctionId = await tx.reserveId();
      const source = `correction:${correctionId}`;
      const unit: WriteUnit = {
        source,
        sourceRef: null,
        key: meter.meterId,
        format: null,
        payload: null,
        receivedAt: now,
        reject: null,
        blocks: [x.block],
        columns: x.columns,
        offsets: Uint32Array.of(0, x.changes.length),
        quality: x.quality,
      };
      const series = { ...ports.series, bookkeeping: tx.bookkeeping };
      const plan = await writeSeries(series, {
        writer,
        units: [unit],
        meters: lookup,
        fallbackZone: zone,
        now,
        lastVersion: 0,
        apply: false,
      });
      checkPlan(plan, x.changes.length);
      const versionOf = new Map(plan.days.map((d) => [d.day, d]));
      const intervals: CorrectedInterval[] = x.changes.map((c, i) => ({
        ...c,
        newQuality: x.quality[i]!,
        newVersion: versionOf.get(c.day)!.version,
      }));
      const alerts: CorrectionAlert[] = closedPeriods.map((pp) => ({
        periodId: pp.periodId,
        periodStatus: pp.status,
        kwhBefore: pp.before,
        kwhAfter: pp.after,
      }));
      const entry: ChainedEntry = await tx.save({
        correctionId,
        meterId: meter.meterId,
        channel,
        rangeStart: range.start,
        rangeEnd: range.end,
        operation: x.operation,
        parameters: x.parameters,
        reason: x.reason,
        operator: x.operator,
        seriesSource: source,
        undoes: x.undoes,
        closedPeriods: closedPeriods.map((pp) => pp.periodId),
        intervals,
        alerts,
      });
      seriesWritten = true;
      await applyPlan(series, plan, now);
      return {
        ...report,
        correctionId,
        recalcQueued: plan.counts.length,
        alertsRaised: alerts.length,
        seriesVersions: plan.days.map((d) => ({ day: d.day, version: d.version, supersedes: d.supersedes })),
        audit: { auditId: entry.auditId, entryHash: entry.entryHash },
      };
    });
  } catch (err) {
    if (!seriesWritten) throw err;
    throw new SmtError(
      `correction ${correctionId} was not recorded, but its series write may have been applied in part (source correction:${correctionId}): ${(err as Error).message}`,
      {
        exitCode: (err as SmtError).exitCode ?? 1,
        code: 'CORRECTION_INCOMPLETE',
        hint: `Check with \`smt explain ${meter.meterId} <interval>\`; run the same correction again once the store is back (it writes a new version over it).`,
        cause: err,
      },
    );
  }
}

/** The planner must store every corrected interval; anything else is a bug or a race worth stopping for. */
function checkPlan(plan: WritePlan, expected: number): void {
  const o = plan.outcome;
  if (o.stored !== expected || o.rejected > 0 || o.deadLetteredMessages > 0)
    throw new SmtError(
      `the series write would store ${o.stored} of ${expected} corrected intervals (rejected ${o.rejected}, ${JSON.stringify(o.rejectsByReason)}); nothing was written`,
      {
        exitCode: 3,
        code: 'CORRECTION_NOT_STORABLE',
        hint: 'The meter-day changed while the correction was prepared, or the range is off the meter grid; run it again.',
      },
    );
}
