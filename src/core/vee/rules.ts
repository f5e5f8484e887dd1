/**
 * The VEE rule catalogue: every rule's stable id, its key in rule-set files, what it needs, its
 * default action and its parameters with defaults. The id is the bit position in the per-reading
 * rule mask that travels in worker results (and in ClickHouse's legacy `failed_rules` column): never
 * renumber, never reuse a retired id. The series and ClickHouse `rules` store rules by key. docs/vee-rules.md documents each rule; a unit test keeps the two in step.
 */
import type { ChannelSpec } from '../readings/channel.js';
import { DlmsAmrStatus } from '../readings/quality-dlms.js';

export enum RuleId {
  TimestampFuture = 0,
  TimestampRange = 1,
  IntervalAlignment = 2,
  IntervalSpacing = 3,
  IntervalDuplicate = 4,
  IntervalLength = 5,
  LimitsNegative = 6,
  LimitsMaxEnergy = 7,
  LimitsVoltage = 8,
  LimitsPowerFactor = 9,
  SequenceGap = 10,
  StatusPowerDown = 11,
  StatusClockInvalid = 12,
  StatusDataNotValid = 13,
  StatusCriticalError = 14,
  StatusClockAdjusted = 15,
  RegistryUnknown = 16,
  RegistryInactive = 17,
  HistorySpike = 18,
  HistoryTamper = 19,
  DayPeakRatio = 20,
  RunZero = 21,
  RunFlat = 22,
  CommQuality = 23,
}

/** Rule masks are Uint32: ids 0..31. */
export const RULE_SLOTS = 32;

/**
 * fail: the reading's state becomes Failed (it will be estimated over and not billed as is).
 * accept: the rule's bit is set and the state becomes Accepted (usable, but marked for review).
 * off: the rule is not evaluated.
 */
export const RULE_ACTIONS = ['fail', 'accept', 'off'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/**
 * What a rule needs beyond the block: `block` rules run anywhere (workers included); `registry`
 * and `history` rules run only when the validation context carries that input.
 */
export type RuleNeeds = 'block' | 'registry' | 'history';

export interface ParamSpec {
  name: string;
  kind: 'number' | 'integer';
  default: number;
  min?: number;
  max?: number;
  /** min is exclusive (value must be > min) */
  minExclusive?: boolean;
  unit: string;
  description: string;
}

export interface RuleSpec {
  id: RuleId;
  key: string;
  title: string;
  needs: RuleNeeds;
  defaultAction: RuleAction;
  /** which channels the rule looks at, by what they measure; undefined = every channel */
  appliesTo?: ChannelScope;
  params: readonly ParamSpec[];
}

/** A rule's channels, by spec: channels are an open identity (readings/channel.ts). */
export interface ChannelScope {
  /** e.g. 'active energy per interval', for docs and `smt validate` */
  label: string;
  test: (c: ChannelSpec) => boolean;
}

const ENERGY: ChannelScope = {
  label: 'active energy per interval',
  test: (c) => c.quantity === 'active_energy' && c.kind === 'interval',
};
const IMPORT_ENERGY: ChannelScope = {
  label: 'active energy imported per interval',
  test: (c) => ENERGY.test(c) && c.direction === 'import',
};
const VOLTAGE: ChannelScope = { label: 'voltage', test: (c) => c.quantity === 'voltage' };
const POWER_FACTOR: ChannelScope = { label: 'power factor', test: (c) => c.quantity === 'power_factor' };

const mask = (name: string, def: number, what: string): ParamSpec => ({
  name: 'mask',
  kind: 'integer',
  default: def,
  min: 0,
  max: 0xffffffff,
  unit: 'bits',
  description: `status bits meaning ${what} (default: DLMS ${name})`,
});

export const RULES: readonly RuleSpec[] = [
  {
    id: RuleId.TimestampFuture,
    key: 'timestamp.future',
    title: 'interval ends in the future',
    needs: 'block',
    defaultAction: 'fail',
    params: [
      {
        name: 'toleranceMinutes',
        kind: 'number',
        default: 5,
        min: 0,
        unit: 'min',
        description: 'meter clocks run ahead a little: an interval may end this long after `now`',
      },
    ],
  },
  {
    id: RuleId.TimestampRange,
    key: 'timestamp.range',
    title: 'timestamp too old or not an instant',
    needs: 'block',
    defaultAction: 'fail',
    params: [
      {
        name: 'maxAgeDays',
        kind: 'number',
        default: 400,
        min: 0,
        minExclusive: true,
        unit: 'days',
        description:
          'the late-data acceptance threshold: interval starts older than this are rejected (dead-lettered with this rule)',
      },
    ],
  },
  {
    id: RuleId.IntervalAlignment,
    key: 'interval.alignment',
    title: 'start not on the local interval grid',
    needs: 'block',
    defaultAction: 'fail',
    params: [],
  },
  {
    id: RuleId.IntervalSpacing,
    key: 'interval.spacing',
    title: 'start overlaps or precedes the previous reading',
    needs: 'block',
    defaultAction: 'fail',
    params: [],
  },
  {
    id: RuleId.IntervalDuplicate,
    key: 'interval.duplicate',
    title: 'same interval twice in the batch',
    needs: 'block',
    defaultAction: 'fail',
    params: [],
  },
  {
    id: RuleId.IntervalLength,
    key: 'interval.length',
    title: 'interval length differs from the registry',
    needs: 'registry',
    defaultAction: 'fail',
    params: [],
  },
  {
    id: RuleId.LimitsNegative,
    key: 'limits.negative',
    title: 'negative energy',
    needs: 'block',
    defaultAction: 'fail',
    appliesTo: ENERGY,
    params: [
      {
        name: 'tolerance',
        kind: 'number',
        default: 0,
        min: 0,
        unit: 'kWh',
        description: 'values down to -tolerance pass (register rounding)',
      },
    ],
  },
  {
    id: RuleId.LimitsMaxEnergy,
    key: 'limits.max_energy',
    title: 'energy above the meter rating',
    needs: 'block',
    defaultAction: 'fail',
    appliesTo: ENERGY,
    params: [
      {
        name: 'ratedKw',
        kind: 'number',
        default: 17.25,
        min: 0,
        minExclusive: true,
        unit: 'kW',
        description: 'rating used when the registry has none for the meter',
      },
      {
        name: 'margin',
        kind: 'number',
        default: 1.2,
        min: 0,
        minExclusive: true,
        unit: '×',
        description: 'limit = rated kW × interval hours × margin',
      },
    ],
  },
  {
    id: RuleId.LimitsVoltage,
    key: 'limits.voltage',
    title: 'voltage outside the plausible range',
    needs: 'block',
    defaultAction: 'fail',
    appliesTo: VOLTAGE,
    params: [
      { name: 'min', kind: 'number', default: 180, min: 0, unit: 'V', description: 'lowest plausible value' },
      {
        name: 'max',
        kind: 'number',
        default: 270,
        min: 0,
        unit: 'V',
        description: 'highest plausible value',
      },
    ],
  },
  {
    id: RuleId.LimitsPowerFactor,
    key: 'limits.power_factor',
    title: 'power factor outside the plausible range',
    needs: 'block',
    defaultAction: 'fail',
    appliesTo: POWER_FACTOR,
    params: [
      {
        name: 'min',
        kind: 'number',
        default: -1,
        min: -1,
        max: 1,
        unit: '',
        description: 'lowest plausible value (negative = leading / export)',
      },
      {
        name: 'max',
        kind: 'number',
        default: 1,
        min: -1,
        max: 1,
        unit: '',
        description: 'highest plausible value',
      },
    ],
  },
  {
    id: RuleId.SequenceGap,
    key: 'sequence.gap',
    title: 'sequence number does not follow the previous one',
    needs: 'block',
    defaultAction: 'accept',
    params: [
      {
        name: 'wrap',
        kind: 'integer',
        default: 0,
        min: 0,
        unit: '',
        description: 'counter modulus (65536 for a 16-bit counter); 0 = never wraps',
      },
    ],
  },
  {
    id: RuleId.StatusPowerDown,
    key: 'status.power_down',
    title: 'device reports a power outage in the interval',
    needs: 'block',
    defaultAction: 'accept',
    params: [mask('PDN', DlmsAmrStatus.PDN, 'power down')],
  },
  {
    id: RuleId.StatusClockInvalid,
    key: 'status.clock_invalid',
    title: 'device clock invalid',
    needs: 'block',
    defaultAction: 'fail',
    params: [mask('CIV', DlmsAmrStatus.CIV, 'clock invalid')],
  },
  {
    id: RuleId.StatusDataNotValid,
    key: 'status.data_not_valid',
    title: 'device marks the data not valid',
    needs: 'block',
    defaultAction: 'fail',
    params: [mask('DNV', DlmsAmrStatus.DNV, 'data not valid')],
  },
  {
    id: RuleId.StatusCriticalError,
    key: 'status.critical_error',
    title: 'device reports a critical error',
    needs: 'block',
    defaultAction: 'fail',
    params: [mask('ERR', DlmsAmrStatus.ERR, 'critical error')],
  },
  {
    id: RuleId.StatusClockAdjusted,
    key: 'status.clock_adjusted',
    title: 'device clock adjusted in the interval',
    needs: 'block',
    defaultAction: 'accept',
    params: [mask('CAD', DlmsAmrStatus.CAD, 'clock adjusted')],
  },
  {
    id: RuleId.RegistryUnknown,
    key: 'registry.unknown',
    title: 'meter not in the registry',
    needs: 'registry',
    defaultAction: 'fail',
    params: [],
  },
  {
    id: RuleId.RegistryInactive,
    key: 'registry.inactive',
    title: 'meter not active at the reading time',
    needs: 'registry',
    defaultAction: 'fail',
    params: [],
  },
  {
    id: RuleId.HistorySpike,
    key: 'history.spike',
    title: 'above the historical bound of its weekday × hour',
    needs: 'history',
    defaultAction: 'fail',
    appliesTo: ENERGY,
    params: [
      {
        name: 'sigma',
        kind: 'number',
        default: 6,
        min: 0,
        minExclusive: true,
        unit: 'σ',
        description: 'bound = mean + max(sigma × stddev, minExcess)',
      },
      {
        name: 'minExcess',
        kind: 'number',
        default: 0.5,
        min: 0,
        unit: 'kWh',
        description: 'smallest excess over the mean that can fire (quiet buckets have stddev ≈ 0)',
      },
    ],
  },
  {
    id: RuleId.HistoryTamper,
    key: 'history.tamper',
    title: 'local day far below its historical expectation',
    needs: 'history',
    defaultAction: 'accept',
    appliesTo: IMPORT_ENERGY,
    params: [
      {
        name: 'ratio',
        kind: 'number',
        default: 0.1,
        min: 0,
        max: 1,
        unit: '×',
        description: 'fires when the day total < ratio × expected total',
      },
      {
        name: 'minExpected',
        kind: 'number',
        default: 2,
        min: 0,
        unit: 'kWh',
        description: 'days expected to use less than this are not judged',
      },
    ],
  },
  {
    id: RuleId.DayPeakRatio,
    key: 'day.peak_ratio',
    title: 'highest interval of the local day far above the third-highest',
    needs: 'block',
    defaultAction: 'fail',
    appliesTo: ENERGY,
    params: [
      {
        name: 'ratio',
        kind: 'number',
        default: 5,
        min: 1,
        unit: '×',
        description: 'fires when highest > ratio × third-highest',
      },
      {
        name: 'minPeak',
        kind: 'number',
        default: 1,
        min: 0,
        unit: 'kWh',
        description: 'peaks at or below this never fire',
      },
    ],
  },
  {
    id: RuleId.RunZero,
    key: 'run.zero',
    title: 'long run of zero consumption',
    needs: 'block',
    defaultAction: 'accept',
    appliesTo: IMPORT_ENERGY,
    params: [
      {
        name: 'minHours',
        kind: 'number',
        default: 24,
        min: 0,
        minExclusive: true,
        unit: 'h',
        description: 'run length (consecutive intervals, all 0) that fires',
      },
    ],
  },
  {
    id: RuleId.RunFlat,
    key: 'run.flat',
    title: 'long run of identical non-zero values',
    needs: 'block',
    defaultAction: 'accept',
    appliesTo: ENERGY,
    params: [
      {
        name: 'minHours',
        kind: 'number',
        default: 12,
        min: 0,
        minExclusive: true,
        unit: 'h',
        description: 'run length (consecutive intervals, same value) that fires',
      },
      {
        name: 'tolerance',
        kind: 'number',
        default: 0,
        min: 0,
        unit: 'kWh',
        description: 'values within this of the run’s first value count as identical',
      },
    ],
  },
  {
    id: RuleId.CommQuality,
    key: 'comm.quality',
    title: 'communication quality below threshold',
    needs: 'block',
    defaultAction: 'accept',
    params: [
      {
        name: 'min',
        kind: 'number',
        default: 50,
        min: 0,
        max: 100,
        unit: '%',
        description: 'blocks reported below this fire on every reading; unknown quality never fires',
      },
    ],
  },
];

export const RULES_BY_KEY: ReadonlyMap<string, RuleSpec> = new Map(RULES.map((r) => [r.key, r]));
const RULES_BY_ID: readonly (RuleSpec | undefined)[] = (() => {
  const a: (RuleSpec | undefined)[] = new Array(RULE_SLOTS).fill(undefined);
  for (const r of RULES) a[r.id] = r;
  return a;
})();

export function ruleById(id: number): RuleSpec | undefined {
  return RULES_BY_ID[id];
}

/** `limits.max_energy` for an id; `rule#30` for an id this version does not know. */
export function ruleKey(id: number): string {
  return RULES_BY_ID[id]?.key ?? `rule#${id}`;
}

/** Rule ids whose bit is set in a mask, ascending. */
export function rulesInMask(mask: number): RuleId[] {
  const out: RuleId[] = [];
  for (let m = mask >>> 0; m !== 0; ) {
    const b = 31 - Math.clz32(m);
    out.push(b as RuleId);
    m = (m & ~(1 << b)) >>> 0;
  }
  return out.reverse();
}

/** The `late` section is not a rule (late readings are kept and marked, never failed). */
export const LATE_DEFAULT_AFTER_HOURS = 24;
