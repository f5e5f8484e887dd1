import type { ClickHouseClient } from '@clickhouse/client';
import type { SeriesDayKey } from '../series/day.js';
import { clickhouseCall } from './errors.js';
import { chString } from './sql.js';

const POLL_MS = 200;

/**
 * Removes every reading of these meter-days from `readings` and from the per-meter rollups, so the
 * series can be inserted again (the first step of a repair). One ALTER … DELETE per table (a
 * mutation: it rewrites only the parts that hold the rows, and inserts made after it are not
 * affected); the caller waits for the mutations (18.16 has no synchronous ones). `start`/`end`:
 * the day in UTC (hourly rollup). What ingest inserts meanwhile stays; `correctMeterRollups` makes
 * the rollups exact afterwards.
 */
export async function deleteMeterDays(
  client: ClickHouseClient,
  database: string,
  keys: readonly MeterDayBounds[],
): Promise<void> {
  if (keys.length === 0) return;
  const tuples = keys
    .map((k) => `(${chString(k.meterId)}, ${chString(k.channel)}, toDate(${chString(k.day)}))`)
    .join(', ');
  const statements = [
    `ALTER TABLE ${database}.readings DELETE WHERE (meter_id, channel, local_date) IN (${tuples})`,
    // the cancels of superseded versions go with the readings they took back (rollups are corrected)
    `ALTER TABLE ${database}.readings_cancels DELETE WHERE (meter_id, channel, local_date) IN (${tuples})`,
    `ALTER TABLE ${database}.rollup_meter_daily DELETE WHERE (meter_id, channel, local_date) IN (${tuples})`,
    `ALTER TABLE ${database}.rollup_meter_hourly DELETE WHERE ${keys
      .map(
        (k) =>
          `(meter_id = ${chString(k.meterId)} AND channel = ${chString(k.channel)} AND hour >= toDateTime(${k.start / 1000}) AND hour < toDateTime(${k.end / 1000}))`,
      )
      .join(' OR ')}`,
  ];
  for (const query of statements)
    await clickhouseCall('deleting meter-days to repair', () => client.command({ query }));
}

export type MeterDayBounds = SeriesDayKey & { start: number; end: number };

/** Meter-days per correcting INSERT … SELECT: keeps a query far below max_query_size (256 KiB). */
const KEYS_PER_QUERY = 1_000;

/**
 * Makes the per-meter rollups (daily; hourly over every hour a reading of the days can fall in)
 * equal to what `readings` (latest versions) sums to: one INSERT … SELECT per rollup adds, per
 * row, the difference between the readings and what the rollup holds (value_max: the readings'
 * largest, a max cannot be taken back). Exact only while nothing is inserted into `readings` (a
 * readings block is visible before its views' blocks): the caller holds ingest off
 * (postgres/ingest-fence.ts).
 */
export async function correctMeterRollups(
  client: ClickHouseClient,
  database: string,
  keys: readonly MeterDayBounds[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const part = keys.slice(i, i + KEYS_PER_QUERY);
    const days = `(meter_id, channel, local_date) IN (${part
      .map((k) => `(${chString(k.meterId)}, ${chString(k.channel)}, toDate(${chString(k.day)}))`)
      .join(', ')})`;
    // whole UTC hours: in a zone with a half-hour offset an hour holds readings of two local days
    const hours = (col: string) =>
      `(${part
        .map(
          (k) =>
            `(meter_id = ${chString(k.meterId)} AND channel = ${chString(k.channel)} AND ${col} >= toDateTime(${Math.floor(k.start / 3_600_000) * 3600}) AND ${col} < toDateTime(${k.end / 1000}))`,
        )
        .join(' OR ')})`;
    for (const r of [
      { table: 'rollup_meter_daily', key: 'local_date', of: 'local_date', held: days, truth: days },
      {
        table: 'rollup_meter_hourly',
        key: 'hour',
        of: 'toStartOfHour(ts)',
        held: hours('hour'),
        truth: hours('toStartOfHour(ts)'),
      },
    ]) {
      const query = `INSERT INTO ${database}.${r.table} (meter_id, channel, ${r.key}, value_sum, value_max, readings, estimated)
        SELECT meter_id, channel, ${r.key}, sumState(kwh) AS value_sum, maxStateIf(top, truth = 1) AS value_max,
               sumState(n) AS readings, sumState(e) AS estimated
          FROM (
            SELECT meter_id, channel, ${r.of} AS ${r.key}, toUInt8(1) AS truth, sum(value) AS kwh, max(value) AS top,
                   toInt64(count()) AS n, toInt64(sum(origin != 0)) AS e
              FROM ${database}.readings FINAL WHERE missing = 0 AND ${r.truth}
             GROUP BY meter_id, channel, ${r.key}
            UNION ALL
            SELECT meter_id, channel, ${r.key}, toUInt8(0) AS truth, -sumMerge(value_sum) AS kwh, toFloat64(0) AS top,
                   -sumMerge(readings) AS n, -sumMerge(estimated) AS e
              FROM ${database}.${r.table} WHERE ${r.held}
             GROUP BY meter_id, channel, ${r.key}
          )
         GROUP BY meter_id, channel, ${r.key}
        HAVING sum(n) != 0 OR sum(kwh) != 0 OR sum(e) != 0`;
      await clickhouseCall('correcting per-meter rollups', () => client.command({ query }));
    }
  }
}

/** Waits until the mutations of the database are done (18.16 has no synchronous mutations). */
export async function waitForMutations(
  client: ClickHouseClient,
  database: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await clickhouseCall('waiting for the repair mutations', async () => {
      const rs = await client.query({
        query: `SELECT count() AS n FROM system.mutations WHERE database = ${chString(database)} AND is_done = 0`,
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0);
    });
    if (pending === 0) return;
    if (Date.now() > deadline)
      throw new Error(`ClickHouse mutations in ${database} not done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Waits until ClickHouse runs no insert into `readings` or `readings_cancels` of the database.
 * Under the ingest fence no slice writes, but an insert a client gave up on (a store timeout, a
 * killed process) can still be running on the server, its views' blocks not written yet.
 */
export async function waitForReadingInserts(
  client: ClickHouseClient,
  database: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const prefix = (table: string) =>
    `positionCaseInsensitive(query, ${chString(`INSERT INTO ${database}.${table} `)}) = 1`;
  for (;;) {
    const running = await clickhouseCall('waiting for inserts into readings', async () => {
      const rs = await client.query({
        query: `SELECT count() AS n FROM system.processes WHERE ${prefix('readings')} OR ${prefix('readings_cancels')}`,
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0);
    });
    if (running === 0) return;
    if (Date.now() > deadline)
      throw new Error(`inserts into ${database}.readings still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
