import cassandra from 'cassandra-driver';

/** One delivery as received, for the raw store. */
export interface RawMessageRow {
  meterId: string;
  /** local date of the first interval, YYYY-MM-DD */
  day: string;
  source: string;
  format: string;
  channel: string | null;
  readings: number;
  firstInterval: number | null;
  payload: Buffer;
  receivedAt: number;
}

/** One reading of the current interval series. */
export interface SeriesRow {
  meterId: string;
  day: string;
  channel: string;
  intervalStart: number;
  intervalMinutes: number;
  value: number;
  quality: number;
  origin: number;
  validationState: number;
  failedRules: number;
  deviceStatus: number;
  version: number;
  supersedes: number | null;
  source: string;
}

/** What the series holds for an identity, to tell duplicates from new versions. */
export interface SeriesEntry {
  value: number | null;
  version: number;
  source: string;
  quality: number;
}

const LocalDate = cassandra.types.LocalDate;
const Long = cassandra.types.Long;

/**
 * Readings in Cassandra: raw deliveries and the current interval series, both partitioned by
 * (meter, local day). Writes go as one unlogged batch per partition, a bounded number in flight.
 */
export class CassandraReadingStore {
  private readonly insertRaw: string;
  private readonly insertSeries: string;
  private readonly selectSeries: string;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    private readonly maxInFlight = 32,
  ) {
    this.insertRaw = `INSERT INTO ${keyspace}.raw_messages (meter_id, day, source, format, channel, readings, first_interval, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.insertSeries = `INSERT INTO ${keyspace}.interval_series (meter_id, day, channel, interval_start, interval_minutes, value, quality, origin, validation_state, failed_rules, device_status, version, supersedes, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.selectSeries = `SELECT channel, interval_start, value, version, source, quality FROM ${keyspace}.interval_series WHERE meter_id = ? AND day = ?`;
  }

  async writeRaw(rows: readonly RawMessageRow[]): Promise<void> {
    await this.bounded(rows, (r) =>
      this.client.execute(
        this.insertRaw,
        [r.meterId, LocalDate.fromString(r.day), r.source, r.format, r.channel, r.readings, r.firstInterval === null ? null : new Date(r.firstInterval), r.payload, new Date(r.receivedAt)],
        { prepare: true },
      ),
    );
  }

  /** Current series entries of the given meter-days, keyed `${meter}|${day}|${channel}|${intervalStartMs}`. */
  async readSeries(partitions: readonly { meterId: string; day: string }[]): Promise<Map<string, SeriesEntry>> {
    const out = new Map<string, SeriesEntry>();
    await this.bounded(partitions, async (p) => {
      const rs = await this.client.execute(this.selectSeries, [p.meterId, LocalDate.fromString(p.day)], { prepare: true, fetchSize: 5_000 });
      for (const row of rs.rows) {
        const start = (row.interval_start as Date).getTime();
        out.set(seriesKey(p.meterId, p.day, row.channel as string, start), {
          value: row.value as number | null,
          version: Number(row.version as cassandra.types.Long),
          source: row.source as string,
          quality: row.quality as number,
        });
      }
    });
    return out;
  }

  async writeSeries(rows: readonly SeriesRow[]): Promise<void> {
    const byPartition = new Map<string, SeriesRow[]>();
    for (const r of rows) {
      const k = `${r.meterId}|${r.day}`;
      let list = byPartition.get(k);
      if (!list) byPartition.set(k, (list = []));
      list.push(r);
    }
    const now = new Date();
    await this.bounded([...byPartition.values()], (list) =>
      this.client.batch(
        list.map((r) => ({
          query: this.insertSeries,
          params: [
            r.meterId,
            LocalDate.fromString(r.day),
            r.channel,
            new Date(r.intervalStart),
            r.intervalMinutes,
            r.value,
            r.quality,
            r.origin,
            r.validationState,
            r.failedRules,
            r.deviceStatus,
            Long.fromNumber(r.version),
            r.supersedes === null ? null : Long.fromNumber(r.supersedes),
            r.source,
            now,
          ],
        })),
        { prepare: true, logged: false },
      ),
    );
  }

  private async bounded<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await fn(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxInFlight, items.length) }, worker));
  }
}

export function seriesKey(meterId: string, day: string, channel: string, intervalStart: number): string {
  return `${meterId}|${day}|${channel}|${intervalStart}`;
}
