import type { KafkaConfig } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { SmtConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import { kafkaLogCreator } from './log.js';

const { Kafka, logLevel } = kafkajs;

export type { Kafka } from 'kafkajs';

export interface KafkaClientOptions {
  clientId?: string;
  /** default WARN; probes that expect refusals use NOTHING */
  logLevel?: kafkajs.logLevel;
  /** where kafkajs's lines go (default: JSON lines on stderr, warn and above) */
  logger?: Logger;
  connectionTimeout?: number;
  requestTimeout?: number;
  retry?: KafkaConfig['retry'];
}

let timerWarningFilter = false;

/**
 * kafkajs 2.2.4 passes a negative delay to setTimeout after every response (requestQueue
 * scheduleCheckPendingRequests); Node clamps it to 1 ms as kafkajs intends, but Node 24 also prints a
 * TimeoutNegativeWarning to stderr. Drop only that warning type.
 */
function ignoreNegativeTimeoutWarnings(): void {
  if (timerWarningFilter) return;
  timerWarningFilter = true;
  const original = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const opt = rest[0];
    const type = typeof opt === 'string' ? opt : (opt as { type?: string } | undefined)?.type;
    if (
      type === 'TimeoutNegativeWarning' ||
      (warning instanceof Error && warning.name === 'TimeoutNegativeWarning')
    )
      return;
    (original as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** kafkajs for the configured brokers. Producers, consumers and admins made from it must be disconnected. */
export function createKafka(config: SmtConfig, options: KafkaClientOptions = {}): kafkajs.Kafka {
  ignoreNegativeTimeoutWarnings();
  return new Kafka({
    clientId: options.clientId ?? config.string('kafka.clientId'),
    brokers: config.list('kafka.brokers'),
    logLevel: options.logLevel ?? logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
    ...(options.connectionTimeout !== undefined ? { connectionTimeout: options.connectionTimeout } : {}),
    ...(options.requestTimeout !== undefined ? { requestTimeout: options.requestTimeout } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  });
}

export { logLevel as kafkaLogLevel };
