import type cassandra from 'cassandra-driver';
import type { AppliedMigration, Migration, MigrationTarget, SchemaContext } from '../migrations/types.js';
import type { CassandraMigration } from './migrations.js';

/**
 * Cassandra DDL is not transactional: statements are written `IF NOT EXISTS` so a migration that
 * failed half-way can simply be run again; the ledger row is written last.
 */
export class CassandraMigrationTarget implements MigrationTarget {
  readonly store = 'cassandra' as const;
  constructor(
    private readonly client: cassandra.Client,
    private readonly keyspace: string,
    private readonly replication: string,
  ) {}

  async ensureLedger(): Promise<void> {
    await this.client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${this.keyspace} WITH replication = ${this.replication}`,
    );
    await this.client.execute(`CREATE TABLE IF NOT EXISTS ${this.keyspace}.schema_migrations (
      version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`);
  }

  async applied(): Promise<AppliedMigration[]> {
    const r = await this.client.execute(
      `SELECT version, name, checksum, applied_at FROM ${this.keyspace}.schema_migrations`,
    );
    return r.rows
      .map((x) => ({
        version: x.version as number,
        name: x.name as string,
        checksum: x.checksum as string,
        appliedAt: x.applied_at as Date,
      }))
      .sort((a, b) => a.version - b.version);
  }

  async apply(
    migration: Migration,
    statements: string[],
    checksum: string,
    ctx: SchemaContext,
  ): Promise<void> {
    for (const s of statements) await this.client.execute(s);
    await (migration as CassandraMigration).data?.(this.client, ctx);
    await this.client.execute(
      `INSERT INTO ${this.keyspace}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
      [migration.version, migration.name, checksum, new Date()],
      { prepare: true },
    );
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
