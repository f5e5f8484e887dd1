/**
 * A rule-set definition turned into what the hot path reads: one object per segment with plain
 * numeric fields (one hidden class, so property reads stay monomorphic) and the actions as bit
 * masks. Compiling is per rule set, never per block.
 */
import { parseChannel } from '../readings/channel.js';
import { SEGMENTS, type Segment } from '../registry/meter.js';
import type { RuleSetDefinition, RuleSettingsByKey } from './rule-set.js';
import { RULES, RuleId } from './rules.js';

export const bit = (id: RuleId): number => (1 << id) >>> 0;

/** Rules that need a registry snapshot / history summaries in the context. */
export const REGISTRY_RULES =
  bit(RuleId.RegistryUnknown) | bit(RuleId.RegistryInactive) | bit(RuleId.IntervalLength);
export const HISTORY_RULES = bit(RuleId.HistorySpike) | bit(RuleId.HistoryTamper);
export const CONTEXT_RULES = (REGISTRY_RULES | HISTORY_RULES) >>> 0;

const channelRuleCache = new Map<string, number>();

/** The rules that look at a channel (rules without a scope apply to every channel); 0 for a channel id smt cannot read. */
export function channelRules(channel: string): number {
  let m = channelRuleCache.get(channel);
  if (m !== undefined) return m;
  const spec = parseChannel(channel);
  m = 0;
  if (spec) for (const r of RULES) if (r.appliesTo === undefined || r.appliesTo.test(spec)) m |= bit(r.id);
  m >>>= 0;
  if (channelRuleCache.size < 10_000) channelRuleCache.set(channel, m);
  return m;
}

export class SegmentParams {
  readonly enabled: number;
  readonly failMask: number;
  readonly acceptMask: number;
  readonly futureToleranceMs: number;
  readonly maxAgeMs: number;
  readonly negativeTolerance: number;
  readonly ratedKw: number;
  readonly energyMargin: number;
  readonly voltageMin: number;
  readonly voltageMax: number;
  readonly pfMin: number;
  readonly pfMax: number;
  readonly sequenceWrap: number;
  readonly powerDownBits: number;
  readonly clockInvalidBits: number;
  readonly dataNotValidBits: number;
  readonly criticalErrorBits: number;
  readonly clockAdjustedBits: number;
  readonly spikeSigma: number;
  readonly spikeMinExcess: number;
  readonly tamperRatio: number;
  readonly tamperMinExpected: number;
  readonly peakRatio: number;
  readonly peakMin: number;
  readonly zeroMinHours: number;
  readonly flatMinHours: number;
  readonly flatTolerance: number;
  readonly commMin: number;

  constructor(s: RuleSettingsByKey) {
    let enabled = 0;
    let fail = 0;
    let accept = 0;
    for (const r of RULES) {
      const action = s[r.key]!.action;
      if (action === 'off') continue;
      enabled |= bit(r.id);
      if (action === 'fail') fail |= bit(r.id);
      else accept |= bit(r.id);
    }
    this.enabled = enabled >>> 0;
    this.failMask = fail >>> 0;
    this.acceptMask = accept >>> 0;
    const p = (key: string, name: string): number => s[key]!.params[name]!;
    this.futureToleranceMs = p('timestamp.future', 'toleranceMinutes') * 60_000;
    this.maxAgeMs = p('timestamp.range', 'maxAgeDays') * 86_400_000;
    this.negativeTolerance = p('limits.negative', 'tolerance');
    this.ratedKw = p('limits.max_energy', 'ratedKw');
    this.energyMargin = p('limits.max_energy', 'margin');
    this.voltageMin = p('limits.voltage', 'min');
    this.voltageMax = p('limits.voltage', 'max');
    this.pfMin = p('limits.power_factor', 'min');
    this.pfMax = p('limits.power_factor', 'max');
    this.sequenceWrap = p('sequence.gap', 'wrap');
    this.powerDownBits = p('status.power_down', 'mask');
    this.clockInvalidBits = p('status.clock_invalid', 'mask');
    this.dataNotValidBits = p('status.data_not_valid', 'mask');
    this.criticalErrorBits = p('status.critical_error', 'mask');
    this.clockAdjustedBits = p('status.clock_adjusted', 'mask');
    this.spikeSigma = p('history.spike', 'sigma');
    this.spikeMinExcess = p('history.spike', 'minExcess');
    this.tamperRatio = p('history.tamper', 'ratio');
    this.tamperMinExpected = p('history.tamper', 'minExpected');
    this.peakRatio = p('day.peak_ratio', 'ratio');
    this.peakMin = p('day.peak_ratio', 'minPeak');
    this.zeroMinHours = p('run.zero', 'minHours');
    this.flatMinHours = p('run.flat', 'minHours');
    this.flatTolerance = p('run.flat', 'tolerance');
    this.commMin = p('comm.quality', 'min');
  }
}

export interface CompiledRuleSet {
  definition: RuleSetDefinition;
  /** meters whose segment is unknown (no registry entry) */
  base: SegmentParams;
  segments: Record<Segment, SegmentParams>;
  lateAfterMs: number;
}

export function compileRuleSet(def: RuleSetDefinition): CompiledRuleSet {
  const segments = {} as Record<Segment, SegmentParams>;
  for (const seg of SEGMENTS) segments[seg] = new SegmentParams(def.segments[seg]);
  return {
    definition: def,
    base: new SegmentParams(def.rules),
    segments,
    lateAfterMs: def.lateAfterHours * 3_600_000,
  };
}
