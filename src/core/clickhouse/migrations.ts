import type { Migration } from '../migrations/types.js';

/**
 * ClickHouse holds every interval reading for fleet-wide analytics, latest version winning
 * (ReplacingMergeTree), and provisional rollups fed by materialized views. Only the portable subset
 * is used (runs on 18.16 and current servers): no TTL, CODEC, DateTime64, query parameters,
 * `IF NOT EXISTS` on columns. Rollups are provisional: a re-sent reading is aggregated again by
 * the views until batch jobs publish authoritative figures to PostgreSQL.
 */
export const CLICKHOUSE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'readings-and-rollups',
    statements: (ctx) => {
      const db = ctx.chDatabase;
      return [
        `CREATE DATABASE IF NOT EXISTS ${db}`,
        `CREATE TABLE IF NOT EXISTS ${db}.readings (
          meter_id          String,
          channel           LowCardinality(String),
          ts                DateTime('UTC'),
          local_date        Date,
          interval_minutes  UInt8,
          value             Float64,
          missing           UInt8,
          quality           UInt32,
          origin            UInt8,
          validation_state  UInt8,
          failed_rules      UInt32,
          device_status     UInt32,
          region            LowCardinality(String),
          segment           LowCardinality(String),
          tariff            LowCardinality(String),
          version           UInt64,
          ingested_at       DateTime('UTC')
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(ts)
        ORDER BY (meter_id, channel, ts)`,
        // Hourly per meter: the customer-portal "today so far" curve.
        `CREATE TABLE IF NOT EXISTS ${db}.rollup_meter_hourly (
          meter_id  String,
          channel   LowCardinality(String),
          hour      DateTime('UTC'),
          value_sum AggregateFunction(sum, Float64),
          value_max AggregateFunction(max, Float64),
          readings  AggregateFunction(count)
        ) ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMM(hour)
        ORDER BY (meter_id, channel, hour)`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.rollup_meter_hourly_mv TO ${db}.rollup_meter_hourly AS
        SELECT meter_id, channel, toStartOfHour(ts) AS hour,
               sumState(value) AS value_sum, maxState(value) AS value_max, countState() AS readings
        FROM ${db}.readings WHERE missing = 0
        GROUP BY meter_id, channel, hour`,
        // Daily per meter in the meter's local calendar.
        `CREATE TABLE IF NOT EXISTS ${db}.rollup_meter_daily (
          meter_id   String,
          channel    LowCardinality(String),
          local_date Date,
          value_sum  AggregateFunction(sum, Float64),
          value_max  AggregateFunction(max, Float64),
          readings   AggregateFunction(count),
          estimated  AggregateFunction(sum, UInt8)
        ) ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMM(local_date)
        ORDER BY (meter_id, channel, local_date)`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.rollup_meter_daily_mv TO ${db}.rollup_meter_daily AS
        SELECT meter_id, channel, local_date,
               sumState(value) AS value_sum, maxState(value) AS value_max, countState() AS readings,
               sumState(toUInt8(origin != 0)) AS estimated
        FROM ${db}.readings WHERE missing = 0
        GROUP BY meter_id, channel, local_date`,
        // Hourly by region / segment / tariff: grid and capacity dashboards.
        `CREATE TABLE IF NOT EXISTS ${db}.rollup_dims_hourly (
          hour      DateTime('UTC'),
          channel   LowCardinality(String),
          region    LowCardinality(String),
          segment   LowCardinality(String),
          tariff    LowCardinality(String),
          value_sum AggregateFunction(sum, Float64),
          readings  AggregateFunction(count),
          meters    AggregateFunction(uniq, String)
        ) ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMM(hour)
        ORDER BY (channel, region, segment, tariff, hour)`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.rollup_dims_hourly_mv TO ${db}.rollup_dims_hourly AS
        SELECT toStartOfHour(ts) AS hour, channel, region, segment, tariff,
               sumState(value) AS value_sum, countState() AS readings, uniqState(meter_id) AS meters
        FROM ${db}.readings WHERE missing = 0
        GROUP BY hour, channel, region, segment, tariff`,
        // Daily by region / segment / tariff in local days.
        `CREATE TABLE IF NOT EXISTS ${db}.rollup_dims_daily (
          local_date Date,
          channel    LowCardinality(String),
          region     LowCardinality(String),
          segment    LowCardinality(String),
          tariff     LowCardinality(String),
          value_sum  AggregateFunction(sum, Float64),
          readings   AggregateFunction(count),
          meters     AggregateFunction(uniq, String)
        ) ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMM(local_date)
        ORDER BY (channel, region, segment, tariff, local_date)`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.rollup_dims_daily_mv TO ${db}.rollup_dims_daily AS
        SELECT local_date, channel, region, segment, tariff,
               sumState(value) AS value_sum, countState() AS readings, uniqState(meter_id) AS meters
        FROM ${db}.readings WHERE missing = 0
        GROUP BY local_date, channel, region, segment, tariff`,
      ];
    },
  },
  {
    version: 2,
    name: 'readings-rule-keys',
    // Every rule that fired, by key: the 32-bit failed_rules mask caps the number of rules and
    // freezes their ids; it stays for existing queries and holds the rules that have a bit.
    statements: (ctx) => [
      `ALTER TABLE ${ctx.chDatabase}.readings ADD COLUMN rules Array(String) AFTER failed_rules`,
    ],
  },
  {
    version: 3,
    name: 'rollups-net-of-superseded-versions',
    // A new version of a reading (a correction, an estimate replaced by an actual, a re-sent value)
    // used to be aggregated again by the views on top of the old one. Now the insert of a new
    // version also writes a cancel row for every older version still counted (readings_cancels,
    // plain MergeTree: nothing merges cancels away), and the rollups count with a sign: +1 per
    // reading, −1 per cancel. The rollups are rebuilt from the current readings (FINAL) once.
    // value_max cannot be taken back: it is the largest value any version had (provisional).
    statements: (ctx) => {
      const db = ctx.chDatabase;
      const rollups: {
        table: string;
        columns: string;
        key: string;
        dims: string;
        group: string;
        meters: boolean;
      }[] = [
        {
          table: 'rollup_meter_hourly',
          columns: "meter_id String, channel LowCardinality(String), hour DateTime('UTC')",
          key: 'PARTITION BY toYYYYMM(hour) ORDER BY (meter_id, channel, hour)',
          dims: 'meter_id, channel, toStartOfHour(ts) AS hour',
          group: 'meter_id, channel, hour',
          meters: false,
        },
        {
          table: 'rollup_meter_daily',
          columns: 'meter_id String, channel LowCardinality(String), local_date Date',
          key: 'PARTITION BY toYYYYMM(local_date) ORDER BY (meter_id, channel, local_date)',
          dims: 'meter_id, channel, local_date',
          group: 'meter_id, channel, local_date',
          meters: false,
        },
        {
          table: 'rollup_dims_hourly',
          columns:
            "hour DateTime('UTC'), channel LowCardinality(String), region LowCardinality(String), segment LowCardinality(String), tariff LowCardinality(String)",
          key: 'PARTITION BY toYYYYMM(hour) ORDER BY (channel, region, segment, tariff, hour)',
          dims: 'toStartOfHour(ts) AS hour, channel, region, segment, tariff',
          group: 'hour, channel, region, segment, tariff',
          meters: true,
        },
        {
          table: 'rollup_dims_daily',
          columns:
            'local_date Date, channel LowCardinality(String), region LowCardinality(String), segment LowCardinality(String), tariff LowCardinality(String)',
          key: 'PARTITION BY toYYYYMM(local_date) ORDER BY (channel, region, segment, tariff, local_date)',
          dims: 'local_date, channel, region, segment, tariff',
          group: 'local_date, channel, region, segment, tariff',
          meters: true,
        },
      ];
      // a cancel leaves the meter counts (uniq) and value_max alone: empty states (18.16 wants every column)
      const out = [
        `CREATE TABLE IF NOT EXISTS ${db}.readings_cancels (
          meter_id       String,
          channel        LowCardinality(String),
          ts             DateTime('UTC'),
          local_date     Date,
          value          Float64,
          origin         UInt8,
          region         LowCardinality(String),
          segment        LowCardinality(String),
          tariff         LowCardinality(String),
          version        UInt64,
          superseded_by  UInt64,
          cancelled_at   DateTime('UTC')
        ) ENGINE = MergeTree
        PARTITION BY toYYYYMM(ts)
        ORDER BY (meter_id, channel, ts, version)`,
      ];
      for (const r of rollups) {
        const own = r.meters
          ? 'value_sum AggregateFunction(sum, Float64), readings AggregateFunction(sum, Int64), meters AggregateFunction(uniq, String)'
          : 'value_sum AggregateFunction(sum, Float64), value_max AggregateFunction(max, Float64), readings AggregateFunction(sum, Int64), estimated AggregateFunction(sum, Int64)';
        const plus = r.meters
          ? 'sumState(value) AS value_sum, sumState(toInt64(1)) AS readings, uniqState(meter_id) AS meters'
          : 'sumState(value) AS value_sum, maxState(value) AS value_max, sumState(toInt64(1)) AS readings, sumState(toInt64(origin != 0)) AS estimated';
        const minus = r.meters
          ? 'sumState(-value) AS value_sum, sumState(toInt64(-1)) AS readings, uniqStateIf(meter_id, 0) AS meters'
          : 'sumState(-value) AS value_sum, maxStateIf(value, 0) AS value_max, sumState(toInt64(-1)) AS readings, sumState(-toInt64(origin != 0)) AS estimated';
        out.push(
          `DROP TABLE IF EXISTS ${db}.${r.table}_mv`,
          `DROP TABLE IF EXISTS ${db}.${r.table}_cancels_mv`,
          `DROP TABLE IF EXISTS ${db}.${r.table}`,
          `CREATE TABLE ${db}.${r.table} (${r.columns}, ${own}) ENGINE = AggregatingMergeTree ${r.key}`,
          `CREATE MATERIALIZED VIEW ${db}.${r.table}_mv TO ${db}.${r.table} AS
           SELECT ${r.dims}, ${plus} FROM ${db}.readings WHERE missing = 0 GROUP BY ${r.group}`,
          `CREATE MATERIALIZED VIEW ${db}.${r.table}_cancels_mv TO ${db}.${r.table} AS
           SELECT ${r.dims}, ${minus} FROM ${db}.readings_cancels GROUP BY ${r.group}`,
          `INSERT INTO ${db}.${r.table} SELECT ${r.dims}, ${plus} FROM ${db}.readings FINAL WHERE missing = 0 GROUP BY ${r.group}`,
        );
      }
      return out;
    },
  },
];
