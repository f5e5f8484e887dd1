/**
 * Data step of Cassandra migration 2: copies `interval_series` (layout v1, one row per reading,
 * latest version only) into `series_days`, one version per meter-day-channel. Idempotent: the
 * copied version is derived from the rows (their newest version), so a second run rewrites the
 * same rows. v1 versions were milliseconds; they become microseconds (× 1000) so later writes,
 * which use microseconds, are newer. Local days are laid out in the configured zone; a reading
 * that does not fall on that day's interval grid is not copied and is counted in the error.
 */
import type cassandra from 'cassandra-driver';
import { SchemaError } from '../errors.js';
import type { SchemaContext } from '../migrations/types.js';
import { emptyDay, positionOf, type SeriesDay, writeIndex } from '../series/day.js';
import { ruleKey, rulesInMask } from '../vee/rules.js';
import { CassandraSeriesStore } from './series-store.js';

const WRITE_BATCH = 500;

export async function copyIntervalSeries(client: cassandra.Client, ctx: SchemaContext): Promise<void> {
  // series_days as migration 2 made it: the frozen list columns come with migration 4
  const store = new CassandraSeriesStore(client, ctx.keyspace, 128, 2);
  const rs = await client.execute(
    `SELECT meter_id, day, channel, interval_start, interval_minutes, value, quality, failed_rules, device_status, version, source FROM ${ctx.keyspace}.interval_series`,
    [],
    { prepare: true, fetchSize: 5_000 },
  );
  let pending: SeriesDay[] = [];
  let current: SeriesDay | undefined;
  let unplaced = 0;
  const flush = async () => {
    if (pending.length > 0) await store.write(pending);
    pending = [];
  };
  const finish = (d: SeriesDay) => {
    let version = 0;
    for (const w of d.writes) version = Math.max(version, w.version);
    d.version = version;
    d.writtenAt = Math.floor(version / 1000);
    pending.push(d);
  };
  // Rows come partition by partition, a partition's rows by channel then interval start.
  for await (const row of rs) {
    const meterId = row.meter_id as string;
    const day = (row.day as cassandra.types.LocalDate).toString();
    const channel = row.channel as string;
    if (!current || current.meterId !== meterId || current.day !== day || current.channel !== channel) {
      if (current) finish(current);
      if (pending.length >= WRITE_BATCH) await flush();
      current = emptyDay({ meterId, channel, day }, ctx.timezone, row.interval_minutes as number);
      current.writer = 'migration:2';
      current.reason = 'copied from interval_series (layout v1)';
    }
    if (row.value === null) continue;
    const pos = positionOf(current, (row.interval_start as Date).getTime());
    if (pos < 0) {
      unplaced++;
      continue;
    }
    const mask = (row.failed_rules as number | null) ?? 0;
    current.values[pos] = row.value as number;
    current.quality[pos] = (row.quality as number) >>> 0;
    current.status[pos] = ((row.device_status as number | null) ?? 0) >>> 0;
    current.writeIdx[pos] = writeIndex(current, {
      version: Number(row.version) * 1000,
      source: (row.source as string | null) ?? 'interval_series',
    });
    if (mask !== 0) current.rules.set(pos, rulesInMask(mask).map(ruleKey));
  }
  if (current) finish(current);
  await flush();
  if (unplaced > 0)
    throw new SchemaError(
      `${unplaced} interval_series rows do not fall on the ${ctx.timezone} interval grid of their local day and were not copied to series_days`,
      'Set `timezone` to the zone the data was ingested with and run `smt db migrate` again (the copy is idempotent); interval_series is kept.',
    );
}
