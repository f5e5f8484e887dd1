import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseCall } from './errors.js';
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

/** The UTC hours (epoch seconds) the readings of these local days fall in. */
async function hoursOf(client: ClickHouseClient, database: string, s: Scope): Promise<number[]> {
  return clickhouseCall('reading the hours of the days to repair', async () =>
    (
      await (
        await client.query({
          query: `SELECT DISTINCT toUInt32(toStartOfHour(ts)) AS h FROM ${database}.readings WHERE ${where('day', s, database, 'local_date')}`,
          format: 'JSONEachRow',
        })
      ).json<{ h: number | string }>()
    ).map((r) => Number(r.h)),
  );
}

const inHours = (s: Scope, hours: readonly number[], col: string) =>
  hours.length === 0
    ? '0'
    : `toUInt32(${col}) IN (${hours.join(', ')}) AND channel IN (${s.channels.map(chString).join(', ')})`;

/**
 * First step of a repair of the region × segment × tariff rollups of these local days: their
 * daily rows and the hourly rows of the hours their readings fall in are deleted (mutations; the
 * caller waits for them). What the views add meanwhile stays, and `correctDimsRollups` makes the
 * sums exact afterwards; the delete is what resets the meter counts (a uniq state cannot be
 * taken back).
 */
export async function deleteDimsRollups(client: ClickHouseClient, database: string, s: Scope): Promise<void> {
  if (s.days.length === 0) return;
  const hours = await hoursOf(client, database, s);
  for (const query of [
    `ALTER TABLE ${database}.rollup_dims_daily DELETE WHERE ${where('day', s, database, 'local_date')}`,
    `ALTER TABLE ${database}.rollup_dims_hourly DELETE WHERE ${inHours(s, hours, 'hour')}`,
  ])
    await clickhouseCall('deleting region × segment × tariff rollups to repair', () =>
      client.command({ query }),
    );
}

/**
 * Makes the region × segment × tariff rollups of these local days (daily rows, hourly rows of
 * their readings' hours) equal to what `readings` (latest versions) sums to: one INSERT … SELECT
 * per rollup adds, per group, the difference between the readings and what the rollup holds,
 * and the state of every meter the readings count. Exact only while nothing is inserted into
 * `readings` (a readings block is visible before its views' blocks): the caller holds ingest off
 * (postgres/ingest-fence.ts).
 */
export async function correctDimsRollups(
  client: ClickHouseClient,
  database: string,
  s: Scope,
): Promise<void> {
  if (s.days.length === 0) return;
  const hours = await hoursOf(client, database, s);
  const dims = 'channel, region, segment, tariff';
  for (const r of [
    {
      table: 'rollup_dims_daily',
      key: 'local_date',
      of: 'local_date',
      held: where('day', s, database, 'local_date'),
      truth: where('day', s, database, 'local_date'),
    },
    {
      table: 'rollup_dims_hourly',
      key: 'hour',
      of: 'toStartOfHour(ts)',
      held: inHours(s, hours, 'hour'),
      truth: inHours(s, hours, 'toStartOfHour(ts)'),
    },
  ]) {
    const query = `INSERT INTO ${database}.${r.table} (${r.key}, ${dims}, value_sum, readings, meters)
      SELECT ${r.key}, ${dims}, sumState(kwh) AS value_sum, sumState(n) AS readings,
             uniqStateIf(meter_id, truth = 1) AS meters
        FROM (
          SELECT ${r.of} AS ${r.key}, ${dims}, meter_id, toUInt8(1) AS truth, sum(value) AS kwh, toInt64(count()) AS n
            FROM ${database}.readings FINAL WHERE missing = 0 AND ${r.truth}
           GROUP BY ${r.key}, ${dims}, meter_id
          UNION ALL
          SELECT ${r.key}, ${dims}, '' AS meter_id, toUInt8(0) AS truth, -sumMerge(value_sum) AS kwh, -sumMerge(readings) AS n
            FROM ${database}.${r.table} WHERE ${r.held}
           GROUP BY ${r.key}, ${dims}
        )
       GROUP BY ${r.key}, ${dims}`;
    await clickhouseCall('correcting region × segment × tariff rollups', () => client.command({ query }));
  }
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
