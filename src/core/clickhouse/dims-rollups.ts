import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseCall } from './errors.js';
import { waitForMutations } from './repair.js';
import { chString } from './sql.js';

/** One region × segment × tariff group of a provisional rollup, as held and as its readings say. */
export interface DimsRollupDifference {
  period: 'day' | 'hour';
  /** local date (daily rollup) or UTC hour start, ISO (hourly rollup) */
  at: string;
  channel: string;
  region: string;
  segment: string;
  tariff: string;
  rollup: { readings: number; energy: number };
  readings: { readings: number; energy: number };
}

interface Scope {
  days: readonly string[];
  channels: readonly string[];
}

const TABLES = {
  day: { table: 'rollup_dims_daily', key: 'local_date', of: 'local_date' },
  hour: { table: 'rollup_dims_hourly', key: 'hour', of: 'toStartOfHour(ts)' },
} as const;

/**
 * Which rows of what period the days cover: the daily rows of those local dates, and the hourly
 * rows of every UTC hour a reading of those local dates falls in (a reading's local date is
 * stored with it, so no zone is needed here).
 */
function where(period: 'day' | 'hour', s: Scope, db: string, column: string): string {
  const days = s.days.map((d) => `toDate(${chString(d)})`).join(', ');
  const channels = `channel IN (${s.channels.map(chString).join(', ')})`;
  if (period === 'day') return `${column} IN (${days}) AND ${channels}`;
  return `${column} IN (SELECT DISTINCT toStartOfHour(ts) FROM ${db}.readings WHERE local_date IN (${days}) AND ${channels}) AND ${channels}`;
}

type Row = {
  at: string;
  channel: string;
  region: string;
  segment: string;
  tariff: string;
  n: string;
  kwh: number;
};

async function rows(client: ClickHouseClient, query: string): Promise<Row[]> {
  return clickhouseCall('reading the region × segment × tariff rollups', async () =>
    (await client.query({ query, format: 'JSONEachRow' })).json<Row>(),
  );
}

const sameEnergy = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

/**
 * The groups of the region × segment × tariff rollups (daily and hourly) over these local days
 * whose readings count or energy differ from what `readings` (latest version of each reading)
 * sums to: the rollups are fed by views on insert, so a deleted or re-inserted reading, or a
 * damaged row, leaves them behind.
 */
export async function dimsRollupDifferences(
  client: ClickHouseClient,
  database: string,
  s: Scope,
): Promise<DimsRollupDifference[]> {
  if (s.days.length === 0) return [];
  const out: DimsRollupDifference[] = [];
  for (const period of ['day', 'hour'] as const) {
    const t = TABLES[period];
    const dims =
      'toString(channel) AS channel, toString(region) AS region, toString(segment) AS segment, toString(tariff) AS tariff';
    const [held, truth] = await Promise.all([
      rows(
        client,
        `SELECT toString(${t.key}) AS at, ${dims}, toString(sumMerge(readings)) AS n, sumMerge(value_sum) AS kwh
           FROM ${database}.${t.table} WHERE ${where(period, s, database, t.key)}
          GROUP BY at, channel, region, segment, tariff`,
      ),
      rows(
        client,
        `SELECT toString(${t.of}) AS at, ${dims}, toString(count()) AS n, sum(value) AS kwh
           FROM ${database}.readings FINAL WHERE missing = 0 AND ${where(period, s, database, t.of)}
          GROUP BY at, channel, region, segment, tariff`,
      ),
    ]);
    const key = (r: Row) => `${r.at}|${r.channel}|${r.region}|${r.segment}|${r.tariff}`;
    const want = new Map(truth.map((r) => [key(r), r]));
    const seen = new Set<string>();
    const push = (r: Row, h: Row | undefined, w: Row | undefined) =>
      out.push({
        period,
        at: period === 'hour' ? `${r.at.replace(' ', 'T')}Z` : r.at,
        channel: r.channel,
        region: r.region,
        segment: r.segment,
        tariff: r.tariff,
        rollup: { readings: Number(h?.n ?? 0), energy: h?.kwh ?? 0 },
        readings: { readings: Number(w?.n ?? 0), energy: w?.kwh ?? 0 },
      });
    for (const h of held) {
      const k = key(h);
      seen.add(k);
      const w = want.get(k);
      // a group whose readings are all taken back by cancels holds 0 / 0: nothing to tell
      if (!w && Number(h.n) === 0 && sameEnergy(h.kwh, 0)) continue;
      if (!w || Number(h.n) !== Number(w.n) || !sameEnergy(h.kwh, w.kwh)) push(h, h, w);
    }
    for (const w of truth) if (!seen.has(key(w))) push(w, undefined, w);
  }
  return out.sort((a, b) =>
    `${a.period}|${a.at}|${a.channel}` < `${b.period}|${b.at}|${b.channel}` ? -1 : 1,
  );
}

/**
 * Re-derives the region × segment × tariff rollups of these local days from `readings` (latest
 * versions, as migration 3 built them): their daily rows and the hourly rows of the hours their
 * readings fall in are deleted and summed again over every meter. Readings ingested while this
 * runs may be counted twice in those rows until the next repair (the rollups are provisional).
 */
export async function rebuildDimsRollups(
  client: ClickHouseClient,
  database: string,
  s: Scope,
  hooks?: { afterStep?: (step: 'deleted') => Promise<void> },
): Promise<void> {
  if (s.days.length === 0) return;
  const dims = 'channel, region, segment, tariff';
  // the hours first: their set is read from `readings`, which the deletes below do not touch
  const hours = await clickhouseCall('reading the hours of the days to repair', async () =>
    (
      await (
        await client.query({
          query: `SELECT DISTINCT toUInt32(toStartOfHour(ts)) AS h FROM ${database}.readings WHERE ${where('day', s, database, 'local_date')}`,
          format: 'JSONEachRow',
        })
      ).json<{ h: number | string }>()
    ).map((r) => Number(r.h)),
  );
  const inHours = (col: string) =>
    hours.length === 0
      ? '0'
      : `toUInt32(${col}) IN (${hours.join(', ')}) AND channel IN (${s.channels.map(chString).join(', ')})`;
  const dayScope = where('day', s, database, 'local_date');
  for (const query of [
    `ALTER TABLE ${database}.rollup_dims_daily DELETE WHERE ${dayScope}`,
    `ALTER TABLE ${database}.rollup_dims_hourly DELETE WHERE ${inHours('hour')}`,
  ])
    await clickhouseCall('deleting region × segment × tariff rollups to repair', () =>
      client.command({ query }),
    );
  await waitForMutations(client, database);
  await hooks?.afterStep?.('deleted');
  for (const query of [
    `INSERT INTO ${database}.rollup_dims_daily SELECT local_date, ${dims},
       sumState(value) AS value_sum, sumState(toInt64(1)) AS readings, uniqState(meter_id) AS meters
       FROM ${database}.readings FINAL WHERE missing = 0 AND ${dayScope} GROUP BY local_date, ${dims}`,
    `INSERT INTO ${database}.rollup_dims_hourly SELECT toStartOfHour(ts) AS hour, ${dims},
       sumState(value) AS value_sum, sumState(toInt64(1)) AS readings, uniqState(meter_id) AS meters
       FROM ${database}.readings FINAL WHERE missing = 0 AND ${inHours('toStartOfHour(ts)')} GROUP BY hour, ${dims}`,
  ])
    await clickhouseCall('summing region × segment × tariff rollups again', () => client.command({ query }));
}

/** The local dates of the readings in these UTC hours (ISO starts): the days an hourly row sums. */
export async function daysOfHours(
  client: ClickHouseClient,
  database: string,
  hours: readonly string[],
): Promise<string[]> {
  if (hours.length === 0) return [];
  const at = hours.map((h) => Math.floor(Date.parse(h) / 1000)).join(', ');
  return clickhouseCall('reading the days of the hours to repair', async () =>
    (
      await (
        await client.query({
          query: `SELECT DISTINCT toString(local_date) AS d FROM ${database}.readings WHERE toUInt32(toStartOfHour(ts)) IN (${at})`,
          format: 'JSONEachRow',
        })
      ).json<{ d: string }>()
    ).map((r) => r.d),
  );
}
