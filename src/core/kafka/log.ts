import type { LogEntry, logCreator } from 'kafkajs';
import kafkajs from 'kafkajs';
import { jsonLogger, type Logger, type LogLevel } from '../log.js';

const { logLevel } = kafkajs;

/**
 * Broker answers that mean "not yet" while a cluster, a topic or a group settles (a fresh cluster
 * creating __consumer_offsets, a new topic electing leaders, a group rebalancing). kafkajs logs each
 * failed response at ERROR and then retries it itself; if the retries run out the caller gets the
 * error and smt reports it, so these lines are debug detail, not errors.
 */
const SETTLING = [
  'The group coordinator is not available',
  "The coordinator is loading and hence can't process requests for this group",
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'This server does not host this topic-partition',
  'The group is rebalancing, so a rejoin is needed',
];

/** The level a kafkajs log line has in smt's terms. */
export function levelOfKafkaLine(entry: Pick<LogEntry, 'level' | 'log'>): LogLevel {
  const { message, error, retryCount } = entry.log as {
    message: string;
    error?: unknown;
    retryCount?: unknown;
  };
  const text = `${message} ${error === undefined ? '' : String(error)}`;
  if (SETTLING.some((s) => text.includes(s))) return 'debug';
  const level = toLogLevel(entry.level);
  if (level !== 'error') return level;
  // kafkajs recovers on its own from these: a rejoin after expulsion, a retry or a restart ahead.
  // An error it gives up on reaches smt's caller and is reported there.
  if (
    typeof retryCount === 'number' ||
    /re-joining the group|^Restarting the consumer|reconnecting$/.test(message)
  )
    return 'warn';
  return 'error';
}

function toLogLevel(level: number): LogLevel {
  if (level <= logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}

/**
 * kafkajs logs through smt's logger (JSON lines on stderr; kafkajs's own default is stdout, which
 * would corrupt results), at the level the line means for an operator.
 */
export function kafkaLogCreator(logger: Logger = jsonLogger('kafkajs', 'warn')): logCreator {
  return () => (entry) => {
    const {
      message,
      timestamp: _t,
      logger: _l,
      ...fields
    } = entry.log as LogEntry['log'] & {
      logger?: unknown;
    };
    logger.log(levelOfKafkaLine(entry), message, { namespace: entry.namespace, ...fields });
  };
}
