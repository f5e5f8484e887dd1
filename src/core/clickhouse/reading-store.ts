import type { ClickHouseClient } from '@clickhouse/client';

export interface ClickHouseReadingRow {
  meter_id: string;
  channel: string;
  /** 'YYYY-MM-DD hh:mm:ss' UTC */
  ts: string;
  local_date: string;
  interval_minutes: number;
  value: number;
  missing: number;
  quality: number;
  origin: number;
  validation_state: number;
  failed_rules: number;
  device_status: number;
  region: string;
  segment: string;
  tariff: string;
  version: number;
  ingested_at: string;
}

/** Every column is always sent: 18.16 fills omitted JSONEachRow fields with type defaults. */
export class ClickHouseReadingStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async insert(rows: readonly ClickHouseReadingRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: `${this.database}.readings`, values: rows as ClickHouseReadingRow[], format: 'JSONEachRow' });
  }
}

export function chDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
