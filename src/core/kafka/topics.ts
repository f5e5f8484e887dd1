import type { SmtConfig } from '../config/config.js';
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

/**
 * Create smt's topics if missing. Explicit creation (waiting for leaders) avoids kafkajs' first-use
 * errors with auto-created topics. Returns the topics that were created.
 */
export async function ensureTopics(
  config: SmtConfig,
  names: TopicNames = topicNames(config),
): Promise<string[]> {
  const admin = createKafka(config, { logLevel: kafkaLogLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const partitions = config.int('kafka.partitions');
    const wanted = Object.values(names).filter((t) => !existing.has(t));
    if (wanted.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({
        topic,
        numPartitions: topic === names.events ? 1 : partitions,
        replicationFactor: 1,
      })),
    });
    return wanted;
  } finally {
    await admin.disconnect();
  }
}
