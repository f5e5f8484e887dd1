import kafkajs from 'kafkajs';
import type { SmtConfig } from '../config/config.js';
import { createKafka } from './client.js';
import { FORMAT_HEADER, type RawMessage } from './messages.js';

/** smt's producer interface; kafkajs stays behind it (it is in maintenance mode). */
export interface MessageProducer {
  sendRaw(topic: string, messages: readonly RawMessage[]): Promise<void>;
  sendJson(topic: string, messages: readonly { key: string | null; value: unknown; headers?: Record<string, string> }[]): Promise<void>;
  close(): Promise<void>;
}

export async function createProducer(config: SmtConfig, options: { idempotent?: boolean } = {}): Promise<MessageProducer> {
  const producer = createKafka(config).producer({
    allowAutoTopicCreation: false,
    idempotent: options.idempotent ?? false,
    ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  await producer.connect();
  return {
    async sendRaw(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        compression: kafkajs.CompressionTypes.None,
        messages: messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: { [FORMAT_HEADER]: m.format },
          ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
        })),
      });
    },
    async sendJson(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value), ...(m.headers ? { headers: m.headers } : {}) })),
      });
    },
    async close() {
      await producer.disconnect();
    },
  };
}
