/**
 * Why a rule fired on a reading, in words with the numbers. Reports need this for a handful of
 * readings, so the hot path stores only bits and this module recomputes the figures on demand
 * from the same inputs (block, rule set, context).
 */
import type { ReadingBlock } from '../readings/block.js';
import { formatLocalDate } from '../time/local-date.js';
import { HISTORY_BUCKETS, type ValidationContext } from './context.js';
import { bucketOfLocal, runLength, type ValidationColumns, type VeeEngine } from './engine.js';
import { LocalClock } from './local-clock.js';
import { type RuleAction, RuleId, ruleById, ruleKey, rulesInMask } from './rules.js';

export interface FailureDetail {
  /** index of the reading within its block */
  index: number;
  ruleId: RuleId;
  rule: string;
  /** what the rule did to the reading under the meter's segment */
  action: RuleAction;
  reason: string;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Fired rules of a block's readings in reading order, at most `limit` details. */
export function blockFailures(
  engine: VeeEngine,
  block: ReadingBlock,
  columns: ValidationColumns,
  offset: number,
  ctx: ValidationContext,
  limit: number,
): FailureDetail[] {
  const out: FailureDetail[] = [];
  for (let i = 0; i < block.starts.length && out.length < limit; i++) {
    const m = columns.ruleMask[offset + i]!;
    if (m === 0) continue;
    for (const id of rulesInMask(m)) {
      if (out.length >= limit) break;
      out.push(describeFiring(engine, block, i, id, ctx));
    }
  }
  return out;
}

/** One fired rule on one reading, with the action it had under the meter's segment. */
export function describeFiring(
  engine: VeeEngine,
  block: ReadingBlock,
  index: number,
  id: RuleId,
  ctx: ValidationContext,
): FailureDetail {
  const p = engine.paramsFor(ctx.registry?.get(block.meterId));
  const b = (1 << id) >>> 0;
  const action: RuleAction = (p.failMask & b) !== 0 ? 'fail' : (p.acceptMask & b) !== 0 ? 'accept' : 'off';
  return { index, ruleId: id, rule: ruleKey(id), action, reason: explain(engine, block, index, id, ctx) };
}

/** The reason text of one rule on one reading. */
export function explain(
  engine: VeeEngine,
  block: ReadingBlock,
  i: number,
  id: RuleId,
  ctx: ValidationContext,
): string {
  const meter = ctx.registry?.get(block.meterId);
  const p = engine.paramsFor(meter);
  const zone = meter?.timezone ?? ctx.timezone ?? 'UTC';
  const clock = LocalClock.for(zone);
  const L = block.intervalMinutes * 60_000;
  const s = block.starts[i]!;
  const v = block.values[i]!;
  const unit = unitOf(block.channel);
  switch (id) {
    case RuleId.TimestampFuture:
      return `interval ends ${iso(s + L)}, ${duration(s + L - ctx.now)} after now (${iso(ctx.now)}); tolerance ${num(p.futureToleranceMs / 60_000)} min`;
    case RuleId.TimestampRange:
      if (!Number.isFinite(s)) return `start ${String(s)} is not an instant`;
      return `starts ${iso(s)}, ${num((ctx.now - s) / 86_400_000)} days before now; limit ${num(p.maxAgeMs / 86_400_000)} days`;
    case RuleId.IntervalAlignment: {
      const local = s + clock.offsetAt(s);
      return `starts ${iso(s)} = ${hhmm(local)} local (${zone}), not on the ${block.intervalMinutes}-minute grid`;
    }
    case RuleId.IntervalSpacing: {
      const prev = block.starts[i - 1]!;
      const d = (s - prev) / 60_000;
      return d < 0
        ? `starts ${iso(s)}, ${num(-d)} min before the previous reading (${iso(prev)}): out of order`
        : `starts ${iso(s)}, ${num(d)} min after the previous reading (${iso(prev)}); intervals are ${block.intervalMinutes} min`;
    }
    case RuleId.IntervalDuplicate: {
      const vals: string[] = [];
      for (let j = 0; j < block.starts.length; j++)
        if (block.starts[j] === s) vals.push(valueText(block.values[j]!));
      return vals.length > 1
        ? `interval ${iso(s)} occurs ${vals.length} times in the block with values ${vals.join(', ')}${new Set(vals).size > 1 ? ' (conflicting)' : ''}`
        : `interval ${iso(s)} (value ${valueText(v)}) also occurs in another block of the batch for this meter and channel`;
    }
    case RuleId.IntervalLength:
      return `block has ${block.intervalMinutes}-minute intervals; the registry says ${meter?.intervalMinutes ?? '?'} minutes`;
    case RuleId.LimitsNegative:
      return `value ${num(v)} ${unit} is negative (tolerance ${num(p.negativeTolerance)} ${unit})`;
    case RuleId.LimitsMaxEnergy: {
      const kw = meter?.ratedKw ?? p.ratedKw;
      const h = L / 3_600_000;
      return `value ${num(v)} ${unit} > limit ${num(kw * h * p.energyMargin)} ${unit} (rated ${num(kw)} kW ${meter?.ratedKw == null ? 'from the rule set' : 'from the registry'} × ${num(h)} h × margin ${num(p.energyMargin)})`;
    }
    case RuleId.LimitsVoltage:
      return `value ${num(v)} V outside [${num(p.voltageMin)}, ${num(p.voltageMax)}] V`;
    case RuleId.LimitsPowerFactor:
      return `value ${num(v)} outside [${num(p.pfMin)}, ${num(p.pfMax)}]`;
    case RuleId.SequenceGap: {
      const prev = block.sequence[i - 1]!;
      const wrap = p.sequenceWrap;
      const expected = wrap > 0 ? (prev + 1) % wrap : prev + 1;
      return `sequence ${block.sequence[i]} after ${prev}; expected ${expected}`;
    }
    case RuleId.StatusPowerDown:
      return statusText(block.status[i]!, p.powerDownBits, 'power down');
    case RuleId.StatusClockInvalid:
      return statusText(block.status[i]!, p.clockInvalidBits, 'clock invalid');
    case RuleId.StatusDataNotValid:
      return statusText(block.status[i]!, p.dataNotValidBits, 'data not valid');
    case RuleId.StatusCriticalError:
      return statusText(block.status[i]!, p.criticalErrorBits, 'critical error');
    case RuleId.StatusClockAdjusted:
      return statusText(block.status[i]!, p.clockAdjustedBits, 'clock adjusted');
    case RuleId.RegistryUnknown:
      return `meter ${block.meterId} is not in the registry snapshot`;
    case RuleId.RegistryInactive:
      if (meter === undefined) return `meter ${block.meterId} is not in the registry snapshot`;
      if (meter.status !== 'active' && meter.status !== 'removed') return `meter status is ${meter.status}`;
      return `starts ${iso(s)}, outside the installation [${iso(meter.installedAt)}, ${meter.removedAt === null ? 'open' : iso(meter.removedAt)})`;
    case RuleId.HistorySpike: {
      const h = ctx.history?.get(block.meterId);
      const local = s + clock.offsetAt(s);
      const b = bucketOfLocal(local);
      if (h === undefined || h.mean.length < HISTORY_BUCKETS)
        return `value ${num(v)} ${unit} above its historical bound`;
      const mean = h.mean[b]!;
      const spread = Math.max(p.spikeSigma * h.stddev[b]!, p.spikeMinExcess);
      return `value ${num(v)} ${unit} > bound ${num(mean + spread)} ${unit} for ${WEEKDAYS[Math.floor(b / 24)]} ${String(b % 24).padStart(2, '0')}:00 local (mean ${num(mean)} + max(${num(p.spikeSigma)} × stddev ${num(h.stddev[b]!)}, ${num(p.spikeMinExcess)}))`;
    }
    case RuleId.HistoryTamper: {
      const h = ctx.history?.get(block.meterId);
      const day = localDay(s, clock);
      let actual = 0;
      let expected = 0;
      if (h !== undefined) {
        for (let j = 0; j < block.starts.length; j++) {
          const sj = block.starts[j]!;
          if (localDay(sj, clock) !== day) continue;
          const vj = block.values[j]!;
          const mean = h.mean[bucketOfLocal(sj + clock.offsetAt(sj))]!;
          if (Number.isNaN(vj) || Number.isNaN(mean)) continue;
          actual += vj;
          expected += mean;
        }
      }
      return `local day ${formatLocalDate(day)} total ${num(actual)} ${unit} < ${num(p.tamperRatio)} × expected ${num(expected)} ${unit}`;
    }
    case RuleId.DayPeakRatio: {
      const day = localDay(s, clock);
      const vals: number[] = [];
      for (let j = 0; j < block.starts.length; j++) {
        const vj = block.values[j]!;
        if (!Number.isNaN(vj) && localDay(block.starts[j]!, clock) === day) vals.push(vj);
      }
      vals.sort((a, b) => b - a);
      return `highest interval ${num(vals[0] ?? v)} ${unit} > ${num(p.peakRatio)} × third-highest ${num(vals[2] ?? Number.NaN)} ${unit} on local day ${formatLocalDate(day)} (peaks ≤ ${num(p.peakMin)} ${unit} never fire)`;
    }
    case RuleId.RunZero:
    case RuleId.RunFlat: {
      const [a, b] = runAround(
        block,
        i,
        L,
        id === RuleId.RunZero ? 0 : p.flatTolerance,
        id === RuleId.RunZero,
      );
      const minHours = id === RuleId.RunZero ? p.zeroMinHours : p.flatMinHours;
      const what = id === RuleId.RunZero ? 'zero' : `≈ ${num(block.values[a]!)} ${unit}`;
      return `${b - a} consecutive readings ${what} from ${iso(block.starts[a]!)} (${num(((b - a) * block.intervalMinutes) / 60)} h; fires at ${runLength(minHours, block.intervalMinutes)} readings = ${num(minHours)} h)`;
    }
    case RuleId.CommQuality:
      return `communication quality ${num(block.commQuality)} < ${num(p.commMin)}`;
    default:
      return `${ruleById(id)?.title ?? `rule ${id}`}`;
  }
}

function runAround(block: ReadingBlock, i: number, L: number, tol: number, zero: boolean): [number, number] {
  const member = (j: number): boolean => {
    const v = block.values[j]!;
    return zero ? v === 0 : !Number.isNaN(v) && v !== 0;
  };
  const close = (j: number, k: number): boolean =>
    zero || Math.abs(block.values[j]! - block.values[k]!) <= tol;
  let a = i;
  while (a > 0 && member(a - 1) && block.starts[a]! - block.starts[a - 1]! === L && close(a - 1, i)) a--;
  let b = i + 1;
  while (b < block.starts.length && member(b) && block.starts[b]! - block.starts[b - 1]! === L && close(a, b))
    b++;
  return [a, b];
}

function localDay(s: number, clock: LocalClock): number {
  return Math.floor((s + clock.offsetAt(s)) / 86_400_000);
}

function statusText(st: number, mask: number, what: string): string {
  return `status 0x${hex(st)} has ${what} bit(s) 0x${hex(st & mask)}`;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(2, '0');
}

function unitOf(channel: string): string {
  if (channel === 'voltage_v') return 'V';
  if (channel === 'power_factor') return '';
  return 'kWh';
}

function valueText(v: number): string {
  return !Number.isNaN(v) ? num(v) : 'missing';
}

/** Up to 6 significant digits, no trailing zeros. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number.parseFloat(x.toPrecision(6)));
}

/** 7 min, 5.5 h, 12 days: the unit a person reads fastest. */
export function duration(ms: number): string {
  const min = ms / 60_000;
  if (Math.abs(min) < 120) return `${num(min)} min`;
  if (Math.abs(min) < 48 * 60) return `${num(Math.round((min / 60) * 10) / 10)} h`;
  return `${num(Math.round((min / 1440) * 10) / 10)} days`;
}

export function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function hhmm(localMs: number): string {
  const d = new Date(localMs);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}
