import { Args, Flags } from '@oclif/core';
import { importTariffs, type TariffImportResult } from '../../core/billing/tariff-service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderKeyValues, renderTable, writeResult } from '../../ui/output.js';

export default class TariffsImport extends BaseCommand {
  static override summary = 'Import tariffs from the project YAML format or an OpenEI URDB JSON export';
  static override description =
    `YAML (.yaml/.yml): one tariff with id, name, currency, holidays, fixed, energy (periods, seasons), demand, flatDemand; see docs/billing.md.
URDB (.json): one rate, a list of rates or an API response {"items": [...]}; the tariff id is the rate's label unless --id is given. URDB states no holidays: --holidays names a calendar whose public holidays are billed with the weekend schedule.
Importing the same file again changes nothing; a changed tariff replaces the stored one (bills already closed keep what they billed).`;
  static override examples = [
    '<%= config.bin %> tariffs import tariffs/se-tou.yaml',
    '<%= config.bin %> tariffs import urdb-rate.json --id US-PGE-E1 --holidays US-CA',
    '<%= config.bin %> tariffs import urdb-rate.json --dry-run --json',
  ];
  static override args = { file: Args.string({ description: 'tariff file', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'file format (default: by extension)', options: ['yaml', 'urdb'] }),
    id: Flags.string({ description: 'URDB: tariff id for the rate (default: its label)' }),
    currency: Flags.string({ description: 'URDB: currency of the rates (default USD)' }),
    holidays: Flags.string({
      description: 'URDB: public-holiday calendar, COUNTRY[-STATE[-REGION]] (date-holidays codes)',
    }),
    'dry-run': Flags.boolean({ description: 'check the file, write nothing' }),
  };

  async run(): Promise<TariffImportResult> {
    const { args, flags } = await this.parse(TariffsImport);
    const [country, state, region] = flags.holidays?.split('-') ?? [];
    const result = await importTariffs(await this.smtConfig(), args.file, {
      ...(flags.format ? { format: flags.format as 'yaml' | 'urdb' } : {}),
      ...(flags.id ? { tariffId: flags.id } : {}),
      ...(flags.currency ? { currency: flags.currency } : {}),
      ...(country
        ? { holidays: { country, ...(state ? { state } : {}), ...(region ? { region } : {}) } }
        : {}),
      dryRun: flags['dry-run'],
    });
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['tariff', 'name', 'kind'],
          result.tariffs.map((t) => [t.tariffId, t.name, t.kind]),
        ),
      );
      writeResult(
        renderKeyValues([
          ['file', result.file],
          ['format', result.format],
          ['inserted', result.inserted],
          ['updated', result.updated],
          ['unchanged', result.unchanged],
          ...(result.dryRun ? ([['dry run', 'nothing written']] as [string, string][]) : []),
        ]),
      );
    }
    return result;
  }
}
