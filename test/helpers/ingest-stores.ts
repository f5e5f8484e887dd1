import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';
import { ensureTopics } from '../../src/core/kafka/topics.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { type IsolatedStores, isolatedStores } from './isolated-stores.js';
import { ingestTopicsEnv } from './topic-env.js';

export interface IngestTestStores {
  stores: IsolatedStores;
  /** the stores' and topics' environment plus `env` */
  env: Record<string, string>;
  config: SmtConfig;
}

/**
 * What an ingest test starts from: its own stores, migrated, its own topics (created), and the
 * given meters registered.
 */
export async function ingestTestStores(
  label: string,
  topicLabel: string,
  meters: Meter[],
  env: Record<string, string> = {},
): Promise<IngestTestStores> {
  const stores = await isolatedStores(label);
  const all = { ...stores.env, ...ingestTopicsEnv(topicLabel), ...env };
  const config = loadConfig({ env: { ...process.env, ...all } });
  await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);
  const pool = createPostgresPool(config, { max: 1 });
  try {
    await new MeterRepository(pool).upsert(meters);
  } finally {
    await pool.end();
  }
  await ensureTopics(config);
  return { stores, env: all, config };
}
