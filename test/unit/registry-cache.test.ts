/** The ingest registry: columnar table, interning, zone checks, views, incremental refresh. */
import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/core/log.js';
import type { RegistryEntry } from '../../src/core/registry/meter-table.js';
import { RegistryCache, type RegistrySource } from '../../src/core/registry/registry-cache.js';
import { StringTable } from '../../src/core/registry/string-table.js';
import { isValidTimeZone } from '../../src/core/time/calendar.js';

const T = Date.UTC(2024, 0, 1);
const ZONES = ['Europe/Stockholm', 'Europe/Helsinki', 'UTC'];

function entry(i: number, over: Partial<RegistryEntry> = {}): RegistryEntry {
  return {
    meterId: `M${String(i).padStart(5, '0')}`,
    status: i % 7 === 0 ? 'removed' : 'active',
    installedAt: T + i * 1000,
    removedAt: i % 7 === 0 ? T + i * 1000 + 86_400_000 : null,
    segment: i % 3 === 0 ? 'commercial' : 'residential',
    ratedKw: i % 5 === 0 ? null : 3 + (i % 11) + 0.125,
    timezone: ZONES[i % ZONES.length]!,
    intervalMinutes: i % 4 === 0 ? 60 : 15,
    regionId: `R${i % 4}`,
    tariffId: `T${i % 6}`,
    // every tenth meter declares its channels; the table keeps one shared set per distinct list
    channelList: i % 10 === 1 ? 'active_import_kwh,reactive_q1_kvarh' : null,
    channelSet: i % 10 === 1 ? new Set(['active_import_kwh', 'reactive_q1_kvarh']) : null,
    ...over,
  };
}

/**
 * An in-memory source with the change-history semantics of MeterRepository: every write gets a
 * version, and a cursor is the version current when it was taken.
 */
class MemorySource implements RegistrySource {
  readonly rows = new Map<string, { e: RegistryEntry; v: number }>();
  readonly deletions: { id: string; v: number }[] = [];
  version = 0;
  /** pretend the database was restored: the next cursor check reports a broken history */
  restored = false;
  calls = { entries: 0, changed: 0 };

  write(...es: RegistryEntry[]): void {
    this.version++;
    for (const e of es) this.rows.set(e.meterId, { e, v: this.version });
  }

  delete(...ids: string[]): void {
    this.version++;
    for (const id of ids) {
      this.rows.delete(id);
      this.deletions.push({ id, v: this.version });
    }
  }

  async registryCursor(previous: string | null) {
    const continuous = previous === null || !this.restored;
    this.restored = false;
    return { cursor: String(this.version), continuous };
  }

  async count() {
    return this.rows.size;
  }

  async *entries(pageSize: number) {
    this.calls.entries++;
    yield* pages(
      [...this.rows.values()].map((r) => ({ ...r.e })),
      pageSize,
    );
  }

  async *changedSince(cursor: string, pageSize: number) {
    this.calls.changed++;
    const since = Number(cursor);
    yield* pages(
      [...this.rows.values()].filter((r) => r.v > since).map((r) => ({ ...r.e })),
      pageSize,
    );
  }

  async *deletedSince(cursor: string, pageSize: number) {
    const since = Number(cursor);
    yield* pages(
      this.deletions.filter((d) => d.v > since).map((d) => d.id),
      pageSize,
    );
  }

  async entriesByIds(ids: readonly string[]) {
    return ids.flatMap((id) => {
      const r = this.rows.get(id);
      return r ? [{ ...r.e }] : [];
    });
  }
}

function* pages<T>(all: T[], size: number): Generator<T[]> {
  for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
}

function setup(n: number, options: { pageSize?: number; maxOverlay?: number } = {}) {
  const source = new MemorySource();
  source.write(...Array.from({ length: n }, (_, i) => entry(i)));
  const zoneChecks: string[] = [];
  const logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[] = [];
  const cache = new RegistryCache(source, {
    pageSize: options.pageSize ?? 64,
    maxOverlay: options.maxOverlay,
    isValidZone: (z) => {
      zoneChecks.push(z);
      return isValidTimeZone(z);
    },
    logger: { log: (level, msg, fields) => logs.push({ level, msg, fields }) },
  });
  return { source, cache, zoneChecks, logs };
}

describe('StringTable', () => {
  it('gives one index per distinct value and checks each value once, refused ones included', () => {
    const checked: string[] = [];
    const t = new StringTable((v) => {
      checked.push(v);
      return v !== 'bad';
    });
    expect([t.idOf('a'), t.idOf('b'), t.idOf('a'), t.idOf('bad'), t.idOf('bad'), t.idOf('c')]).toEqual([
      0, 1, 0, -1, -1, 2,
    ]);
    expect(checked).toEqual(['a', 'b', 'bad', 'c']);
    expect([t.at(0), t.at(1), t.at(2)]).toEqual(['a', 'b', 'c']);
    expect(t.size).toBe(3);
    expect(() => t.at(3)).toThrow(RangeError);
  });
});

describe('RegistryCache full load', () => {
  it('serves every meter exactly as the source has it', async () => {
    const { cache } = setup(1000);
    const r = await cache.load();
    expect(r).toEqual({
      kind: 'full',
      reason: 'first load',
      rowsRead: 1000,
      deletionsRead: 0,
      invalid: 0,
      meters: 1000,
      seconds: r.seconds,
    });
    const reg = cache.current;
    expect(reg.size).toBe(1000);
    for (let i = 0; i < 1000; i++) {
      expect(reg.has(entry(i).meterId)).toBe(true);
      expect(reg.get(entry(i).meterId)).toEqual(entry(i));
    }
    expect(reg.has('M99999')).toBe(false);
    expect(reg.get('M99999')).toBeUndefined();
  });

  it('checks each distinct zone once, and leaves out the meters of an unknown one with a warning each', async () => {
    const { source, cache, zoneChecks, logs } = setup(0);
    source.write(
      ...Array.from({ length: 900 }, (_, i) => entry(i)),
      entry(900, { timezone: 'Europe/Stokholm' }),
      entry(901, { timezone: 'Europe/Stokholm' }),
    );
    const r = await cache.load();
    expect(zoneChecks).toEqual(['Europe/Stockholm', 'Europe/Helsinki', 'UTC', 'Europe/Stokholm']);
    expect(r.invalid).toBe(2);
    expect(r.meters).toBe(900);
    expect(cache.current.has('M00900')).toBe(false);
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.fields?.meterId)).toEqual(['M00900', 'M00901']);
    expect(warnings[0]!.fields?.timezone).toBe('Europe/Stokholm');

    // a refresh reuses the checks of the load: only a zone never seen before is checked
    source.write(entry(5, { timezone: 'UTC' }), entry(6, { timezone: 'Asia/Tokyo' }));
    await cache.refresh();
    expect(zoneChecks).toEqual([
      'Europe/Stockholm',
      'Europe/Helsinki',
      'UTC',
      'Europe/Stokholm',
      'Asia/Tokyo',
    ]);
  });

  it('names the first 20 bad rows and counts the rest', async () => {
    const { source, cache, logs } = setup(0);
    source.write(...Array.from({ length: 25 }, (_, i) => entry(i, { timezone: 'Nowhere/Land' })));
    expect((await cache.load()).invalid).toBe(25);
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings.length).toBe(21);
    expect(warnings.filter((w) => w.fields?.meterId !== undefined).length).toBe(20);
  });
});

describe('RegistryCache refresh', () => {
  it('reads only what changed, and applies updates, inserts and deletions', async () => {
    const { source, cache } = setup(500);
    await cache.load();
    const before = cache.current;
    source.write(
      entry(1, { tariffId: 'T-NEW' }),
      entry(2, { timezone: 'Asia/Tokyo' }),
      entry(3, { status: 'removed', removedAt: T + 5e9 }),
    );
    source.write(entry(500), entry(501));
    source.delete('M00010');
    const r = await cache.refresh();
    expect(r).toEqual({
      kind: 'incremental',
      reason: null,
      rowsRead: 5,
      deletionsRead: 1,
      invalid: 0,
      meters: 501,
      seconds: r.seconds,
    });
    const reg = cache.current;
    expect(reg.size).toBe(501);
    expect(reg.get('M00001')).toEqual(entry(1, { tariffId: 'T-NEW' }));
    expect(reg.get('M00002')!.timezone).toBe('Asia/Tokyo');
    expect(reg.get('M00003')).toEqual(entry(3, { status: 'removed', removedAt: T + 5e9 }));
    expect(reg.get('M00500')).toEqual(entry(500));
    expect(reg.has('M00010')).toBe(false);
    expect(reg.get('M00010')).toBeUndefined();
    expect(reg.get('M00011')).toEqual(entry(11));

    // the view a batch took earlier is untouched
    expect(before.size).toBe(500);
    expect(before.get('M00001')).toEqual(entry(1));
    expect(before.has('M00010')).toBe(true);
    expect(before.has('M00500')).toBe(false);

    const idle = await cache.refresh();
    expect([idle.rowsRead, idle.deletionsRead, idle.meters]).toEqual([0, 0, 501]);
  });

  it('keeps a meter deleted and inserted again, and drops one inserted and deleted again', async () => {
    const { source, cache } = setup(10);
    await cache.load();
    source.delete('M00001');
    source.write(entry(1, { regionId: 'R-BACK' }));
    source.write(entry(20));
    source.delete('M00020');
    const r = await cache.refresh();
    // M00001 once as a changed row and once more when its deletion record is checked
    expect([r.rowsRead, r.deletionsRead, r.meters]).toEqual([2, 2, 10]);
    expect(cache.current.get('M00001')!.regionId).toBe('R-BACK');
    expect(cache.current.has('M00020')).toBe(false);
  });

  it('leaves out a meter whose update has an unknown zone, so load and refresh agree', async () => {
    const { source, cache, logs } = setup(10);
    await cache.load();
    source.write(entry(4, { timezone: 'Mars/Olympus' }));
    const r = await cache.refresh();
    expect([r.rowsRead, r.invalid, r.meters]).toEqual([1, 1, 9]);
    expect(cache.current.has('M00004')).toBe(false);
    expect(logs.filter((l) => l.level === 'warn').map((w) => w.fields?.meterId)).toEqual(['M00004']);
    source.write(entry(4));
    expect((await cache.refresh()).meters).toBe(10);
    expect(cache.current.get('M00004')).toEqual(entry(4));
  });

  it('rebuilds the table instead of growing the overlay past its limit', async () => {
    const { source, cache } = setup(300, { maxOverlay: 100, pageSize: 50 });
    await cache.load();
    source.write(...Array.from({ length: 60 }, (_, i) => entry(i, { tariffId: 'T-A' })));
    expect((await cache.refresh()).kind).toBe('incremental');
    expect(cache.current.overlaySize).toBe(60);
    source.write(...Array.from({ length: 120 }, (_, i) => entry(100 + i, { tariffId: 'T-B' })));
    const r = await cache.refresh();
    expect([r.kind, r.reason, r.rowsRead, r.meters]).toEqual(['full', 'too many changes', 300, 300]);
    expect(cache.current.overlaySize).toBe(0);
    expect(cache.current.get('M00005')!.tariffId).toBe('T-A');
    expect(cache.current.get('M00150')!.tariffId).toBe('T-B');
    expect(source.calls.entries).toBe(2);
  });

  it('reloads everything when the cursor belongs to another history', async () => {
    const { source, cache } = setup(20);
    await cache.load();
    source.restored = true;
    const r = await cache.refresh();
    expect([r.kind, r.reason, r.rowsRead]).toEqual(['full', 'cursor from another history', 20]);
  });

  it('runs one refresh at a time: a call while one runs gets the same result', async () => {
    const { source, cache } = setup(20);
    await cache.load();
    source.write(entry(1, { tariffId: 'X' }));
    const [a, b] = [cache.refresh(), cache.refresh()];
    expect(a).toBe(b);
    expect((await a).rowsRead).toBe(1);
    expect(source.calls.changed).toBe(1);
  });
});
