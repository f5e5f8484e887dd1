/**
 * Fault injection for simulated meter data, and the ground-truth tally that lets a test or `smt demo`
 * check that everything produced was either stored or rejected for the right reason.
 *
 * Every rate is a probability per meter-day (one block = one meter-day), except `duplicate`, which
 * is per delivered message. Each fault draws from its own random stream per (meter, day) (rng.ts),
 * so turning one fault up or off moves no other fault and no clean reading.
 *
 * Faults that change values never overlap: each claims intervals no other fault has claimed, in the
 * order tamper, stuck, missing, spike, negative. So the tally can say exactly how many readings each
 * fault touched, and a reading that is a spike is a spike and nothing else.
 */
import { UsageError } from '../errors.js';
import type { SimFormat } from './generator.js';
import type { Rng } from './rng.js';

export const FAULT_NAMES = [
  'missing',
  'missingDay',
  'late',
  'duplicate',
  'outOfOrder',
  'spike',
  'negative',
  'stuck',
  'tamper',
  'malformed',
  'unknownMeter',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
export type FaultRates = Record<FaultName, number>;

export interface FaultSpec {
  /** the name used on the command line (`--fault missing-day=0.01`) */
  flag: string;
  /** what one occurrence is, and what its rate is a probability of */
  per: 'meter-day' | 'message';
  description: string;
}

export const FAULTS: Readonly<Record<FaultName, FaultSpec>> = {
  missing: {
    flag: 'missing',
    per: 'meter-day',
    description:
      'a run of consecutive intervals (15 min to 4 h) is missing (NaN / null) from a delivered block: a communication outage',
  },
  missingDay: { flag: 'missing-day', per: 'meter-day', description: 'no message at all for the meter-day' },
  late: {
    flag: 'late',
    per: 'meter-day',
    description:
      'the block is delivered 1–3 days after the normal next-day collection, after that day’s on-time messages',
  },
  duplicate: {
    flag: 'duplicate',
    per: 'message',
    description: 'the same message (identical bytes) is delivered twice in a row',
  },
  outOfOrder: {
    flag: 'out-of-order',
    per: 'meter-day',
    description:
      'the block is delivered right after the same meter’s next day (never on the last simulated day)',
  },
  spike: {
    flag: 'spike',
    per: 'meter-day',
    description: 'one interval becomes 20–50 × the larger of its value and the block’s mean',
  },
  negative: { flag: 'negative', per: 'meter-day', description: 'one interval becomes negative' },
  stuck: {
    flag: 'stuck',
    per: 'meter-day',
    description: 'a 4–24 h run of intervals repeats one value (a frozen register)',
  },
  tamper: {
    flag: 'tamper',
    per: 'meter-day',
    description:
      'from a random interval of the day on, the meter records 3–7 % of the load, for the rest of the run (bypass); the rate is the chance it starts on a given day',
  },
  malformed: {
    flag: 'malformed',
    per: 'meter-day',
    description:
      'the payload is truncated or garbled (invalid UTF-8, broken structure) and cannot be decoded; the block is lost',
  },
  unknownMeter: {
    flag: 'unknown-meter',
    per: 'meter-day',
    description: 'an extra message from a meter id that is not in the registry',
  },
};

const NONE: FaultRates = {
  missing: 0,
  missingDay: 0,
  late: 0,
  duplicate: 0,
  outOfOrder: 0,
  spike: 0,
  negative: 0,
  stuck: 0,
  tamper: 0,
  malformed: 0,
  unknownMeter: 0,
};

export const FAULT_PRESETS = {
  none: NONE,
  /** what a healthy AMI fleet looks like: most days clean, every kind of fault present at scale */
  default: {
    missing: 0.02,
    missingDay: 0.005,
    late: 0.01,
    duplicate: 0.005,
    outOfOrder: 0.005,
    spike: 0.002,
    negative: 0.001,
    stuck: 0.002,
    tamper: 0.0005,
    malformed: 0.001,
    unknownMeter: 0.001,
  },
  /** a bad week: for exercising validation, estimation and the dead-letter path on small fleets */
  heavy: {
    missing: 0.1,
    missingDay: 0.03,
    late: 0.05,
    duplicate: 0.03,
    outOfOrder: 0.03,
    spike: 0.02,
    negative: 0.01,
    stuck: 0.02,
    tamper: 0.005,
    malformed: 0.01,
    unknownMeter: 0.01,
  },
} as const satisfies Record<string, FaultRates>;
export type FaultPreset = keyof typeof FAULT_PRESETS;
export const FAULT_PRESET_NAMES = Object.keys(FAULT_PRESETS) as FaultPreset[];

/** These four decide what happens to the one message of a meter-day, so together they cannot exceed 1. */
export const EXCLUSIVE_FAULTS: readonly FaultName[] = ['missingDay', 'malformed', 'late', 'outOfOrder'];

const BY_FLAG = new Map<string, FaultName>(FAULT_NAMES.map((n) => [FAULTS[n].flag, n]));

/**
 * `missing=0.02,late=1%` → rates. Names as on the command line (`missing-day`, `out-of-order`,
 * `unknown-meter`; the camelCase names are accepted too); a rate is a probability 0..1 or a percentage.
 */
export function parseFaultOverrides(specs: readonly string[]): Partial<FaultRates> {
  const out: Partial<FaultRates> = {};
  for (const spec of specs.flatMap((s) => s.split(','))) {
    const item = spec.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const flagNames = FAULT_NAMES.map((n) => FAULTS[n].flag).join(', ');
    if (eq <= 0)
      throw new UsageError(
        `--fault ${JSON.stringify(item)}: expected name=rate`,
        `For example --fault missing=0.02,late=1%. Names: ${flagNames}.`,
      );
    const name = item.slice(0, eq).trim();
    const key =
      BY_FLAG.get(name) ??
      ((FAULT_NAMES as readonly string[]).includes(name) ? (name as FaultName) : undefined);
    if (key === undefined)
      throw new UsageError(`--fault: unknown fault ${JSON.stringify(name)}`, `Known faults: ${flagNames}.`);
    const text = item.slice(eq + 1).trim();
    const pct = text.endsWith('%');
    const n = Number(pct ? text.slice(0, -1) : text);
    const rate = pct ? n / 100 : n;
    if (text === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new UsageError(
        `--fault ${name}: ${JSON.stringify(text)} is not a rate`,
        'A rate is a probability from 0 to 1 (0.02) or a percentage (2%).',
      );
    }
    out[key] = rate;
  }
  return out;
}

/** A preset with overrides applied, checked. */
export function resolveFaults(
  preset: FaultPreset | FaultRates,
  overrides: Partial<FaultRates> = {},
): FaultRates {
  const base = typeof preset === 'string' ? FAULT_PRESETS[preset] : preset;
  if (base === undefined)
    throw new UsageError(
      `unknown fault preset ${JSON.stringify(preset)}`,
      `Presets: ${FAULT_PRESET_NAMES.join(', ')}.`,
    );
  const rates: FaultRates = { ...NONE, ...base, ...overrides };
  for (const n of FAULT_NAMES) {
    const r = rates[n];
    if (!(r >= 0 && r <= 1)) throw new UsageError(`fault rate ${FAULTS[n].flag}=${r} is outside 0..1`);
  }
  const exclusive = EXCLUSIVE_FAULTS.reduce((s, n) => s + rates[n], 0);
  if (exclusive > 1 + 1e-12) {
    throw new UsageError(
      `the rates of ${EXCLUSIVE_FAULTS.map((n) => FAULTS[n].flag).join(', ')} add up to ${exclusive}; they cannot exceed 1`,
      'Each meter-day has one message: it is missing, malformed, late, out of order or on time.',
    );
  }
  return rates;
}

// ---- ground truth -----------------------------------------------------------------------------

export interface FaultCount {
  /** how many times the fault was injected (blocks, messages or meter-days, as its rate says) */
  events: number;
  /** readings it touched (value faults) or carried (message faults) */
  readings: number;
}

export const MESSAGE_KINDS = [
  'ok',
  'late',
  'out-of-order',
  'duplicate',
  'malformed',
  'unknown-meter',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface SimTally {
  /** meter-days of registered meters simulated (meters × days) */
  meterDays: number;
  /** messages produced, by kind; `duplicate` counts the second copies only */
  messages: Record<MessageKind | 'total', number>;
  /** payload bytes of every message produced */
  bytes: number;
  readings: {
    /** intervals of the registered meters over the period: the truth the platform should end up with */
    generated: number;
    /** readings in every message produced (duplicates, malformed and unknown meters included) */
    sent: number;
  };
  /**
   * Per fault. Value faults (missing, spike, negative, stuck, tamper) are counted once per block,
   * only in blocks that can be decoded and belong to registered meters, not again in a duplicate copy.
   * `missingDay` and `malformed` readings are the intervals lost with the block.
   */
  faults: Record<FaultName, FaultCount>;
  /** what a correct ingest with the default rule set should report */
  expected: ExpectedOutcome;
}

export interface ExpectedOutcome {
  /** messages that cannot be decoded (dead-letter topic) */
  decodeFailures: number;
  /** messages for the dead-letter topic: undecodable ones and those of meters not in the registry (field names as in `smt ingest`'s summary) */
  deadLetteredMessages: number;
  /** readings of dead-lettered messages that could be decoded: the unknown meters' */
  deadLetteredReadings: number;
  /** distinct (meter, interval) of registered meters that arrive in a decodable message at least once, null values included */
  distinctReadings: number;
  /** of those, readings with a value (not null) */
  values: number;
  /** readings that fail validation with the default rules: spikes (day.peak_ratio / limits.max_energy / history.spike) and negative values (limits.negative) */
  failedReadings: number;
  /** intervals of registered meters left without a value: missing days, lost (malformed) blocks and missing intervals; the work of `smt gaps` / `smt estimate` */
  gapReadings: number;
  /** readings delivered a second time with identical values (not new versions) */
  duplicateReadings: number;
}

export function emptyTally(): SimTally {
  const faults = {} as Record<FaultName, FaultCount>;
  for (const n of FAULT_NAMES) faults[n] = { events: 0, readings: 0 };
  return {
    meterDays: 0,
    messages: { total: 0, ok: 0, late: 0, 'out-of-order': 0, duplicate: 0, malformed: 0, 'unknown-meter': 0 },
    bytes: 0,
    readings: { generated: 0, sent: 0 },
    faults,
    expected: {
      decodeFailures: 0,
      deadLetteredMessages: 0,
      deadLetteredReadings: 0,
      distinctReadings: 0,
      values: 0,
      failedReadings: 0,
      gapReadings: 0,
      duplicateReadings: 0,
    },
  };
}

/** Derive `expected` from the counts (called when a run completes). */
export function finishTally(t: SimTally): SimTally {
  const f = t.faults;
  const distinct = t.readings.generated - f.missingDay.readings - f.malformed.readings;
  t.expected = {
    decodeFailures: f.malformed.events,
    deadLetteredMessages: f.malformed.events + f.unknownMeter.events,
    deadLetteredReadings: f.unknownMeter.readings,
    distinctReadings: distinct,
    values: distinct - f.missing.readings,
    failedReadings: f.spike.readings + f.negative.readings,
    gapReadings: f.missingDay.readings + f.malformed.readings + f.missing.readings,
    duplicateReadings: f.duplicate.readings,
  };
  return t;
}

// ---- value faults -----------------------------------------------------------------------------

/** What claimed each interval of a block (tests decode messages and check these independently). */
export const Tag = { none: 0, missing: 1, spike: 2, negative: 3, stuck: 4, tamper: 5, reserved: 6 } as const;

/** Wh resolution, as meters report kWh. */
export function roundKwh(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export interface ValueFaultInput {
  values: Float64Array;
  /** reused scratch, at least values.length long; zeroed here */
  tags: Uint8Array;
  /** mean of the clean values, the base of a spike */
  cleanMean: number;
  intervalMinutes: number;
  /** set when the meter is tampered with from `from` (interval index; 0 = the whole day) */
  tamper: { from: number; factor: number } | undefined;
  rates: FaultRates;
  /** a stream per fault, already seeded for this meter-day */
  stream: (fault: FaultName) => Rng;
  /**
   * The payload carries a cumulative register (DLMS profiles): a decoder cannot split the register
   * difference after a gap, so the interval after it is counted missing too (the tally counts what
   * decodes).
   */
  cumulativeRegister?: boolean;
}

export interface ValueFaultResult {
  missing: number;
  spike: number;
  negative: number;
  stuck: number;
  tamper: number;
}

/** Apply tamper, stuck, missing, spike and negative to a block's values in place. */
export function applyValueFaults(input: ValueFaultInput): ValueFaultResult {
  const { values, tags, rates } = input;
  const n = values.length;
  tags.fill(Tag.none, 0, n);
  const out: ValueFaultResult = { missing: 0, spike: 0, negative: 0, stuck: 0, tamper: 0 };
  const perHour = 60 / input.intervalMinutes;

  if (input.tamper !== undefined) {
    const { from, factor } = input.tamper;
    for (let i = Math.max(0, from); i < n; i++) {
      values[i] = roundKwh(values[i]! * factor);
      tags[i] = Tag.tamper;
      out.tamper++;
    }
  }

  if (rates.stuck > 0) {
    const r = input.stream('stuck');
    if (r.next() < rates.stuck) {
      const len = Math.min(n, Math.max(1, Math.round(r.range(4, 24) * perHour)));
      const s = r.int(n - len + 1);
      let free = true;
      for (let i = s; i < s + len; i++) if (tags[i] !== Tag.none) free = false;
      if (free) {
        // The run must not merge with an equal neighbour, or it would look longer than it is.
        let v = values[s]!;
        while ((s > 0 && values[s - 1] === v) || (s + len < n && values[s + len] === v))
          v = roundKwh(v + 0.001);
        for (let i = s; i < s + len; i++) {
          values[i] = v;
          tags[i] = Tag.stuck;
        }
        out.stuck = len;
      }
    }
  }

  if (rates.missing > 0) {
    const r = input.stream('missing');
    if (r.next() < rates.missing) {
      const len = Math.min(n, r.intBetween(1, Math.max(1, Math.round(4 * perHour))));
      const s = r.int(n - len + 1);
      // A gap touches no other fault, and the interval after it stays unclaimed: with a cumulative
      // register (DLMS) that interval is lost too, because its register difference spans the whole
      // gap. Placing gaps the same way in every format keeps the readings identical across formats.
      const end = Math.min(n, s + len + 1);
      let free = true;
      for (let i = s; i < end; i++) if (tags[i] !== Tag.none) free = false;
      if (free) {
        for (let i = s; i < s + len; i++) {
          values[i] = Number.NaN;
          tags[i] = Tag.missing;
        }
        out.missing = len;
        if (end > s + len) {
          // its value stays: the register did count it
          tags[s + len] = input.cumulativeRegister ? Tag.missing : Tag.reserved;
          if (input.cumulativeRegister) out.missing++;
        }
      }
    }
  }

  if (rates.spike > 0) {
    const r = input.stream('spike');
    if (r.next() < rates.spike) {
      const i = freeIndex(tags, n, r);
      const factor = r.range(20, 50);
      if (i >= 0) {
        // ×20–50 of the block mean at least: a spike on a night-time trickle must still stand out.
        values[i] = roundKwh(factor * Math.max(values[i]!, input.cleanMean));
        tags[i] = Tag.spike;
        out.spike = 1;
      }
    }
  }

  if (rates.negative > 0) {
    const r = input.stream('negative');
    if (r.next() < rates.negative) {
      const i = freeIndex(tags, n, r);
      if (i >= 0) {
        values[i] = -Math.max(values[i]!, 0.001);
        tags[i] = Tag.negative;
        out.negative = 1;
      }
    }
  }
  return out;
}

/** A random unclaimed interval, or -1 after a few tries (a block that is mostly claimed keeps its value). */
function freeIndex(tags: Uint8Array, n: number, r: Rng): number {
  for (let attempt = 0; attempt < 4; attempt++) {
    const i = r.int(n);
    if (tags[i] === Tag.none) return i;
  }
  return -1;
}

// ---- malformed payloads -----------------------------------------------------------------------

export type MalformMode = 'truncated' | 'garbled';

/**
 * Break a payload so that it cannot be decoded, the ways transport really breaks them: cut short, or
 * with bytes that are not text. Every mode is chosen so decoding fails for certain (a cut inside a
 * CSV number could otherwise leave a valid, shorter file), because the tally promises a dead letter.
 */
export function malform(payload: Buffer, format: SimFormat, r: Rng): { value: Buffer; mode: MalformMode } {
  const mode: MalformMode = r.next() < 0.5 ? 'truncated' : 'garbled';
  const len = payload.length;
  if (format !== 'dlms' && mode === 'garbled') {
    // 0xC3 0x28: a two-byte UTF-8 lead followed by a non-continuation byte
    const at = r.int(len + 1);
    return {
      value: Buffer.concat([payload.subarray(0, at), Buffer.from([0xc3, 0x28]), payload.subarray(at)]),
      mode,
    };
  }
  if (format === 'json') {
    // a single JSON object ends with "}\n": any cut before the brace leaves invalid JSON
    return {
      value: Buffer.from(payload.subarray(0, r.intBetween(1, Math.max(1, len - 2)))),
      mode: 'truncated',
    };
  }
  if (format === 'csv') {
    // cut a data row inside its third field: the row then has too few fields
    const text = payload.toString('latin1');
    const rowStarts: number[] = [];
    for (let i = text.indexOf('\n'); i !== -1 && i + 1 < text.length; i = text.indexOf('\n', i + 1))
      rowStarts.push(i + 1);
    const row = rowStarts[r.int(rowStarts.length)] ?? 0;
    const c1 = text.indexOf(',', row);
    const c2 = text.indexOf(',', c1 + 1);
    const c3 = text.indexOf(',', c2 + 1);
    const cut = c2 + 1 + r.int(Math.max(1, c3 - c2 - 1));
    return { value: Buffer.from(payload.subarray(0, cut)), mode: 'truncated' };
  }
  // binary: garbled = an impossible type tag up front, truncated = cut anywhere
  if (mode === 'garbled') {
    const value = Buffer.from(payload);
    value[0] = 0xff;
    return { value, mode };
  }
  return { value: Buffer.from(payload.subarray(0, r.intBetween(1, Math.max(1, len - 1)))), mode };
}
