/**
 * The VEE validation engine. One call per block; per reading it writes a validation state, a rule
 * mask (bit = rule id, rules.ts) and a late flag into columnar output at an offset, so a worker can
 * validate a whole task into one set of arrays it then transfers.
 *
 * Hot path: no allocation and no closure per reading; rule parameters are numeric fields read once
 * per block; per-reading checks are one loop over the typed arrays, the day and run rules one more
 * pass each when enabled. Scratch arrays belong to the engine (one engine per thread).
 *
 * Two phases share the code: `validateBlock` runs every rule whose inputs the context carries (a
 * worker: block rules, plus registry rules when given a snapshot); `validateContext` runs only the
 * registry and history rules on the main thread and merges their bits into a worker's result.
 */
import { type IntervalMinutes, NO_SEQUENCE, type ReadingBlock } from '../readings/block.js';
import { ValidationState } from '../readings/quality.js';
import {
  bit,
  CONTEXT_RULES,
  type CompiledRuleSet,
  channelRules,
  compileRuleSet,
  HISTORY_RULES,
  REGISTRY_RULES,
  type SegmentParams,
} from './compile.js';
import {
  HISTORY_BUCKETS,
  type HistorySummary,
  type MeterSnapshot,
  type ValidationContext,
} from './context.js';
import { LocalClock } from './local-clock.js';
import type { RuleSetDefinition } from './rule-set.js';
import { RULE_SLOTS, RuleId } from './rules.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

const B_FUTURE = bit(RuleId.TimestampFuture);
const B_RANGE = bit(RuleId.TimestampRange);
const B_ALIGN = bit(RuleId.IntervalAlignment);
const B_SPACING = bit(RuleId.IntervalSpacing);
const B_DUP = bit(RuleId.IntervalDuplicate);
const B_LENGTH = bit(RuleId.IntervalLength);
const B_NEG = bit(RuleId.LimitsNegative);
const B_MAXE = bit(RuleId.LimitsMaxEnergy);
const B_VOLT = bit(RuleId.LimitsVoltage);
const B_PF = bit(RuleId.LimitsPowerFactor);
const B_SEQ = bit(RuleId.SequenceGap);
const B_PDN = bit(RuleId.StatusPowerDown);
const B_CIV = bit(RuleId.StatusClockInvalid);
const B_DNV = bit(RuleId.StatusDataNotValid);
const B_ERR = bit(RuleId.StatusCriticalError);
const B_CAD = bit(RuleId.StatusClockAdjusted);
const B_UNKNOWN = bit(RuleId.RegistryUnknown);
const B_INACTIVE = bit(RuleId.RegistryInactive);
const B_SPIKE = bit(RuleId.HistorySpike);
const B_TAMPER = bit(RuleId.HistoryTamper);
const B_PEAK = bit(RuleId.DayPeakRatio);
const B_ZERO = bit(RuleId.RunZero);
const B_FLAT = bit(RuleId.RunFlat);
const B_COMM = bit(RuleId.CommQuality);

/** Rules that need local wall-clock times. */
const LOCAL_RULES = B_ALIGN | B_PEAK | B_TAMPER | B_SPIKE;
/** Rules evaluated over local days. */
const DAY_RULES = B_PEAK | B_TAMPER;

/**
 * Validation output, columnar. `ruleCounts[id]` = readings on which rule `id` fired, `stateCounts`
 * is indexed by ValidationState; both accumulate over every block validated into these columns.
 */
export class ValidationColumns {
  readonly states: Uint8Array;
  readonly ruleMask: Uint32Array;
  readonly late: Uint8Array;
  readonly ruleCounts: Uint32Array;
  readonly stateCounts: Uint32Array;
  lateCount = 0;

  constructor(
    states: Uint8Array,
    ruleMask: Uint32Array,
    late: Uint8Array,
    ruleCounts: Uint32Array = new Uint32Array(RULE_SLOTS),
    stateCounts: Uint32Array = new Uint32Array(4),
  ) {
    this.states = states;
    this.ruleMask = ruleMask;
    this.late = late;
    this.ruleCounts = ruleCounts;
    this.stateCounts = stateCounts;
  }

  static allocate(readings: number): ValidationColumns {
    return new ValidationColumns(
      new Uint8Array(readings),
      new Uint32Array(readings),
      new Uint8Array(readings),
    );
  }

  get length(): number {
    return this.states.length;
  }
}

export interface BatchValidation {
  columns: ValidationColumns;
  /** block k occupies [offsets[k], offsets[k + 1]) of the columns */
  offsets: Uint32Array;
}

export class VeeEngine {
  readonly compiled: CompiledRuleSet;
  private local = new Float64Array(256);
  private bits = new Uint32Array(256);

  constructor(ruleSet: RuleSetDefinition | CompiledRuleSet) {
    this.compiled = 'definition' in ruleSet ? ruleSet : compileRuleSet(ruleSet);
  }

  get ruleSet(): RuleSetDefinition {
    return this.compiled.definition;
  }

  /** Parameters that apply to a meter (its segment's; the `rules` level without a registry entry). */
  paramsFor(meter: MeterSnapshot | undefined): SegmentParams {
    return meter === undefined
      ? this.compiled.base
      : (this.compiled.segments[meter.segment] ?? this.compiled.base);
  }

  /** Every enabled rule whose inputs `ctx` carries; overwrites [offset, offset + n) of `out`. */
  validateBlock(block: ReadingBlock, ctx: ValidationContext, out: ValidationColumns, offset = 0): void {
    this.run(block, ctx, out, offset, 0xffffffff, false);
  }

  /** Only the registry and history rules; ORs their bits into a result validated earlier. */
  validateContext(block: ReadingBlock, ctx: ValidationContext, out: ValidationColumns, offset = 0): void {
    this.run(block, ctx, out, offset, CONTEXT_RULES, true);
  }

  /**
   * Validate blocks into one set of columns, then mark intervals that occur in more than one block
   * of the batch for the same meter and channel (a re-delivery inside one batch).
   */
  validateBatch(
    blocks: readonly ReadingBlock[],
    ctx: ValidationContext,
    out?: ValidationColumns,
  ): BatchValidation {
    const offsets = new Uint32Array(blocks.length + 1);
    for (let k = 0; k < blocks.length; k++) offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
    const columns = out ?? ValidationColumns.allocate(offsets[blocks.length]!);
    for (let k = 0; k < blocks.length; k++) this.validateBlock(blocks[k]!, ctx, columns, offsets[k]!);
    this.markBatchDuplicates(blocks, ctx, columns, offsets);
    return { columns, offsets };
  }

  /** Cross-block duplicates; rare, so this path may allocate. */
  markBatchDuplicates(
    blocks: readonly ReadingBlock[],
    ctx: ValidationContext,
    columns: ValidationColumns,
    offsets: Uint32Array,
  ): void {
    if (blocks.length < 2) return;
    const seen = new Map<string, number[]>();
    let repeated: string[] | undefined;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k]!;
      const key = `${b.meterId}\u0000${b.channel}`;
      const list = seen.get(key);
      if (list === undefined) seen.set(key, [k]);
      else {
        list.push(k);
        repeated ??= [];
        repeated.push(key);
      }
    }
    if (repeated === undefined) return;
    for (const key of new Set(repeated)) {
      const ks = seen.get(key)!;
      const p = this.paramsFor(ctx.registry?.get(blocks[ks[0]!]!.meterId));
      if ((p.enabled & B_DUP) === 0) continue;
      const first = new Map<number, number>(); // start → global index of the first occurrence
      for (const k of ks) {
        const b = blocks[k]!;
        const base = offsets[k]!;
        for (let i = 0; i < b.starts.length; i++) {
          const s = b.starts[i]!;
          if (s - s !== 0) continue;
          const g = first.get(s);
          if (g === undefined) {
            first.set(s, base + i);
            continue;
          }
          const kFirst = blockOf(offsets, g);
          if (kFirst === k) continue; // inside one block: validateBlock already judged it
          const vFirst = blocks[kFirst]!.values[g - offsets[kFirst]!]!;
          this.addBits(columns, blocks[k]!, base + i, i, B_DUP, p);
          if (!sameValue(vFirst, b.values[i]!))
            this.addBits(columns, blocks[kFirst]!, g, g - offsets[kFirst]!, B_DUP, p);
        }
      }
    }
  }

  private addBits(
    columns: ValidationColumns,
    block: ReadingBlock,
    g: number,
    i: number,
    bits: number,
    p: SegmentParams,
  ): void {
    const old = columns.ruleMask[g]!;
    const added = (bits & ~old) >>> 0;
    if (added === 0) return;
    const mask = (old | added) >>> 0;
    columns.ruleMask[g] = mask;
    countBits(columns.ruleCounts, added);
    const oldState = columns.states[g]!;
    const state = stateOf(block.values[i]!, mask, p);
    if (state !== oldState) {
      columns.stateCounts[oldState]!--;
      columns.stateCounts[state]!++;
      columns.states[g] = state;
    }
  }

  private ensureScratch(n: number): void {
    if (this.local.length < n) {
      const size = Math.max(n, this.local.length * 2);
      this.local = new Float64Array(size);
      this.bits = new Uint32Array(size);
    }
  }

  private run(
    block: ReadingBlock,
    ctx: ValidationContext,
    out: ValidationColumns,
    off: number,
    select: number,
    merge: boolean,
  ): void {
    const n = block.starts.length;
    if (n === 0) return;
    if (off + n > out.states.length)
      throw new RangeError(
        `validation output holds ${out.states.length} readings; block needs [${off}, ${off + n})`,
      );
    this.ensureScratch(n);
    const registry = ctx.registry;
    const meter = registry?.get(block.meterId);
    const p = this.paramsFor(meter);
    let en = p.enabled & select & channelRules(block.channel);
    if (registry === undefined) en &= ~REGISTRY_RULES;
    const history = ctx.history?.get(block.meterId);
    if (
      history === undefined ||
      history.channel !== block.channel ||
      history.intervalMinutes !== block.intervalMinutes ||
      history.mean.length < HISTORY_BUCKETS
    ) {
      en &= ~HISTORY_RULES;
    }
    // Without a registry entry there is no segment, zone, rating or window to judge by.
    if (meter === undefined) en &= ~(B_INACTIVE | B_LENGTH);
    en >>>= 0;
    if (merge && en === 0) return;

    const starts = block.starts;
    const values = block.values;
    const bits = this.bits;
    const L = block.intervalMinutes * MS_PER_MINUTE;
    const local = this.local;
    if ((en & LOCAL_RULES) !== 0)
      LocalClock.for(meter?.timezone ?? ctx.timezone ?? 'UTC').toLocal(starts, n, local);

    // Rules that fire on every reading of the block or not at all.
    let blockBits = 0;
    if ((en & B_COMM) !== 0 && block.commQuality < p.commMin) blockBits |= B_COMM;
    if ((en & B_UNKNOWN) !== 0 && meter === undefined) blockBits |= B_UNKNOWN;
    if ((en & B_LENGTH) !== 0 && meter!.intervalMinutes !== block.intervalMinutes) blockBits |= B_LENGTH;
    let inactiveWindow = false;
    if ((en & B_INACTIVE) !== 0) {
      if (meter!.status !== 'active' && meter!.status !== 'removed') blockBits |= B_INACTIVE;
      else inactiveWindow = true;
    }
    const sorted = this.perReading(
      block,
      ctx,
      meter,
      p,
      en,
      blockBits,
      inactiveWindow,
      L,
      merge ? undefined : out.late,
      off,
      out,
    );
    if ((en & B_DUP) !== 0 && !sorted) markUnsortedDuplicates(starts, values, n, bits);
    if ((en & B_ZERO) !== 0)
      markRuns(starts, values, n, L, runLength(p.zeroMinHours, block.intervalMinutes), 0, bits, B_ZERO);
    if ((en & B_FLAT) !== 0)
      markRuns(
        starts,
        values,
        n,
        L,
        runLength(p.flatMinHours, block.intervalMinutes),
        p.flatTolerance,
        bits,
        B_FLAT,
      );
    if ((en & DAY_RULES) !== 0) this.dayRules(values, n, en, p, history, bits);

    // Merge into the output, update states and counts.
    const mask = out.ruleMask;
    const states = out.states;
    const ruleCounts = out.ruleCounts;
    const stateCounts = out.stateCounts;
    const failMask = p.failMask;
    const acceptMask = p.acceptMask;
    for (let i = 0; i < n; i++) {
      const g = off + i;
      const old = merge ? mask[g]! : 0;
      const fired = bits[i]! & en;
      const m = (old | fired) >>> 0;
      mask[g] = m;
      const added = fired & ~old;
      if (added !== 0) countBits(ruleCounts, added);
      const v = values[i]!;
      const state = Number.isNaN(v)
        ? ValidationState.NotValidated
        : (m & failMask) !== 0
          ? ValidationState.Failed
          : (m & acceptMask) !== 0
            ? ValidationState.Accepted
            : ValidationState.Passed;
      if (merge) stateCounts[states[g]!]!--;
      stateCounts[state]!++;
      states[g] = state;
    }
  }

  /**
   * The per-reading rules; writes bits[i] (and late[off + i] in the block phase). Returns whether
   * the starts are in non-decreasing order (duplicates are then adjacent).
   */
  private perReading(
    block: ReadingBlock,
    ctx: ValidationContext,
    meter: MeterSnapshot | undefined,
    p: SegmentParams,
    en: number,
    blockBits: number,
    inactiveWindow: boolean,
    L: number,
    late: Uint8Array | undefined,
    off: number,
    out: ValidationColumns,
  ): boolean {
    const n = block.starts.length;
    const starts = block.starts;
    const values = block.values;
    const status = block.status;
    const sequence = block.sequence;
    const bits = this.bits;
    const local = this.local;
    const now = ctx.now;
    // Integer milliseconds throughout, so comparisons at the threshold are exact.
    const futureLimit = now + p.futureToleranceMs - L; // start > limit ⇔ end > now + tolerance
    const oldLimit = now - p.maxAgeMs;
    const lateLimit = now - this.compiled.lateAfterMs - L; // start < limit ⇔ end < now - after
    const chkFuture = (en & B_FUTURE) !== 0;
    const chkRange = (en & B_RANGE) !== 0;
    const chkAlign = (en & B_ALIGN) !== 0;
    const chkSpacing = (en & B_SPACING) !== 0;
    const chkDup = (en & B_DUP) !== 0;
    const chkNeg = (en & B_NEG) !== 0;
    const negLimit = -p.negativeTolerance;
    const chkMaxE = (en & B_MAXE) !== 0;
    const installedAt = meter?.installedAt ?? 0;
    const removedAt = meter?.removedAt ?? Number.POSITIVE_INFINITY;
    const maxEnergy = (meter?.ratedKw ?? p.ratedKw) * (L / MS_PER_HOUR) * p.energyMargin;
    const chkVolt = (en & B_VOLT) !== 0;
    const chkPf = (en & B_PF) !== 0;
    const vMin = chkVolt ? p.voltageMin : p.pfMin;
    const vMax = chkVolt ? p.voltageMax : p.pfMax;
    const chkRangeValue = chkVolt || chkPf;
    const rangeBit = chkVolt ? B_VOLT : B_PF;
    const chkSeq = (en & B_SEQ) !== 0;
    const wrap = p.sequenceWrap;
    const pdn = (en & B_PDN) !== 0 ? p.powerDownBits : 0;
    const civ = (en & B_CIV) !== 0 ? p.clockInvalidBits : 0;
    const dnv = (en & B_DNV) !== 0 ? p.dataNotValidBits : 0;
    const err = (en & B_ERR) !== 0 ? p.criticalErrorBits : 0;
    const cad = (en & B_CAD) !== 0 ? p.clockAdjustedBits : 0;
    const anyStatus = (pdn | civ | dnv | err | cad) !== 0;
    const chkSpike = (en & B_SPIKE) !== 0;
    const hist = chkSpike ? ctx.history!.get(block.meterId)! : undefined;
    const spikeSigma = p.spikeSigma;
    const spikeMinExcess = p.spikeMinExcess;
    let lateCount = 0;
    let sorted = true;
    let prevS = Number.NaN;
    let prevQ = NO_SEQUENCE;

    for (let i = 0; i < n; i++) {
      let m = blockBits;
      const s = starts[i]!;
      const v = values[i]!;
      if (s - s !== 0) {
        // NaN or ±Infinity: not an instant
        if (chkRange) m |= B_RANGE;
        if (late !== undefined) late[off + i] = 0;
        sorted = false;
      } else {
        if (chkFuture && s > futureLimit) m |= B_FUTURE;
        if (chkRange && s < oldLimit) m |= B_RANGE;
        if (late !== undefined) {
          const isLate = s < lateLimit ? 1 : 0;
          late[off + i] = isLate;
          lateCount += isLate;
        }
        if (chkAlign && local[i]! % L !== 0) m |= B_ALIGN;
        if (i > 0) {
          const d = s - prevS;
          if (d === 0) {
            if (chkDup) {
              m |= B_DUP;
              // Conflicting values: neither can be trusted, so the first occurrence fires too.
              if (!sameValue(values[i - 1]!, v)) bits[i - 1] = (bits[i - 1]! | B_DUP) >>> 0;
            }
          } else if (d < L) {
            // Overlaps the previous interval or goes back in time. A gap (d a multiple of L > L)
            // is not a failure here: gap detection owns missing readings.
            if (chkSpacing) m |= B_SPACING;
            if (d < 0) sorted = false;
          }
        }
        if (inactiveWindow && (s < installedAt || s >= removedAt)) m |= B_INACTIVE;
        prevS = s;
      }

      if (!Number.isNaN(v)) {
        if (chkNeg && v < negLimit) m |= B_NEG;
        if (chkMaxE && v > maxEnergy) m |= B_MAXE;
        if (chkRangeValue && (v < vMin || v > vMax)) m |= rangeBit;
        if (chkSpike) {
          const lo = local[i]!;
          const day = Math.floor(lo / MS_PER_DAY);
          const weekday = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Monday = 0
          const b = weekday * 24 + Math.floor((lo - day * MS_PER_DAY) / MS_PER_HOUR);
          const mean = hist!.mean[b]!;
          if (!Number.isNaN(mean)) {
            const spread = spikeSigma * hist!.stddev[b]!;
            if (v > mean + Math.max(spread, spikeMinExcess)) m |= B_SPIKE;
          }
        }
      }

      if (chkSeq) {
        const q = sequence[i]!;
        if (q !== NO_SEQUENCE && prevQ !== NO_SEQUENCE) {
          let expected = prevQ + 1;
          if (wrap > 0 && expected >= wrap) expected -= wrap;
          if (q !== expected) m |= B_SEQ;
        }
        prevQ = q;
      }

      if (anyStatus) {
        const st = status[i]!;
        if (st !== 0) {
          if ((st & pdn) !== 0) m |= B_PDN;
          if ((st & civ) !== 0) m |= B_CIV;
          if ((st & dnv) !== 0) m |= B_DNV;
          if ((st & err) !== 0) m |= B_ERR;
          if ((st & cad) !== 0) m |= B_CAD;
        }
      }
      // Plain assignment: the only other writer of bits[i] during this loop is the conflict check
      // of reading i + 1, which runs later and ORs.
      bits[i] = m >>> 0;
    }
    if (late !== undefined) out.lateCount += lateCount;
    return sorted;
  }

  /** Highest vs third-highest per local day, and the day total vs its historical expectation. */
  private dayRules(
    values: Float64Array,
    n: number,
    en: number,
    p: SegmentParams,
    history: HistorySummary | undefined,
    bits: Uint32Array,
  ): void {
    const local = this.local;
    const chkPeak = (en & B_PEAK) !== 0;
    const chkTamper = (en & B_TAMPER) !== 0 && history !== undefined;
    let a = 0;
    while (a < n) {
      const day = Math.floor(local[a]! / MS_PER_DAY);
      let b = a + 1;
      // NaN never equals, so a reading without an instant is a day of its own (and ignored).
      while (b < n && Math.floor(local[b]! / MS_PER_DAY) === day) b++;
      if (chkPeak) {
        let t1 = Number.NEGATIVE_INFINITY;
        let t2 = Number.NEGATIVE_INFINITY;
        let t3 = Number.NEGATIVE_INFINITY;
        let i1 = -1;
        let count = 0;
        for (let i = a; i < b; i++) {
          const v = values[i]!;
          if (Number.isNaN(v)) continue;
          count++;
          if (v > t1) {
            t3 = t2;
            t2 = t1;
            t1 = v;
            i1 = i;
          } else if (v > t2) {
            t3 = t2;
            t2 = v;
          } else if (v > t3) t3 = v;
        }
        if (count >= 3 && t1 > p.peakMin && t1 > p.peakRatio * t3) bits[i1] = (bits[i1]! | B_PEAK) >>> 0;
      }
      if (chkTamper) {
        let actual = 0;
        let expected = 0;
        let judged = 0;
        for (let i = a; i < b; i++) {
          const v = values[i]!;
          const mean = history.mean[bucketOfLocal(local[i]!)]!;
          if (Number.isNaN(v) || Number.isNaN(mean)) continue;
          actual += v;
          expected += mean;
          judged++;
        }
        if (judged > 0 && expected >= p.tamperMinExpected && actual < p.tamperRatio * expected) {
          // Only the readings that took part in the comparison fire.
          for (let i = a; i < b; i++) {
            const v = values[i]!;
            const mean = history.mean[bucketOfLocal(local[i]!)]!;
            if (!Number.isNaN(v) && !Number.isNaN(mean)) bits[i] = (bits[i]! | B_TAMPER) >>> 0;
          }
        }
      }
      a = b;
    }
  }
}

/** History bucket (local weekday Monday = 0, × 24 + local hour) of a local wall-clock instant. */
export function bucketOfLocal(localMs: number): number {
  const day = Math.floor(localMs / MS_PER_DAY);
  const weekday = (((day + 3) % 7) + 7) % 7;
  return weekday * 24 + Math.floor((localMs - day * MS_PER_DAY) / MS_PER_HOUR);
}

/** Readings a run must span to fire: minHours at the block's interval length, rounded up. */
export function runLength(minHours: number, intervalMinutes: IntervalMinutes): number {
  return Math.max(1, Math.ceil((minHours * 60) / intervalMinutes - 1e-9));
}

/**
 * Runs of consecutive intervals (each start exactly L after the previous, values present): for
 * B_ZERO all values 0, for B_FLAT all non-zero and within `tolerance` of the run's first value.
 * Runs of at least `minLen` readings set the bit on every reading of the run. A missing value or a
 * time gap ends a run: neither says the register stood still.
 */
function markRuns(
  starts: Float64Array,
  values: Float64Array,
  n: number,
  L: number,
  minLen: number,
  tolerance: number,
  bits: Uint32Array,
  ruleBit: number,
): void {
  const zero = ruleBit === B_ZERO;
  let runStart = -1;
  let ref = 0;
  for (let i = 0; i <= n; i++) {
    let extends_ = false;
    let starts_ = false;
    if (i < n) {
      const v = values[i]!;
      const member = zero ? v === 0 : !Number.isNaN(v) && v !== 0;
      if (member) {
        const diff = v - ref;
        extends_ =
          runStart >= 0 &&
          starts[i]! - starts[i - 1]! === L &&
          (zero || (diff <= tolerance && -diff <= tolerance));
        starts_ = !extends_;
      }
    }
    if (!extends_) {
      if (runStart >= 0 && i - runStart >= minLen)
        for (let j = runStart; j < i; j++) bits[j] = (bits[j]! | ruleBit) >>> 0;
      runStart = starts_ ? i : -1;
      if (starts_) ref = values[i]!;
    }
  }
}

/** Duplicates in a block that is not in time order (rare: such a block already fails spacing). */
function markUnsortedDuplicates(
  starts: Float64Array,
  values: Float64Array,
  n: number,
  bits: Uint32Array,
): void {
  const first = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    if (s - s !== 0) continue;
    const j = first.get(s);
    if (j === undefined) {
      first.set(s, i);
      continue;
    }
    bits[i] = (bits[i]! | B_DUP) >>> 0;
    if (!sameValue(values[j]!, values[i]!)) bits[j] = (bits[j]! | B_DUP) >>> 0;
  }
}

/** Equal values, with missing equal to missing (a re-sent gap is not a conflict). */
function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Missing readings stay NotValidated whatever fired: there is no value to pass or fail. */
function stateOf(v: number, mask: number, p: SegmentParams): ValidationState {
  if (Number.isNaN(v)) return ValidationState.NotValidated;
  if ((mask & p.failMask) !== 0) return ValidationState.Failed;
  return (mask & p.acceptMask) !== 0 ? ValidationState.Accepted : ValidationState.Passed;
}

function countBits(counts: Uint32Array, m: number): void {
  let x = m >>> 0;
  while (x !== 0) {
    const b = 31 - Math.clz32(x);
    counts[b]!++;
    x = (x & ~(1 << b)) >>> 0;
  }
}

/** Index of the block whose [offsets[k], offsets[k + 1]) range holds reading g. */
export function blockOf(offsets: Uint32Array, g: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (offsets[mid]! <= g) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
