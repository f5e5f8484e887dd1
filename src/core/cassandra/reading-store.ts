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
  /** set by ingest for a row written earlier in the same batch: its index in the rows to write */
  pendingRow?: number;
}

const LocalDate = cassandra.types.LocalDate;
const unset = cassandra.types.unset;

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
        [
          r.meterId,
          LocalDate.fromString(r.day),
          r.source,
          r.format,
          r.channel,
          r.readings,
          r.firstInterval,
          r.payload,
          r.receivedAt,
        ],
        { prepare: true },
      ),
    );
  }

  /** Current series entries of the given meter-days. */
  async readSeries(partitions: readonly { meterId: string; day: string }[]): Promise<SeriesSnapshot> {
    const out = new SeriesSnapshot();
    await this.bounded(partitions, async (p) => {
      const rs = await this.client.execute(this.selectSeries, [p.meterId, LocalDate.fromString(p.day)], {
        prepare: true,
        fetchSize: 5_000,
      });
      // Rows come in clustering order, channel first: look the channel's map up once per run.
      let channel: string | undefined;
      let entries: Map<number, SeriesEntry> | undefined;
      for (const row of rs.rows) {
        if (entries === undefined || row.channel !== channel) {
          channel = row.channel as string;
          entries = out.entries(p.meterId, p.day, channel);
        }
        entries.set((row.interval_start as Date).getTime(), {
          value: row.value as number | null,
          version: Number(row.version as cassandra.types.Long),
          source: row.source as string,
          quality: row.quality as number,
        });
      }
    });
    return out;
  }

  /**
   * Writes rows as one unlogged batch per meter-day, rows of a partition in the order given.
   * Parameters are passed in the forms the driver encodes without converting: epoch milliseconds
   * for timestamps and bigints, one LocalDate per partition.
   */
  async writeSeries(rows: readonly SeriesRow[]): Promise<void> {
    const byPartition = new Map<string, { day: cassandra.types.LocalDate; rows: SeriesRow[] }>();
    // Rows arrive in runs of one partition; the key is built once per run, not per row.
    let last: SeriesRow | undefined;
    let list: SeriesRow[] = [];
    for (const r of rows) {
      if (last === undefined || r.meterId !== last.meterId || r.day !== last.day) {
        const k = `${r.meterId}|${r.day}`;
        let p = byPartition.get(k);
        if (!p) byPartition.set(k, (p = { day: LocalDate.fromString(r.day), rows: [] }));
        list = p.rows;
      }
      list.push(r);
      last = r;
    }
    const now = Date.now();
    await this.bounded([...byPartition.values()], (p) =>
      this.client.batch(
        p.rows.map((r) => ({
          query: this.insertSeries,
          params: [
            r.meterId,
            p.day,
            r.channel,
            r.intervalStart,
            r.intervalMinutes,
            r.value,
            r.quality,
            r.origin,
            r.validationState,
            r.failedRules,
            r.deviceStatus,
            r.version,
            // A row without a predecessor leaves supersedes unset rather than binding null: null
            // would write a tombstone cell per reading, which reads back the same (null) but costs
            // Cassandra a cell to write, compact and skip on every read of the partition. Rows are
            // only written without a predecessor when readSeries found none, so there is no older
            // value to clear.
            r.supersedes ?? unset,
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

/**
 * Series entries by meter-day, channel and interval start (epoch ms). Nested maps rather than one
 * map under a joined string key: the pipeline looks up each reading, and a per-reading key string
 * was a measurable share of ingest CPU.
 */
export class SeriesSnapshot {
  private readonly partitions = new Map<string, Map<string, Map<number, SeriesEntry>>>();

  /** The entries of one meter-day-channel; an empty map (kept, so `set` on it is remembered) when none were read. */
  entries(meterId: string, day: string, channel: string): Map<number, SeriesEntry> {
    const k = `${meterId}|${day}`;
    let channels = this.partitions.get(k);
    if (!channels) this.partitions.set(k, (channels = new Map()));
    let entries = channels.get(channel);
    if (!entries) channels.set(channel, (entries = new Map()));
    return entries;
  }
}
