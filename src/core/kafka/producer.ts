import kafkajs from 'kafkajs';
import type { SmtConfig } from '../config/config.js';
import { createKafka } from './client.js';
import { kafkaCall } from './errors.js';
import { FORMAT_HEADER, type RawMessage } from './messages.js';

/** smt's producer interface; kafkajs stays behind it (it is in maintenance mode). */
export interface MessageProducer {
  sendRaw(topic: string, messages: readonly RawMessage[]): Promise<void>;
  sendJson(
    topic: string,
    messages: readonly { key: string | null; value: unknown; headers?: Record<string, string> }[],
  ): Promise<void>;
  close(): Promise<void>;
}

/** Below the broker's default max.message.bytes (1 MiB), which limits a whole uncompressed record batch. */
const MAX_REQUEST_BYTES = 512 * 1024;

function* chunksBySize<T>(items: readonly T[], size: (item: T) => number): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (chunk.length > 0 && bytes + n > MAX_REQUEST_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += n;
  }
  if (chunk.length > 0) yield chunk;
}

export async function createProducer(
  config: SmtConfig,
  options: { idempotent?: boolean } = {},
): Promise<MessageProducer> {
  const producer = createKafka(config).producer({
    allowAutoTopicCreation: false,
    // The default (murmur2, Java-compatible) partitioner, chosen explicitly to silence kafkajs' v2 notice.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    idempotent: options.idempotent ?? false,
    ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  await producer.connect();
  return {
    async sendRaw(topic, messages) {
      for (const chunk of chunksBySize(messages, (m) => m.value.length + (m.key?.length ?? 0) + 64)) {
        await producer.send({
          topic,
          acks: -1,
          compression: kafkajs.CompressionTypes.None,
          messages: chunk.map((m) => ({
            key: m.key,
            value: m.value,
            headers: { [FORMAT_HEADER]: m.format },
            ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
          })),
        });
      }
    },
    async sendJson(topic, messages) {
      const encoded = messages.map((m) => ({
        key: m.key,
        value: JSON.stringify(m.value),
        ...(m.headers ? { headers: m.headers } : {}),
      }));
      for (const chunk of chunksBySize(encoded, (m) => m.value.length + (m.key?.length ?? 0) + 64)) {
        await kafkaCall(`producing to ${topic}`, () => producer.send({ topic, acks: -1, messages: chunk }));
      }
    },
    async close() {
      await producer.disconnect();
    },
  };
}
