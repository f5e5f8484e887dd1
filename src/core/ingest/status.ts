import type { SmtConfig } from '../config/config.js';
import { errorMessage, ServiceUnavailableError } from '../errors.js';
import { createKafka, kafkaLogLevel } from '../kafka/client.js';
import { groupLag } from '../kafka/consumer.js';
import { topicNames } from '../kafka/topics.js';

export interface IngestGroupStatus {
  group: string;
  topic: string;
  state: string;
  members: { clientId: string; host: string }[];
  partitions: { partition: number; committed: string; high: string; lag: string }[];
  totalLag: string;
}

/** The consumer group's members and lag per partition of the raw topic. */
export async function ingestGroupStatus(config: SmtConfig): Promise<IngestGroupStatus> {
  const group = config.string('ingest.group');
  const topic = topicNames(config).raw;
  const kafka = createKafka(config, { logLevel: kafkaLogLevel.NOTHING, connectionTimeout: 3_000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    // one after the other: a request left in flight when the first fails keeps kafkajs retrying
    // (and the process alive) after disconnect
    const lag = await groupLag(kafka, group, topic);
    const described = await admin.describeGroups([group]);
    const g = described.groups[0];
    return {
      group,
      topic,
      state: g?.state ?? 'Unknown',
      members: (g?.members ?? []).map((m) => ({ clientId: m.clientId, host: m.clientHost })),
      partitions: lag.map((l) => ({
        partition: l.partition,
        committed: l.committed.toString(),
        high: l.high.toString(),
        lag: l.lag.toString(),
      })),
      totalLag: lag.reduce((s, l) => s + l.lag, 0n).toString(),
    };
  } catch (err) {
    throw new ServiceUnavailableError('kafka', `cannot read group ${group}: ${errorMessage(err)}`, {
      hint: `Check the broker (\`smt status\`) and that topic ${topic} exists (it is created by \`smt ingest\` or \`smt simulate\`).`,
    });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
