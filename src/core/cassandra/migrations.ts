import type cassandra from 'cassandra-driver';
import type { Migration, SchemaContext } from '../migrations/types.js';
import { copyIntervalSeries } from './series-layout-v1.js';

/** A Cassandra migration may move data after its statements, before its ledger row is written. */
export interface CassandraMigration extends Migration {
  data?: (client: cassandra.Client, ctx: SchemaContext) => Promise<void>;
}

/**
 * Cassandra holds readings for point reads of one meter: everything partitioned by (meter, local
 * day) so a day of one meter is one partition (96 rows per channel, 92/100 on DST days), written with
 * one unlogged batch. Time-window compaction because rows arrive roughly in time order and expire
 * together.
 */
const twcs = `{'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}`;

export const CASSANDRA_MIGRATIONS: CassandraMigration[] = [
  {
    version: 1,
    name: 'readings',
    statements: (ctx) => [
      `CREATE KEYSPACE IF NOT EXISTS ${ctx.keyspace} WITH replication = ${ctx.replication}`,
      // Raw readings exactly as received: the payload bytes of every delivery, never overwritten.
      // `source` (topic/partition/offset, or file:line) is part of the key, so a re-delivery through
      // another offset adds a row, and a replay of the same offset rewrites identical content
      // (idempotent). One row per block keeps the write cost at one insert per meter-day; the
      // readings are recovered with the same decoder. `day` is the local date of the first interval.
      `CREATE TABLE IF NOT EXISTS ${ctx.keyspace}.raw_messages (
        meter_id        text,
        day             date,
        source          text,
        format          text,
        channel         text,
        readings        int,
        first_interval  timestamp,
        payload         blob,
        received_at     timestamp,
        PRIMARY KEY ((meter_id, day), source)
      ) WITH compaction = ${twcs}
        AND default_time_to_live = ${Math.max(ctx.rawTtlSeconds, 0)}
        AND gc_grace_seconds = 86400`,
      // The current interval series: one row per reading identity, latest version wins. Size-tiered,
      // not time-window: corrections and late data rewrite old days, which TWCS handles badly. `quality` is
      // the packed quality integer (docs/time-and-quality.md); origin and validation_state are kept
      // as columns too so operators can read them in cqlsh.
      `CREATE TABLE IF NOT EXISTS ${ctx.keyspace}.interval_series (
        meter_id          text,
        day               date,
        channel           text,
        interval_start    timestamp,
        interval_minutes  tinyint,
        value             double,
        quality           int,
        origin            tinyint,
        validation_state  tinyint,
        failed_rules      int,
        device_status     int,
        version           bigint,
        supersedes        bigint,
        source            text,
        updated_at        timestamp,
        PRIMARY KEY ((meter_id, day), channel, interval_start)
      ) WITH compaction = {'class': 'SizeTieredCompactionStrategy'}`,
    ],
  },
  {
    version: 2,
    name: 'series-days',
    // The series as one row per meter-day version (src/core/cassandra/series-row.ts for the blob
    // layout), a meter-month per partition, newest version first; nothing is overwritten. The
    // data step copies interval_series (one row per reading, v1) into it; interval_series stays
    // until an operator drops it (docs/architecture.md).
    statements: (ctx) => [
      `CREATE TABLE IF NOT EXISTS ${ctx.keyspace}.series_days (
        meter_id          text,
        month             int,
        channel           text,
        day               date,
        version           bigint,
        interval_minutes  tinyint,
        day_start         timestamp,
        readings          smallint,
        vals              blob,
        quality           blob,
        status            blob,
        write_idx         blob,
        write_versions    list<bigint>,
        write_sources     list<text>,
        rule_keys         list<text>,
        rules             blob,
        supersedes        bigint,
        written_at        timestamp,
        writer            text,
        reason            text,
        PRIMARY KEY ((meter_id, month), channel, day, version)
      ) WITH CLUSTERING ORDER BY (channel ASC, day ASC, version DESC)
        AND compaction = {'class': 'SizeTieredCompactionStrategy'}`,
    ],
    data: copyIntervalSeries,
  },
  {
    version: 3,
    name: 'register-reads',
    // Register (accumulation) reads (NEM13): one row per (meter, register channel, read instant,
    // version), a meter per partition (reads are sparse: monthly or quarterly, a few registers),
    // newest version first; nothing is overwritten (src/core/series/register-reads.ts).
    statements: (ctx) => [
      `CREATE TABLE IF NOT EXISTS ${ctx.keyspace}.register_reads (
        meter_id      text,
        channel       text,
        read_at       timestamp,
        version       bigint,
        value         double,
        unit          text,
        quality       text,
        method        smallint,
        reason        smallint,
        description   text,
        period_start  timestamp,
        quantity      double,
        source        text,
        written_at    timestamp,
        PRIMARY KEY (meter_id, channel, read_at, version)
      ) WITH CLUSTERING ORDER BY (channel ASC, read_at ASC, version DESC)
        AND compaction = {'class': 'SizeTieredCompactionStrategy'}`,
    ],
  },
  {
    version: 4,
    name: 'series-days-frozen-lists',
    // An INSERT into a non-frozen list writes a tombstone for the list's earlier cells too: three
    // per series row, for rows that are never updated in place. Writers write the frozen columns
    // (one cell each) from now on; rows written before keep the old lists, and readers fall back
    // to them (series-store.ts). No table options change: switching LZ4 off saved raw_messages
    // 0.1-0.3 µs per reading for several times its disk, series_days nothing beyond the noise
    // (docs/benchmarks.md).
    statements: (ctx) => [
      `ALTER TABLE ${ctx.keyspace}.series_days ADD IF NOT EXISTS (
        write_versions_frozen  frozen<list<bigint>>,
        write_sources_frozen   frozen<list<text>>,
        rule_keys_frozen       frozen<list<text>>
      )`,
    ],
  },
];
