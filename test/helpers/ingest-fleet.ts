/**
 * A small fleet produced to a test's own raw topic, the daemon run as a child process, and exact
 * counts read back from every store: shared by the ingest fault and fencing tests.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { encode } from '../../src/core/codecs/index.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { meterDay } from './blocks.js';
import { seriesReadingCount } from './series.js';
import { ingestTopicsEnv } from './topic-env.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ZONE = 'Europe/Stockholm';
export const METERS = 12;
export const DAYS = ['2026-10-23', '2026-10-24', '2026-10-25', '2026-10-26']; // 10-25: fall-back, 100 quarter-hours
export const PER_METER = 96 + 96 + 100 + 96;

/** The environment of one test's daemon: its own topics and group on the test file's stores. */
export function fleetEnv(
  storesEnv: Record<string, string>,
  label: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...storesEnv,
    ...ingestTopicsEnv(label, 'itf'),
    SMT_INGEST_BATCH_MESSAGES: '4',
    SMT_KAFKA_PARTITIONS: '3',
    SMT_TIMEZONE: ZONE,
    ...extra,
  };
}

/** Register the fleet's meters, then produce their days; `steps` picks one of the two. */
export async function produceFleet(
  config: SmtConfig,
  meterPrefix: string,
  steps: { register?: boolean; produce?: boolean } = { register: true, produce: true },
): Promise<void> {
  if (steps.register) await registerFleet(config, meterPrefix);
  if (steps.produce) await produceDays(config, meterPrefix);
}

/** Meter `n` of a test fleet: residential, 15-minute, in ZONE, account `A<n>`. */
export function fleetMeter(meterId: string, n: number): Meter {
  return {
    meterId,
    accountId: `A${n}`,
    tariffId: 'T',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: 17,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
}

async function registerFleet(config: SmtConfig, meterPrefix: string): Promise<void> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    await new MeterRepository(pool).upsert(
      Array.from({ length: METERS }, (_, n) => fleetMeter(`${meterPrefix}-${n}`, n)),
    );
  } finally {
    await pool.end();
  }
}

async function produceDays(config: SmtConfig, meterPrefix: string): Promise<void> {
  await ensureTopics(config);
  const producer = await createProducer(config);
  try {
    const messages = [];
    for (let n = 0; n < METERS; n++) {
      for (const d of DAYS) {
        const b = meterDay(`${meterPrefix}-${n}`, d, ZONE, (i) => 0.05 + ((i + n) % 9) / 50);
        messages.push({
          key: b.meterId,
          value: Buffer.from(encode('json', [b]) as string),
          format: 'json' as const,
        });
      }
    }
    await producer.sendRaw(topicNames(config).raw, messages);
  } finally {
    await producer.close();
  }
}

export async function storedCount(
  config: SmtConfig,
  meterPrefix: string,
): Promise<{ final: number; all: number; rollup: number }> {
  const ch = createClickHouseClient(config);
  const db = config.string('clickhouse.database');
  const like = `'${meterPrefix}-%'`;
  try {
    const q = async (sql: string) =>
      Number((await (await ch.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
    return {
      final: await q(`SELECT count() AS n FROM ${db}.readings FINAL WHERE meter_id LIKE ${like}`),
      all: await q(`SELECT count() AS n FROM ${db}.readings WHERE meter_id LIKE ${like}`),
      rollup: await q(
        `SELECT sumMerge(readings) AS n FROM ${db}.rollup_meter_daily WHERE meter_id LIKE ${like}`,
      ),
    };
  } finally {
    await ch.close();
  }
}

/** Every message of a topic, JSON-decoded. */
export async function readTopic(config: SmtConfig, topic: string): Promise<unknown[]> {
  const { createKafka } = await import('../../src/core/kafka/client.js');
  const admin = createKafka(config).admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce(
    (n, o) => n + Number(o.high) - Number(o.low),
    0,
  );
  await admin.disconnect();
  const consumer = createKafka(config).consumer({ groupId: `read-${randomBytes(4).toString('hex')}` });
  const out: unknown[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          out.push(JSON.parse(message.value!.toString('utf8')));
          if (out.length >= total) resolve();
        },
      });
      if (total === 0) resolve();
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Runs `smt ingest --until-idle` in a child process; resolves with its exit code or signal. */
export function ingestProcess(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--no-warnings',
      path.join(ROOT, 'bin/dev.js'),
      'ingest',
      '--until-idle',
      '--log-level',
      'error',
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

export async function seriesAndBookkeeping(config: SmtConfig, meterPrefix: string) {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    const r = await pool.query<{ n: string | null }>(
      'SELECT sum(readings_received) AS n FROM smt.ingest_meter_days WHERE meter_id LIKE $1',
      [`${meterPrefix}-%`],
    );
    return {
      series: await seriesReadingCount(config, `${meterPrefix}-`),
      received: Number(r.rows[0]!.n ?? 0),
    };
  } finally {
    await pool.end();
  }
}
