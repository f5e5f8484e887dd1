import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmtConfig } from '../../src/core/config/config.js';
import { runImport } from '../../src/core/import/service.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { createProducer } from '../../src/core/kafka/producer.js';
import { topicNames } from '../../src/core/kafka/topics.js';
import { silentLogger } from '../../src/core/log.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { isRejectedLetter, type RejectedLetter } from '../../src/core/series/contracts.js';
import { readTopic } from '../helpers/ingest-fleet.js';
import { ingestTestStores } from '../helpers/ingest-stores.js';
import type { IsolatedStores } from '../helpers/isolated-stores.js';
import { seriesReadingCount } from '../helpers/series.js';

// NEM12 market time is UTC+10 all year; Brisbane keeps it, so a NEM12 day is one local day
const ZONE = 'Australia/Brisbane';
const NMI = 'NCDE001111';
const id = randomBytes(3).toString('hex');
let stores: IsolatedStores;
let config: SmtConfig;

const meter: Meter = {
  meterId: `${NMI}E1`,
  accountId: 'A-1',
  tariffId: 'T-FLAT',
  regionId: 'QLD',
  segment: 'residential',
  timezone: ZONE,
  intervalMinutes: 30,
  status: 'active',
  ratedKw: 10,
  installedAt: new Date('2025-01-01T00:00:00Z'),
  removedAt: null,
};

const values = Array.from({ length: 48 }, () => '0.1').join(',');
const day300 = (date: string, qm = 'A') => `300,${date},${values},${qm},,,20260115000000,`;
const stream200 = (suffix: string) => `200,${NMI},E1N1,1,${suffix},${suffix},MTR1,kWh,30,`;
const file = (...lines: string[]) => ['100,NEM12,202601150000,MDP,RET', ...lines, '900', ''].join('\n');
/** UTC start of a market day (AEST, UTC+10) */
const aest = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) - 10 * 3_600_000;

interface RejectRow {
  meter_id: string;
  channel: string;
  local_date: string;
  rule: string;
  detail: string;
  readings: number;
}

async function rejectRows(): Promise<RejectRow[]> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    const r = await pool.query<RejectRow>(
      `SELECT meter_id, channel, to_char(local_date, 'YYYY-MM-DD') AS local_date, rule, detail, readings
         FROM smt.ingest_rejects ORDER BY local_date, meter_id, rule`,
    );
    return r.rows;
  } finally {
    await pool.end();
  }
}

beforeAll(async () => {
  const t = await ingestTestStores('drops', id, [meter], { SMT_KAFKA_PARTITIONS: '1', SMT_TIMEZONE: ZONE });
  stores = t.stores;
  config = t.config;
}, 180_000);

afterAll(async () => {
  await stores?.drop();
});

describe('readings a NEM12 decoder drops are on the record (real Kafka, PostgreSQL, Cassandra)', () => {
  it('counted per meter-day and reason in smt.ingest_rejects, listed with line and intervals on the rejected topic', async () => {
    const producer = await createProducer(config);
    try {
      await producer.sendRaw(topicNames(config).raw, [
        // a good day, then a V day whose 400 records cover 1..20 only: the message is dead-lettered
        {
          key: `${NMI}E1`,
          value: Buffer.from(
            file(stream200('E1'), day300('20260110'), day300('20260111', 'V'), '400,1,20,A,,'),
          ),
          format: 'nem12',
        },
        // a stream without a channel (N1): nothing fails, the 48 readings are dropped
        { key: `${NMI}N1`, value: Buffer.from(file(stream200('N1'), day300('20260112'))), format: 'nem12' },
        { key: `${NMI}E1`, value: Buffer.from(file(stream200('E1'), day300('20260112'))), format: 'nem12' },
      ]);
    } finally {
      await producer.close();
    }
    const s = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(s.stored).toBe(48);
    expect(s.deadLetteredMessages).toBe(1);
    expect(s.deadLetteredReadings).toBe(48);
    expect(s.dropped).toBe(96);
    expect(s.rejectsByReason).toEqual({ decode: 48, 'decode.dropped': 96 });
    expect(await seriesReadingCount(config)).toBe(48);

    expect(await rejectRows()).toEqual([
      {
        meter_id: `${NMI}E1`,
        channel: 'active_import_kwh',
        local_date: '2026-01-10',
        rule: 'decode',
        detail: '',
        readings: 48,
      },
      {
        meter_id: `${NMI}E1`,
        channel: 'active_import_kwh',
        local_date: '2026-01-11',
        rule: 'decode.dropped',
        detail: 'invalid 300 record',
        readings: 48,
      },
      {
        meter_id: `${NMI}N1`,
        channel: '',
        local_date: '2026-01-12',
        rule: 'decode.dropped',
        detail: 'no channel for the data stream',
        readings: 48,
      },
    ]);

    const letters = (await readTopic(config, topicNames(config).rejected)) as RejectedLetter[];
    expect(letters).toHaveLength(2);
    for (const l of letters) expect(isRejectedLetter(l)).toBe(true);
    const dead = letters.find((l) => l.kind === 'message')!;
    expect(dead).toMatchObject({ rule: 'decode', key: `${NMI}E1`, format: 'nem12' });
    expect(dead.kind === 'message' && dead.drops).toEqual([
      {
        reason: 'invalid 300 record',
        readings: 48,
        message: 'QualityMethod V needs 400 records covering intervals 1..48; covered 1..20',
        line: 4,
        record: '300',
        field: null,
        meterId: `${NMI}E1`,
        channel: 'active_import_kwh',
        intervalMinutes: 30,
        from: aest(2026, 1, 11),
        to: aest(2026, 1, 12),
      },
    ]);
    const dropped = letters.find((l) => l.kind === 'dropped')!;
    expect(dropped).toMatchObject({
      kind: 'dropped',
      key: `${NMI}N1`,
      format: 'nem12',
      source: { topic: topicNames(config).raw, partition: 0, offset: '1' },
      // nothing decoded: archived on the day it was received, under its source (topic incarnation/partition/offset)
      payloadRef: { meterId: `${NMI}N1`, day: expect.any(String), source: expect.stringMatching(/\/0\/1$/) },
    });
    expect(dropped.kind === 'dropped' && dropped.drops).toEqual([
      {
        reason: 'no channel for the data stream',
        readings: 48,
        message:
          'its 200 record: data stream N1 (kWh) has no smt channel: suffix N1 names no quantity smt knows (E, B, Q, K)',
        line: 3,
        record: '300',
        field: null,
        meterId: `${NMI}N1`,
        channel: null,
        intervalMinutes: 30,
        from: aest(2026, 1, 12),
        to: aest(2026, 1, 13),
      },
    ]);
  }, 240_000);

  it('smt import reports the dropped readings with the file line, and ingest records them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smt-drops-it-'));
    const f = path.join(dir, 'NEM12#DROPS#MDP#RET.csv');
    writeFileSync(f, file(stream200('E1'), day300('20260113'), stream200('N1'), day300('20260113')));
    const r = await runImport(config, { paths: [f], timezone: ZONE });
    const report = r.files[0]!;
    expect([report.status, report.messages, report.readings, r.dropped]).toEqual(['imported', 2, 48, 48]);
    expect(report.dropped).toEqual({
      count: 48,
      reasons: [{ reason: 'no channel for the data stream', readings: 48 }],
      items: [
        'NEM12#DROPS#MDP#RET.csv, line 5, 300: 48 readings dropped (no channel for the data stream) NCDE001111N1 from 2026-01-12T14:00:00.000Z to 2026-01-13T14:00:00.000Z: its 200 record: data stream N1 (kWh) has no smt channel: suffix N1 names no quantity smt knows (E, B, Q, K)',
      ],
    });
    const s = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect([s.stored, s.dropped, s.deadLetteredMessages]).toEqual([48, 48, 0]);
    expect((await rejectRows()).filter((x) => x.local_date === '2026-01-13')).toEqual([
      {
        meter_id: `${NMI}N1`,
        channel: '',
        local_date: '2026-01-13',
        rule: 'decode.dropped',
        detail: 'no channel for the data stream',
        readings: 48,
      },
    ]);
  }, 240_000);
});
