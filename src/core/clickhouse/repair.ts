import type { ClickHouseClient } from '@clickhouse/client';
import type { SeriesDayKey } from '../series/day.js';
import { clickhouseCall } from './errors.js';
import { chString } from './sql.js';

const POLL_MS = 200;

/**
 * Removes every reading of these meter-days from `readings` and from the per-meter rollups, so the
 * series can be inserted again (a repair). One ALTER … DELETE per table (a mutation: it rewrites
 * only the parts that hold the rows, and inserts made after it are not affected); waits until the
 * mutations are done, as 18.16 has no synchronous mutations. `start`/`end`: the day in UTC (hourly rollup). The region × segment × tariff rollups
 * hold no meter: `rebuildDimsRollups` (dims-rollups.ts) sums them again for the days afterwards.
 */
export async function deleteMeterDays(
  client: ClickHouseClient,
  database: string,
  keys: readonly (SeriesDayKey & { start: number; end: number })[],
  timeoutMs = 120_000,
): Promise<void> {
  if (keys.length === 0) return;
  const tuples = keys
    .map((k) => `(${chString(k.meterId)}, ${chString(k.channel)}, toDate(${chString(k.day)}))`)
    .join(', ');
  const statements = [
    `ALTER TABLE ${database}.readings DELETE WHERE (meter_id, channel, local_date) IN (${tuples})`,
    // the cancels of superseded versions go with the readings they took back (rollups are rebuilt)
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
  await waitForMutations(client, database, timeoutMs);
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
