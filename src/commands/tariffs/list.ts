import { listTariffs } from '../../core/billing/tariff-service.js';
import type { TariffSummary } from '../../core/postgres/tariff-repository.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';

export default class TariffsList extends BaseCommand {
  static override summary = 'List the tariffs and how many meters are on each';
  static override examples = ['<%= config.bin %> tariffs list', '<%= config.bin %> tariffs list --json'];

  async run(): Promise<TariffSummary[]> {
    const list = await listTariffs(await this.smtConfig());
    if (!this.jsonEnabled())
      writeResult(
        renderTable(
          ['tariff', 'name', 'kind', 'currency', 'source', 'valid from', 'valid to', 'meters'],
          list.map((t) => [
            t.tariffId,
            t.name,
            t.kind,
            t.currency,
            t.source ?? 'not imported',
            t.validFrom ?? '',
            t.validTo ?? '',
            t.meters,
          ]),
        ),
      );
    return list;
  }
}
