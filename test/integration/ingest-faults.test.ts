import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { encode } from '../../src/core/codecs/index.js';
import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { jsonLogger, silentLogger } from '../../src/core/log.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import { APPLY_STEPS } from '../../src/core/series/apply.js';
import { meterDay } from '../helpers/blocks.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ZONE = 'Europe/Stockholm';
const METERS = 12;
const DAYS = ['2026-10-23', '2026-10-24', '2026-10-25', '2026-10-26']; // 10-25: fall-back, 100 quarter-hours
const PER_METER = 96 + 96 + 100 + 96;
let stores: IsolatedStores;

function envFor(label: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...stores.env,
    SMT_TOPIC_RAW: `itf.${label}.raw`,
    SMT_TOPIC_VALIDATED: `itf.${label}.validated`,
    SMT_TOPIC_REJECTED: `itf.${label}.rejected`,
    SMT_TOPIC_EVENTS: `itf.${label}.events`,
    SMT_INGEST_GROUP: `itf-${label}`,
    SMT_INGEST_METRICS_PORT: '0',
    SMT_INGEST_BATCH_MESSAGES: '4',
    SMT_KAFKA_PARTITIONS: '3',
    SMT_TIMEZONE: ZONE,
    ...extra,
  };
}

async function produceFleet(config: SmtConfig, meterPrefix: string): Promise<void> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    await new MeterRepository(pool).upsert(
      Array.from({ length: METERS }, (_, n) => ({
        meterId: `${meterPrefix}-${n}`,
        accountId: `A${n}`,
        tariffId: 'T',
        regionId: 'SE3',
        segment: 'residential' as const,
        timezone: ZONE,
        intervalMinutes: 15 as const,
        status: 'active' as const,
        ratedKw: 17,
        installedAt: new Date('2025-01-01T00:00:00Z'),
        removedAt: null,
      })),
    );
  } finally {
    await pool.end();
  }
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

async function storedCount(
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
        `SELECT countMerge(readings) AS n FROM ${db}.rollup_meter_daily WHERE meter_id LIKE ${like}`,
      ),
    };
  } finally {
    await ch.close();
  }
}

beforeAll(async () => {
  stores = await isolatedStores('faults');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
});
afterAll(async () => {
  await stores?.drop();
});

/** Every message of a topic, JSON-decoded. */
async function readTopic(config: SmtConfig, topic: string): Promise<unknown[]> {
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
function ingestProcess(
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

async function seriesAndBookkeeping(config: SmtConfig, meterPrefix: string) {
  const { seriesReadingCount } = await import('../helpers/series.js');
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

describe('kill -9 right after each write step, then a restart', () => {
  for (const step of APPLY_STEPS) {
    it(`after ${step}: every store exact, rollups included`, async () => {
      const label = `k${step.slice(0, 3)}${randomBytes(2).toString('hex')}`;
      const env = envFor(label);
      const config = loadConfig({ env: { ...process.env, ...env } });
      const prefix = `K${label}`;
      await produceFleet(config, prefix);
      const killed = await ingestProcess({ ...env, SMT_FAULT_KILL_AFTER: step });
      expect(killed).toEqual({ code: null, signal: 'SIGKILL' });
      const done = await ingestProcess(env);
      expect(done).toEqual({ code: 0, signal: null });
      const ch = await storedCount(config, prefix);
      expect(ch).toEqual({ final: METERS * PER_METER, all: METERS * PER_METER, rollup: METERS * PER_METER });
      expect(await seriesAndBookkeeping(config, prefix)).toEqual({
        series: METERS * PER_METER,
        received: METERS * PER_METER,
      });
    }, 120_000);
  }
});

describe('poison pills', () => {
  it('a message every attempt fails on (a 70 KB key) is isolated and dead-lettered; the partition carries on', async () => {
    const label = `p${randomBytes(3).toString('hex')}`;
    const env = envFor(label, { SMT_KAFKA_PARTITIONS: '1', SMT_INGEST_BATCH_MESSAGES: '100' });
    const config = loadConfig({ env: { ...process.env, ...env } });
    const prefix = `P${label}`;
    await produceFleet(config, prefix); // 48 good messages
    const hugeKey = 'X'.repeat(70_000);
    const poison = meterDay(hugeKey.slice(0, 10), DAYS[0]!, ZONE, () => 0.1);
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(topicNames(config).raw, [
        { key: hugeKey, value: Buffer.from(encode('json', [poison]) as string), format: 'json' },
        {
          key: `${prefix}-0`,
          value: Buffer.from(
            encode('json', [meterDay(`${prefix}-0`, '2026-10-27', ZONE, () => 0.2)]) as string,
          ),
          format: 'json',
        },
      ]);
    } finally {
      await producer.close();
    }
    const summary = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(summary.stoppedBy).toBe('idle');
    expect(summary.rejectsByReason['store.rejected']).toBe(1);
    expect(summary.stored).toBe(METERS * PER_METER + 96);
    const ch = await storedCount(config, prefix);
    expect(ch).toEqual({
      final: METERS * PER_METER + 96,
      all: METERS * PER_METER + 96,
      rollup: METERS * PER_METER + 96,
    });
    expect(summary.lag).toEqual([{ partition: 0, lag: '0' }]);
    const { isRejectedLetter } = await import('../../src/core/series/contracts.js');
    const letters = await readTopic(config, topicNames(config).rejected);
    const poisonLetters = letters.filter((l) => (l as { rule?: string }).rule === 'store.rejected');
    expect(poisonLetters).toHaveLength(1);
    expect(isRejectedLetter(poisonLetters[0])).toBe(true);
    expect(poisonLetters[0]).toMatchObject({
      source: { partition: 0, offset: '48' },
      key: `${'X'.repeat(256)}…`,
    });
  }, 120_000);
});

describe('ingest under faults', () => {
  it('waits for ClickHouse while it is down, resumes, and loses nothing', async () => {
    const label = randomBytes(3).toString('hex');
    const base = loadConfig({ env: { ...process.env, ...envFor(label) } });
    const chUrl = new URL(base.string('clickhouse.url'));
    const proxy = new TcpProxy(chUrl.hostname, Number(chUrl.port));
    await proxy.open();
    const config = loadConfig({
      env: { ...process.env, ...envFor(label, { SMT_CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` }) },
    });
    await produceFleet(config, `CH${label}`);
    // ClickHouse "crashes" once the first batch is through, and comes back after a few failed attempts.
    let retriesSeen = 0;
    let batchesSeen = 0;
    const run = runIngest(config, {
      untilIdle: true,
      onProgress: () => {
        if (++batchesSeen === 1) void proxy.close();
      },
      logger: {
        log(level, msg) {
          if (level === 'warn' && msg.startsWith('batch failed')) retriesSeen++;
        },
      },
    });
    while (retriesSeen < 3) await new Promise((r) => setTimeout(r, 200));
    const storedWhileDown = (await storedCount(base, `CH${label}`)).final;
    expect(storedWhileDown).toBeLessThan(METERS * PER_METER);
    await proxy.open();
    const summary = await run;
    await proxy.close();
    expect(summary.retries).toBeGreaterThanOrEqual(3);
    expect(summary.stored).toBe(METERS * PER_METER);
    const counts = await storedCount(base, `CH${label}`);
    expect(counts.final).toBe(METERS * PER_METER);
    // An insert cut mid-response may have landed: the retry asks ClickHouse which readings it holds
    // before inserting, so every reading is inserted once and the rollups are exact.
    expect(counts.all).toBe(METERS * PER_METER);
    expect(counts.rollup).toBe(METERS * PER_METER);
  });

  it('SIGTERM mid-run exits 0; a restart completes with nothing lost and nothing counted twice', async () => {
    const label = randomBytes(3).toString('hex');
    // one message per slice, one partition at a time: 48 slices, so a stop after the first lands mid-run
    const env = envFor(label, { SMT_INGEST_BATCH_MESSAGES: '1', SMT_INGEST_PARTITIONS_CONCURRENTLY: '1' });
    const config = loadConfig({ env: { ...process.env, ...env } });
    await produceFleet(config, `SG${label}`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--no-warnings', path.join(ROOT, 'bin/dev.js'), 'ingest', '--log-level', 'info'],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    // Stop it as soon as it is processing: the first batch's effect is the consumer joining.
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('"consuming"')) resolve();
      });
    });
    // ...and once the first slice is stored, so the stop is neither before nor after the work.
    while ((await storedCount(config, `SG${label}`)).final === 0) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, stderr.slice(-2000)).toBe(0);
    const partial = await storedCount(config, `SG${label}`);
    expect(partial.final).toBeGreaterThan(0);
    expect(partial.final).toBeLessThan(METERS * PER_METER);
    const rest = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(rest.stoppedBy).toBe('idle');
    // the restart stores exactly what the stopped run had not: its slices were committed
    expect(rest.stored).toBe(METERS * PER_METER - partial.final);
    const counts = await storedCount(config, `SG${label}`);
    expect(counts.final).toBe(METERS * PER_METER);
    // Rollups count each reading once: no batch was applied twice across the stop.
    expect(counts.rollup).toBe(METERS * PER_METER);
    const pool = createPostgresPool(config, { max: 1 });
    try {
      const r = await pool.query<{ n: string }>(
        'SELECT sum(readings_received) AS n FROM smt.ingest_meter_days WHERE meter_id LIKE $1',
        [`SG${label}-%`],
      );
      expect(Number(r.rows[0]!.n)).toBe(METERS * PER_METER);
    } finally {
      await pool.end();
    }
  });
});
describe('several daemons in one group', () => {
  it('share the partitions and together store every reading once', async () => {
    const label = randomBytes(3).toString('hex');
    const config = loadConfig({ env: { ...process.env, ...envFor(label) } });
    await produceFleet(config, `GR${label}`);
    const [a, b] = await Promise.all([
      runIngest(config, { untilIdle: true, logger: silentLogger }),
      runIngest(config, { untilIdle: true, logger: silentLogger }),
    ]);
    expect(a.stored + b.stored).toBe(METERS * PER_METER);
    expect(a.duplicates + b.duplicates).toBe(0);
    const counts = await storedCount(config, `GR${label}`);
    expect(counts.final).toBe(METERS * PER_METER);
    expect(counts.rollup).toBe(METERS * PER_METER);
  });
});
void jsonLogger;
