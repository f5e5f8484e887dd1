/**
 * The meter registry as the ingest daemon holds it: one immutable table for millions of meters in
 * a few typed arrays. Main's `Map<string, Meter>` plus a second map of snapshots cost ~800 B per
 * meter (objects and Dates per meter, a fresh copy of every zone, region and tariff string); here
 * a meter is its id in an IdIndex plus a 40-byte record (bench/registry.bench.ts measures both).
 * Lookups build the entry on demand: ingest makes a few per block, and they cost less than keeping
 * millions of objects alive for the garbage collector to trace on every major collection.
 */
import type { IntervalMinutes } from '../readings/block.js';
import type { MeterSnapshot, RegistrySnapshot } from '../vee/context.js';
import { IdIndex } from './id-index.js';
import { METER_STATUSES, SEGMENTS } from './meter.js';
import { StringTable } from './string-table.js';

/** What ingest needs of a meter: the VEE rules' snapshot plus the dimensions readings are routed by. */
export interface RegistryEntry extends MeterSnapshot {
  regionId: string;
  tariffId: string;
  /** the declared channels, comma-joined as the registry query returns them; null: not declared */
  channelList?: string | null;
  /** the same as a set, on entries handed out by a table (one shared set per distinct list) */
  channelSet?: ReadonlySet<string> | null;
}

/** Distinct channel lists of the fleet (a handful: one per meter model), each parsed once. */
export class ChannelSets {
  private readonly lists = new StringTable();
  private readonly sets: ReadonlySet<string>[] = [];

  /** 0 for "not declared", else 1 + the list's index */
  idOf(list: string | null | undefined): number {
    if (list === null || list === undefined) return 0;
    const id = this.lists.idOf(list);
    if (this.sets[id] === undefined) this.sets[id] = new Set(list === '' ? [] : list.split(','));
    if (id >= 0xffff) throw new RangeError(`more than 65,535 distinct channel lists (at ${list})`);
    return id + 1;
  }

  setAt(id: number): ReadonlySet<string> | null {
    return id === 0 ? null : this.sets[id - 1]!;
  }

  listAt(id: number): string | null {
    return id === 0 ? null : this.lists.at(id - 1);
  }
}

/** A registry the VEE engine (as a RegistrySnapshot) and the ingest pipeline both read. */
export interface RegistryLookup extends RegistrySnapshot {
  get(meterId: string): RegistryEntry | undefined;
}

/** Interning tables shared by every table and entry of one cache, so indexes stay comparable. */
export interface RegistryStrings {
  /** only zones `isValidZone` accepted; each distinct zone is checked once */
  zones: StringTable;
  regions: StringTable;
  tariffs: StringTable;
  channelSets: ChannelSets;
}

export function registryStrings(isValidZone: (zone: string) => boolean): RegistryStrings {
  return {
    zones: new StringTable(isValidZone),
    regions: new StringTable(),
    tariffs: new StringTable(),
    channelSets: new ChannelSets(),
  };
}

/** `e` with shared string instances; null when its zone is unknown (the meter cannot be served). */
export function internEntry(e: RegistryEntry, strings: RegistryStrings): RegistryEntry | null {
  const zone = strings.zones.idOf(e.timezone);
  if (zone < 0) return null;
  return {
    meterId: e.meterId,
    status: METER_STATUSES[METER_STATUSES.indexOf(e.status)]!,
    installedAt: e.installedAt,
    removedAt: e.removedAt,
    segment: SEGMENTS[SEGMENTS.indexOf(e.segment)]!,
    ratedKw: e.ratedKw,
    timezone: strings.zones.at(zone),
    intervalMinutes: e.intervalMinutes,
    regionId: strings.regions.at(strings.regions.idOf(e.regionId)),
    tariffId: strings.tariffs.at(strings.tariffs.idOf(e.tariffId)),
    ...channelsOf(e.channelList, strings.channelSets),
  };
}

function channelsOf(list: string | null | undefined, sets: ChannelSets) {
  const id = sets.idOf(list);
  return { channelList: sets.listAt(id), channelSet: sets.setAt(id) };
}

/**
 * One 40-byte record per row, fields side by side, read through typed views of one buffer: a
 * lookup in random order (meters of many partitions) touches one or two cache lines, where a
 * column per field cost a cache miss per field (~1 µs per lookup at 2.5 M rows, measured).
 */
const RECORD = 40;
// offsets in units of each view's element size
const F64_INSTALLED = 0; // f64 at byte 0
const F64_REMOVED = 1; // f64 at byte 8, NaN = null
const F64_RATED = 2; // f64 at byte 16, NaN = null
const U32_REGION = 6; // u32 at byte 24
const U32_TARIFF = 7; // u32 at byte 28
const U16_ZONE = 16; // u16 at byte 32
const U8_STATUS = 34;
const U8_SEGMENT = 35;
const U8_INTERVAL = 36;
const U16_CHANNELS = 19; // u16 at byte 38, 0 = not declared

class Records {
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;

  constructor(readonly capacity: number) {
    const buf = new ArrayBuffer(capacity * RECORD);
    this.f64 = new Float64Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u16 = new Uint16Array(buf);
    this.u8 = new Uint8Array(buf);
  }

  /** A copy holding the first `n` records in room for `capacity`. */
  resized(n: number, capacity: number): Records {
    const r = new Records(capacity);
    r.u8.set(this.u8.subarray(0, n * RECORD));
    return r;
  }
}

/** Immutable once built, so a batch that took it keeps a consistent registry while refreshes run. */
export class MeterTable implements RegistryLookup {
  constructor(
    private readonly index: IdIndex,
    private readonly rec: Records,
    private readonly strings: RegistryStrings,
  ) {}

  get size(): number {
    return this.index.size;
  }

  has(meterId: string): boolean {
    return this.index.find(meterId) >= 0;
  }

  get(meterId: string): RegistryEntry | undefined {
    const i = this.index.find(meterId);
    if (i < 0) return undefined;
    const { f64, u32, u16, u8 } = this.rec;
    const removedAt = f64[i * 5 + F64_REMOVED]!;
    const ratedKw = f64[i * 5 + F64_RATED]!;
    return {
      meterId,
      status: METER_STATUSES[u8[i * RECORD + U8_STATUS]!]!,
      installedAt: f64[i * 5 + F64_INSTALLED]!,
      removedAt: Number.isNaN(removedAt) ? null : removedAt,
      segment: SEGMENTS[u8[i * RECORD + U8_SEGMENT]!]!,
      ratedKw: Number.isNaN(ratedKw) ? null : ratedKw,
      timezone: this.strings.zones.at(u16[i * 20 + U16_ZONE]!),
      intervalMinutes: u8[i * RECORD + U8_INTERVAL]! as IntervalMinutes,
      regionId: this.strings.regions.at(u32[i * 10 + U32_REGION]!),
      tariffId: this.strings.tariffs.at(u32[i * 10 + U32_TARIFF]!),
      channelList: this.strings.channelSets.listAt(u16[i * 20 + U16_CHANNELS]!),
      channelSet: this.strings.channelSets.setAt(u16[i * 20 + U16_CHANNELS]!),
    };
  }
}

/** Fills a MeterTable row by row (a full load); `expected` sizes everything up front. */
export class MeterTableBuilder {
  private readonly index: IdIndex;
  private rec: Records;
  private finished = false;

  constructor(
    private readonly strings: RegistryStrings,
    expected: number,
  ) {
    this.index = new IdIndex(expected);
    this.rec = new Records(Math.max(16, expected));
  }

  /** Adds or replaces a meter; false (and nothing stored) when its zone is unknown. */
  add(e: RegistryEntry): boolean {
    if (this.finished) throw new Error('MeterTableBuilder.add after finish(): the table shares its index');
    const zone = this.strings.zones.idOf(e.timezone);
    if (zone < 0) return false;
    // IANA has ~600 zones; more distinct accepted values would mean the zone check lets junk through.
    if (zone > 0xffff) throw new RangeError(`more than 65,536 distinct time zones (at ${e.timezone})`);
    const i = this.index.add(e.meterId);
    // Rows inserted after the count was taken: grow by half rather than double, the overshoot is small.
    if (i === this.rec.capacity) this.rec = this.rec.resized(i, Math.ceil(this.rec.capacity * 1.5));
    const { f64, u32, u16, u8 } = this.rec;
    f64[i * 5 + F64_INSTALLED] = e.installedAt;
    f64[i * 5 + F64_REMOVED] = e.removedAt ?? Number.NaN;
    f64[i * 5 + F64_RATED] = e.ratedKw ?? Number.NaN;
    u32[i * 10 + U32_REGION] = this.strings.regions.idOf(e.regionId);
    u32[i * 10 + U32_TARIFF] = this.strings.tariffs.idOf(e.tariffId);
    u16[i * 20 + U16_ZONE] = zone;
    u8[i * RECORD + U8_STATUS] = METER_STATUSES.indexOf(e.status);
    u8[i * RECORD + U8_SEGMENT] = SEGMENTS.indexOf(e.segment);
    u8[i * RECORD + U8_INTERVAL] = e.intervalMinutes;
    u16[i * 20 + U16_CHANNELS] = this.strings.channelSets.idOf(e.channelList);
    return true;
  }

  finish(): MeterTable {
    this.finished = true;
    const n = this.index.size;
    this.index.trim();
    // Trim only a real overshoot: the copy briefly doubles the records.
    const rec = this.rec.capacity > n * 1.1 + 16 ? this.rec.resized(n, n) : this.rec;
    return new MeterTable(this.index, rec, this.strings);
  }
}
