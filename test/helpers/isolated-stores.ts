import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';

/**
 * Each integration test file gets its own PostgreSQL database, Cassandra keyspace and ClickHouse
 * database on the shared local stack, so files can run in parallel and leave nothing behind.
 */
export interface IsolatedStores {
  config: SmtConfig;
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function isolatedStores(
  label: string,
  stores: { postgres?: boolean; cassandra?: boolean; clickhouse?: boolean } = {
    postgres: true,
    cassandra: true,
    clickhouse: true,
  },
): Promise<IsolatedStores> {
  const base = loadConfig();
  const suffix = `${label}_${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const env: Record<string, string> = {};
  const pgUrl = new URL(base.string('postgres.url'));
  const pgDb = `smt_t_${suffix}`;
  if (stores.postgres) {
    const admin = new pg.Client({ connectionString: pgUrl.toString() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pgDb}`);
    } finally {
      await admin.end();
    }
    const u = new URL(pgUrl);
    u.pathname = `/${pgDb}`;
    env.SMT_POSTGRES_URL = u.toString();
  }
  if (stores.cassandra) env.SMT_CASSANDRA_KEYSPACE = `smt_t_${suffix}`;
  if (stores.clickhouse) env.SMT_CLICKHOUSE_DATABASE = `smt_t_${suffix}`;
  const config = loadConfig({ env: { ...process.env, ...env } });
  return {
    config,
    env,
    async drop() {
      if (stores.postgres) {
        const admin = new pg.Client({ connectionString: pgUrl.toString() });
        await admin.connect();
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      }
      if (stores.cassandra) {
        const c = createCassandraClient(config);
        try {
          await c.execute(`DROP KEYSPACE IF EXISTS ${config.string('cassandra.keyspace')}`);
        } finally {
          await c.shutdown();
        }
      }
      if (stores.clickhouse) {
        const ch = createClickHouseClient(config, { useDatabase: false });
        try {
          await ch.command({ query: `DROP DATABASE IF EXISTS ${config.string('clickhouse.database')}` });
        } finally {
          await ch.close();
        }
      }
    },
  };
}
