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
      // Every delivery is kept exactly as received: `source` (topic/partition/offset, or file:line) is
      // part of the key, so a re-delivery through another offset adds a row and a replay of the same
      // offset overwrites the row with identical content (idempotent).
      `CREATE TABLE IF NOT EXISTS ${ctx.keyspace}.raw_readings (
        meter_id        text,
        day             date,
        channel         text,
        interval_start  timestamp,
        source          text,
        interval_minutes tinyint,
        value           double,
        device_status   int,
        sequence        int,
        comm_quality    float,
        format          text,
        received_at     timestamp,
        PRIMARY KEY ((meter_id, day), channel, interval_start, source)
      ) WITH compaction = ${twcs}
        AND default_time_to_live = ${Math.max(ctx.rawTtlSeconds, 0)}
        AND gc_grace_seconds = 86400`,
      // The payload bytes of each message, for forensic replay of what a head-end really sent.
      `CREATE TABLE IF NOT EXISTS ${ctx.keyspace}.raw_messages (
        meter_id        text,
        day             date,
        source          text,
        format          text,
        payload         blob,
        received_at     timestamp,
        PRIMARY KEY ((meter_id, day), source)
      ) WITH compaction = ${twcs}
        AND default_time_to_live = ${Math.max(ctx.rawTtlSeconds, 0)}
        AND gc_grace_seconds = 86400`,
      // The current interval series: one row per reading identity, latest version wins. `quality` is
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
