import cassandra from 'cassandra-driver';
import { forEachBounded } from '../concurrency.js';
import type { RawArchive, RawDelivery } from '../series/ports.js';
import { cassandraCall } from './errors.js';

const { LocalDate } = cassandra.types;

/**
 * Raw deliveries exactly as received (`raw_messages`), keyed by (meter, local day) and source: a
 * replay of the same offset rewrites the same row, a re-delivery through another offset adds one.
 */
export class CassandraRawArchive implements RawArchive {
  private readonly insert: string;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    private readonly maxInFlight = 64,
  ) {
    this.insert = `INSERT INTO ${keyspace}.raw_messages (meter_id, day, source, format, channel, readings, first_interval, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
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
