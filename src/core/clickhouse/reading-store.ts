import { Readable } from 'node:stream';
import { type ClickHouseClient, drainStream } from '@clickhouse/client';
import { originOf, stateOf } from '../readings/quality.js';
import { intervalStartAt } from '../series/day.js';
import type { AnalyticsStore, DayChange } from '../series/ports.js';
import { parseLocalDate } from '../time/local-date.js';
import { RULES_BY_KEY } from '../vee/rules.js';
import { clickhouseCall } from './errors.js';
import { encodeStrings, RowBinaryReader, RowBinaryWriter } from './row-binary.js';
import { chString } from './sql.js';

/**
 * Every column, in the order they are encoded. Every column is always sent (18.16 fills omitted
 * fields with type defaults, see docs/stack-recipe §4.5).
 */
const COLUMNS = [
  'meter_id',
  'channel',
  'interval_minutes',
  'region',
  'segment',
  'tariff',
  'ingested_at',
  'version',
  'ts',
  'local_date',
  'value',
  'missing',
  'quality',
  'origin',
  'validation_state',
  'failed_rules',
  'rules',
  'device_status',
] as const;

/**
 * The changed readings of a write plan as one RowBinary insert into `readings`: values go as
 * their IEEE-754 bytes (exact, and no per-reading strings), the columns shared by a day's readings
 * are encoded once per day. RowBinary is read the same way by 18.16 and current ClickHouse.
 */
export function readingsRowBinary(changes: readonly DayChange[], ingestedAt: number): Buffer {
  const at = Math.floor(ingestedAt / 1000);
  const w = new RowBinaryWriter(changes.length * 96 * 110);
  for (const { day, positions, meter } of changes) {
    const head = encodeStrings(day.meterId, day.channel);
    const dims = encodeStrings(meter.regionId, meter.segment, meter.tariffId);
    const localDate = parseLocalDate(day.day);
    for (const p of positions) {
      const q = day.quality[p]!;
      const rules = day.rules.get(p);
      w.bytes(head);
      w.u8(day.intervalMinutes);
      w.bytes(dims);
      w.u32(at);
      w.u64(day.writes[day.writeIdx[p]!]!.version);
      w.u32(intervalStartAt(day, p) / 1000);
      w.u16(localDate);
      const value = day.values[p]!;
      w.f64(value);
      // a position cleared back to missing (an undone correction that had filled a gap)
      w.u8(Number.isNaN(value) ? 1 : 0);
      w.u32(q);
      w.u8(originOf(q));
      w.u8(stateOf(q));
      w.u32(rules ? legacyMask(rules) : 0);
      w.varUint(rules ? rules.length : 0);
      if (rules) for (const r of rules) w.string(r);
      w.u32(day.status[p]!);
    }
  }
  return w.result();
}

/** The 32-bit rule mask of the `failed_rules` column (rules with a bit only; `rules` has them all). */
function legacyMask(keys: readonly string[]): number {
  let m = 0;
  for (const k of keys) {
    const id = RULES_BY_KEY.get(k)?.id;
    if (id !== undefined && id < 32) m |= 1 << id;
  }
  return m >>> 0;
}

/**
 * Cancel rows of older versions still counted by the rollups, encoded as they are found (a
 * backfill cancels every reading of a day: no object per reading in between).
 */
class CancelRows {
  rows = 0;
  private readonly w = new RowBinaryWriter(64 * 1024);

  constructor(private readonly cancelledAt: number) {}

  /** `head`: meter and channel, `dims`: region, segment, tariff (RowBinary strings) */
  add(
    head: Buffer,
    dims: Buffer,
    ts: number,
    localDate: number,
    value: number,
    origin: number,
    version: number,
    supersededBy: number,
  ): void {
    const w = this.w;
    w.bytes(head);
    w.u32(ts);
    w.u16(localDate);
    w.f64(value);
    w.u8(origin);
    w.bytes(dims);
    w.u64(version);
    w.u64(supersededBy);
    w.u32(this.cancelledAt);
    this.rows++;
  }

  result(): Buffer {
    return this.w.result();
  }
}

const CANCEL_COLUMNS =
  'meter_id, channel, ts, local_date, value, origin, region, segment, tariff, version, superseded_by, cancelled_at';

/** Meters per range filter: keeps a query far below ClickHouse's max_query_size (256 KiB). */
const METERS_PER_FILTER = 2_000;

/** WHERE clauses, each over at most METERS_PER_FILTER meters, together covering every span. */
function rangeFilters(spans: readonly { meters: Set<string>; first: number; last: number }[]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let n = 0;
  for (const s of spans) {
    const meters = [...s.meters];
    for (let i = 0; i < meters.length; i += METERS_PER_FILTER) {
      const some = meters.slice(i, i + METERS_PER_FILTER);
      if (n > 0 && n + some.length > METERS_PER_FILTER) {
        out.push(parts.join(' OR '));
        parts = [];
        n = 0;
      }
      parts.push(
        `(meter_id IN (${some.join(', ')}) AND toUInt32(ts) >= ${s.first} AND toUInt32(ts) <= ${s.last})`,
      );
      n += some.length;
    }
  }
  if (parts.length > 0) out.push(parts.join(' OR '));
  return out.map((p) => `(${p})`);
}

/** `readings` in ClickHouse: the analytics port of the series model. */
export class ClickHouseReadingStore implements AnalyticsStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /**
   * Cancels first, then the readings: after a failure between the two, the retry finds the cancels
   * (by the version they were superseded by) and does not write them again, and `missing` reports
   * the readings. Rollups count readings minus cancels, so each reading counts once, whatever its
   * number of versions.
   */
  async insert(changes: readonly DayChange[], ingestedAt: number): Promise<void> {
    if (changes.length === 0) return;
    const cancels = new CancelRows(Math.floor(ingestedAt / 1000));
    await this.cancelsFor(changes, cancels);
    if (cancels.rows > 0)
      await this.exec('cancelling superseded readings', 'readings_cancels', CANCEL_COLUMNS, cancels.result());
    await this.exec(
      'inserting readings',
      'readings',
      COLUMNS.join(', '),
      readingsRowBinary(changes, ingestedAt),
    );
  }

  private async exec(what: string, table: string, columns: string, body: Buffer): Promise<void> {
    await clickhouseCall(what, async () => {
      // The client's insert() knows text formats only; exec() sends the bytes as they are.
      const r = await this.client.exec({
        query: `INSERT INTO ${this.database}.${table} (${columns}) FORMAT RowBinary`,
        values: Readable.from([body], { objectMode: false }),
      });
      await drainStream(r.stream);
    });
  }

  /**
   * For each replaced position: every older version `readings` holds that no cancel has taken back
   * yet (by count, so a version inserted twice before cancels existed is taken back twice).
   * Decided from ClickHouse's own rows, not from the series: an interrupted earlier attempt may
   * have stored a version in the series that never reached ClickHouse.
   */
  private async cancelsFor(changes: readonly DayChange[], out: CancelRows): Promise<void> {
    // replaced interval start (s) → the version replacing it, per `meter|channel`
    const wanted = new Map<string, Map<number, number>>();
    // Per local day: the meters with a replaced reading on it and the span of those readings.
    // A WHERE of these ranges stays small whatever the number of readings (a backfill replaces
    // whole days: a tuple per reading overflowed max_query_size); rows of the ranges that were
    // not replaced are dropped by `wanted`.
    const spans = new Map<string, { meters: Set<string>; first: number; last: number }>();
    for (const { day, replaces } of changes) {
      if (!replaces || replaces.length === 0) continue;
      const mc = `${day.meterId}|${day.channel}`;
      let starts = wanted.get(mc);
      if (!starts) {
        starts = new Map();
        wanted.set(mc, starts);
      }
      let s = spans.get(day.day);
      if (!s) {
        s = { meters: new Set(), first: Infinity, last: -Infinity };
        spans.set(day.day, s);
      }
      s.meters.add(chString(day.meterId));
      for (const p of replaces) {
        const ts = intervalStartAt(day, p) / 1000;
        if (starts.has(ts)) continue;
        starts.set(ts, day.writes[day.writeIdx[p]!]!.version);
        if (ts < s.first) s.first = ts;
        if (ts > s.last) s.last = ts;
      }
    }
    for (const where of rangeFilters([...spans.values()])) await this.cancelsWhere(where, wanted, out);
  }

  private async cancelsWhere(
    where: string,
    wanted: ReadonlyMap<string, ReadonlyMap<number, number>>,
    out: CancelRows,
  ): Promise<void> {
    // RowBinary: a reading back per replaced position is the bulk of a backfill's ClickHouse work;
    // as text (TSV, JSON) formatting and parsing it cost more than the rest of the write
    const [held, taken] = await clickhouseCall('reading superseded versions', async () => {
      // each response read to its end before the next query (a half-read socket is not reused)
      // one row per meter, version and rollup group, its readings as arrays: no strings per reading
      const held = await this.rowBinary(
        `SELECT meter_id, channel, version, origin, local_date, region, segment, tariff,
                groupArray(toUInt32(ts)), groupArray(value)
         FROM ${this.database}.readings WHERE missing = 0 AND ${where}
         GROUP BY meter_id, channel, version, origin, local_date, region, segment, tariff`,
      );
      const taken = await this.rowBinary(
        `SELECT meter_id, channel, toUInt32(ts) AS t, version AS v, toUInt32(count()) AS n
         FROM ${this.database}.readings_cancels WHERE ${where} GROUP BY meter_id, channel, t, v`,
      );
      return [held, taken];
    });
    const already = new Map<string, number>();
    for (const r = new RowBinaryReader(taken); !r.done; ) {
      const k = `${r.string()}|${r.string()}|${r.u32()}|${r.u64()}`;
      already.set(k, r.u32());
    }
    for (const r = new RowBinaryReader(held); !r.done; ) {
      const meterId = r.string();
      const channel = r.string();
      const version = r.u64();
      const origin = r.u8();
      const localDate = r.u16();
      const region = r.string();
      const segment = r.string();
      const tariff = r.string();
      const ts = Array.from({ length: r.varUint() }, () => r.u32());
      const values = Array.from({ length: r.varUint() }, () => r.f64());
      const starts = wanted.get(`${meterId}|${channel}`);
      const head = encodeStrings(meterId, channel);
      const dims = encodeStrings(region, segment, tariff);
      for (let i = 0; i < ts.length; i++) {
        const newer = starts?.get(ts[i]!);
        if (newer === undefined || version >= newer) continue;
        if (already.size > 0) {
          const k = `${meterId}|${channel}|${ts[i]}|${version}`;
          const left = already.get(k) ?? 0;
          if (left > 0) {
            already.set(k, left - 1);
            continue;
          }
        }
        out.add(head, dims, ts[i]!, localDate, values[i]!, origin, version, newer);
      }
    }
  }

  private async rowBinary(query: string): Promise<Buffer> {
    const rs = await this.client.exec({ query: `${query} FORMAT RowBinary` });
    const parts: Buffer[] = [];
    for await (const b of rs.stream) parts.push(b as Buffer);
    return Buffer.concat(parts);
  }

  /**
   * Which of these readings `readings` does not hold, by (meter, channel, interval start, version).
   * Asked only after a failed attempt (the plan's rechecks), so one query per call is enough.
   */
  async missing(changes: readonly DayChange[]): Promise<DayChange[]> {
    if (changes.length === 0) return [];
    const pairs = new Set<string>();
    for (const { day, positions } of changes)
      for (const p of positions)
        pairs.add(`(${chString(day.meterId)}, ${day.writes[day.writeIdx[p]!]!.version})`);
    const held = new Set<string>();
    await clickhouseCall('checking readings already inserted', async () => {
      const rs = await this.client.query({
        query: `SELECT meter_id, channel, toUInt32(ts) AS t, toString(version) AS v FROM ${this.database}.readings
                WHERE (meter_id, version) IN (${[...pairs].join(', ')})`,
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<{ meter_id: string; channel: string; t: number | string; v: string }>())
        held.add(`${r.meter_id}|${r.channel}|${Number(r.t) * 1000}|${r.v}`);
    });
    const out: DayChange[] = [];
    for (const c of changes) {
      const { day } = c;
      const positions = c.positions.filter(
        (p) =>
          !held.has(
            `${day.meterId}|${day.channel}|${intervalStartAt(day, p)}|${day.writes[day.writeIdx[p]!]!.version}`,
          ),
      );
      if (positions.length > 0) out.push({ ...c, positions });
    }
    return out;
  }
}
