/**
 * The stores a data-quality job (gap detection, estimation, recalculation) works on, opened once
 * per run: the series read API, the series write ports (Kafka for the validated topic), the gap
 * records. `close()` in `finally`.
 */
import type pg from 'pg';
import { createCassandraClient } from '../cassandra/client.js';
import { CassandraRawArchive } from '../cassandra/raw-archive.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import { ClickHouseReadingStore } from '../clickhouse/reading-store.js';
import type { SmtConfig } from '../config/config.js';
import { createProducer, type MessageProducer } from '../kafka/producer.js';
import { ensureTopics, topicNames } from '../kafka/topics.js';
import { PostgresBookkeeping } from '../postgres/bookkeeping.js';
import { createPostgresPool } from '../postgres/client.js';
import { PostgresGapStore } from '../postgres/gap-store.js';
import type { SeriesPorts, SeriesReader } from '../series/ports.js';

export interface QualityStores {
  pool: pg.Pool;
  reader: SeriesReader;
  gaps: PostgresGapStore;
  /** write ports; opened on first use (a dry run or a read-only job never connects to Kafka) */
  ports(): Promise<SeriesPorts>;
  close(): Promise<void>;
}

export function openQualityStores(config: SmtConfig): QualityStores {
  const pool = createPostgresPool(config);
  const cassandra = createCassandraClient(config, { useKeyspace: true, readTimeoutMs: 30_000 });
  const keyspace = config.string('cassandra.keyspace');
  const series = new CassandraSeriesStore(cassandra, keyspace);
  let clickhouse: ReturnType<typeof createClickHouseClient> | undefined;
  let producer: MessageProducer | undefined;
  let ports: SeriesPorts | undefined;
  return {
    pool,
    reader: series,
    gaps: new PostgresGapStore(pool),
    async ports() {
      if (ports) return ports;
      const names = topicNames(config);
      await ensureTopics(config, names);
      producer = await createProducer(config);
      clickhouse = createClickHouseClient(config);
      const p = producer;
      ports = {
        series,
        raw: new CassandraRawArchive(cassandra, keyspace),
        analytics: new ClickHouseReadingStore(clickhouse, config.string('clickhouse.database')),
        bookkeeping: new PostgresBookkeeping(pool),
        topics: { send: (t, m) => p.sendJson(t, m) },
        topicNames: names,
      };
      return ports;
    },
    async close() {
      await producer?.close().catch(() => {});
      await Promise.allSettled([pool.end(), cassandra.shutdown(), clickhouse?.close()]);
    },
  };
}
