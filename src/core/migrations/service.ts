import { createCassandraClient } from '../cassandra/client.js';
import { CassandraMigrationTarget } from '../cassandra/migration-target.js';
import { CASSANDRA_MIGRATIONS } from '../cassandra/migrations.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import { ClickHouseMigrationTarget } from '../clickhouse/migration-target.js';
import { CLICKHOUSE_MIGRATIONS } from '../clickhouse/migrations.js';
import type { SmtConfig } from '../config/config.js';
import { errorMessage, isConnectionError, ServiceUnavailableError, SmtError } from '../errors.js';
import { createPostgresPool } from '../postgres/client.js';
import { PostgresMigrationTarget } from '../postgres/migration-target.js';
import { POSTGRES_MIGRATIONS } from '../postgres/migrations.js';
import {
  migrationStatus,
  runMigrations,
  type StoreMigrationResult,
  type StoreMigrationStatus,
} from './runner.js';
import type { Migration, MigrationTarget, SchemaContext, Store } from './types.js';

export const MIGRATIONS: Record<Store, Migration[]> = {
  postgres: POSTGRES_MIGRATIONS,
  cassandra: CASSANDRA_MIGRATIONS,
  clickhouse: CLICKHOUSE_MIGRATIONS,
};

export function schemaContext(config: SmtConfig): SchemaContext {
  return {
    keyspace: config.string('cassandra.keyspace'),
    replication: config.string('cassandra.replication'),
    rawTtlSeconds: config.int('cassandra.rawTtlDays') * 86_400,
    chDatabase: config.string('clickhouse.database'),
    timezone: config.string('timezone'),
  };
}

function createTarget(store: Store, config: SmtConfig): MigrationTarget {
  switch (store) {
    case 'postgres':
      return new PostgresMigrationTarget(createPostgresPool(config, { max: 1 }));
    case 'cassandra':
      return new CassandraMigrationTarget(
        createCassandraClient(config),
        config.string('cassandra.keyspace'),
        config.string('cassandra.replication'),
      );
    case 'clickhouse':
      return new ClickHouseMigrationTarget(
        createClickHouseClient(config, { useDatabase: false }),
        config.string('clickhouse.database'),
      );
  }
}

async function withTarget<T>(
  store: Store,
  config: SmtConfig,
  fn: (t: MigrationTarget) => Promise<T>,
): Promise<T> {
  const target = createTarget(store, config);
  try {
    return await fn(target);
  } catch (err) {
    if (err instanceof SmtError) throw err;
    if (isConnectionError(err))
      throw new ServiceUnavailableError(store, `cannot reach it: ${errorMessage(err)}`);
    throw new SmtError(`${store}: migration failed: ${errorMessage(err)}`, {
      hint: 'Fix the cause shown above and run `smt db migrate` again; applied migrations are not repeated.',
      cause: err,
      code: 'MIGRATION_FAILED',
    });
  } finally {
    await target.close().catch(() => {});
  }
}

export async function migrateStores(
  config: SmtConfig,
  stores: readonly Store[],
  options: { dryRun?: boolean; onProgress?: (line: string) => void } = {},
): Promise<StoreMigrationResult[]> {
  const ctx = schemaContext(config);
  const out: StoreMigrationResult[] = [];
  for (const store of stores)
    out.push(await withTarget(store, config, (t) => runMigrations(t, MIGRATIONS[store], ctx, options)));
  return out;
}

export async function storeSchemaStatus(config: SmtConfig, store: Store): Promise<StoreMigrationStatus> {
  return withTarget(store, config, (t) => migrationStatus(t, MIGRATIONS[store]));
}
