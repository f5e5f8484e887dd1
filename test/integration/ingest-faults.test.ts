import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/core/codecs/index.js';
import { loadConfig } from '../../src/core/config/config.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { topicNames } from '../../src/core/kafka/topics.js';
import { jsonLogger, silentLogger } from '../../src/core/log.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { APPLY_STEPS } from '../../src/core/series/apply.js';
import { meterDay } from '../helpers/blocks.js';
import {
  DAYS,
  fleetEnv,
  ingestProcess,
  METERS,
  PER_METER,
  produceFleet,
  ROOT,
  readTopic,
  seriesAndBookkeeping,
  storedCount,
  ZONE,
} from '../helpers/ingest-fleet.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let stores: IsolatedStores;
// a short session: the member a kill -9 leaves behind is expired in seconds, not half a minute
const envFor = (label: string, extra: Record<string, string> = {}) =>
  fleetEnv(stores.env, label, { SMT_INGEST_SESSION_TIMEOUT_MS: '8000', ...extra });

beforeAll(async () => {
  stores = await isolatedStores('faults');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
});
afterAll(async () => {
  await stores?.drop();
});

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
