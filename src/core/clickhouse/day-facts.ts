import type { ClickHouseClient } from '@clickhouse/client';
import { type DayFacts, factsOfDay } from '../aggregate/daily.js';
import { InvalidDataError } from '../errors.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate } from '../time/local-date.js';
import { clickhouseCall } from './errors.js';
import { RowBinaryReader } from './row-binary.js';
import { chString } from './sql.js';

/** Column order and types are what `decode` reads: fixed-width casts, RowBinary out. */
const SELECT = `SELECT toString(meter_id), toString(channel), local_date, toUInt8(any(interval_minutes)),
      max(version), groupArray(toUInt32(ts)), groupArray(value), groupArray(quality)`;

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
 * query per chunk of meters. ClickHouse only groups the day's readings (interval start, value,
 * packed quality); they are placed at their interval positions and folded by `factsOfDay`, the
 * same code that folds a Cassandra series day, so both sources give the same facts, hourly values
 * included. Summing in ClickHouse (and the `uniqExact` that found superseded versions) cost more
 * ClickHouse CPU than this costs node (docs/benchmarks.md). FINAL costs ~6× a plain scan on
 * 18.16, and only meter-days with a superseded version not yet merged away need it: two readings
 * at one position show them, and those meter-days are read again with FINAL. The rows come back as
 * RowBinary (numbers exact). Only as complete as the copy is: `smt reconcile` checks it against
 * the series.
 */
export async function clickhouseDayFacts(
  client: ClickHouseClient,
  database: string,
  q: DayFactsQuery,
): Promise<DayFacts[]> {
  if (q.meterIds.length === 0) return [];
  let first = q.meterIds[0]!;
  let last = first;
  for (const id of q.meterIds) {
    if (id < first) first = id;
    if (id > last) last = id;
  }
  const where = `missing = 0 AND channel IN (${q.channels.map(chString).join(', ')})`;
  const days = await run(
    client,
    `${SELECT} FROM ${database}.readings
    WHERE ${where} AND local_date >= toDate(${chString(q.from)}) AND local_date <= toDate(${chString(q.to)})
      AND meter_id >= ${chString(first)} AND meter_id <= ${chString(last)}
      ${q.contiguous ? '' : `AND meter_id IN (${q.meterIds.map(chString).join(', ')})`}
    GROUP BY meter_id, channel, local_date`,
    q.timezoneOf,
  );
  const replaced = days.filter((d) => d.replaced);
  if (replaced.length === 0) return days.map((d) => d.facts);
  const again = await run(
    client,
    `${SELECT} FROM ${database}.readings FINAL
    WHERE ${where} AND (meter_id, channel, local_date) IN (${replaced.map(({ facts: f }) => `(${chString(f.meterId)}, ${chString(f.channel)}, toDate(${chString(f.day)}))`).join(', ')})
    GROUP BY meter_id, channel, local_date`,
    q.timezoneOf,
  );
  return [...days.filter((d) => !d.replaced), ...again].map((d) => d.facts);
}

interface ReadDay {
  facts: DayFacts;
  /** two rows at one interval position: a superseded version not yet merged away */
  replaced: boolean;
}

function run(
  client: ClickHouseClient,
  query: string,
  timezoneOf: DayFactsQuery['timezoneOf'],
): Promise<ReadDay[]> {
  return clickhouseCall('reading readings per meter-day', async () => {
    const rs = await client.exec({ query: `${query} FORMAT RowBinary` });
    const parts: Buffer[] = [];
    for await (const b of rs.stream) parts.push(b as Buffer);
    return decode(Buffer.concat(parts), timezoneOf);
  });
}

function decode(buf: Buffer, timezoneOf: DayFactsQuery['timezoneOf']): ReadDay[] {
  const r = new RowBinaryReader(buf);
  const out: ReadDay[] = [];
  // zone rules are slow to ask (Intl): a chunk's meters share a few zones and days
  const bounds = new Map<string, Map<number, { start: number; end: number }>>();
  const dates = new Map<number, string>();
  let starts = new Uint32Array(128);
  let at = new Int32Array(128);
  // one day's values and qualities, reused: the fold keeps neither
  const scratch = new Map<number, { values: Float64Array; quality: Uint32Array }>();
  while (!r.done) {
    const meterId = r.string();
    const channel = r.string();
    const epochDay = r.u16();
    let day = dates.get(epochDay);
    if (day === undefined) {
      day = formatLocalDate(epochDay);
      dates.set(epochDay, day);
    }
    const intervalMinutes = r.u8();
    const version = r.u64();
    const n = r.varUint();
    if (n > starts.length) {
      starts = new Uint32Array(n);
      at = new Int32Array(n);
    }
    for (let i = 0; i < n; i++) starts[i] = r.u32();
    const zone = timezoneOf(meterId);
    if (zone === undefined) {
      // a meter of the id range outside the scope (inactive, unregistered): not asked for
      r.skip(r.varUint() * 8);
      r.skip(r.varUint() * 4);
      continue;
    }
    let ofZone = bounds.get(zone);
    if (!ofZone) {
      ofZone = new Map();
      bounds.set(zone, ofZone);
    }
    let b = ofZone.get(epochDay);
    if (!b) {
      b = LocalCalendar.for(zone).dayBounds(day);
      ofZone.set(epochDay, b);
    }
    const step = intervalMinutes * 60;
    const first = b.start / 1000;
    const length = Math.round((b.end - b.start) / (step * 1000));
    let buffers = scratch.get(length);
    if (!buffers) {
      buffers = { values: new Float64Array(length), quality: new Uint32Array(length) };
      scratch.set(length, buffers);
    }
    const { values, quality } = buffers;
    values.fill(Number.NaN);
    quality.fill(0);
    let replaced = false;
    for (let i = 0; i < n; i++) {
      const offset = starts[i]! - first;
      const p = (offset / step) | 0;
      // off the meter's local grid (not written by smt): refuse rather than guess
      if (offset < 0 || p * step !== offset || p >= length)
        throw new InvalidDataError(
          `ClickHouse holds a reading of ${meterId} ${channel} at ${new Date(starts[i]! * 1000).toISOString()} that is not an interval of its local day ${day} in ${zone}`,
          {
            hint: 'Re-derive the copy from the series: `smt reconcile --from --to --repair`, or aggregate with --source cassandra.',
          },
        );
      at[i] = p;
    }
    r.varUint();
    for (let i = 0; i < n; i++) {
      const p = at[i]!;
      if (values[p] === values[p]) replaced = true; // not NaN: a second reading at this position
      values[p] = r.f64();
    }
    r.varUint();
    for (let i = 0; i < n; i++) quality[at[i]!] = r.u32();
    const d = { meterId, channel, day, intervalMinutes, dayStart: b.start, values, quality, version };
    out.push({ facts: factsOfDay(d), replaced });
  }
  return out;
}
