import { describe, expect, it } from 'vitest';
import { CASSANDRA_MIGRATIONS } from '../../src/core/cassandra/migrations.js';
import { CLICKHOUSE_MIGRATIONS } from '../../src/core/clickhouse/migrations.js';
import { SchemaError } from '../../src/core/errors.js';
import { migrationChecksum } from '../../src/core/migrations/checksum.js';
import { planMigrations, validateMigrationList } from '../../src/core/migrations/runner.js';
import type { Migration } from '../../src/core/migrations/types.js';
import { POSTGRES_MIGRATIONS } from '../../src/core/postgres/migrations.js';

const m = (version: number, sql: string): Migration => ({
  version,
  name: `m${version}`,
  statements: () => [sql],
});

describe('migration planning', () => {
  it('lists pending versions and the current one', () => {
    const list = [m(1, 'a'), m(2, 'b'), m(3, 'c')];
    const applied = [
      { version: 1, name: 'm1', checksum: migrationChecksum(list[0]!), appliedAt: new Date() },
    ];
    const plan = planMigrations('postgres', list, applied);
    expect(plan.current).toBe(1);
    expect(plan.latest).toBe(3);
    expect(plan.pending.map((p) => p.version)).toEqual([2, 3]);
  });

  it('refuses an applied migration whose text changed', () => {
    const applied = [
      { version: 1, name: 'm1', checksum: migrationChecksum(m(1, 'old')), appliedAt: new Date() },
    ];
    expect(() => planMigrations('cassandra', [m(1, 'new')], applied)).toThrowError(SchemaError);
  });

  it('reports versions the store has but this smt does not know', () => {
    const applied = [{ version: 9, name: 'future', checksum: 'x', appliedAt: new Date() }];
    expect(planMigrations('clickhouse', [m(1, 'a')], applied).unknown).toEqual([9]);
  });

  it('checksums ignore configured names but not SQL edits', () => {
    const a: Migration = {
      version: 1,
      name: 'k',
      statements: (c) => [`CREATE TABLE ${c.keyspace}.t (x int)`],
    };
    const b: Migration = {
      version: 1,
      name: 'k',
      statements: (c) => [`CREATE TABLE ${c.keyspace}.t (x bigint)`],
    };
    expect(migrationChecksum(a)).not.toBe(migrationChecksum(b));
  });

  it('the shipped lists have strictly increasing versions', () => {
    for (const [store, list] of [
      ['postgres', POSTGRES_MIGRATIONS],
      ['cassandra', CASSANDRA_MIGRATIONS],
      ['clickhouse', CLICKHOUSE_MIGRATIONS],
    ] as const) {
      expect(() => validateMigrationList(store, list)).not.toThrow();
    }
    expect(() => validateMigrationList('postgres', [m(2, 'a'), m(1, 'b')])).toThrow();
  });

  it('ClickHouse statements stay in the portable subset (no TTL, CODEC, DateTime64, OR REPLACE)', () => {
    const ctx = {
      keyspace: 'k',
      replication: '{}',
      rawTtlSeconds: 0,
      chDatabase: 'd',
      timezone: 'Europe/Stockholm',
    };
    for (const mig of CLICKHOUSE_MIGRATIONS) {
      for (const s of mig.statements(ctx)) {
        expect(s).not.toMatch(
          /\bTTL\b|CODEC\(|DateTime64|OR REPLACE|SimpleAggregateFunction|\bMap\(|\bBool\b/,
        );
      }
    }
  });

  it('Cassandra raw tables use TWCS and the configured TTL', () => {
    const ctx = {
      keyspace: 'k',
      replication: '{}',
      rawTtlSeconds: 86_400 * 30,
      chDatabase: 'd',
      timezone: 'Europe/Stockholm',
    };
    const raw = CASSANDRA_MIGRATIONS.flatMap((x) => x.statements(ctx)).filter((s) =>
      /TABLE IF NOT EXISTS k\.raw_/.test(s),
    );
    expect(raw.length).toBe(1);
    for (const s of raw) {
      expect(s).toContain('TimeWindowCompactionStrategy');
      expect(s).toContain(`default_time_to_live = ${86_400 * 30}`);
      expect(s).toMatch(/PRIMARY KEY \(\(meter_id, day\)/);
    }
  });
});
