import type { SmtConfig } from '../config/config.js';
import { jsonLogger, type Logger } from '../log.js';
import { createKafka, kafkaLogLevel } from './client.js';

export interface TopicNames {
  raw: string;
  validated: string;
  rejected: string;
  events: string;
}

export function topicNames(config: SmtConfig): TopicNames {
  return {
    raw: config.string('kafka.topics.raw'),
    validated: config.string('kafka.topics.validated'),
    rejected: config.string('kafka.topics.rejected'),
    events: config.string('kafka.topics.events'),
  };
}

export interface TopicDurability {
  replicationFactor: number;
  minInsyncReplicas: number;
  /** set when the configured values had to be lowered to what the cluster can hold */
  warning?: string;
}

/**
 * Replication of the topics smt creates: the configured factor (3 by default) capped at the
 * brokers there are, and min.insync.replicas (2) capped at that factor, so the single-broker local
 * stack gets 1/1 and a three-broker cluster 3/2. A cap is a warning: such a topic loses data, or
 * stops accepting writes, when one broker fails.
 */
export function topicDurability(config: SmtConfig, brokers: number): TopicDurability {
  const wantedRf = config.int('kafka.replicationFactor');
  const wantedIsr = config.int('kafka.minInsyncReplicas');
  const replicationFactor = Math.min(wantedRf, Math.max(1, brokers));
  const minInsyncReplicas = Math.min(wantedIsr, replicationFactor);
  const out: TopicDurability = { replicationFactor, minInsyncReplicas };
  if (replicationFactor < wantedRf || minInsyncReplicas < wantedIsr)
    out.warning = `the cluster has ${brokers} broker(s): new topics get replication factor ${replicationFactor} (kafka.replicationFactor ${wantedRf}) and min.insync.replicas ${minInsyncReplicas} (kafka.minInsyncReplicas ${wantedIsr})`;
  return out;
}

/**
 * Create smt's topics if missing. Explicit creation (waiting for leaders) avoids kafkajs' first-use
 * errors with auto-created topics. Returns the topics that were created.
 */
export async function ensureTopics(
  config: SmtConfig,
  names: TopicNames = topicNames(config),
  logger: Logger = jsonLogger('kafka', 'warn'),
): Promise<string[]> {
  const admin = createKafka(config, { logLevel: kafkaLogLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const partitions = config.int('kafka.partitions');
    const wanted = Object.values(names).filter((t) => !existing.has(t));
    if (wanted.length === 0) return [];
    const { brokers } = await admin.describeCluster();
    const durability = topicDurability(config, brokers.length);
    if (durability.warning) logger.log('warn', durability.warning, { topics: wanted });
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({
        topic,
        numPartitions: topic === names.events ? 1 : partitions,
        replicationFactor: durability.replicationFactor,
        configEntries: [{ name: 'min.insync.replicas', value: String(durability.minInsyncReplicas) }],
      })),
    });
    return wanted;
  } finally {
    await admin.disconnect();
  }
}
