export type Store = 'postgres' | 'cassandra' | 'clickhouse';
export const STORES: readonly Store[] = ['postgres', 'cassandra', 'clickhouse'];

/** Names and settings a migration's statements are rendered with (from configuration). */
export interface SchemaContext {
  /** Cassandra keyspace */
  keyspace: string;
  /** Cassandra keyspace replication map, CQL literal */
  replication: string;
  /** default TTL of raw Cassandra tables in seconds (0 = none) */
  rawTtlSeconds: number;
  /** ClickHouse database */
  chDatabase: string;
  /** the configured business zone (`timezone`), for data migrations that need a local calendar */
  timezone: string;
}

export interface Migration {
  version: number;
  name: string;
  /** statements run in order; each store's runner decides transactionality */
  statements: (ctx: SchemaContext) => string[];
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

/** One store's side of migrations: a ledger of applied versions kept in the store itself. */
export interface MigrationTarget {
  readonly store: Store;
  ensureLedger(): Promise<void>;
  applied(): Promise<AppliedMigration[]>;
  apply(migration: Migration, statements: string[], checksum: string, ctx: SchemaContext): Promise<void>;
  close(): Promise<void>;
}
