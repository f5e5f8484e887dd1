import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/core/codecs/index.js';
import { createKafka, kafkaLogLevel } from '../../src/core/kafka/client.js';
import { FORMAT_HEADER } from '../../src/core/kafka/messages.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { SimulateSummary } from '../../src/core/simulate/service.js';
import { json, runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

const id = randomBytes(3).toString('hex');
let stores: IsolatedStores;
let env: Record<string, string>;

beforeAll(async () => {
  stores = await isolatedStores('simulate', { postgres: true });
  await migrateStores(stores.config, ['postgres']);
  // every topic unique: ensureTopics creates all four
  env = {
    ...stores.env,
    ...ingestTopicsEnv(id, 'smt.test.sim'),
  };
});

afterAll(async () => {
  const admin = createKafka(stores.config, { logLevel: kafkaLogLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`smt.test.sim.${id}.`));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } finally {
    await admin.disconnect();
  }
  await stores?.drop();
});

/** Read every message of a topic once (a fresh group from the beginning). */
async function readAll(
  topic: string,
  expected: number,
): Promise<{ key: string; value: Buffer; format: string | undefined }[]> {
  const kafka = createKafka(stores.config, { logLevel: kafkaLogLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `smt-test-sim-${id}-${randomBytes(2).toString('hex')}` });
  const out: { key: string; value: Buffer; format: string | undefined }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${expected} messages`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            out.push({
              key: message.key!.toString(),
              value: message.value!,
              format: message.headers?.[FORMAT_HEADER]?.toString(),
            });
            if (out.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

describe('smt simulate against the local stack', () => {
  let summary: SimulateSummary;

  it('registers the fleet in PostgreSQL and produces every message to the raw topic', async () => {
    const r = runCli(
      [
        'simulate',
        '--meters',
        '60',
        '--days',
        '2',
        '--start',
        '2026-03-28',
        '--faults',
        'heavy',
        '--fault',
        'malformed=0.05,unknown-meter=0.05',
        '--json',
      ],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    summary = json<SimulateSummary>(r);
    expect(summary.topic).toBe(env.SMT_TOPIC_RAW);
    expect(summary.registry).toMatchObject({ target: 'postgres', meters: 60, inserted: 60 });
    expect(summary.messages).toBe(summary.tally.messages.total);

    const admin = createKafka(stores.config).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(env.SMT_TOPIC_RAW!);
      expect(offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0)).toBe(summary.messages);
    } finally {
      await admin.disconnect();
    }

    const pool = createPostgresPool(stores.config, { max: 1 });
    try {
      const page = await new MeterRepository(pool).list({ prefix: 'SIM-' }, 100, 0);
      expect(page.total).toBe(60);
    } finally {
      await pool.end();
    }
  });

  it('the messages in the topic match the ground truth', async () => {
    const messages = await readAll(env.SMT_TOPIC_RAW!, summary.messages);
    expect(messages).toHaveLength(summary.messages);
    let malformed = 0;
    let unknown = 0;
    let readings = 0;
    for (const m of messages) {
      expect(m.format).toBe('json');
      const r = decode('json', m.value, { meterId: m.key });
      if (r.failures.length > 0) malformed++;
      else {
        readings += r.blocks[0]!.values.length;
        if (!/^SIM-\d{6}$/.test(m.key)) unknown++;
      }
    }
    expect(malformed).toBe(summary.tally.messages.malformed);
    expect(malformed).toBeGreaterThan(0);
    expect(unknown).toBe(summary.tally.messages['unknown-meter']);
    expect(readings).toBe(summary.tally.readings.sent - summary.tally.faults.malformed.readings);
  });

  it('a second run with the same seed leaves the registry unchanged', () => {
    const r = runCli(
      ['simulate', '--meters', '60', '--days', '1', '--start', '2026-03-28', '--faults', 'none', '--json'],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(json<SimulateSummary>(r).registry).toMatchObject({
      meters: 60,
      inserted: 0,
      updated: 0,
      unchanged: 60,
    });
  });
});
