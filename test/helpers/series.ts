import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraSeriesStore } from '../../src/core/cassandra/series-store.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import type { SeriesDay } from '../../src/core/series/day.js';

/**
 * Readings in the current series, counted in CQL straight from `series_days`: the newest version
 * of every meter-day-channel, its `readings` column summed. Independent of the read API.
 */
export async function seriesReadingCount(config: SmtConfig, meterPrefix = ''): Promise<number> {
  const c = createCassandraClient(config);
  try {
    const rs = await c.execute(
      `SELECT meter_id, month, channel, day, version, readings FROM ${config.string('cassandra.keyspace')}.series_days`,
      [],
      { fetchSize: 5_000 },
    );
    const newest = new Map<string, { version: bigint; readings: number }>();
    for await (const row of rs) {
      if (!(row.meter_id as string).startsWith(meterPrefix)) continue;
      const k = `${row.meter_id}|${row.channel}|${row.day}`;
      const v = BigInt(row.version.toString());
      const seen = newest.get(k);
      if (!seen || v > seen.version) newest.set(k, { version: v, readings: row.readings as number });
    }
    let n = 0;
    for (const x of newest.values()) n += x.readings;
    return n;
  } finally {
    await c.shutdown();
  }
}

/** The current days of one meter through the series read API. */
export async function seriesDays(
  config: SmtConfig,
  meterId: string,
  from: string,
  to: string,
  channel = 'active_import_kwh',
): Promise<SeriesDay[]> {
  const c = createCassandraClient(config);
  try {
    return await new CassandraSeriesStore(c, config.string('cassandra.keyspace')).days({
      meterId,
      channel,
      from,
      to,
    });
  } finally {
    await c.shutdown();
  }
}
