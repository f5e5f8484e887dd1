import cassandra from 'cassandra-driver';
import { forEachBounded } from '../concurrency.js';
import type { RawArchive, RawDelivery } from '../series/ports.js';
import { cassandraCall } from './errors.js';

const { LocalDate } = cassandra.types;
/** partitions per multi-partition read */
const MERGED_PARTITIONS = 50;

/**
 * Raw deliveries exactly as received (`raw_messages`), keyed by (meter, local day) and source: a
 * replay of the same offset rewrites the same row, a re-delivery through another offset adds one.
 */
export class CassandraRawArchive implements RawArchive {
  private readonly insert: string;
  private readonly select: string;
  private readonly selectDay: string;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    private readonly maxInFlight = 64,
  ) {
    this.insert = `INSERT INTO ${keyspace}.raw_messages (meter_id, day, source, format, channel, readings, first_interval, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.selectDay = `SELECT meter_id, day, source, format, channel, readings, first_interval, payload, received_at FROM ${keyspace}.raw_messages WHERE meter_id IN ? AND day = ?`;
    this.select = `SELECT meter_id, day, source, format, channel, readings, first_interval, payload, received_at FROM ${keyspace}.raw_messages WHERE meter_id = ? AND day IN ? AND source IN ?`;
  }

  /** The archived deliveries with these sources among the meter's days (lineage: `smt explain`). */
  async find(meterId: string, days: readonly string[], sources: readonly string[]): Promise<RawDelivery[]> {
    if (days.length === 0 || sources.length === 0) return [];
    const rs = await cassandraCall('reading raw payloads', () =>
      this.client.execute(this.select, [meterId, days.map((d) => LocalDate.fromString(d)), sources], {
        prepare: true,
      }),
    );
    return rs.rows.map((r) => ({
      meterId: r.meter_id as string,
      day: (r.day as cassandra.types.LocalDate).toString(),
      source: r.source as string,
      format: (r.format as string | null) ?? '',
      channel: (r.channel as string | null) ?? null,
      readings: (r.readings as number | null) ?? 0,
      firstInterval: r.first_interval === null ? null : (r.first_interval as Date).getTime(),
      payload: (r.payload as Buffer | null) ?? Buffer.alloc(0),
      receivedAt: (r.received_at as Date).getTime(),
    }));
  }

  /**
   * Every delivery archived for these (meter, local day) partitions, in the order received. One
   * query per day and up to MERGED_PARTITIONS meters: a backfill reads thousands of partitions of
   * the same day, and one request for many partitions costs Cassandra far less than one each.
   */
  async deliveries(keys: readonly { meterId: string; day: string }[]): Promise<RawDelivery[]> {
    const out: RawDelivery[] = [];
    const byDay = new Map<string, string[]>();
    for (const k of keys) {
      const meters = byDay.get(k.day);
      if (meters) meters.push(k.meterId);
      else byDay.set(k.day, [k.meterId]);
    }
    const queries: { day: string; meters: string[] }[] = [];
    for (const [day, meters] of byDay)
      for (let i = 0; i < meters.length; i += MERGED_PARTITIONS)
        queries.push({ day, meters: meters.slice(i, i + MERGED_PARTITIONS) });
    await forEachBounded(queries, Math.max(1, Math.ceil(this.maxInFlight / 8)), async (q) => {
      const rs = await cassandraCall('reading raw payloads', () =>
        this.client.execute(this.selectDay, [q.meters, LocalDate.fromString(q.day)], {
          prepare: true,
          fetchSize: 1_000,
        }),
      );
      for await (const r of rs)
        out.push({
          meterId: r.meter_id as string,
          day: (r.day as cassandra.types.LocalDate).toString(),
          source: r.source as string,
          format: r.format as string,
          channel: (r.channel as string | null) ?? null,
          readings: r.readings as number,
          firstInterval: r.first_interval === null ? null : (r.first_interval as Date).getTime(),
          payload: r.payload as Buffer,
          receivedAt: (r.received_at as Date).getTime(),
        });
    });
    return out.sort(
      (a, b) => a.receivedAt - b.receivedAt || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
    );
  }

  async archive(rows: readonly RawDelivery[]): Promise<void> {
    await forEachBounded(rows, this.maxInFlight, (r) =>
      cassandraCall('archiving raw payloads', () =>
        this.client.execute(
          this.insert,
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
      ),
    );
  }
}
