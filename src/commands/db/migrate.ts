import { Flags } from '@oclif/core';
import type { StoreMigrationResult } from '../../core/migrations/runner.js';
import { migrateStores } from '../../core/migrations/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { asStores, storesFlag } from '../../ui/flags.js';
import { renderTable, writeResult } from '../../ui/output.js';

export default class DbMigrate extends BaseCommand {
  static override summary = 'Apply pending schema migrations to PostgreSQL, Cassandra and ClickHouse';
  static override description =
    'Each store records the versions applied to it (smt.schema_migrations in PostgreSQL, <keyspace>.schema_migrations in Cassandra, <db>.schema_migrations in ClickHouse). Running it again applies nothing. An edited, already-applied migration is refused (exit 6).';
  static override examples = [
    '<%= config.bin %> db migrate',
    '<%= config.bin %> db migrate --store postgres,clickhouse',
    '<%= config.bin %> db migrate --dry-run --json',
  ];
  static override flags = {
    store: storesFlag,
    'dry-run': Flags.boolean({ description: 'show what would be applied, change nothing' }),
  };

  async run(): Promise<{ stores: StoreMigrationResult[] }> {
    const { flags } = await this.parse(DbMigrate);
    const stores = await migrateStores(await this.smtConfig(), asStores(flags.store), {
      dryRun: flags['dry-run'],
      onProgress: (line) => this.info(line),
    });
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['store', 'version', 'latest', flags['dry-run'] ? 'would apply' : 'applied now'],
          stores.map((s) => [
            s.store,
            s.current,
            s.latest,
            flags['dry-run']
              ? s.pending.map((p) => `${p.version} ${p.name}`).join(', ') || '-'
              : s.applied.map((a) => `${a.version} ${a.name} (${a.ms} ms)`).join(', ') ||
                'nothing (up to date)',
          ]),
        ),
      );
    }
    return { stores };
  }
}
