/**
 * The fleet simulator: a stream of Kafka-ready messages (one block = one meter-day per message, key =
 * meter id) in delivery order, with faults injected and a ground-truth tally of what was made.
 *
 * Delivery order: day by day, every meter's block of local day d is delivered "on day d+1" in meter
 * order; late blocks follow the on-time messages of the day they are due, out-of-order blocks follow
 * the same meter's next block. Nothing but the late and out-of-order blocks being held back is kept
 * in memory: a block is generated, encoded and handed out, and its arrays are reused for the next.
 *
 * Pure and deterministic: no I/O, no clock, no Math.random. The same options give the same bytes.
 */
import { encode } from '../codecs/index.js';
import type { EncodeOptions } from '../codecs/types.js';
import { type IntervalMinutes, NO_SEQUENCE, type ReadingBlock } from '../readings/block.js';
import type { Segment } from '../registry/meter.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, type LocalDateString, parseLocalDate } from '../time/local-date.js';
import {
  applyValueFaults,
  emptyTally,
  type FaultName,
  type FaultRates,
  finishTally,
  type MessageKind,
  malform,
  resolveFaults,
  roundKwh,
  type SimTally,
} from './faults.js';
import { Fleet, type RegionWeight } from './fleet.js';
import {
  NOISE_MAX,
  NOISE_MIN,
  PROFILE_IDS,
  PROFILE_NOISE,
  type ProfileDay,
  profileDay,
} from './load-profiles.js';
import { hash32, Rng } from './rng.js';

export const SIM_FORMATS = ['json', 'csv', 'dlms'] as const;
export type SimFormat = (typeof SIM_FORMATS)[number];

export interface SimulateOptions {
  seed: number;
  meters: number;
  days: number;
  /** first local day, YYYY-MM-DD in `timezone` */
  start: LocalDateString;
  /** IANA zone of the meters and of the local days */
  timezone: string;
  /** default json */
  format?: SimFormat;
  /** default: no faults; see faults.ts (`resolveFaults('default')` for a realistic mix) */
  faults?: Partial<FaultRates>;
  /** default 15 */
  intervalMinutes?: IntervalMinutes;
  regions?: readonly RegionWeight[];
  segmentMix?: Readonly<Record<Segment, number>>;
  idPrefix?: string;
}

export interface SimMessage {
  /** Kafka key: the meter id */
  key: string;
  /** the payload, encoded (or broken, for `malformed`) */
  value: Buffer;
  format: SimFormat;
  kind: MessageKind;
  meterId: string;
  /** the local day the block covers */
  day: LocalDateString;
  /** the simulated local day of delivery: the next day when on time */
  deliveryDay: LocalDateString;
  /** intervals in the block (also for a malformed message: what was lost) */
  readings: number;
}

/** Random streams of a meter-day (see rng.ts); values are part of the determinism contract. */
const S = {
  profile: 10,
  message: 11,
  duplicate: 12,
  tamper: 13,
  malform: 14,
  unknownMeter: 15,
  unknownValues: 16,
  /** value faults: 20 + their number in FAULT_STREAMS */
  faultBase: 20,
} as const;
const FAULT_STREAMS: Partial<Record<FaultName, number>> = { missing: 0, spike: 1, negative: 2, stuck: 3 };

export class Simulation implements Iterable<SimMessage> {
  readonly fleet: Fleet;
  readonly seed: number;
  readonly days: number;
  readonly start: LocalDateString;
  readonly end: LocalDateString;
  readonly timezone: string;
  readonly format: SimFormat;
  readonly faults: FaultRates;
  readonly intervalMinutes: IntervalMinutes;
  /** intervals of the registered meters over the period (known before generating) */
  readonly plannedReadings: number;
  /** counts so far; complete (with `expected`) once iteration has finished */
  tally: SimTally = emptyTally();
  /** meter-days processed so far, for progress (of fleet.size × days) */
  meterDaysDone = 0;

  private readonly calendar: LocalCalendar;
  private readonly startDay: number;
  private readonly encodeOptions: EncodeOptions;
  private readonly profileRng = new Rng();

  constructor(options: SimulateOptions) {
    this.seed = options.seed;
    if (!Number.isSafeInteger(options.seed))
      throw new RangeError(`seed must be an integer, got ${options.seed}`);
    if (!Number.isSafeInteger(options.days) || options.days < 1)
      throw new RangeError(`days must be a positive integer, got ${options.days}`);
    this.days = options.days;
    this.timezone = options.timezone;
    this.calendar = LocalCalendar.for(options.timezone);
    this.start = options.start;
    this.startDay = parseLocalDate(options.start);
    this.end = formatLocalDate(this.startDay + options.days - 1);
    this.format = options.format ?? 'json';
    this.faults = resolveFaults('none', options.faults ?? {});
    this.intervalMinutes = options.intervalMinutes ?? 15;
    this.fleet = new Fleet({
      seed: options.seed,
      meters: options.meters,
      timezone: options.timezone,
      start: options.start,
      intervalMinutes: this.intervalMinutes,
      ...(options.regions ? { regions: options.regions } : {}),
      ...(options.segmentMix ? { segmentMix: options.segmentMix } : {}),
      ...(options.idPrefix !== undefined ? { idPrefix: options.idPrefix } : {}),
    });
    let perMeter = 0;
    for (let d = 0; d < this.days; d++)
      perMeter += this.calendar.intervalsInDayOf(this.startDay + d, this.intervalMinutes);
    this.plannedReadings = perMeter * this.fleet.size;
    // JSON carries one start per block, so local time with its offset costs little and is what
    // head-ends send; CSV formats a time per row, where UTC is several times cheaper.
    this.encodeOptions = this.format === 'json' ? { timezone: this.timezone } : {};
  }

  [Symbol.iterator](): Iterator<SimMessage> {
    return this.generate();
  }

  /** Each iteration starts over with a fresh tally and yields the same messages. */
  private *generate(): Generator<SimMessage, void, undefined> {
    const tally = emptyTally();
    this.tally = tally;
    this.meterDaysDone = 0;
    const fleet = this.fleet;
    const rates = this.faults;
    const n = fleet.size;
    const seed = this.seed;
    const last = this.days - 1;

    const rng = new Rng();
    const faultRng = new Rng();
    const streamOf = (meter: number, day: number) => (fault: FaultName) =>
      faultRng.reseed(hash32(seed, meter, day, S.faultBase + (FAULT_STREAMS[fault] ?? 9)));

    // Tamper is a state of the meter, not of a day: once it starts it lasts.
    const tamperFrom = new Int32Array(n).fill(-1); // day index of onset, -1 = never
    const tamperInterval = new Int16Array(n);
    const tamperFactor = new Float32Array(n);

    // DLMS profiles carry the cumulative register, which must keep counting from day to day. It
    // starts where the meter's age and annual use put it and advances by the clean consumption.
    let registers: Float64Array | undefined;
    if (this.format === 'dlms') {
      registers = new Float64Array(n);
      const perDay = 1440 / this.intervalMinutes;
      for (let i = 0; i < n; i++) {
        registers[i] = Math.round((((fleet.sequenceBase[i]! / perDay) * fleet.scale[i]!) / 365) * 1e6);
      }
    }

    const late = new Map<number, SimMessage[]>(); // by the day index after whose on-time messages they go
    const held = new Map<number, SimMessage[]>(); // out-of-order, by meter, released on the next day
    let sequenceOffset = 0;

    const emit = (m: SimMessage): SimMessage => {
      tally.messages.total++;
      tally.messages[m.kind]++;
      tally.bytes += m.value.length;
      tally.readings.sent += m.readings;
      return m;
    };

    for (let d = 0; d <= last; d++) {
      const epochDay = this.startDay + d;
      const day = profileDay(this.calendar, epochDay, this.intervalMinutes);
      const k = day.starts.length;
      const date = day.date;
      const nextDate = formatLocalDate(epochDay + 1);
      const values = new Float64Array(k);
      const tags = new Uint8Array(k);
      const status = new Uint32Array(k);
      const sequence = new Int32Array(k);
      const block: ReadingBlock = {
        meterId: '',
        channel: 'active_import_kwh',
        intervalMinutes: this.intervalMinutes,
        starts: day.starts,
        values,
        status,
        sequence,
        commQuality: Number.NaN,
      };

      for (let i = 0; i < n; i++) {
        tally.meterDays++;
        tally.readings.generated += k;
        const meterId = fleet.meterId(i);

        // tamper onset is drawn every day until it happens, whatever becomes of the message
        if (rates.tamper > 0 && tamperFrom[i]! < 0) {
          const r = rng.reseed(hash32(seed, i, d, S.tamper));
          if (r.next() < rates.tamper) {
            tamperFrom[i] = d;
            tamperInterval[i] = r.int(k);
            tamperFactor[i] = r.range(0.03, 0.07);
            tally.faults.tamper.events++;
          }
        }

        // what becomes of this meter-day's message: one uniform over the exclusive outcomes
        const rm = rng.reseed(hash32(seed, i, d, S.message));
        const u = rm.next();
        const delay = rm.intBetween(1, 3);
        const cqDraw = rm.next();
        let hold: SimMessage[] | undefined;
        let fate: 'missing' | 'malformed' | 'late' | 'out-of-order' | 'ok' = 'ok';
        const cut1 = rates.missingDay;
        const cut2 = cut1 + rates.malformed;
        const cut3 = cut2 + rates.late;
        const cut4 = cut3 + rates.outOfOrder;
        if (u < cut1) fate = 'missing';
        else if (u < cut2) fate = 'malformed';
        else if (u < cut3) fate = 'late';
        else if (u < cut4 && d < last) fate = 'out-of-order';

        if (fate === 'missing') {
          tally.faults.missingDay.events++;
          tally.faults.missingDay.readings += k;
          // the meter kept measuring although nothing was delivered
          if (registers !== undefined)
            registers[i]! += Math.round(this.fillClean(values, day, i, d) * k * 1000);
        } else {
          const cleanMean = this.fillClean(values, day, i, d);
          let gap = false;
          if (fate !== 'malformed') {
            const tamper =
              tamperFrom[i]! >= 0
                ? { from: tamperFrom[i] === d ? tamperInterval[i]! : 0, factor: tamperFactor[i]! }
                : undefined;
            const f = applyValueFaults({
              values,
              tags,
              cleanMean,
              intervalMinutes: this.intervalMinutes,
              tamper,
              rates,
              stream: streamOf(i, d),
              cumulativeRegister: registers !== undefined,
            });
            this.count(tally, 'missing', f.missing);
            this.count(tally, 'spike', f.spike);
            this.count(tally, 'negative', f.negative);
            this.count(tally, 'stuck', f.stuck);
            tally.faults.tamper.readings += f.tamper;
            gap = f.missing > 0;
          }
          block.meterId = meterId;
          // a block with an outage usually comes with a poor link
          block.commQuality = gap ? 25 + Math.floor(cqDraw * 35) : 60 + Math.floor(cqDraw * 41);
          const seq0 = fleet.sequenceBase[i]! + sequenceOffset;
          for (let j = 0; j < k; j++) sequence[j] = seq0 + j;
          const value = this.encodeBlock(block, registers?.[i]);
          if (registers !== undefined) registers[i]! += Math.round(cleanMean * k * 1000);

          if (fate === 'malformed') {
            const broken = malform(value, this.format, rng.reseed(hash32(seed, i, d, S.malform)));
            tally.faults.malformed.events++;
            tally.faults.malformed.readings += k;
            yield emit({
              key: meterId,
              value: broken.value,
              format: this.format,
              kind: 'malformed',
              meterId,
              day: date,
              deliveryDay: nextDate,
              readings: k,
            });
          } else {
            const kind: MessageKind =
              fate === 'late' ? 'late' : fate === 'out-of-order' ? 'out-of-order' : 'ok';
            const deliveryDay = formatLocalDate(
              epochDay + 1 + (fate === 'late' ? delay : fate === 'out-of-order' ? 1 : 0),
            );
            const msg: SimMessage = {
              key: meterId,
              value,
              format: this.format,
              kind,
              meterId,
              day: date,
              deliveryDay,
              readings: k,
            };
            const batch = [msg];
            if (rates.duplicate > 0 && rng.reseed(hash32(seed, i, d, S.duplicate)).next() < rates.duplicate) {
              batch.push({ ...msg, kind: 'duplicate' });
              tally.faults.duplicate.events++;
              tally.faults.duplicate.readings += k;
            }
            if (fate === 'late') {
              tally.faults.late.events++;
              tally.faults.late.readings += k;
              const due = d + delay;
              const q = late.get(due);
              if (q === undefined) late.set(due, batch);
              else q.push(...batch);
            } else if (fate === 'out-of-order') {
              tally.faults.outOfOrder.events++;
              tally.faults.outOfOrder.readings += k;
              hold = batch;
            } else {
              for (const m of batch) yield emit(m);
            }
          }
        }

        // yesterday's out-of-order block of this meter goes right after today's
        const h = held.get(i);
        if (h !== undefined) {
          held.delete(i);
          for (const m of h) yield emit(m);
        }
        if (hold !== undefined) held.set(i, hold);

        if (
          rates.unknownMeter > 0 &&
          rng.reseed(hash32(seed, i, d, S.unknownMeter)).next() < rates.unknownMeter
        ) {
          const id = fleet.unknownMeterId(i);
          this.fillClean(values, day, i, d, S.unknownValues);
          block.meterId = id;
          block.commQuality = 60 + Math.floor(cqDraw * 41);
          sequence.fill(NO_SEQUENCE);
          const value = this.encodeBlock(block);
          tally.faults.unknownMeter.events++;
          tally.faults.unknownMeter.readings += k;
          yield emit({
            key: id,
            value,
            format: this.format,
            kind: 'unknown-meter',
            meterId: id,
            day: date,
            deliveryDay: nextDate,
            readings: k,
          });
        }
        this.meterDaysDone++;
      }

      const due = late.get(d);
      if (due !== undefined) {
        late.delete(d);
        for (const m of due) yield emit(m);
      }
      sequenceOffset += k;
    }
    // late blocks due after the simulated period, in order of their delivery day
    for (const d of [...late.keys()].sort((a, b) => a - b)) {
      for (const m of late.get(d)!) yield emit(m);
    }
    finishTally(tally);
  }

  private count(tally: SimTally, fault: FaultName, readings: number): void {
    if (readings > 0) {
      tally.faults[fault].events++;
      tally.faults[fault].readings += readings;
    }
  }

  /** `register`: DLMS only, the meter's cumulative import register (Wh) before the block's first interval. */
  private encodeBlock(block: ReadingBlock, register?: number): Buffer {
    const options =
      register === undefined ? this.encodeOptions : { dlms: { baseline: { active_import_kwh: register } } };
    const out = encode(this.format, [block], options);
    return typeof out === 'string'
      ? Buffer.from(out, 'utf8')
      : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /**
   * The clean consumption of meter i on day index d: the profile's energy at the meter's habit
   * shift × its annual use × a day level × autocorrelated noise, rounded to Wh and never zero (a
   * reading of exactly 0 would be a fault of its own). Returns the mean of the block.
   */
  private fillClean(
    values: Float64Array,
    day: ProfileDay,
    i: number,
    d: number,
    stream: number = S.profile,
  ): number {
    const fleet = this.fleet;
    const profile = PROFILE_IDS[fleet.profile[i]!]!;
    const energy = day.energy[profile];
    const noise = PROFILE_NOISE[profile];
    const scale = fleet.scale[i]!;
    const shift = fleet.shift[i]!;
    const n = values.length;
    const r = this.profileRng.reseed(hash32(this.seed, i, d, stream));
    const level = 1 + noise.levelSigma * r.normal();
    const innovation = Math.sqrt(1 - noise.phi * noise.phi);
    let e = r.normal();
    let sum = 0;
    for (let j = 0; j < n; j++) {
      e = noise.phi * e + innovation * r.normal();
      let m = level * (1 + noise.sigma * e);
      if (m < NOISE_MIN) m = NOISE_MIN;
      else if (m > NOISE_MAX) m = NOISE_MAX;
      let src = j - shift;
      if (src < 0) src = 0;
      else if (src >= n) src = n - 1;
      const v = Math.max(0.001, roundKwh(energy[src]! * scale * m));
      values[j] = v;
      sum += v;
    }
    return sum / n;
  }
}

/** Start a simulation; iterate it (once or more) to get the messages, then read `tally`. */
export function simulateFleet(options: SimulateOptions): Simulation {
  return new Simulation(options);
}
