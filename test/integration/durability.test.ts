import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { loadConfig } from '../../src/core/config/config.js';
import { createKafka } from '../../src/core/kafka/client.js';
import { ensureTopics } from '../../src/core/kafka/topics.js';
import type { Logger, LogLevel } from '../../src/core/log.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

const { Partitioners } = kafkajs;

/** The production defaults (RF 3 / min ISR 2, LOCAL_QUORUM) on the single-node local stack. */
let stores: IsolatedStores;
beforeAll(async () => {
  stores = await isolatedStores('durable', { cassandra: true });
});
afterAll(async () => {
  await stores?.drop();
});

describe('durability defaults on a single-node stack', () => {
  it('topics get replication 1 and min.insync.replicas 1 on one broker, and say so', async () => {
    const id = randomBytes(3).toString('hex');
    const names = {
      raw: `t.dur.${id}.raw`,
      validated: `t.dur.${id}.val`,
      rejected: `t.dur.${id}.rej`,
      events: `t.dur.${id}.ev`,
    };
    const lines: Array<[LogLevel, string]> = [];
    const logger: Logger = { log: (level, msg) => lines.push([level, msg]) };
    const config = loadConfig();
    expect(await ensureTopics(config, names, logger)).toEqual(Object.values(names));
    const admin = createKafka(config).admin();
    await admin.connect();
    try {
      expect(lines).toEqual([
        [
          'warn',
          'the cluster has 1 broker(s): new topics get replication factor 1 (kafka.replicationFactor 3) and min.insync.replicas 1 (kafka.minInsyncReplicas 2)',
        ],
      ]);
      const meta = await admin.fetchTopicMetadata({ topics: [names.raw] });
      expect(meta.topics[0]!.partitions.map((p) => p.replicas.length)).toEqual([1, 1, 1, 1, 1, 1]);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: names.raw, configNames: ['min.insync.replicas'] }],
      });
      expect(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])).toEqual([
        ['min.insync.replicas', '1'],
      ]);
      // acks=all writes go through with min.insync.replicas 1
      const producer = createKafka(config).producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      try {
        await producer.send({ topic: names.raw, acks: -1, messages: [{ key: 'M1', value: 'x' }] });
      } finally {
        await producer.disconnect();
      }
    } finally {
      await admin.deleteTopics({ topics: Object.values(names) });
      await admin.disconnect();
    }
  });

  it('Cassandra reads and writes at LOCAL_QUORUM by default, which works on replication factor 1', async () => {
    const ks = stores.config.string('cassandra.keyspace');
    const client = createCassandraClient(stores.config);
    try {
      await client.execute(
        `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      );
      await client.execute(`CREATE TABLE IF NOT EXISTS ${ks}.probe (k text PRIMARY KEY, v int)`);
      await client.execute(`INSERT INTO ${ks}.probe (k, v) VALUES (?, ?)`, ['a', 7]);
      const r = await client.execute(`SELECT v FROM ${ks}.probe WHERE k = ?`, ['a']);
      expect(r.info.achievedConsistency).toBe(cassandra.types.consistencies.localQuorum);
      expect(r.rows.map((row) => row.v)).toEqual([7]);
    } finally {
      await client.shutdown();
    }
  });
});
