import type cassandra from 'cassandra-driver';
import { forEachBounded } from '../concurrency.js';
import type { RegisterReadReader, RegisterReadStore, RegisterReadsQuery } from '../series/ports.js';
import { type RegisterReadKey, registerReadKey, type StoredRegisterRead } from '../series/register-reads.js';
import { cassandraCall } from './errors.js';

const COLUMNS =
  'meter_id, channel, read_at, version, value, unit, quality, method, reason, description, period_start, quantity, source, written_at';

/**
 * Register reads in Cassandra (`register_reads`, migration 3): a meter per partition,
 * reads by instant, newest version first. Every version stays, so "as of" reads work as for days.
 */
export class CassandraRegisterReadStore implements RegisterReadStore, RegisterReadReader {
  private readonly insert: string;
  private readonly selectRead: string;
  private readonly selectRange: string;
  private readonly selectMeter: string;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    private readonly maxInFlight = 64,
  ) {
    const t = `${keyspace}.register_reads`;
    this.insert = `INSERT INTO ${t} (${COLUMNS}) VALUES (${COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`;
    this.selectRead = `SELECT ${COLUMNS} FROM ${t} WHERE meter_id = ? AND channel = ? AND read_at = ?`;
    this.selectRange = `SELECT ${COLUMNS} FROM ${t} WHERE meter_id = ? AND channel = ? AND read_at >= ? AND read_at < ?`;
    this.selectMeter = `SELECT ${COLUMNS} FROM ${t} WHERE meter_id = ?`;
  }

  async current(keys: readonly RegisterReadKey[]): Promise<Map<string, StoredRegisterRead>> {
    const out = new Map<string, StoredRegisterRead>();
    await forEachBounded(keys, this.maxInFlight, async (k) => {
      const newest = (await this.registerReadVersions(k))[0];
      if (newest !== undefined) out.set(registerReadKey(newest), newest);
    });
    return out;
  }

  async write(rows: readonly StoredRegisterRead[]): Promise<void> {
    await forEachBounded(rows, this.maxInFlight, (r) =>
      cassandraCall('writing register reads', () =>
        this.client.execute(
          this.insert,
          [
            r.meterId,
            r.channel,
            new Date(r.at),
            r.version,
            r.value,
            r.unit,
            r.quality,
            r.method,
            r.reason,
            r.description,
            r.periodStart === null ? null : new Date(r.periodStart),
            r.quantity,
            r.source,
            new Date(r.writtenAt),
          ],
          { prepare: true },
        ),
      ),
    );
  }

  async registerReadVersions(k: RegisterReadKey): Promise<StoredRegisterRead[]> {
    const rs = await cassandraCall('reading register reads', () =>
      this.client.execute(this.selectRead, [k.meterId, k.channel, new Date(k.at)], { prepare: true }),
    );
    return rs.rows.map(fromRow);
  }

  async registerReads(q: RegisterReadsQuery): Promise<StoredRegisterRead[]> {
    const rows =
      q.channel !== undefined
        ? await this.all(this.selectRange, [q.meterId, q.channel, new Date(q.from), new Date(q.to)])
        : await this.all(this.selectMeter, [q.meterId]);
    // rows come by channel, instant, newest version first: keep the first written at or before asOf
    const out: StoredRegisterRead[] = [];
    let last = '';
    for (const row of rows) {
      const r = fromRow(row);
      if (r.at < q.from || r.at >= q.to) continue;
      if (q.asOf !== undefined && r.writtenAt > q.asOf) continue;
      const k = registerReadKey(r);
      if (k === last) continue;
      last = k;
      out.push(r);
    }
    return out;
  }

  /** Every page of a query. */
  private async all(query: string, params: unknown[]): Promise<cassandra.types.Row[]> {
    const rows: cassandra.types.Row[] = [];
    let pageState: string | undefined;
    do {
      const rs = await cassandraCall('reading register reads', () =>
        this.client.execute(query, params, { prepare: true, fetchSize: 5000, pageState }),
      );
      rows.push(...rs.rows);
      pageState = rs.pageState ?? undefined;
    } while (pageState !== undefined);
    return rows;
  }
}

function fromRow(row: cassandra.types.Row): StoredRegisterRead {
  const ms = (d: Date | null) => (d === null ? null : d.getTime());
  return {
    meterId: row.meter_id as string,
    channel: row.channel as string,
    at: (row.read_at as Date).getTime(),
    version: Number(row.version),
    value: row.value as number,
    unit: row.unit as string,
    quality: row.quality as string,
    method: row.method as number,
    reason: row.reason as number,
    description: (row.description as string | null) ?? '',
    periodStart: ms(row.period_start as Date | null),
    quantity: (row.quantity as number | null) ?? null,
    source: row.source as string,
    writtenAt: (row.written_at as Date).getTime(),
  };
}
