import { ExitCode, SchemaError } from '../../core/errors.js';
import type { StoreMigrationStatus } from '../../core/migrations/runner.js';
import { storeSchemaStatus } from '../../core/migrations/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { asStores, storesFlag } from '../../ui/flags.js';
import { renderTable, writeResult } from '../../ui/output.js';

export default class DbStatus extends BaseCommand {
  static override summary = 'Show the schema version of each store and pending migrations';
  static override description =
    'Exits 6 when a store has pending migrations (run `smt db migrate`), 4 when a store is unreachable.';
  static override examples = [
    '<%= config.bin %> db status',
    '<%= config.bin %> db status --store cassandra --json',
  ];
  static override flags = { store: storesFlag };

  async run(): Promise<{ stores: StoreMigrationStatus[] }> {
    const { flags } = await this.parse(DbStatus);
    const config = await this.smtConfig();
    const stores: StoreMigrationStatus[] = [];
    for (const store of asStores(flags.store)) stores.push(await storeSchemaStatus(config, store));
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['store', 'version', 'latest', 'pending'],
          stores.map((s) => [
            s.store,
            s.current,
            s.latest,
            s.pending.map((p) => `${p.version} ${p.name}`).join(', ') || '-',
          ]),
        ),
      );
    }
    const behind = stores.filter((s) => s.pending.length > 0);
    if (behind.length > 0) {
      // Under --json the status document is still the result; the exit code says it is behind.
      if (this.jsonEnabled()) process.exitCode = ExitCode.schema;
      else throw new SchemaError(`pending migrations in ${behind.map((s) => s.store).join(', ')}`);
    }
    return { stores };
  }
}
