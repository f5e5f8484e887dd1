import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { encode } from '../../src/core/codecs/index.js';
import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { createKafka } from '../../src/core/kafka/client.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { silentLogger } from '../../src/core/log.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { meterDay } from '../helpers/blocks.js';
import {
  DAYS,
  fleetEnv,
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

const TOTAL = METERS * PER_METER;
let stores: IsolatedStores;
const envFor = (label: string, extra: Record<string, string> = {}) =>
  fleetEnv(stores.env, label, { SMT_INGEST_SESSION_TIMEOUT_MS: '6000', ...extra });

beforeAll(async () => {
  stores = await isolatedStores('fencing');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
});
afterAll(async () => {
  await stores?.drop();
});

/** `smt ingest --until-idle` as a child process, its stderr kept; `ready` resolves when stderr shows `waitFor`. */
function daemon(env: Record<string, string>, waitFor?: string, level = 'warn', untilIdle = true) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--no-warnings',
      path.join(ROOT, 'bin/dev.js'),
      'ingest',
      ...(untilIdle ? ['--until-idle'] : []),
      '--log-level',
      level,
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let seen: () => void = () => {};
  const ready = new Promise<void>((resolve) => (seen = resolve));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (waitFor && stderr.includes(waitFor)) seen();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { ready, exited, stderr: () => stderr, stop: () => child.kill('SIGTERM') };
}

async function everyStoreExact(config: SmtConfig, prefix: string, total = TOTAL): Promise<void> {
  expect(await storedCount(config, prefix)).toEqual({ final: total, all: total, rollup: total });
  expect(await seriesAndBookkeeping(config, prefix)).toEqual({ series: total, received: total });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('fencing: a member that lost its partition writes nothing', () => {
  it('two daemons, one stalled mid-slice past its session: the group moves the partition, the stalled one drops its slice, every store exact', async () => {
    const label = `f${randomBytes(3).toString('hex')}`;
    const env = envFor(label, { SMT_INGEST_PARTITIONS_CONCURRENTLY: '1' });
    const config = loadConfig({ env: { ...process.env, ...env } });
    const prefix = `F${label}`;
    await produceFleet(config, prefix);
    // A writes raw, series and ClickHouse of its first slice, then hangs for 15 s (session 6 s)
    const a = daemon({ ...env, SMT_FAULT_STALL_AFTER: 'analytics:15000' }, 'stalling the slice');
    await a.ready;
    const b = daemon(env);
    const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
    expect(codeB, b.stderr().slice(-2000)).toBe(0);
    expect(codeA, a.stderr().slice(-2000)).toBe(0);
    // A woke after its session and was fenced before publishing: it never sent its stalled slice
    expect(a.stderr()).toMatch(/lost its partition mid-slice[^\n]*before write step validated/);
    await everyStoreExact(config, prefix);
    // Every delivery is on the validated topic. A slice fenced after publishing (B's, when A rejoins
    // and the group rebalances again) is published again on replay: at least once, under the same
    // idempotency id and with the same content, so a consumer that dedupes by id sees each once.
    const validated = (await readTopic(config, topicNames(config).validated)) as { id: string }[];
    const byId = new Map<string, string>();
    for (const m of validated) {
      const json = JSON.stringify(m);
      expect(byId.get(m.id) ?? json, `validated message ${m.id} published twice with different content`).toBe(
        json,
      );
      byId.set(m.id, json);
    }
    expect(byId.size).toBe(METERS * DAYS.length);
  }, 180_000);

  it('one daemon stalled past its session rejoins by itself and finishes exact', async () => {
    const label = `s${randomBytes(3).toString('hex')}`;
    const env = envFor(label);
    const config = loadConfig({ env: { ...process.env, ...env } });
    const prefix = `S${label}`;
    await produceFleet(config, prefix);
    const a = daemon({ ...env, SMT_FAULT_STALL_AFTER: 'series:10000' });
    expect(await a.exited, a.stderr().slice(-2000)).toBe(0);
    expect(a.stderr()).toContain('lost its partition mid-slice');
    await everyStoreExact(config, prefix);
  }, 180_000);
});

describe('a store paused longer than the session timeout', () => {
  it('Cassandra frozen for 20 s (session 6 s): /healthz says 503 meanwhile, the member stays in the group, every store exact', async () => {
    const label = `c${randomBytes(3).toString('hex')}`;
    const base = loadConfig({ env: { ...process.env, ...envFor(label) } });
    const [host, port] = base.list('cassandra.contactPoints')[0]!.split(':');
    const proxy = new TcpProxy(host!, Number(port ?? 9042));
    await proxy.open();
    const metricsPort = await freePort();
    const env = envFor(label, {
      SMT_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${proxy.port}`,
      SMT_INGEST_METRICS_PORT: String(metricsPort),
    });
    const config = loadConfig({ env: { ...process.env, ...env } });
    const prefix = `C${label}`;
    await produceFleet(config, prefix, { register: true });
    try {
      // a running daemon (not --until-idle: it would leave while the topic is empty)
      const d = daemon(env, '"consuming"', 'info', false);
      await Promise.race([d.ready, d.exited]);
      // frozen before the deliveries arrive: their first write hangs
      proxy.pause();
      await produceFleet(config, prefix, { produce: true });
      const paused = Date.now();
      let unhealthy = 0;
      while (Date.now() - paused < 20_000) {
        const r = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => null);
        if (r?.status === 503) unhealthy++;
        await new Promise((res) => setTimeout(res, 1_000));
      }
      proxy.resume();
      expect(unhealthy, d.stderr().slice(-3000)).toBeGreaterThan(0);
      for (let i = 0; i < 120 && (await storedCount(config, prefix)).final < TOTAL; i++)
        await new Promise((res) => setTimeout(res, 500));
      const healthy = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      expect(healthy.status).toBe(200);
      // SIGTERM after the store came back ends the process promptly
      const asked = Date.now();
      d.stop();
      const code = await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code, d.stderr().slice(-3000)).toBe(0);
      expect(Date.now() - asked).toBeLessThan(30_000);
      await everyStoreExact(config, prefix);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});

describe('offsets that restart', () => {
  it('a recreated raw topic (new topic id) is ingested, not skipped as a replay of the old one', async () => {
    const label = `r${randomBytes(3).toString('hex')}`;
    const env = envFor(label);
    const config = loadConfig({ env: { ...process.env, ...env } });
    await produceFleet(config, `R1${label}`);
    expect((await runIngest(config, { untilIdle: true, logger: silentLogger })).stored).toBe(TOTAL);
    const admin = createKafka(config).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topicNames(config).raw] });
      // deletion is asynchronous: wait until the name is free again
      for (let i = 0; i < 60 && (await admin.listTopics()).includes(topicNames(config).raw); i++)
        await new Promise((r) => setTimeout(r, 500));
    } finally {
      await admin.disconnect();
    }
    // the same offsets again, other meters: without the topic id they would pass for replays
    await produceFleet(config, `R2${label}`);
    const second = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(second.replayedMessages).toBe(0);
    expect(second.stored).toBe(TOTAL);
    await everyStoreExact(config, `R1${label}`);
    await everyStoreExact(config, `R2${label}`);
  }, 180_000);

  it('a new consumer group replays the topic into the same stores and counts nothing twice', async () => {
    const label = `g${randomBytes(3).toString('hex')}`;
    const env = envFor(label);
    const config = loadConfig({ env: { ...process.env, ...env } });
    const prefix = `G${label}`;
    await produceFleet(config, prefix);
    expect((await runIngest(config, { untilIdle: true, logger: silentLogger })).stored).toBe(TOTAL);
    const other = loadConfig({
      env: { ...process.env, ...env, SMT_INGEST_GROUP: `${env.SMT_INGEST_GROUP}-2` },
    });
    const replay = await runIngest(other, { untilIdle: true, logger: silentLogger });
    expect(replay.replayedMessages).toBe(METERS * DAYS.length);
    expect(replay.stored).toBe(0);
    await everyStoreExact(config, prefix);
  }, 180_000);
});

describe('every message accounted for', () => {
  it('a message without a key and one with an empty key are stored under the payload meter and archived', async () => {
    const label = `u${randomBytes(3).toString('hex')}`;
    const env = envFor(label, { SMT_KAFKA_PARTITIONS: '1' });
    const config = loadConfig({ env: { ...process.env, ...env } });
    const prefix = `U${label}`;
    await produceFleet(config, prefix);
    await ensureTopics(config);
    const day = (d: string) =>
      Buffer.from(encode('json', [meterDay(`${prefix}-0`, d, ZONE, () => 0.25)]) as string);
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(topicNames(config).raw, [
        { key: null, value: day('2026-10-27'), format: 'json' },
        { key: '', value: day('2026-10-28'), format: 'json' },
      ]);
    } finally {
      await producer.close();
    }
    const s = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(s.rejected).toBe(0);
    expect(s.stored).toBe(TOTAL + 2 * 96);
    await everyStoreExact(config, prefix, TOTAL + 2 * 96);
    const c = createCassandraClient(config);
    try {
      const rs = await c.execute(
        `SELECT day, source FROM ${config.string('cassandra.keyspace')}.raw_messages WHERE meter_id = ? AND day IN ('2026-10-27', '2026-10-28')`,
        [`${prefix}-0`],
      );
      expect(rs.rows.map((r) => String(r.day)).sort()).toEqual(['2026-10-27', '2026-10-28']);
    } finally {
      await c.shutdown();
    }
  }, 180_000);
});
