import { Flags } from '@oclif/core';
import { type StackDownResult, stackDown } from '../../core/stack/orchestrator.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';
import { asServices, servicesFlag } from '../../ui/stack-flags.js';

export default class StackDown extends BaseCommand {
  static override summary = 'Stop the local stack started by `smt stack up`';
  static override description =
    'Sends each server its graceful stop signal (SIGINT for PostgreSQL, SIGTERM for the others), waits, and kills what is left of its process group after a timeout. Only processes recorded in the stack directory are touched; services that smt did not start are left alone. --purge also deletes data, logs and configuration (the download cache stays).';
  static override examples = [
    '<%= config.bin %> stack down',
    '<%= config.bin %> stack down --services clickhouse',
    '<%= config.bin %> stack down --purge --json',
  ];
  static override flags = {
    services: servicesFlag,
    purge: Flags.boolean({
      description: "also delete the services' data, logs and configuration",
      default: false,
    }),
  };

  async run(): Promise<StackDownResult> {
    const { flags } = await this.parse(StackDown);
    const result = await stackDown(await this.smtConfig(), {
      services: asServices(flags.services),
      purge: flags.purge,
      onProgress: (m) => this.info(m),
    });
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['service', 'action', 'pid', 'purged'],
          result.services.map((s) => [s.service, s.action, s.pid, s.purged ? 'yes' : '']),
        ),
      );
    }
    return result;
  }
}
