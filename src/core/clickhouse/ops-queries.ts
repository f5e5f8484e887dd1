import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseCall } from './errors.js';
import { chString } from './sql.js';

export interface RegionLoad {
  region: string;
  /** energy per hour, oldest first, one entry per hour of the window (0 where none) */
  hourly: number[];
}

/** The dashboard's reads of the provisional rollups (migrations.ts): portable SQL for 18.16 too. */
export class OpsRollups {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /** Share of today's readings that are not actual (rollup_meter_daily.estimated / readings). */
  async estimatedShare(localDate: string): Promise<number | null> {
    const rows = await clickhouseCall('reading the estimated share', async () => {
      const rs = await this.client.query({
        query: `SELECT sumMerge(estimated) AS e, sumMerge(readings) AS n FROM ${this.database}.rollup_meter_daily
                WHERE local_date = toDate(${chString(localDate)})`,
        format: 'JSONEachRow',
      });
      return rs.json<{ e: string; n: string }>();
    });
    const n = Number(rows[0]?.n ?? 0);
    return n === 0 ? null : Number(rows[0]!.e) / n;
  }

  /** Energy per region and hour over the last `hours` whole hours (rollup_dims_hourly). */
  async regionalLoad(nowMs: number, hours: number, channel = 'active_import_kwh'): Promise<RegionLoad[]> {
    const end = Math.floor(nowMs / 3_600_000) * 3_600;
    const start = end - (hours - 1) * 3_600;
    const rows = await clickhouseCall('reading the regional rollups', async () => {
      const rs = await this.client.query({
        query: `SELECT region, toUInt32(hour) AS h, sumMerge(value_sum) AS v FROM ${this.database}.rollup_dims_hourly
                WHERE channel = ${chString(channel)} AND hour >= toDateTime(${start}) AND hour <= toDateTime(${end})
                GROUP BY region, h ORDER BY region, h`,
        format: 'JSONEachRow',
      });
      return rs.json<{ region: string; h: number | string; v: number | string }>();
    });
    const out = new Map<string, number[]>();
    for (const r of rows) {
      const series = out.get(r.region) ?? new Array<number>(hours).fill(0);
      const i = (Number(r.h) - start) / 3_600;
      if (i >= 0 && i < hours) series[i] = Number(r.v);
      out.set(r.region, series);
    }
    return [...out].map(([region, hourly]) => ({ region, hourly }));
  }
}
