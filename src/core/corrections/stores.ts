/**
 * The real stores behind corrections, audit and lineage, opened for one command and closed in
 * `finally`: PostgreSQL (registry, ledger, audit log), Cassandra (series, raw archive), and for a
 * correction that writes, ClickHouse and Kafka (the write model's analytics and topics).
 */

import type { ClickHouseClient } from '@clickhouse/client';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { createCassandraClient } from '../cassandra/client.js';
import { CassandraRawArchive } from '../cassandra/raw-archive.js';
import { CassandraRegisterReadStore } from '../cassandra/register-read-store.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import { ClickHouseReadingStore } from '../clickhouse/reading-store.js';
import type { SmtConfig } from '../config/config.js';
import { SchemaError } from '../errors.js';
import { createProducer, type MessageProducer } from '../kafka/producer.js';
import { topicNames } from '../kafka/topics.js';
import type { LineagePorts } from '../lineage/explain.js';
import { storeSchemaStatus } from '../migrations/service.js';
import type { Store } from '../migrations/types.js';
import { PostgresAuditLog } from '../postgres/audit-log.js';
import { PostgresBookkeeping } from '../postgres/bookkeeping.js';
import { createPostgresPool } from '../postgres/client.js';
import { PostgresCorrectionLedger } from '../postgres/correction-ledger.js';
import { MeterRepository } from '../postgres/meter-repository.js';
import type { CorrectionPorts } from './service.js';

export interface CorrectionStores {
  corrections: CorrectionPorts;
  lineage: LineagePorts;
  audit: PostgresAuditLog;
  ledger: PostgresCorrectionLedger;
}

/** The schemas must be current: the ledger and chain columns come with PostgreSQL migration 10. */
export async function requireSchemas(config: SmtConfig, stores: readonly Store[]): Promise<void> {
  for (const store of stores) {
    const s = await storeSchemaStatus(config, store);
    if (s.pending.length > 0)
      throw new SchemaError(`${store} schema is at version ${s.current}, this smt needs ${s.latest}`);
  }
}

/** The open connections the correction ports run on; ClickHouse and Kafka only for a correction that writes. */
export interface CorrectionConnections {
  pool: pg.Pool;
  cassandra: cassandra.Client;
  clickhouse?: ClickHouseClient | undefined;
  producer?: MessageProducer | undefined;
}

/** The one composition of the correction ports over open connections (`smt correct`, `smt inspect`). */
export function correctionStores(config: SmtConfig, c: CorrectionConnections): CorrectionStores {
  const keyspace = config.string('cassandra.keyspace');
  const series = new CassandraSeriesStore(c.cassandra, keyspace);
  const raw = new CassandraRawArchive(c.cassandra, keyspace);
  const meters = new MeterRepository(c.pool);
  const ledger = new PostgresCorrectionLedger(c.pool);
  const p = c.producer;
  const corrections: CorrectionPorts = {
    meter: (id) => meters.get(id),
    reader: series,
    ledger,
    series: {
      series,
      raw,
      analytics: c.clickhouse
        ? new ClickHouseReadingStore(c.clickhouse, config.string('clickhouse.database'))
        : // read-only use (dry runs, explain): a plan is never applied without `write`
          { insert: async () => {}, missing: async () => [] },
      bookkeeping: new PostgresBookkeeping(c.pool),
      topics: { send: (t, m) => (p ? p.sendJson(t, m) : Promise.resolve()) },
      topicNames: topicNames(config),
    },
    now: () => Date.now(),
  };
  return {
    corrections,
    lineage: {
      meter: corrections.meter,
      reader: series,
      raw,
      ledger,
      registers: new CassandraRegisterReadStore(c.cassandra, keyspace),
    },
    audit: new PostgresAuditLog(c.pool),
    ledger,
  };
}

export async function withCorrectionStores<T>(
  config: SmtConfig,
  options: { write: boolean },
  fn: (s: CorrectionStores) => Promise<T>,
): Promise<T> {
  await requireSchemas(
    config,
    options.write ? ['postgres', 'cassandra', 'clickhouse'] : ['postgres', 'cassandra'],
  );
  const pool = createPostgresPool(config, { max: 4 });
  const cassandra = createCassandraClient(config, { useKeyspace: true });
  const clickhouse = options.write ? createClickHouseClient(config) : undefined;
  let producer: MessageProducer | undefined;
  try {
    if (options.write) producer = await createProducer(config);
    return await fn(correctionStores(config, { pool, cassandra, clickhouse, producer }));
  } finally {
    await producer?.close().catch(() => {});
    await clickhouse?.close().catch(() => {});
    await cassandra.shutdown().catch(() => {});
    await pool.end().catch(() => {});
  }
}
