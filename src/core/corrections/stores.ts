/**
 * The real stores behind corrections, audit and lineage, opened for one command and closed in
 * `finally`: PostgreSQL (registry, ledger, audit log), Cassandra (series, raw archive), and for a
 * correction that writes, ClickHouse and Kafka (the write model's analytics and topics).
 */
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
async function requireSchemas(config: SmtConfig, stores: readonly Store[]): Promise<void> {
  for (const store of stores) {
    const s = await storeSchemaStatus(config, store);
    if (s.pending.length > 0)
      throw new SchemaError(`${store} schema is at version ${s.current}, this smt needs ${s.latest}`);
  }
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
    const keyspace = config.string('cassandra.keyspace');
    const series = new CassandraSeriesStore(cassandra, keyspace);
    const raw = new CassandraRawArchive(cassandra, keyspace);
    const meters = new MeterRepository(pool);
    const ledger = new PostgresCorrectionLedger(pool);
    if (options.write) producer = await createProducer(config);
    const p = producer;
    const corrections: CorrectionPorts = {
      meter: (id) => meters.get(id),
      reader: series,
      ledger,
      series: {
        series,
        raw,
        analytics: clickhouse
          ? new ClickHouseReadingStore(clickhouse, config.string('clickhouse.database'))
          : // read-only use (dry runs, explain): a plan is never applied without `write`
            { insert: async () => {}, missing: async () => [] },
        bookkeeping: new PostgresBookkeeping(pool),
        topics: { send: (t, m) => (p ? p.sendJson(t, m) : Promise.resolve()) },
        topicNames: topicNames(config),
      },
      now: () => Date.now(),
    };
    return await fn({
      corrections,
      lineage: {
        meter: corrections.meter,
        reader: series,
        raw,
        ledger,
        registers: new CassandraRegisterReadStore(cassandra, keyspace),
      },
      audit: new PostgresAuditLog(pool),
      ledger,
    });
  } finally {
    await producer?.close().catch(() => {});
    await clickhouse?.close().catch(() => {});
    await cassandra.shutdown().catch(() => {});
    await pool.end().catch(() => {});
  }
}
