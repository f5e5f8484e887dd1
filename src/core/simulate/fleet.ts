/**
 * A deterministic fleet of simulated meters: the same (seed, index) always gives the same meter, so a
 * fleet of 10,000 is the first 10,000 meters of a fleet of 100,000. Meters are described by typed
 * arrays (a few bytes each) and materialised as registry `Meter` records only when asked, so a fleet
 * of millions costs tens of megabytes, not gigabytes.
 */
import { UsageError } from '../errors.js';
import type { IntervalMinutes } from '../readings/block.js';
import type { Meter, Segment } from '../registry/meter.js';
import { LocalCalendar } from '../time/calendar.js';
import { type LocalDateString, parseLocalDate } from '../time/local-date.js';
import { NOISE_MAX, PROFILE_IDS, PROFILE_PEAK_W, type ProfileId, profileFor } from './load-profiles.js';
import { hash32, Rng } from './rng.js';

export interface RegionWeight {
  id: string;
  weight: number;
}

/** Swedish bidding zones, weighted roughly by population. */
export const DEFAULT_REGIONS: readonly RegionWeight[] = [
  { id: 'SE1', weight: 0.06 },
  { id: 'SE2', weight: 0.12 },
  { id: 'SE3', weight: 0.62 },
  { id: 'SE4', weight: 0.2 },
];

export const DEFAULT_SEGMENT_MIX: Readonly<Record<Segment, number>> = {
  residential: 0.85,
  commercial: 0.12,
  industrial: 0.03,
};

export const DEFAULT_ID_PREFIX = 'SIM-';

export interface FleetOptions {
  seed: number;
  meters: number;
  /** IANA zone of every meter (and of the simulated calendar) */
  timezone: string;
  /** first simulated local day: every meter is installed at least 30 days before it */
  start: LocalDateString;
  intervalMinutes?: IntervalMinutes;
  regions?: readonly RegionWeight[];
  segmentMix?: Readonly<Record<Segment, number>>;
  /** meter ids are `<prefix>000001` …; unregistered ones `<prefix>U000001` … */
  idPrefix?: string;
}

/** The streams a fleet draws from (see rng.ts): one per meter, independent of the days simulated. */
const STREAM_METER = 1;

/** Annual consumption, kWh: median and log-normal spread per segment, with clamps against absurd tails. */
const ANNUAL_KWH: Record<Segment, { median: number; spread: number; min: number; max: number }> = {
  residential: { median: 4_500, spread: 0.45, min: 1_200, max: 20_000 },
  commercial: { median: 60_000, spread: 0.7, min: 8_000, max: 600_000 },
  industrial: { median: 2_000_000, spread: 0.8, min: 300_000, max: 20_000_000 },
};

/** Household main fuses, 3 × 230/400 V: 16, 20, 25, 35, 50 A. */
const RESIDENTIAL_RATINGS_KW = [11.1, 13.9, 17.3, 24.2, 34.6];

const TARIFFS: Record<Segment, readonly RegionWeight[]> = {
  residential: [
    { id: 'T-FLAT', weight: 0.65 },
    { id: 'T-TOU', weight: 0.35 },
  ],
  commercial: [
    { id: 'T-TOU', weight: 0.7 },
    { id: 'T-DEMAND', weight: 0.3 },
  ],
  industrial: [{ id: 'T-DEMAND', weight: 1 }],
};

/** Everything about meter i that the generator needs per reading, as numbers. */
interface Draw {
  segment: Segment;
  regionId: string;
  tariffId: string;
  annualKwh: number;
  ratedKw: number;
  ageDays: number;
  profile: ProfileId;
  /** the meter's day runs this many intervals early (negative) or late: households differ in habits */
  shift: number;
}

function pick(weights: readonly RegionWeight[], u: number): string {
  const total = weights.reduce((s, w) => s + w.weight, 0);
  let acc = 0;
  for (const w of weights) {
    acc += w.weight / total;
    if (u < acc) return w.id;
  }
  return weights[weights.length - 1]!.id;
}

function niceCeil(kw: number, step: number): number {
  return Math.max(step, Math.ceil(kw / step) * step);
}

export class Fleet {
  readonly size: number;
  readonly seed: number;
  readonly timezone: string;
  readonly start: LocalDateString;
  readonly intervalMinutes: IntervalMinutes;
  readonly idPrefix: string;
  /** index into PROFILE_IDS, per meter */
  readonly profile: Uint8Array;
  /** annual consumption / 1,000 kWh (profiles are normalised to 1,000 kWh/a), per meter */
  readonly scale: Float64Array;
  /** habit shift in intervals, per meter */
  readonly shift: Int8Array;
  /** sequence number of the meter's first interval on the first simulated day, per meter */
  readonly sequenceBase: Float64Array;
  readonly segmentCounts: Record<Segment, number> = { residential: 0, commercial: 0, industrial: 0 };

  private readonly regions: readonly RegionWeight[];
  private readonly mix: Readonly<Record<Segment, number>>;
  private readonly startDay: number;
  private readonly calendar: LocalCalendar;
  private readonly rng = new Rng();

  constructor(options: FleetOptions) {
    if (!Number.isSafeInteger(options.meters) || options.meters < 1) {
      throw new UsageError(
        `the fleet needs at least one meter, got ${options.meters}`,
        'Pass --meters 1 or more.',
      );
    }
    this.size = options.meters;
    this.seed = options.seed;
    this.timezone = options.timezone;
    this.calendar = LocalCalendar.for(options.timezone);
    this.start = options.start;
    this.startDay = parseLocalDate(options.start);
    this.intervalMinutes = options.intervalMinutes ?? 15;
    this.idPrefix = options.idPrefix ?? DEFAULT_ID_PREFIX;
    this.regions = options.regions ?? DEFAULT_REGIONS;
    this.mix = options.segmentMix ?? DEFAULT_SEGMENT_MIX;
    if (this.regions.length === 0) throw new UsageError('the fleet needs at least one region');

    const n = this.size;
    this.profile = new Uint8Array(n);
    this.scale = new Float64Array(n);
    this.shift = new Int8Array(n);
    this.sequenceBase = new Float64Array(n);
    const perDay = 1440 / this.intervalMinutes;
    for (let i = 0; i < n; i++) {
      const d = this.draw(i);
      this.profile[i] = PROFILE_IDS.indexOf(d.profile);
      this.scale[i] = d.annualKwh / 1000;
      this.shift[i] = d.shift;
      // a counter running since installation (nominal days; DST days add or lose a few, as on real meters)
      this.sequenceBase[i] = d.ageDays * perDay;
      this.segmentCounts[d.segment]++;
    }
  }

  meterId(i: number): string {
    return `${this.idPrefix}${String(i + 1).padStart(6, '0')}`;
  }

  /** An id that is never in the registry (the "unknown meter" fault). */
  unknownMeterId(i: number): string {
    return `${this.idPrefix}U${String(i + 1).padStart(6, '0')}`;
  }

  profileOf(i: number): ProfileId {
    return PROFILE_IDS[this.profile[i]!]!;
  }

  /** The registry record of meter i. */
  meter(i: number): Meter {
    if (!(i >= 0 && i < this.size))
      throw new RangeError(`meter index ${i} outside the fleet of ${this.size}`);
    const d = this.draw(i);
    const installed = this.calendar.dayBoundsOf(this.startDay - d.ageDays).start;
    return {
      meterId: this.meterId(i),
      accountId: `ACC-${String(i + 1).padStart(6, '0')}`,
      tariffId: d.tariffId,
      regionId: d.regionId,
      segment: d.segment,
      timezone: this.timezone,
      intervalMinutes: this.intervalMinutes,
      status: 'active',
      ratedKw: d.ratedKw,
      installedAt: new Date(installed),
      removedAt: null,
    };
  }

  /** Registry records in chunks (for batched upserts and streaming CSV). */
  *chunks(size = 5_000): Generator<Meter[]> {
    for (let from = 0; from < this.size; from += size) {
      const chunk: Meter[] = [];
      for (let i = from; i < Math.min(from + size, this.size); i++) chunk.push(this.meter(i));
      yield chunk;
    }
  }

  /** Fixed order of draws per meter: adding an option must append draws, never reorder them. */
  private draw(i: number): Draw {
    const r = this.rng.reseed(hash32(this.seed, i, STREAM_METER));
    const uSegment = r.next();
    const uRegion = r.next();
    const uTariff = r.next();
    const z = r.normal();
    const uRating = r.next();
    const uAge = r.next();
    const uShift = r.next();
    const uShifts = r.next();

    const total = this.mix.residential + this.mix.commercial + this.mix.industrial;
    const segment: Segment =
      uSegment < this.mix.residential / total
        ? 'residential'
        : uSegment < (this.mix.residential + this.mix.commercial) / total
          ? 'commercial'
          : 'industrial';
    const a = ANNUAL_KWH[segment];
    const annualKwh = Math.round(Math.min(a.max, Math.max(a.min, a.median * Math.exp(a.spread * z))));
    const profile = profileFor(segment, uShifts < 0.6 ? 3 : 2);
    // The rating must cover the highest clean reading, or the physical-limit rule would fail clean data.
    const peakKw = (annualKwh / 1000) * (PROFILE_PEAK_W[profile] / 1000) * NOISE_MAX;
    let ratedKw: number;
    if (segment === 'residential') {
      const fits = RESIDENTIAL_RATINGS_KW.filter((kw) => kw >= peakKw);
      const choices = fits.length > 0 ? fits.slice(0, 3) : [niceCeil(peakKw * 1.2, 5)];
      ratedKw = choices[Math.floor(uRating * choices.length)]!;
    } else {
      ratedKw = niceCeil(peakKw * (1.2 + 0.6 * uRating), segment === 'commercial' ? 5 : 50);
    }
    const perHour = 60 / this.intervalMinutes;
    // households: ±1 h of habit; businesses keep opening hours within ±30 min
    const maxShift = segment === 'residential' ? perHour : Math.floor(perHour / 2);
    return {
      segment,
      regionId: pick(this.regions, uRegion),
      tariffId: pick(TARIFFS[segment], uTariff),
      annualKwh,
      ratedKw,
      ageDays: 30 + Math.floor(uAge * 3650),
      profile,
      shift: Math.round((uShift * 2 - 1) * maxShift),
    };
  }
}
