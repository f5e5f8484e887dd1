import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { createClickHouseClient } from '../../src/core/clickhouse/client.js';
import { encode } from '../../src/core/codecs/index.js';
import { loadConfig, type SmtConfig } from '../../src/core/config/config.js';
import { type IngestSummary, runIngest } from '../../src/core/ingest/daemon.js';
import { createKafka } from '../../src/core/kafka/client.js';
import type { RawMessage } from '../../src/core/kafka/messages.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { topicNames } from '../../src/core/kafka/topics.js';
import { silentLogger } from '../../src/core/log.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { positionOf } from '../../src/core/series/day.js';
import { meterDay } from '../helpers/blocks.js';
import { ingestTestStores } from '../helpers/ingest-stores.js';
import type { IsolatedStores } from '../helpers/isolated-stores.js';
import { seriesDays, seriesReadingCount } from '../helpers/series.js';

const ZONE = 'Europe/Stockholm';
let stores: IsolatedStores;
let config: SmtConfig;
let configEnv: Record<string, string> = {};
const id = randomBytes(3).toString('hex');

function meter(n: number): Meter {
  return {
    meterId: `IT-${n}`,
    accountId: `A${n}`,
    tariffId: 'T-FLAT',
    regionId: n % 2 ? 'SE3' : 'SE4',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: 17,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
}

function jsonMessage(block: ReturnType<typeof meterDay>): RawMessage {
  return { key: block.meterId, value: Buffer.from(encode('json', [block]) as string), format: 'json' };
}

async function count(sql: string): Promise<number> {
  const ch = createClickHouseClient(config);
  try {
    const rs = await ch.query({ query: sql, format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string | number }>();
    return Number(row!.n);
  } finally {
    await ch.close();
  }
}

async function cassandraCount(table: string): Promise<number> {
  const c = createCassandraClient(config);
  try {
    const rs = await c.execute(`SELECT count(*) AS n FROM ${config.string('cassandra.keyspace')}.${table}`);
    return Number(rs.rows[0]!.n);
  } finally {
    await c.shutdown();
  }
}

async function pgSum(): Promise<{ received: number; rejected: number }> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    const r = await pool.query<{ received: string; rejected: string }>(
      'SELECT coalesce(sum(readings_received),0) AS received, coalesce(sum(readings_rejected),0) AS rejected FROM smt.ingest_meter_days',
    );
    return { received: Number(r.rows[0]!.received), rejected: Number(r.rows[0]!.rejected) };
  } finally {
    await pool.end();
  }
}

async function topicMessages(topic: string): Promise<number> {
  const admin = createKafka(config).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

const ingest = () => runIngest(config, { untilIdle: true, logger: silentLogger });

beforeAll(async () => {
  const t = await ingestTestStores('ingest', id, [meter(1), meter(2), meter(3)], {
    SMT_KAFKA_PARTITIONS: '2',
    SMT_TIMEZONE: ZONE,
  });
  stores = t.stores;
  config = t.config;
  configEnv = t.env;
});

afterAll(async () => {
  await stores?.drop();
});

describe('smt ingest end to end (Kafka → Cassandra, ClickHouse, PostgreSQL, topics)', () => {
  // 2026-03-29 is the spring-forward day in Stockholm: 92 quarter-hours.
  const days = ['2026-03-28', '2026-03-29'];
  const good = [1, 2, 3].flatMap((n) =>
    days.map((d) => meterDay(`IT-${n}`, d, ZONE, (i) => 0.1 + ((i * n) % 7) / 100)),
  );
  const perDay = { '2026-03-28': 96, '2026-03-29': 92 } as Record<string, number>;
  const goodReadings = 3 * (96 + 92);
  const negative = meterDay('IT-1', '2026-03-27', ZONE, (i) => (i < 4 ? -0.5 : 0.2)); // 4 rejected readings
  const withGaps = meterDay('IT-2', '2026-03-27', ZONE, (i) => (i % 10 === 0 ? Number.NaN : 0.3)); // 10 missing
  const unknown = meterDay('NOT-REGISTERED', '2026-03-28', ZONE, () => 0.1);
  let first: IngestSummary;

  it('stores every reading exactly once and dead-letters what it cannot take', async () => {
    const producer = await createProducer(config);
    try {
      const messages: RawMessage[] = [
        ...good.map(jsonMessage),
        jsonMessage(negative),
        jsonMessage(withGaps),
        jsonMessage(unknown),
        { key: 'IT-3', value: Buffer.from('{"v":1,"meter":"IT-3","channel":'), format: 'json' },
        { key: 'IT-3', value: Buffer.from('{}'), format: 'xml' as 'json' },
        jsonMessage(good[0]!), // a re-delivery of the same block
      ];
      await producer.sendRaw(topicNames(config).raw, messages);
    } finally {
      await producer.close();
    }
    first = await ingest();
    expect(first.stoppedBy).toBe('idle');
    const stored = goodReadings + (96 - 4) + (96 - 10);
    expect(first.stored).toBe(stored);
    expect(first.rejected).toBe(4);
    expect(first.missing).toBe(10);
    expect(first.duplicates).toBe(96);
    expect(first.deadLetteredMessages).toBe(3);
    expect(first.readings).toBe(goodReadings + 96 + 96 + 96 /* re-delivery */);
    // in = stored + rejected + missing + duplicates (+ the readings of dead-lettered messages, counted apart)
    expect(first.stored + first.rejected + first.missing + first.duplicates).toBe(first.readings);
    expect(first.rejectsByReason['limits.negative']).toBe(4);
    expect(first.rejectsByReason['registry.unknown']).toBe(96);
    expect(first.rejectsByReason.decode).toBe(1);
    expect(first.rejectsByReason['message.format']).toBe(1);

    const db = config.string('clickhouse.database');
    expect(await count(`SELECT count() AS n FROM ${db}.readings FINAL`)).toBe(stored);
    expect(await count(`SELECT sumMerge(readings) AS n FROM ${db}.rollup_meter_daily`)).toBe(stored);
    expect(await seriesReadingCount(config)).toBe(stored);
    expect(await cassandraCount('raw_messages')).toBe(12); // every delivery with a key, malformed and re-delivered included
    const pg = await pgSum();
    expect(pg.received).toBe(goodReadings + 96 + 86); // non-missing readings of accepted messages, the re-delivery not again
    expect(pg.rejected).toBe(4);
    // rejected topic: 3 dead messages + 1 block with rejected readings
    expect(await topicMessages(topicNames(config).rejected)).toBe(4);
    expect(await topicMessages(topicNames(config).validated)).toBe(good.length + 2);
    // per local day, the DST day with its 92 quarter-hours
    const ch = createClickHouseClient(config);
    try {
      const rs = await ch.query({
        query: `SELECT toString(local_date) AS d, count() AS n FROM ${db}.readings FINAL WHERE local_date IN (toDate('2026-03-28'), toDate('2026-03-29')) GROUP BY d ORDER BY d`,
        format: 'JSONEachRow',
      });
      const byDay = Object.fromEntries(
        (await rs.json<{ d: string; n: string }>()).map((r) => [r.d, Number(r.n)]),
      );
      expect(byDay).toEqual({
        '2026-03-28': 3 * perDay['2026-03-28']!,
        '2026-03-29': 3 * perDay['2026-03-29']!,
      });
    } finally {
      await ch.close();
    }
  });

  it('a replay of the whole topic changes nothing in any store', async () => {
    const admin = createKafka(config).admin();
    await admin.connect();
    try {
      await admin.resetOffsets({
        groupId: config.string('ingest.group'),
        topic: topicNames(config).raw,
        earliest: true,
      });
    } finally {
      await admin.disconnect();
    }
    const again = await ingest();
    expect(again.replayedMessages).toBe(first.messages);
    expect(again.stored).toBe(0);
    const db = config.string('clickhouse.database');
    expect(await count(`SELECT count() AS n FROM ${db}.readings`)).toBe(first.stored);
    expect(await count(`SELECT sumMerge(readings) AS n FROM ${db}.rollup_dims_daily`)).toBe(first.stored);
    expect(await seriesReadingCount(config)).toBe(first.stored);
    expect(await cassandraCount('raw_messages')).toBe(12);
    expect((await pgSum()).received).toBe(goodReadings + 96 + 86);
    expect(await topicMessages(topicNames(config).rejected)).toBe(4);
  });

  it('a corrected value is a new version; the same value again is a duplicate', async () => {
    const corrected = meterDay('IT-3', '2026-03-28', ZONE, (i) =>
      i === 5 /* 00:15 UTC: local midnight is 23:00 UTC */ ? 0.77 : 0.1 + ((i * 3) % 7) / 100,
    );
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(topicNames(config).raw, [jsonMessage(corrected)]);
    } finally {
      await producer.close();
    }
    const r = await ingest();
    expect(r.newVersions).toBe(1);
    expect(r.duplicates).toBe(95);
    expect(r.stored).toBe(1);
    const db = config.string('clickhouse.database');
    expect(await count(`SELECT count() AS n FROM ${db}.readings FINAL`)).toBe(first.stored);
    const ch = createClickHouseClient(config);
    try {
      const rs = await ch.query({
        query: `SELECT argMax(value, version) AS v FROM ${db}.readings WHERE meter_id = 'IT-3' AND ts = toDateTime('2026-03-28 00:15:00', 'UTC')`,
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ v: number }>();
      expect(row!.v).toBeCloseTo(0.77, 9);
      // the provisional rollups count the reading once, with its new value (the old one cancelled)
      expect(await count(`SELECT sumMerge(readings) AS n FROM ${db}.rollup_dims_daily`)).toBe(first.stored);
      const kwh = async (sql: string) =>
        (await (await ch.query({ query: sql, format: 'JSONEachRow' })).json<{ kwh: number }>())[0]!.kwh;
      const fromReadings = await kwh(
        `SELECT sum(value) AS kwh FROM ${db}.readings FINAL WHERE meter_id = 'IT-3' AND local_date = '2026-03-28'`,
      );
      const fromRollup = await kwh(
        `SELECT sumMerge(value_sum) AS kwh FROM ${db}.rollup_meter_daily WHERE meter_id = 'IT-3' AND local_date = '2026-03-28'`,
      );
      expect(fromRollup).toBeCloseTo(fromReadings, 9);
      expect(await count(`SELECT count() AS n FROM ${db}.readings_cancels WHERE meter_id = 'IT-3'`)).toBe(1);
    } finally {
      await ch.close();
    }
  });
});
describe('two versions of one reading in one batch', () => {
  it('keeps the later one in Cassandra and ClickHouse, even when it is smaller', async () => {
    const v1 = meterDay('IT-2', '2026-03-28', ZONE, (i) => (i === 7 ? 0.55 : 0.1 + ((i * 2) % 7) / 100));
    const v2 = meterDay('IT-2', '2026-03-28', ZONE, (i) => (i === 7 ? 0.44 : 0.1 + ((i * 2) % 7) / 100));
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(topicNames(config).raw, [jsonMessage(v1), jsonMessage(v2)]);
    } finally {
      await producer.close();
    }
    await ingest();
    const start = new Date(v2.starts[7]!);
    const [day] = await seriesDays(config, 'IT-2', '2026-03-28', '2026-03-28');
    expect(day!.values[positionOf(day!, start.getTime())]).toBe(0.44);
    const db = config.string('clickhouse.database');
    const ts = start.toISOString().slice(0, 19).replace('T', ' ');
    const ch = createClickHouseClient(config);
    try {
      const rs = await ch.query({
        query: `SELECT argMax(value, version) AS v FROM ${db}.readings WHERE meter_id = 'IT-2' AND ts = toDateTime('${ts}', 'UTC')`,
        format: 'JSONEachRow',
      });
      expect((await rs.json<{ v: number }>())[0]!.v).toBeCloseTo(0.44, 9);
    } finally {
      await ch.close();
    }
  });
});

describe('late data on a billed period', () => {
  it('queues a recalculation, raises an alert and an event, once', async () => {
    const pool = createPostgresPool(config, { max: 1 });
    try {
      await pool.query(
        "INSERT INTO smt.billing_periods (account_id, meter_id, period_start, period_end, status) VALUES ('A1', 'IT-1', '2026-03-01', '2026-04-01', 'billed')",
      );
      const late = meterDay('IT-1', '2026-03-20', ZONE, () => 0.2);
      const producer = await createProducer(config);
      try {
        await producer.sendRaw(topicNames(config).raw, [jsonMessage(late), jsonMessage(late)]);
      } finally {
        await producer.close();
      }
      const r = await ingest();
      expect(r.stored).toBe(96);
      expect(r.duplicates).toBe(96);
      const q = await pool.query(
        "SELECT meter_id, to_char(local_date, 'YYYY-MM-DD') AS d, reason, status FROM smt.recalc_queue",
      );
      expect(q.rows).toEqual([{ meter_id: 'IT-1', d: '2026-03-20', reason: 'late_data', status: 'pending' }]);
      const a = await pool.query('SELECT kind, readings FROM smt.late_data_alerts');
      expect(a.rows).toEqual([{ kind: 'billed_period', readings: 96 }]);
    } finally {
      await pool.end();
    }
    expect(await topicMessages(topicNames(config).events)).toBe(1);
  });
});
describe('values exactly as sent', () => {
  it('ClickHouse and the Cassandra series hold every value bit for bit, denormals included', async () => {
    const specials = [
      1.614,
      5e-324,
      0.30000000000000004,
      1 / 3,
      2.2250738585072014e-308,
      0.007,
      9.87654321e-5,
    ];
    const block = meterDay(
      'IT-3',
      '2026-04-02',
      ZONE,
      (i) => specials[i % specials.length]! + (i >= 7 ? i * 1e-9 : 0),
    );
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(topicNames(config).raw, [jsonMessage(block)]);
    } finally {
      await producer.close();
    }
    await ingest();
    const db = config.string('clickhouse.database');
    const ch = createClickHouseClient(config);
    try {
      const r = await ch.exec({
        query: `SELECT value FROM ${db}.readings FINAL WHERE meter_id = 'IT-3' AND local_date = toDate('2026-04-02') ORDER BY ts FORMAT RowBinary`,
      });
      const chunks: Buffer[] = [];
      for await (const c of r.stream) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      const stored = Array.from({ length: bytes.length / 8 }, (_, i) => bytes.readDoubleLE(i * 8));
      expect(stored).toEqual(Array.from(block.values));
      expect(Object.is(stored[1], 5e-324)).toBe(true);
    } finally {
      await ch.close();
    }
    const [day] = await seriesDays(config, 'IT-3', '2026-04-02', '2026-04-02');
    expect(Array.from(day!.values)).toEqual(Array.from(block.values));
  });
});
describe('a metrics port already in use', () => {
  it('is a usage error naming the port, not a bug', async () => {
    const net = await import('node:net');
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      const busy = loadConfig({
        env: { ...process.env, ...configEnv, SMT_INGEST_METRICS_PORT: String(port) },
      });
      const { UsageError } = await import('../../src/core/errors.js');
      const err = await runIngest(busy, { untilIdle: true, logger: silentLogger }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(
        `the metrics port ${port} on 127.0.0.1 is in use (another smt ingest?)`,
      );
    } finally {
      holder.close();
    }
  });
});
void kafkajs;
