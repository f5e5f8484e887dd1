import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from '../../src/core/kafka/log.js';
import type { Logger, LogLevel } from '../../src/core/log.js';

const { logLevel } = kafkajs;

function capture(): {
  logger: Logger;
  lines: Array<[LogLevel, string, Record<string, unknown> | undefined]>;
} {
  const lines: Array<[LogLevel, string, Record<string, unknown> | undefined]> = [];
  return { logger: { log: (level, msg, fields) => lines.push([level, msg, fields]) }, lines };
}

/** What kafkajs 2.2.4 hands a logCreator (network/connection.js, consumer/runner.js, consumer/index.js, cluster/brokerPool.js). */
function entry(level: number, namespace: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    namespace,
    level,
    label: 'X',
    log: { timestamp: '2026-12-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
  };
}

describe('kafkajs log lines go through smt’s logger at the level they mean', () => {
  const cases: Array<[string, ReturnType<typeof entry>, LogLevel]> = [
    [
      'a coordinator not available yet at start-up (fresh cluster creating __consumer_offsets)',
      entry(logLevel.ERROR, 'Connection', 'Response GroupCoordinator(key: 10, version: 2)', {
        error: 'The group coordinator is not available',
        correlationId: 1,
        size: 55,
      }),
      'debug',
    ],
    [
      'a new topic still electing leaders',
      entry(logLevel.ERROR, 'Connection', 'Response Metadata(key: 3, version: 6)', {
        error: 'There is no leader for this topic-partition as we are in the middle of a leadership election',
      }),
      'debug',
    ],
    [
      'a group rebalancing',
      entry(logLevel.ERROR, 'Connection', 'Response Heartbeat(key: 12, version: 3)', {
        error: 'The group is rebalancing, so a rejoin is needed',
      }),
      'debug',
    ],
    [
      'a failure kafkajs retries',
      entry(
        logLevel.ERROR,
        'BrokerPool',
        'Failed to connect to seed broker, trying another broker from the list',
        {
          retryCount: 0,
          retryTime: 300,
        },
      ),
      'warn',
    ],
    [
      'a rejoin after expulsion',
      entry(logLevel.ERROR, 'Runner', 'The coordinator is not aware of this member, re-joining the group', {
        groupId: 'g',
      }),
      'warn',
    ],
    [
      'a consumer restart ahead',
      entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms'),
      'warn',
    ],
    [
      'a consumer crash',
      entry(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNonRetriableError: boom', { groupId: 'g' }),
      'error',
    ],
    [
      'a refused request that is not transient',
      entry(logLevel.ERROR, 'Connection', 'Response Produce(key: 0, version: 7)', {
        error: 'The request included a message larger than the max message size the server will accept',
      }),
      'error',
    ],
    ['a warning', entry(logLevel.WARN, 'Consumer', 'something odd'), 'warn'],
  ];
  for (const [name, e, level] of cases) {
    it(name, () => {
      const { logger, lines } = capture();
      kafkaLogCreator(logger)(logLevel.WARN)(e as never);
      const { timestamp: _t, logger: _l, message, ...fields } = e.log;
      expect(lines).toEqual([[level, message, { namespace: e.namespace, ...fields }]]);
    });
  }

  it('writes JSON lines on stderr by default, and nothing below warn', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      const log = kafkaLogCreator()(logLevel.WARN);
      log(cases[0]![1] as never);
      log(cases[6]![1] as never);
    } finally {
      process.stderr.write = original;
    }
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({
      level: 'error',
      component: 'kafkajs',
      msg: 'Crash: KafkaJSNonRetriableError: boom',
      namespace: 'Consumer',
      groupId: 'g',
    });
  });
});
