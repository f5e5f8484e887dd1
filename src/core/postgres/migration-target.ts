import type pg from 'pg';
import type { AppliedMigration, Migration, MigrationTarget } from '../migrations/types.js';
import { postgresLoginError } from './errors.js';

/** Serialises concurrent `smt db migrate` runs (two daemons starting at once). */
const MIGRATION_LOCK_KEY = 0x736d74; // "smt"

export class PostgresMigrationTarget implements MigrationTarget {
  readonly store = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  async ensureLedger(): Promise<void> {
    // The first statement of every migrate/status run: a refused login is reported as such.
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS smt`).catch((err: unknown) => {
      throw postgresLoginError(err) ?? err;
    });
    await this.pool.query(`CREATE TABLE IF NOT EXISTS smt.schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  }

  async applied(): Promise<AppliedMigration[]> {
    const r = await this.pool.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
      'SELECT version, name, checksum, applied_at FROM smt.schema_migrations ORDER BY version',
    );
    return r.rows.map((x) => ({
      version: x.version,
      name: x.name,
      checksum: x.checksum,
      appliedAt: x.applied_at,
    }));
  }

  /** One transaction per migration: PostgreSQL DDL is transactional, so a failure leaves nothing half-done. */
  async apply(migration: Migration, statements: string[], checksum: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await client.query('SELECT 1 FROM smt.schema_migrations WHERE version = $1', [
        migration.version,
      ]);
      if (done.rowCount === 0) {
        for (const s of statements) await client.query(s);
        await client.query(
          'INSERT INTO smt.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [migration.version, migration.name, checksum],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
