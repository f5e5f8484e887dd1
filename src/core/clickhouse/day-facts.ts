import type { ClickHouseClient } from '@clickhouse/client';
import type { DayFacts } from '../aggregate/daily.js';
import { Origin, ValidationState } from '../readings/quality.js';
import { formatLocalDate } from '../time/local-date.js';
import { clickhouseCall } from './errors.js';
import { RowBinaryReader } from './row-binary.js';
import { chString } from './sql.js';

/** Column order and types are what `decode` reads: fixed-width casts, RowBinary out. */
const SELECT = `SELECT toString(meter_id), toString(channel), local_date, toUInt8(any(interval_minutes)),
      sum(value), min(value), max(value),
      toUInt32(argMax(toUInt32(ts), (value, -toInt64(toUInt32(ts))))),
      toUInt32(countIf(origin = ${Origin.Actual})), toUInt32(countIf(origin != ${Origin.Actual})),
      toUInt32(countIf(validation_state IN (${ValidationState.Failed}, ${ValidationState.Accepted}))),
      toUInt32(countIf(validation_state = ${ValidationState.NotValidated})),
      max(version), toUInt32(count()), toUInt32(uniqExact(ts))`;

interface Summed {
  facts: DayFacts;
  /** rows and distinct interval starts: they differ while a superseded version is not merged away */
  rows: number;
  starts: number;
}

/**
 * The facts of meter-days summed inside ClickHouse from `readings`, latest version of each
 * reading, one query per chunk of meters. FINAL costs ~6× a plain scan on 18.16, and only
 * meter-days with a superseded version not yet merged away need it: the plain scan counts rows
 * and distinct interval starts, and the meter-days where they differ are summed again with FINAL.
 * Ties of the peak go to the earliest interval, as in `factsOfDay`. The rows come back as
 * RowBinary (a tenth of the bytes of JSON, numbers exact); the meter range next to the IN list
 * lets the primary key skip to the chunk's meters. Only as complete as the copy is: `smt
 * reconcile` checks it against the series.
 */
export async function clickhouseDayFacts(
  client: ClickHouseClient,
  database: string,
  q: { meterIds: readonly string[]; channels: readonly string[]; from: string; to: string },
): Promise<DayFacts[]> {
  if (q.meterIds.length === 0) return [];
  let first = q.meterIds[0]!;
  let last = first;
  for (const id of q.meterIds) {
    if (id < first) first = id;
    if (id > last) last = id;
  }
  const where = `missing = 0 AND channel IN (${q.channels.map(chString).join(', ')})`;
  const rows = await run(
    client,
    `${SELECT} FROM ${database}.readings
    WHERE ${where} AND local_date >= toDate(${chString(q.from)}) AND local_date <= toDate(${chString(q.to)})
      AND meter_id >= ${chString(first)} AND meter_id <= ${chString(last)}
      AND meter_id IN (${q.meterIds.map(chString).join(', ')})
    GROUP BY meter_id, channel, local_date`,
  );
  const replaced = rows.filter((r) => r.rows !== r.starts);
  if (replaced.length === 0) return rows.map((r) => r.facts);
  const again = await run(
    client,
    `${SELECT} FROM ${database}.readings FINAL
    WHERE ${where} AND (meter_id, channel, local_date) IN (${replaced.map(({ facts: f }) => `(${chString(f.meterId)}, ${chString(f.channel)}, toDate(${chString(f.day)}))`).join(', ')})
    GROUP BY meter_id, channel, local_date`,
  );
  return [...rows.filter((r) => r.rows === r.starts), ...again].map((r) => r.facts);
}

function run(client: ClickHouseClient, query: string): Promise<Summed[]> {
  return clickhouseCall('summing readings per meter-day', async () => {
    const rs = await client.exec({ query: `${query} FORMAT RowBinary` });
    const parts: Buffer[] = [];
    for await (const b of rs.stream) parts.push(b as Buffer);
    return decode(Buffer.concat(parts));
  });
}

function decode(buf: Buffer): Summed[] {
  const r = new RowBinaryReader(buf);
  const out: Summed[] = [];
  while (!r.done) {
    const meterId = r.string();
    const channel = r.string();
    const day = formatLocalDate(r.u16());
    const intervalMinutes = r.u8();
    const energy = r.f64();
    const min = r.f64();
    const max = r.f64();
    const peakStart = r.u32() * 1000;
    const actual = r.u32();
    const estimated = r.u32();
    const failed = r.u32();
    const notValidated = r.u32();
    const seriesVersion = r.u64();
    const rows = r.u32();
    const starts = r.u32();
    out.push({
      facts: {
        meterId,
        channel,
        day,
        intervalMinutes,
        energy,
        min,
        max,
        peakStart,
        actual,
        estimated,
        failed,
        notValidated,
        seriesVersion,
      },
      rows,
      starts,
    });
  }
  return out;
}
