import cassandra from 'cassandra-driver';
import { forEachBounded } from '../concurrency.js';
import { dayKey, keyOf, type SeriesDay, type SeriesDayKey } from '../series/day.js';
import type { DaysQuery, SeriesReader, SeriesStore } from '../series/ports.js';
import { parseLocalDate } from '../time/local-date.js';
import { cassandraCall } from './errors.js';
import { fromRow, monthOf, type SeriesDayRow, toRow } from './series-row.js';

const { LocalDate } = cassandra.types;
/** meters per current-version query */
const CURRENT_IN = 50;
const unset = cassandra.types.unset;

const KEY_AND_DAY =
  'meter_id, month, channel, day, version, interval_minutes, day_start, readings, vals, quality, status, write_idx';
const ABOUT = 'rules, supersedes, written_at, writer, reason';
/**
 * Which writes set the day and the keys of the rules that fired: non-frozen lists up to migration
 * 4, frozen lists since. An INSERT into a non-frozen list also writes a tombstone for the list's
 * earlier cells (every insert, three lists) for rows that are never updated in place; measured,
 * that cost is within noise (docs/benchmarks.md), but frozen lists carry none and read the same.
 */
const LIST_COLUMNS = {
  2: 'write_versions, write_sources, rule_keys',
  4: 'write_versions_frozen, write_sources_frozen, rule_keys_frozen',
} as const;
/** the row layout a writer writes: the newest, except in the data step of migration 2 */
export type SeriesRowLayout = keyof typeof LIST_COLUMNS;
const READ_COLUMNS = `${KEY_AND_DAY}, ${LIST_COLUMNS[2]}, ${LIST_COLUMNS[4]}, ${ABOUT}`;

/**
 * The interval series in Cassandra: `series_days`, one row per (meter, channel, local day,
 * version), partitioned by meter-month, newest version first. Nothing is updated in place: every
 * state a meter-day has had stays readable, which is what "as of" reads and the audit history use.
 */
export class CassandraSeriesStore implements SeriesStore, SeriesReader {
  private readonly insert: string;
  private readonly selectCurrent: string;
  private readonly selectHeads: string;
  private readonly selectRange: string;
  private readonly selectMonths: string;
  private readonly selectVersions: string;
  private readonly selectDayVersions: string;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    private readonly maxInFlight = 128,
    layout: SeriesRowLayout = 4,
  ) {
    const t = `${keyspace}.series_days`;
    const columns = `${KEY_AND_DAY}, ${LIST_COLUMNS[layout]}, ${ABOUT}`;
    this.insert = `INSERT INTO ${t} (${columns}) VALUES (${columns
      .split(',')
      .map(() => '?')
      .join(', ')})`;
    this.selectCurrent = `SELECT ${READ_COLUMNS} FROM ${t} WHERE meter_id IN ? AND month = ? AND channel = ? AND day = ? PER PARTITION LIMIT 1`;
    this.selectHeads = `SELECT meter_id, channel, day, version FROM ${t} WHERE meter_id IN ? AND month = ? AND channel = ? AND day = ? PER PARTITION LIMIT 1`;
    this.selectRange = `SELECT ${READ_COLUMNS} FROM ${t} WHERE meter_id = ? AND month IN ? AND channel = ? AND day >= ? AND day <= ?`;
    this.selectMonths = `SELECT ${READ_COLUMNS} FROM ${t} WHERE meter_id = ? AND month IN ?`;
    this.selectVersions = `SELECT ${READ_COLUMNS} FROM ${t} WHERE meter_id = ? AND month = ? AND channel = ? AND day = ?`;
    this.selectDayVersions = `SELECT day, version FROM ${t} WHERE meter_id = ? AND month IN ? AND channel = ? AND day >= ? AND day <= ?`;
  }

  /**
   * One query per (channel, day) and up to CURRENT_IN meters: a slice of live ingest holds the same
   * day of many meters, and one request for many partitions costs Cassandra far less than one each.
   */
  async current(keys: readonly SeriesDayKey[]): Promise<Map<string, SeriesDay>> {
    const out = new Map<string, SeriesDay>();
    await forEachBounded(dayQueries(keys), this.maxInFlight, async (q) => {
      const rs = await cassandraCall('reading the series', () =>
        this.client.execute(
          this.selectCurrent,
          [q.meters, monthOf(q.day), q.channel, LocalDate.fromString(q.day)],
          {
            prepare: true,
            fetchSize: CURRENT_IN,
          },
        ),
      );
      for (const row of rs.rows) {
        const d = fromRow(rowOf(row));
        out.set(keyOf(d), d);
      }
    });
    return out;
  }

  /** Like `current`, the version numbers only (no blobs to send and decode). */
  async heads(keys: readonly SeriesDayKey[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await forEachBounded(dayQueries(keys), this.maxInFlight, async (q) => {
      const rs = await cassandraCall('reading the series', () =>
        this.client.execute(
          this.selectHeads,
          [q.meters, monthOf(q.day), q.channel, LocalDate.fromString(q.day)],
          { prepare: true, fetchSize: CURRENT_IN },
        ),
      );
      for (const row of rs.rows)
        out.set(
          dayKey(
            row.meter_id as string,
            row.channel as string,
            (row.day as cassandra.types.LocalDate).toString(),
          ),
          Number(row.version),
        );
    });
    return out;
  }

  async write(days: readonly SeriesDay[]): Promise<void> {
    await forEachBounded(days, this.maxInFlight, (d) => {
      const r = toRow(d);
      // Null columns are left unset: binding null would write a tombstone cell.
      const params = [
        r.meter_id,
        r.month,
        r.channel,
        LocalDate.fromString(r.day),
        r.version,
        r.interval_minutes,
        r.day_start,
        r.readings,
        r.vals,
        r.quality,
        r.status ?? unset,
        r.write_idx,
        r.write_versions,
        r.write_sources,
        r.rule_keys ?? unset,
        r.rules ?? unset,
        r.supersedes ?? unset,
        r.written_at,
        r.writer,
        r.reason,
      ];
      return cassandraCall('writing the series', () =>
        this.client.execute(this.insert, params, { prepare: true }),
      );
    });
  }

  async days(q: DaysQuery): Promise<SeriesDay[]> {
    const months = monthsBetween(q.from, q.to);
    const rs = await cassandraCall('reading the series', () =>
      q.channel === undefined
        ? this.client.execute(this.selectMonths, [q.meterId, months], { prepare: true, fetchSize: 1_000 })
        : this.client.execute(
            this.selectRange,
            [q.meterId, months, q.channel, LocalDate.fromString(q.from), LocalDate.fromString(q.to)],
            { prepare: true, fetchSize: 1_000 },
          ),
    );
    // Rows of a (channel, day) come newest version first: keep the first one the query admits.
    const picked = new Map<string, SeriesDay>();
    for await (const row of rs) {
      const r = rowOf(row);
      if (r.day < q.from || r.day > q.to) continue;
      if (q.asOf !== undefined && r.written_at > q.asOf) continue;
      const k = `${r.channel}|${r.day}`;
      if (!picked.has(k)) picked.set(k, fromRow(r));
    }
    return [...picked.values()].sort((a, b) =>
      a.channel === b.channel ? (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) : a.channel < b.channel ? -1 : 1,
    );
  }

  async currentVersions(q: {
    meterId: string;
    channel: string;
    from: string;
    to: string;
  }): Promise<Map<string, number>> {
    const rs = await cassandraCall('reading the series versions', () =>
      this.client.execute(
        this.selectDayVersions,
        [
          q.meterId,
          monthsBetween(q.from, q.to),
          q.channel,
          LocalDate.fromString(q.from),
          LocalDate.fromString(q.to),
        ],
        { prepare: true, fetchSize: 5_000 },
      ),
    );
    // newest version first within each day
    const out = new Map<string, number>();
    for await (const row of rs) {
      const day = (row.day as cassandra.types.LocalDate).toString();
      if (!out.has(day)) out.set(day, Number(row.version));
    }
    return out;
  }

  async versions(k: SeriesDayKey): Promise<SeriesDay[]> {
    const rs = await cassandraCall('reading the series history', () =>
      this.client.execute(
        this.selectVersions,
        [k.meterId, monthOf(k.day), k.channel, LocalDate.fromString(k.day)],
        {
          prepare: true,
        },
      ),
    );
    return rs.rows.map((row) => fromRow(rowOf(row)));
  }
}

/** One query per (channel, day) and up to CURRENT_IN meters. */
function dayQueries(keys: readonly SeriesDayKey[]): { channel: string; day: string; meters: string[] }[] {
  const queries: { channel: string; day: string; meters: string[] }[] = [];
  const open = new Map<string, { channel: string; day: string; meters: string[] }>();
  for (const k of keys) {
    const g = `${k.channel}|${k.day}`;
    let q = open.get(g);
    if (!q || q.meters.length >= CURRENT_IN) {
      q = { channel: k.channel, day: k.day, meters: [] };
      open.set(g, q);
      queries.push(q);
    }
    q.meters.push(k.meterId);
  }
  return queries;
}

function rowOf(row: cassandra.types.Row): SeriesDayRow {
  return {
    meter_id: row.meter_id as string,
    month: row.month as number,
    channel: row.channel as string,
    day: (row.day as cassandra.types.LocalDate).toString(),
    version: Number(row.version),
    interval_minutes: row.interval_minutes as number,
    day_start: (row.day_start as Date).getTime(),
    readings: row.readings as number,
    vals: row.vals as Buffer,
    quality: row.quality as Buffer,
    status: (row.status as Buffer | null) ?? null,
    write_idx: row.write_idx as Buffer,
    // rows written before migration 4 have the non-frozen lists only
    write_versions: (
      (row.write_versions_frozen as cassandra.types.Long[] | null) ??
      (row.write_versions as cassandra.types.Long[] | null) ??
      []
    ).map(Number),
    write_sources:
      (row.write_sources_frozen as string[] | null) ?? (row.write_sources as string[] | null) ?? [],
    rule_keys: (row.rule_keys_frozen as string[] | null) ?? (row.rule_keys as string[] | null) ?? null,
    rules: (row.rules as Buffer | null) ?? null,
    supersedes: row.supersedes === null ? null : Number(row.supersedes),
    written_at: (row.written_at as Date).getTime(),
    writer: (row.writer as string | null) ?? '',
    reason: (row.reason as string | null) ?? '',
  };
}

/** yyyymm buckets from one local date to another, inclusive. */
export function monthsBetween(from: string, to: string): number[] {
  const out: number[] = [];
  if (parseLocalDate(from) > parseLocalDate(to)) return out;
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const last = monthOf(to);
  while (y * 100 + m <= last) {
    out.push(y * 100 + m);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}
