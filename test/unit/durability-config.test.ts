import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { UsageError } from '../../src/core/errors.js';
import { topicDurability } from '../../src/core/kafka/topics.js';

const cwd = mkdtempSync(path.join(tmpdir(), 'smt-durability-'));
const config = (env: Record<string, string> = {}) => loadConfig({ env, cwd });

describe('replication of the topics smt creates', () => {
  it('defaults to 3 replicas with min.insync.replicas 2 on a cluster of 3 or more brokers', () => {
    expect(topicDurability(config(), 3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(topicDurability(config(), 5)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('caps both at the broker count, with a warning (the single-broker local stack gets 1/1)', () => {
    expect(topicDurability(config(), 1)).toEqual({
      replicationFactor: 1,
      minInsyncReplicas: 1,
      warning:
        'the cluster has 1 broker(s): new topics get replication factor 1 (kafka.replicationFactor 3) and min.insync.replicas 1 (kafka.minInsyncReplicas 2)',
    });
    expect(topicDurability(config(), 2)).toMatchObject({ replicationFactor: 2, minInsyncReplicas: 2 });
    expect(topicDurability(config(), 2).warning).toMatch(/^the cluster has 2 broker\(s\)/);
  });

  it('takes the configured values, and warns only when it has to lower them', () => {
    const c = config({ SMT_KAFKA_REPLICATION_FACTOR: '1', SMT_KAFKA_MIN_INSYNC_REPLICAS: '1' });
    expect(topicDurability(c, 1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    const five = config({ SMT_KAFKA_REPLICATION_FACTOR: '5', SMT_KAFKA_MIN_INSYNC_REPLICAS: '3' });
    expect(topicDurability(five, 7)).toEqual({ replicationFactor: 5, minInsyncReplicas: 3 });
  });
});

describe('Cassandra consistency level', () => {
  it('defaults to LOCAL_QUORUM and accepts the levels by name in any case', () => {
    expect(config().string('cassandra.consistency')).toBe('LOCAL_QUORUM');
    expect(config({ SMT_CASSANDRA_CONSISTENCY: 'local_one' }).string('cassandra.consistency')).toBe(
      'LOCAL_ONE',
    );
  });

  it('refuses a level it does not know, naming the key (EACH_QUORUM cannot serve reads)', () => {
    for (const bad of ['EACH_QUORUM', 'quorom', 'ANY']) {
      expect(() => config({ SMT_CASSANDRA_CONSISTENCY: bad })).toThrow(UsageError);
      expect(() => config({ SMT_CASSANDRA_CONSISTENCY: bad })).toThrow(
        `cassandra.consistency from environment variable SMT_CASSANDRA_CONSISTENCY must be one of LOCAL_QUORUM, QUORUM, LOCAL_ONE, ONE, TWO, THREE, ALL, got "${bad}"`,
      );
    }
  });
});
