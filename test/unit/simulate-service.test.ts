import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/core/codecs/index.js';
import { loadConfig } from '../../src/core/config/config.js';
import type { RawMessage } from '../../src/core/kafka/messages.js';
import type { MessageProducer } from '../../src/core/kafka/producer.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { parseMeterCsv } from '../../src/core/registry/meter-csv.js';
import { resolveFaults } from '../../src/core/simulate/faults.js';
import {
  defaultStart,
  runSimulation,
  type SimulateProgress,
  TokenBucket,
} from '../../src/core/simulate/service.js';

const config = loadConfig({ env: { SMT_TOPIC_RAW: 'sim.test.raw' } });
const base = {
  seed: 5,
  meters: 120,
  days: 2,
  start: '2026-03-28',
  timezone: 'Europe/Stockholm',
  faults: resolveFaults('heavy'),
};

/** A producer that records what it is sent and how many sends overlap. */
function fakeProducer(delayMs = 0) {
  const sent: RawMessage[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;
  const producer: MessageProducer = {
    async sendRaw(topic, messages) {
      expect(topic).toBe('sim.test.raw');
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, delayMs));
      sent.push([...messages]);
      inFlight--;
    },
    async sendJson() {},
    async close() {
      closed = true;
    },
  };
  return { producer, sent, stats: () => ({ maxInFlight, closed }) };
}

/** A clock that only moves when the code under test sleeps. */
function virtualClock() {
  let t = 0;
  let slept = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      slept += ms;
    },
    slept: () => slept,
  };
}

describe('runSimulation', () => {
  it('produces every generated message in batches, key = meter id, with its format, and sums up', async () => {
    const fake = fakeProducer(1);
    const upserted: Meter[] = [];
    const summary = await runSimulation(
      config,
      { ...base, registry: { kind: 'postgres' }, batchSize: 50, inFlight: 3 },
      {
        producer: async () => fake.producer,
        ensureTopics: async () => [],
        upsertMeters: async (meters) => {
          upserted.push(...meters);
          return { inserted: meters.length, updated: 0, unchanged: 0 };
        },
      },
    );
    const all = fake.sent.flat();
    expect(fake.sent.every((b) => b.length <= 50)).toBe(true);
    expect(fake.stats().maxInFlight).toBeLessThanOrEqual(3);
    expect(fake.stats().maxInFlight).toBeGreaterThan(1);
    expect(fake.stats().closed).toBe(true);
    expect(all).toHaveLength(summary.tally.messages.total);
    expect(summary.messages).toBe(all.length);
    expect(summary.bytes).toBe(all.reduce((s, m) => s + m.value.length, 0));
    expect(summary.readings).toBe(summary.tally.readings.sent);
    expect(summary.registry).toMatchObject({ target: 'postgres', meters: 120, inserted: 120 });
    expect(upserted.map((m) => m.meterId)).toEqual(
      Array.from({ length: 120 }, (_, i) => `SIM-${String(i + 1).padStart(6, '0')}`),
    );
    expect(summary.topic).toBe('sim.test.raw');
    expect(summary.interrupted).toBe(false);
    for (const m of all) {
      expect(m.format).toBe('json');
      const r = decode('json', m.value, { meterId: m.key ?? undefined });
      if (r.failures.length === 0) expect(r.blocks[0]!.meterId).toBe(m.key);
    }
  });

  it('writes the registry CSV instead of PostgreSQL, readable by parseMeterCsv', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'smt-sim-')), 'registry.csv');
    const fake = fakeProducer();
    const summary = await runSimulation(
      config,
      { ...base, meters: 3_456, days: 1, faults: {}, registry: { kind: 'csv', file } },
      { producer: async () => fake.producer, ensureTopics: async () => [] },
    );
    const parsed = parseMeterCsv(readFileSync(file, 'utf8'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.meters).toHaveLength(3_456);
    expect(summary.registry).toMatchObject({ target: 'csv', file, meters: 3_456 });
  });

  it('a dry run touches neither the registry nor Kafka', async () => {
    const fail = async (): Promise<never> => {
      throw new Error('must not be called');
    };
    const summary = await runSimulation(
      config,
      { ...base, registry: { kind: 'postgres' }, dryRun: true },
      { producer: fail, ensureTopics: fail, upsertMeters: fail },
    );
    expect(summary.dryRun).toBe(true);
    expect(summary.topic).toBeNull();
    expect(summary.registry.target).toBe('none');
    expect(summary.messages).toBe(summary.tally.messages.total);
    expect(summary.tally.expected.distinctReadings).toBeGreaterThan(0);
  });

  it('--rate: waits so that readings / (virtual) time stays at the rate', async () => {
    const clock = virtualClock();
    const fake = fakeProducer();
    const rate = 20_000;
    const summary = await runSimulation(
      config,
      { ...base, faults: {}, registry: { kind: 'none' }, rate },
      {
        producer: async () => fake.producer,
        ensureTopics: async () => [],
        now: clock.now,
        sleep: clock.sleep,
      },
    );
    // the bucket starts with one second of tokens
    const expectedMs = ((summary.readings - rate) / rate) * 1000;
    expect(clock.slept()).toBeGreaterThanOrEqual(expectedMs - 1);
    expect(clock.slept()).toBeLessThanOrEqual(expectedMs + 1000);
    // batches are kept to ~0.1 s of readings
    expect(Math.max(...fake.sent.map((b) => b.length))).toBeLessThanOrEqual(Math.ceil(rate / 10 / 96));
  });

  it('stops early on abort and says so', async () => {
    const fake = fakeProducer();
    const abort = new AbortController();
    const progress: SimulateProgress[] = [];
    const summary = await runSimulation(
      config,
      {
        ...base,
        registry: { kind: 'none' },
        batchSize: 10,
        progressIntervalMs: 0,
        signal: abort.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.messages >= 30) abort.abort();
        },
      },
      { producer: async () => fake.producer, ensureTopics: async () => [] },
    );
    expect(summary.interrupted).toBe(true);
    expect(summary.messages).toBeLessThan(120 * 2);
    expect(summary.messages).toBe(fake.sent.flat().length);
    expect(progress.every((p) => p.fraction >= 0 && p.fraction <= 1)).toBe(true);
  });

  it('reports progress up to 100 %', async () => {
    const progress: SimulateProgress[] = [];
    await runSimulation(config, {
      ...base,
      registry: { kind: 'none' },
      dryRun: true,
      progressIntervalMs: 0,
      batchSize: 20,
      onProgress: (p) => progress.push(p),
    });
    const last = progress.at(-1)!;
    expect(last.phase).toBe('produce');
    expect(last.fraction).toBe(1);
    expect(progress.map((p) => p.messages)).toEqual(
      [...progress.map((p) => p.messages)].sort((a, b) => a - b),
    );
  });

  it('a failed send fails the run and still closes the producer', async () => {
    let closed = false;
    const producer: MessageProducer = {
      async sendRaw() {
        throw new Error('boom');
      },
      async sendJson() {},
      async close() {
        closed = true;
      },
    };
    await expect(
      runSimulation(
        config,
        { ...base, registry: { kind: 'none' } },
        { producer: async () => producer, ensureTopics: async () => [] },
      ),
    ).rejects.toThrow(/boom/);
    expect(closed).toBe(true);
  });
});

describe('TokenBucket', () => {
  it('lets a second of readings through at once, then paces', async () => {
    const clock = virtualClock();
    const b = new TokenBucket(1000, clock.now, clock.sleep);
    expect(await b.take(1000)).toBe(0);
    expect(await b.take(500)).toBe(500);
    expect(await b.take(2000)).toBe(2000);
    expect(clock.now()).toBe(2500);
  });
});

describe('defaultStart', () => {
  it('is --days local days before today in the zone', () => {
    // 2026-03-29 23:30 UTC is already 2026-03-30 in Stockholm
    expect(defaultStart('Europe/Stockholm', 3, Date.UTC(2026, 2, 29, 23, 30))).toBe('2026-03-27');
    expect(defaultStart('UTC', 3, Date.UTC(2026, 2, 29, 23, 30))).toBe('2026-03-26');
  });
});
