import type { ClickHouseClient } from '@clickhouse/client';
import type { AppliedMigration, Migration, MigrationTarget } from '../migrations/types.js';
import { chString } from './sql.js';

/** Statements are `IF NOT EXISTS`, so a half-applied migration can be re-run; the ledger row is written last. */
export class ClickHouseMigrationTarget implements MigrationTarget {
  readonly store = 'clickhouse' as const;
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async ensureLedger(): Promise<void> {
    await this.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${this.database}` });
    await this.client.command({
      query: `CREATE TABLE IF NOT EXISTS ${this.database}.schema_migrations (
        version UInt32, name String, checksum String, applied_at DateTime('UTC')
      ) ENGINE = ReplacingMergeTree ORDER BY version`,
    });
  }

  async applied(): Promise<AppliedMigration[]> {
    const rs = await this.client.query({
      query: `SELECT version, any(name) AS name, any(checksum) AS checksum, toUnixTimestamp(min(applied_at)) AS applied_at
              FROM ${this.database}.schema_migrations GROUP BY version ORDER BY version`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{
      version: number;
      name: string;
      checksum: string;
      applied_at: number | string;
    }>();
    return rows.map((r) => ({
      version: Number(r.version),
      name: r.name,
      checksum: r.checksum,
      appliedAt: new Date(Number(r.applied_at) * 1000),
    }));
  }

  async apply(migration: Migration, statements: string[], checksum: string): Promise<void> {
    for (const s of statements) await this.client.command({ query: s });
    await this.client.command({
      query: `INSERT INTO ${this.database}.schema_migrations (version, name, checksum, applied_at)
              VALUES (${migration.version}, ${chString(migration.name)}, ${chString(checksum)}, now())`,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
