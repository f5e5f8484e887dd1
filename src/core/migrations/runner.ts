import { SchemaError } from '../errors.js';
import { migrationChecksum } from './checksum.js';
import type { AppliedMigration, Migration, MigrationTarget, SchemaContext, Store } from './types.js';

export interface StoreMigrationStatus {
  store: Store;
  current: number;
  latest: number;
  pending: { version: number; name: string }[];
  /** versions recorded in the store that this smt does not know (the store is ahead) */
  unknown: number[];
}

export interface StoreMigrationResult extends StoreMigrationStatus {
  applied: { version: number; name: string; ms: number }[];
}

export function validateMigrationList(store: Store, migrations: Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new Error(
        `${store} migrations must have strictly increasing integer versions (at ${m.version} ${m.name})`,
      );
    }
    previous = m.version;
  }
}

export function planMigrations(
  store: Store,
  migrations: Migration[],
  applied: AppliedMigration[],
): StoreMigrationStatus {
  const known = new Map(migrations.map((m) => [m.version, m]));
  const appliedVersions = new Set(applied.map((a) => a.version));
  for (const a of applied) {
    const m = known.get(a.version);
    if (m && migrationChecksum(m) !== a.checksum) {
      throw new SchemaError(
        `${store}: migration ${a.version} (${a.name}) was applied with checksum ${a.checksum}, but this smt has ${migrationChecksum(m)}`,
        'A released migration was edited. Restore it and add a new migration for the change instead.',
      );
    }
  }
  return {
    store,
    current: applied.reduce((max, a) => Math.max(max, a.version), 0),
    latest: migrations.at(-1)?.version ?? 0,
    pending: migrations
      .filter((m) => !appliedVersions.has(m.version))
      .map((m) => ({ version: m.version, name: m.name })),
    unknown: applied.filter((a) => !known.has(a.version)).map((a) => a.version),
  };
}

export async function migrationStatus(
  target: MigrationTarget,
  migrations: Migration[],
): Promise<StoreMigrationStatus> {
  await target.ensureLedger();
  return planMigrations(target.store, migrations, await target.applied());
}

/** Apply pending migrations in version order. Running it again applies nothing. */
export async function runMigrations(
  target: MigrationTarget,
  migrations: Migration[],
  ctx: SchemaContext,
  options: { dryRun?: boolean; onProgress?: (line: string) => void } = {},
): Promise<StoreMigrationResult> {
  validateMigrationList(target.store, migrations);
  const status = await migrationStatus(target, migrations);
  const applied: StoreMigrationResult['applied'] = [];
  if (!options.dryRun) {
    for (const p of status.pending) {
      const m = migrations.find((x) => x.version === p.version)!;
      options.onProgress?.(`${target.store}: applying ${m.version} ${m.name}`);
      const t0 = performance.now();
      await target.apply(m, m.statements(ctx), migrationChecksum(m), ctx);
      applied.push({ version: m.version, name: m.name, ms: Math.round(performance.now() - t0) });
    }
  }
  const after = options.dryRun ? status : await migrationStatus(target, migrations);
  return { ...after, applied };
}
