import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/core/cassandra/client.js';
import { CassandraRegisterReadStore } from '../../src/core/cassandra/register-read-store.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import { withCorrectionStores } from '../../src/core/corrections/stores.js';
import { runImport } from '../../src/core/import/service.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { explainInterval } from '../../src/core/lineage/explain.js';
import { silentLogger } from '../../src/core/log.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { ingestTestStores } from '../helpers/ingest-stores.js';
import type { IsolatedStores } from '../helpers/isolated-stores.js';

const ZONE = 'Australia/Brisbane';
const SAMPLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../samples/nem13/NEM13#0000000001#SMTMDP#RETAILER1.csv',
);
const id = randomBytes(3).toString('hex');
let stores: IsolatedStores;
let config: SmtConfig;

const meter = (meterId: string): Meter => ({
  meterId,
  accountId: 'A-4444',
  tariffId: 'T-FLAT',
  regionId: 'QLD',
  segment: 'residential',
  timezone: ZONE,
  intervalMinutes: 30,
  status: 'active',
  ratedKw: 10,
  installedAt: new Date('2025-01-01T00:00:00Z'),
  removedAt: null,
});

beforeAll(async () => {
  const t = await ingestTestStores('registers', id, [meter('NCDE00444411'), meter('NCDE00444441')], {
    SMT_KAFKA_PARTITIONS: '1',
    SMT_TIMEZONE: ZONE,
  });
  stores = t.stores;
  config = t.config;
}, 180_000);

afterAll(async () => {
  await stores?.drop();
});

async function reads(meterId: string) {
  const c = createCassandraClient(config, { useKeyspace: true });
  try {
    return await new CassandraRegisterReadStore(c, config.string('cassandra.keyspace')).registerReads({
      meterId,
      from: 0,
      to: Date.UTC(2100, 0, 1),
    });
  } finally {
    await c.shutdown();
  }
}

describe('NEM13 register reads: smt import → smt ingest → register_reads (real Kafka, Cassandra)', () => {
  it('stores each read once, with its period on the read that closes it; a re-import is all duplicates', async () => {
    const r = await runImport(config, { paths: [SAMPLE], timezone: ZONE });
    expect(r.files.map((f) => [f.status, f.messages, f.registerReads, f.failures.count])).toEqual([
      ['imported', 4, 4, 0],
    ]);
    const s = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect([s.deadLetteredMessages, s.registerReads, s.registerReadsStored]).toEqual([0, 8, 6]);

    const r11 = await reads('NCDE00444411');
    expect(
      r11.map((x) => [x.channel, new Date(x.at).toISOString(), x.value, x.quality, x.method, x.quantity]),
    ).toEqual([
      ['register_import_kwh', '2025-09-30T23:30:00.000Z', 6342.8, 'A', -1, null],
      ['register_import_kwh', '2026-01-02T00:15:00.000Z', 7654.9, 'A', -1, 1312.1],
      ['register_import_kwh', '2026-03-31T23:45:00.000Z', 8802.4, 'E', 64, 1147.5],
    ]);
    expect(r11[1]!.periodStart).toBe(Date.UTC(2025, 8, 30, 23, 30));
    expect(r11[2]!.periodStart).toBe(Date.UTC(2026, 0, 2, 0, 15));
    // the rollover at 100000: the file's Quantity (1070) is kept, not 420 − 99350
    expect((await reads('NCDE00444441')).map((x) => [x.value, x.quantity])).toEqual([
      [98120, null],
      [99350, 1230],
      [420, 1070],
    ]);

    const again = await runImport(config, { paths: [SAMPLE], timezone: ZONE, force: true });
    expect(again.files[0]!.status).toBe('imported');
    const s2 = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect([s2.registerReads, s2.registerReadsStored]).toEqual([8, 0]);
    expect(await reads('NCDE00444411')).toHaveLength(3);
  }, 240_000);

  it('smt explain shows the read period that covers an interval', async () => {
    const e = await withCorrectionStores(config, { write: false }, (st) =>
      explainInterval(st.lineage, {
        meterId: 'NCDE00444411',
        instant: '2026-02-01T12:00+10:00',
        channel: 'active_import_kwh',
      }),
    );
    expect(e.registerPeriods).toEqual([
      {
        channel: 'register_import_kwh',
        unit: 'kWh',
        periodStart: '2026-01-02T00:15:00.000Z',
        readAt: '2026-03-31T23:45:00.000Z',
        value: 8802.4,
        quantity: 1147.5,
        quality: 'E64',
        version: expect.any(Number),
        source: expect.stringMatching(/\/0\/2$/),
      },
    ]);
  }, 120_000);
});
