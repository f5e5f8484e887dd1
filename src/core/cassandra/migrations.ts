import type { Migration } from '../migrations/types.js';

/**
 * Cassandra holds readings for point reads of one meter: everything partitioned by (meter, local
 * day) so a day of one meter is one partition (96 rows per channel, 92/100 on DST days), written with
 * one unlogged batch. Time-window compaction because rows arrive roughly in time order and expire
 * together.
 */
const twcs = `{'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}`;

export const CASSANDRA_MIGRATIONS: Migration[] = [
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
];
