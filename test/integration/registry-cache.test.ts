/** The ingest registry cache against PostgreSQL: full load, incremental refresh, late commits, deletions. */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/core/log.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { createPostgresPool } from '../../src/core/postgres/client.js';
import { MeterRepository } from '../../src/core/postgres/meter-repository.js';
import type { Meter } from '../../src/core/registry/meter.js';
import type { RegistryEntry } from '../../src/core/registry/meter-table.js';
import { RegistryCache } from '../../src/core/registry/registry-cache.js';
import { meterSnapshot } from '../../src/core/vee/context.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

let stores: IsolatedStores;
let pool: pg.Pool;
let repo: MeterRepository;
const logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[] = [];
let cache: RegistryCache;

const BAD = 'M0150';

function meter(i: number, over: Partial<Meter> = {}): Meter {
  return {
    meterId: `M${String(i).padStart(4, '0')}`,
    accountId: `ACC${i}`,
    tariffId: `T-${i % 3}`,
    regionId: i % 2 === 0 ? 'SE3' : 'SE4',
    segment: i % 5 === 0 ? 'commercial' : 'residential',
    timezone: i === 150 ? 'Europe/Stokholm' : 'Europe/Stockholm',
    intervalMinutes: 15,
    status: 'active',
    ratedKw: i % 4 === 0 ? null : 3.5 + (i % 9),
    installedAt: new Date(Date.UTC(2023, 0, 1 + (i % 28), 23, 15, 0, 123)),
    removedAt: null,
    // every seventh meter declares the channels it reports
    ...(i % 7 === 3 ? { channels: ['active_import_kwh', 'obis:1-0:3.8.0'] } : {}),
    ...over,
  };
}

const expected = (m: Meter): RegistryEntry => ({
  ...meterSnapshot(m),
  regionId: m.regionId,
  tariffId: m.tariffId,
  channelList: m.channels ? m.channels.join(',') : null,
  channelSet: m.channels ? new Set(m.channels) : null,
});
const fleet = Array.from({ length: 200 }, (_, i) => meter(i));

beforeAll(async () => {
  stores = await isolatedStores('registry_cache', { postgres: true });
  await migrateStores(stores.config, ['postgres']);
  pool = createPostgresPool(stores.config);
  repo = new MeterRepository(pool);
  await repo.upsert(fleet);
  cache = new RegistryCache(repo, {
    // every read spans several pages, so the keyset continuation is what the assertions check
    pageSize: 2,
    logger: { log: (level, msg, fields) => logs.push({ level, msg, fields }) },
  });
});
afterAll(async () => {
  await pool?.end();
  await stores?.drop();
});

describe('RegistryCache on PostgreSQL', () => {
  it('loads every row in pages, leaving out the one with an unknown zone and naming it', async () => {
    const r = await cache.load();
    expect([r.kind, r.rowsRead, r.invalid, r.meters]).toEqual(['full', 200, 1, 199]);
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => [w.fields?.meterId, w.fields?.timezone])).toEqual([[BAD, 'Europe/Stokholm']]);
    expect(cache.current.has(BAD)).toBe(false);
    for (const m of fleet.filter((m) => m.meterId !== BAD))
      expect(cache.current.get(m.meterId)).toEqual(expected(m));
  });

  it('a refresh after updating 3 meters and inserting 2 reads exactly those 5 rows', async () => {
    const changed = [
      meter(3, { tariffId: 'T-NEW' }),
      meter(4, { status: 'removed', removedAt: new Date(Date.UTC(2024, 5, 1)) }),
      meter(5, { timezone: 'Europe/Helsinki', ratedKw: 17.25 }),
      meter(200),
      meter(201, { segment: 'industrial' }),
    ];
    // the whole fleet again: unchanged rows are not written, so they are not read either
    const counts = await repo.upsert([...fleet.slice(0, 3), ...changed, ...fleet.slice(6)]);
    expect(counts).toEqual({ inserted: 2, updated: 3, unchanged: 197 });
    const before = cache.current;
    const r = await cache.refresh();
    expect([r.kind, r.rowsRead, r.deletionsRead, r.invalid, r.meters]).toEqual(['incremental', 5, 0, 0, 201]);
    for (const m of changed) expect(cache.current.get(m.meterId)).toEqual(expected(m));
    expect(cache.current.get('M0006')).toEqual(expected(fleet[6]!));
    expect(before.get('M0003')).toEqual(expected(fleet[3]!));

    const idle = await cache.refresh();
    expect([idle.rowsRead, idle.deletionsRead, idle.meters]).toEqual([0, 0, 201]);
  });

  it('picks up a transaction that started before a refresh and committed after it', async () => {
    // A sequence value or updated_at would be taken at the UPDATE, before M0008's commit, and a
    // cursor moved past M0009's later value would never see M0008.
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`UPDATE smt.meters SET tariff_id = 'T-SLOW' WHERE meter_id = 'M0008'`);
      await pool.query(`UPDATE smt.meters SET tariff_id = 'T-FAST' WHERE meter_id = 'M0009'`);
      const first = await cache.refresh();
      expect(first.rowsRead).toBe(1);
      expect(cache.current.get('M0009')!.tariffId).toBe('T-FAST');
      expect(cache.current.get('M0008')!.tariffId).toBe('T-2');
      await slow.query('COMMIT');
      slow.release();
    } catch (err) {
      slow.release(true); // never hand a connection with an open transaction back to the pool
      throw err;
    }
    const second = await cache.refresh();
    expect(second.rowsRead).toBe(1);
    expect(cache.current.get('M0008')!.tariffId).toBe('T-SLOW');
  });

  it('drops a deleted meter, and serves the bad-zone meter once its zone is fixed', async () => {
    await pool.query(`DELETE FROM smt.meters WHERE meter_id IN ('M0010', 'M0011', 'M0012')`);
    const del = await cache.refresh();
    expect([del.rowsRead, del.deletionsRead, del.meters]).toEqual([0, 3, 198]);
    expect(['M0010', 'M0011', 'M0012', 'M0013'].map((id) => cache.current.has(id))).toEqual([
      false,
      false,
      false,
      true,
    ]);

    const fixed = meter(150, { timezone: 'Europe/Stockholm' });
    await repo.upsert([fixed]);
    const r = await cache.refresh();
    expect([r.rowsRead, r.deletionsRead, r.invalid, r.meters]).toEqual([1, 0, 0, 199]);
    expect(cache.current.get(BAD)).toEqual(expected(fixed));
  });
});
