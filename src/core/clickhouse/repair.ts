import type { ClickHouseClient } from '@clickhouse/client';
import type { SeriesDayKey } from '../series/day.js';
import { clickhouseCall } from './errors.js';
import { chString } from './sql.js';

const POLL_MS = 200;

/** A meter-day to repair and its meter's zone (which UTC hours it spans). */
export type RepairKey = SeriesDayKey & { timezone: string };

const dayTuples = (keys: readonly RepairKey[]) =>
  keys.map((k) => `(${chString(k.meterId)}, ${chString(k.channel)}, toDate(${chString(k.day)}))`).join(', ');

/**
 * The per-meter hourly rows of these meter-days: every UTC hour that overlaps the local day, by
 * its start or by its last second (in a zone with a half-hour offset an hour holds readings of two
 * local days). Tuples against sets: an OR per meter-day, as before, cost ~1 s for 200 of them.
 * `col`: the hour (`hour` in a rollup, `toStartOfHour(ts)` in `readings`).
 */
function hourScope(keys: readonly RepairKey[], col: string): string {
  const byZone = new Map<string, RepairKey[]>();
  for (const k of keys) byZone.set(k.timezone, [...(byZone.get(k.timezone) ?? []), k]);
  const parts: string[] = [];
  for (const [zone, ks] of byZone) {
    const t = dayTuples(ks);
    const z = chString(zone);
    parts.push(
      `(meter_id, channel, toDate(${col}, ${z})) IN (${t})`,
      `(meter_id, channel, toDate(${col} + 3599, ${z})) IN (${t})`,
    );
  }
  return `(${parts.join(' OR ')})`;
}

/**
 * Removes every reading of these meter-days from `readings` and from the per-meter rollups, so the
 * series can be inserted again (the first step of a repair). One ALTER … DELETE per table (a
 * mutation: it rewrites only the parts that hold the rows, and inserts made after it are not
 * affected); the caller waits for the mutations (18.16 has no synchronous ones). What ingest
 * inserts meanwhile stays; `correctMeterRollups` makes the rollups exact afterwards.
 */
export async function deleteMeterDays(
  client: ClickHouseClient,
  database: string,
  keys: readonly RepairKey[],
): Promise<void> {
  // each mutation rewrites parts: as few as max_query_size (256 KiB) allows
  for (let i = 0; i < keys.length; i += KEYS_PER_MUTATION) {
    const part = keys.slice(i, i + KEYS_PER_MUTATION);
    const days = `(meter_id, channel, local_date) IN (${dayTuples(part)})`;
    const statements = [
      `ALTER TABLE ${database}.readings DELETE WHERE ${days}`,
      // the cancels of superseded versions go with the readings they took back (rollups are corrected)
      `ALTER TABLE ${database}.readings_cancels DELETE WHERE ${days}`,
      `ALTER TABLE ${database}.rollup_meter_daily DELETE WHERE ${days}`,
      `ALTER TABLE ${database}.rollup_meter_hourly DELETE WHERE ${hourScope(part, 'hour')}`,
    ];
    for (const query of statements)
      await clickhouseCall('deleting meter-days to repair', () => client.command({ query }));
  }
}

/** Meter-days per mutation: the hourly one lists each twice (~115 bytes), well below 256 KiB. */
const KEYS_PER_MUTATION = 1_500;

/** Meter-days per correcting INSERT … SELECT: keeps a query far below max_query_size (256 KiB). */
const KEYS_PER_QUERY = 400;

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
  keys: readonly RepairKey[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const part = keys.slice(i, i + KEYS_PER_QUERY);
    // the meters as a primary-key prefix: the tuples and ORs below do not select granules on 18.16
    const meters = `meter_id IN (${[...new Set(part.map((k) => chString(k.meterId)))].join(', ')})`;
    const days = `${meters} AND (meter_id, channel, local_date) IN (${dayTuples(part)})`;
    const hours = (col: string) => `${meters} AND ${hourScope(part, col)}`;
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
