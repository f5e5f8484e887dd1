import type { ClickHouseClient } from '@clickhouse/client';
import { type DayFacts, type DayFold, foldDay, foldInto } from '../aggregate/daily.js';
import { InvalidDataError } from '../errors.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { clickhouseCall } from './errors.js';
import { type NativeBlock, type NativeColumn, nativeBlocks } from './native.js';
import { chString } from './sql.js';

/**
 * The readings themselves, one row each, in ClickHouse's Native (columnar) format: no GROUP BY and
 * no arrays built in ClickHouse (`groupArray` of the day's readings cost ~40 % more of its CPU
 * than this plain scan), and numbers read in place in node. The meter id travels only on the
 * first row of a meter's run in a block (empty after it: a part holds a meter's rows together),
 * a quarter fewer bytes for node to receive. One query per channel, so no channel column
 * travels: `channel` is in the primary key and each query reads only its granules.
 */
const SELECT = `SELECT if(rowNumberInBlock() = 0 OR runningDifference(cityHash64(meter_id)) != 0, meter_id, '') AS meter,
    local_date, interval_minutes, version, ts, value, quality`;

export interface DayFactsQuery {
  meterIds: readonly string[];
  channels: readonly string[];
  from: string;
  to: string;
  /** the meter's zone (its local days place each reading at its interval position); undefined: not asked for */
  timezoneOf: (meterId: string) => string | undefined;
  /**
   * the meters are every meter ClickHouse holds between the first and the last id (a chunk of the
   * whole fleet): the id range alone selects them, without the IN list (a tenth of the query's CPU)
   */
  contiguous?: boolean;
}

/**
 * The facts of meter-days read from ClickHouse `readings`, latest version of each reading, one
 * query per chunk of meters and channel. ClickHouse only scans the readings (interval start,
 * value, packed quality); node places them at their interval positions and folds each day with
 * `foldDay`, the code that folds a Cassandra series day, so both sources give the same facts,
 * hourly values included. Summing or grouping in ClickHouse cost more ClickHouse CPU than this
 * costs node (docs/benchmarks.md). FINAL costs ~6× a plain scan on 18.16, and only meter-days
 * with a superseded version not yet merged away need it: two readings at one position show them,
 * and those meter-days are read again with FINAL. The rows come back in the Native format
 * (numbers exact). Only as complete as the copy is: `smt reconcile` checks it against the series.
 */
export async function clickhouseDayFacts(
  client: ClickHouseClient,
  database: string,
  q: DayFactsQuery,
): Promise<DayFacts[]> {
  const out: DayFacts[] = [];
  const read = await readChunk(client, database, q);
  try {
    for (const c of read) {
      c.days.facts(out);
      c.again?.facts(out);
    }
  } finally {
    for (const c of read) {
      c.days.release();
      c.again?.release();
    }
  }
  return out;
}

/** A meter-day read by `clickhouseChunkFolds`: what its daily row needs besides the fold. */
export interface FoldedDayMeta {
  intervalMinutes: number;
  dayStart: number;
  seriesVersion: number;
}

/**
 * The readings of a chunk of meter-days, held until `release()`: `fold` folds one of them into a
 * `DayFold` when asked (the same `foldInto` as `clickhouseDayFacts`), so a writer can encode each
 * day's row straight from the fold, with no object per meter-day in between.
 */
export interface ChunkFolds {
  /** the meter-day folded into `into`, or undefined when ClickHouse holds no reading of it */
  fold(meterId: string, channel: string, epochDay: number, into: DayFold): FoldedDayMeta | undefined;
  release(): void;
}

export async function clickhouseChunkFolds(
  client: ClickHouseClient,
  database: string,
  q: DayFactsQuery,
): Promise<ChunkFolds> {
  const read = await readChunk(client, database, q);
  const byChannel = new Map(read.map((c) => [c.channel, c]));
  return {
    fold(meterId, channel, epochDay, into) {
      const c = byChannel.get(channel);
      let slot = c?.days.find(meterId, epochDay);
      let days = c?.days;
      if (slot?.replaced) {
        // read again with FINAL; still two rows at a position there (cannot be): no facts, as before
        days = c!.again;
        slot = days?.find(meterId, epochDay);
        if (slot?.replaced) slot = undefined;
      }
      if (!slot || !days) return undefined;
      days.foldSlot(slot, into);
      return { intervalMinutes: slot.intervalMinutes, dayStart: slot.dayStart, seriesVersion: slot.version };
    },
    release() {
      for (const c of read) {
        c.days.release();
        c.again?.release();
      }
    },
  };
}

/** A chunk's readings of one channel, and the re-read with FINAL of its meter-days with a superseded version. */
interface ChannelRead {
  channel: string;
  days: ChunkDays;
  again: ChunkDays | undefined;
}

async function readChunk(
  client: ClickHouseClient,
  database: string,
  q: DayFactsQuery,
): Promise<ChannelRead[]> {
  if (q.meterIds.length === 0) return [];
  let first = q.meterIds[0]!;
  let last = first;
  for (const id of q.meterIds) {
    if (id < first) first = id;
    if (id > last) last = id;
  }
  const out: ChannelRead[] = [];
  try {
    for (const channel of q.channels) {
      const where = `missing = 0 AND channel = ${chString(channel)}`;
      const read: ChannelRead = { channel, days: new ChunkDays(q, channel), again: undefined };
      out.push(read);
      await run(
        client,
        `${SELECT} FROM ${database}.readings
        WHERE ${where} AND local_date >= toDate(${chString(q.from)}) AND local_date <= toDate(${chString(q.to)})
          AND meter_id >= ${chString(first)} AND meter_id <= ${chString(last)}
          ${q.contiguous ? '' : `AND meter_id IN (${q.meterIds.map(chString).join(', ')})`}`,
        read.days,
      );
      const replaced = read.days.replacedSlots();
      if (replaced.length === 0) continue;
      read.again = new ChunkDays(q, channel);
      await run(
        client,
        `${SELECT} FROM ${database}.readings FINAL
        WHERE ${where} AND (meter_id, local_date) IN (${replaced.map((d) => `(${chString(d.meterId)}, toDate(${chString(d.day)}))`).join(', ')})`,
        read.again,
      );
    }
  } catch (err) {
    for (const c of out) {
      c.days.release();
      c.again?.release();
    }
    throw err;
  }
  return out;
}

/**
 * Value and quality arrays of earlier chunks (a few MB each, one per chunk in flight): fresh ones
 * per chunk cost more in page faults and GC than the fill that resets them.
 */
const ARRAYS: { values: Float64Array; quality: Uint32Array }[] = [];

function takeArrays(n: number): { values: Float64Array; quality: Uint32Array } {
  const i = ARRAYS.findIndex((a) => a.values.length >= n);
  const a = i >= 0 ? ARRAYS.splice(i, 1)[0]! : { values: new Float64Array(n), quality: new Uint32Array(n) };
  a.values.fill(Number.NaN);
  return a;
}

function run(client: ClickHouseClient, query: string, days: ChunkDays): Promise<void> {
  return clickhouseCall('reading readings per meter-day', async () => {
    const rs = await client.exec({ query: `${query} FORMAT Native` });
    // each piece copied once, as it arrives, into the buffer the blocks are read from; an async
    // iterator over the stream concatenated the pieces it had buffered first (a second copy)
    let buf = RESPONSES.pop() ?? Buffer.alloc(0);
    let length = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        rs.stream.on('data', (b: Buffer) => {
          if (length + b.length > buf.length) {
            const next = Buffer.allocUnsafeSlow(Math.max(Math.ceil((length + b.length) * 1.25), 1 << 20));
            buf.copy(next, 0, 0, length);
            buf = next;
          }
          length += b.copy(buf, length);
        });
        rs.stream.once('end', resolve);
        rs.stream.once('error', reject);
      });
      const view = buf.subarray(0, length);
      for (const block of nativeBlocks(view)) days.place(view, block);
    } finally {
      RESPONSES.push(buf);
    }
  });
}

/**
 * Response buffers of earlier queries (tens of MB per chunk; a fresh one each time cost more in
 * page faults and GC than the copy): one per query in flight, each decoded before it is put back.
 */
const RESPONSES: Buffer[] = [];

/** A meter-day of a chunk: its place in the chunk's value and quality arrays. */
interface Slot {
  meterId: string;
  channel: string;
  day: string;
  intervalMinutes: number;
  dayStart: number;
  offset: number;
  length: number;
  version: number;
  /** two rows at one interval position: a superseded version not yet merged away */
  replaced: boolean;
}

/**
 * The readings of a chunk's meter-days placed at their interval positions in one pair of typed
 * arrays (no array per day, no object per reading), whatever order ClickHouse sends them in:
 * a meter-day's rows come in runs (a part holds them sorted by meter and time), and only a run's
 * first row looks up the meter and the day.
 */
class ChunkDays {
  private readonly slots: (Slot | undefined)[];
  private readonly meterIndex: Map<string, number>;
  private readonly firstDay: number;
  private readonly days: number;
  private values: Float64Array;
  private quality: Uint32Array;
  private used = 0;
  // zone rules are slow to ask (Intl): a chunk's meters share a few zones and days
  private readonly bounds = new Map<string, Map<number, { start: number; end: number }>>();
  private readonly dates = new Map<number, string>();

  constructor(
    private readonly q: DayFactsQuery,
    private readonly channel: string,
  ) {
    this.meterIndex = new Map(q.meterIds.map((id, i) => [id, i]));
    this.firstDay = parseLocalDate(q.from);
    this.days = parseLocalDate(q.to) - this.firstDay + 1;
    this.slots = new Array(q.meterIds.length * this.days);
    // room for every meter-day at 15 minutes (more is added when needed), from the pool
    const arrays = takeArrays(this.slots.length * 100);
    this.values = arrays.values;
    this.quality = arrays.quality;
  }

  /** Give the arrays back to the pool (after `facts`). */
  release(): void {
    ARRAYS.push({ values: this.values, quality: this.quality });
  }

  place(buf: Buffer, b: NativeBlock): void {
    const [meter, date, minutes, versionColumn, ts, value, quality] = b.columns;
    if (b.columns.length !== 7 || meter!.type !== 'String')
      throw new InvalidDataError(`ClickHouse sent readings as ${b.columns.map((c) => c.type).join(', ')}`);
    const n = b.rows;
    const dates = column(Uint16Array, buf, date!, n);
    const mins = column(Uint8Array, buf, minutes!, n);
    const versions = column(Uint32Array, buf, versionColumn!, 2 * n);
    const starts = column(Uint32Array, buf, ts!, n);
    const vals = column(Float64Array, buf, value!, n);
    const quals = column(Uint32Array, buf, quality!, n);
    const { start: ms, end: me } = meter!;
    let values = this.values;
    let quality_ = this.quality;
    let slot: Slot | undefined;
    // the run's slot in locals: the loop touches no object
    let step = 0;
    let first = 0;
    let base = 0;
    let length = 0;
    let version = 0;
    let replaced = false;
    let meterId = '';
    let runDay = -1;
    for (let i = 0; i < n; i++) {
      const s = ms[i]!;
      const e = me[i]!;
      const epochDay = dates[i]!;
      if (epochDay !== runDay || e > s) {
        if (slot) {
          slot.version = version;
          slot.replaced = replaced;
        }
        if (e > s) meterId = buf.toString('utf8', s, e);
        runDay = epochDay;
        slot = this.slot(meterId, epochDay, mins[i]!);
        // the arrays grow when a new meter-day does not fit
        values = this.values;
        quality_ = this.quality;
        if (slot) {
          step = slot.intervalMinutes * 60;
          first = slot.dayStart / 1000;
          base = slot.offset;
          length = slot.length;
          version = slot.version;
          replaced = slot.replaced;
        }
      }
      // a meter of the id range outside the scope (inactive, unregistered): not asked for
      if (!slot) continue;
      const at = starts[i]!;
      const offset = at - first;
      const p = (offset / step) | 0;
      // off the meter's local grid (not written by smt): refuse rather than guess
      if (offset < 0 || p * step !== offset || p >= length)
        throw new InvalidDataError(
          `ClickHouse holds a reading of ${slot.meterId} ${this.channel} at ${new Date(at * 1000).toISOString()} that is not an interval of its local day ${slot.day} in ${this.q.timezoneOf(slot.meterId)}`,
          {
            hint: 'Re-derive the copy from the series: `smt reconcile --from --to --repair`, or aggregate with --source cassandra.',
          },
        );
      const k = base + p;
      if (!Number.isNaN(values[k]!)) replaced = true; // a second row at this position
      values[k] = vals[i]!;
      quality_[k] = quals[i]!;
      const v = versions[2 * i + 1]! * 0x1_0000_0000 + versions[2 * i]!;
      if (v > version) version = v;
    }
    if (slot) {
      slot.version = version;
      slot.replaced = replaced;
    }
  }

  /** The meter-day of a run's first row; undefined for a meter not asked for. */
  private slot(meterId: string, epochDay: number, intervalMinutes: number): Slot | undefined {
    const m = this.meterIndex.get(meterId);
    const zone = m === undefined ? undefined : this.q.timezoneOf(meterId);
    if (m === undefined || zone === undefined) return undefined;
    const index = m * this.days + (epochDay - this.firstDay);
    const known = this.slots[index];
    if (known) return known;
    let day = this.dates.get(epochDay);
    if (day === undefined) {
      day = formatLocalDate(epochDay);
      this.dates.set(epochDay, day);
    }
    let ofZone = this.bounds.get(zone);
    if (!ofZone) {
      ofZone = new Map();
      this.bounds.set(zone, ofZone);
    }
    let b = ofZone.get(epochDay);
    if (!b) {
      b = LocalCalendar.for(zone).dayBounds(day);
      ofZone.set(epochDay, b);
    }
    const length = Math.round((b.end - b.start) / (intervalMinutes * 60_000));
    this.reserve(length);
    const slot: Slot = {
      meterId,
      channel: this.channel,
      day,
      intervalMinutes,
      dayStart: b.start,
      offset: this.used,
      length,
      version: 0,
      replaced: false,
    };
    this.used += length;
    this.slots[index] = slot;
    return slot;
  }

  private reserve(n: number): void {
    if (this.used + n <= this.values.length) return;
    let size = this.values.length * 2;
    while (size < this.used + n) size *= 2;
    const values = new Float64Array(size);
    values.set(this.values.subarray(0, this.used));
    const quality = new Uint32Array(size);
    quality.set(this.quality.subarray(0, this.used));
    this.values = values;
    this.quality = quality;
    this.values.fill(Number.NaN, this.used);
  }

  /** The facts of every meter-day read, appended to `out`, but those with a superseded version. */
  facts(out: DayFacts[]): void {
    for (const s of this.slots)
      if (s && !s.replaced) out.push(foldDay(s, this.values, this.quality, s.offset, s.length));
  }

  /** The meter-days read with a superseded version (two rows at one interval position). */
  replacedSlots(): Slot[] {
    const out: Slot[] = [];
    for (const s of this.slots) if (s?.replaced) out.push(s);
    return out;
  }

  /** The slot of a meter-day, if any of its readings was read. */
  find(meterId: string, epochDay: number): Slot | undefined {
    const m = this.meterIndex.get(meterId);
    const d = epochDay - this.firstDay;
    if (m === undefined || d < 0 || d >= this.days) return undefined;
    return this.slots[m * this.days + d];
  }

  foldSlot(s: Slot, into: DayFold): void {
    foldInto(into, s.intervalMinutes, this.values, this.quality, s.offset, s.length);
  }
}

type Column<T> = { new (b: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

/**
 * A fixed-width column of a block as a typed array: in place when its offset is aligned, else a
 * copy (one memcpy). Typed arrays read in the platform's byte order, Native's is little-endian.
 */
function column<T>(ctor: Column<T>, buf: Buffer, c: NativeColumn, length: number): T {
  const at = buf.byteOffset + c.offset;
  if (at % ctor.BYTES_PER_ELEMENT === 0) return new ctor(buf.buffer as ArrayBuffer, at, length);
  return new ctor(buf.buffer.slice(at, at + length * ctor.BYTES_PER_ELEMENT) as ArrayBuffer, 0, length);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error(
    'the ClickHouse Native reader reads little-endian typed arrays: this platform is big-endian',
  );
