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
];
