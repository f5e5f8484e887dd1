import { Readable } from 'node:stream';
import { type ClickHouseClient, drainStream } from '@clickhouse/client';
import { originOf, stateOf } from '../readings/quality.js';
import { intervalStartAt } from '../series/day.js';
import type { AnalyticsStore, DayChange } from '../series/ports.js';
import { parseLocalDate } from '../time/local-date.js';
import { RULES_BY_KEY } from '../vee/rules.js';
import { clickhouseCall } from './errors.js';
import { encodeStrings, RowBinaryWriter } from './row-binary.js';
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

/** `readings` in ClickHouse: the analytics port of the series model. */
export class ClickHouseReadingStore implements AnalyticsStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async insert(changes: readonly DayChange[], ingestedAt: number): Promise<void> {
    if (changes.length === 0) return;
    const body = readingsRowBinary(changes, ingestedAt);
    await clickhouseCall('inserting readings', async () => {
      // The client's insert() knows text formats only; exec() sends the bytes as they are.
      const r = await this.client.exec({
        query: `INSERT INTO ${this.database}.readings (${COLUMNS.join(', ')}) FORMAT RowBinary`,
        values: Readable.from([body], { objectMode: false }),
      });
      await drainStream(r.stream);
    });
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
