import { Args, Flags } from '@oclif/core';
import { InvalidDataError } from '../../core/errors.js';
import type { RowProblem } from '../../core/registry/meter-csv.js';
import { importMeters, type MeterImportResult } from '../../core/registry/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderKeyValues, renderTable, writeInfo, writeResult } from '../../ui/output.js';

export default class MetersImport extends BaseCommand {
  static override summary = 'Import or update meters from a registry CSV file';
  static override description =
    `Columns (header required, any order): meter_id, account_id, tariff_id, region_id, segment (residential|commercial|industrial), timezone (IANA), interval_minutes (5|15|30|60), status (active|inactive|removed), rated_kw (optional), installed_at, removed_at (optional; ISO-8601 date or date-time, dates are local midnight), channels (optional; channel ids or OBIS codes separated by ";" — readings of other channels are then rejected as registry.channel).
Ids are kept exactly as written: an id with whitespace around it is an invalid row. rated_kw has at most 3 decimals and is below 10,000,000; dates lie in 1970 … 2099; tariff_id and region_id must already exist unless --add-references is given.
Nothing is imported if any row is invalid, unless --skip-invalid is given; bad rows are listed with line number and reason (exit 3). Re-importing the same file changes nothing.`;
  static override examples = [
    '<%= config.bin %> meters import registry.csv',
    '<%= config.bin %> meters import registry.csv --skip-invalid --json',
    '<%= config.bin %> meters import registry.csv --dry-run',
    '<%= config.bin %> meters import first-registry.csv --add-references',
  ];
  static override args = { file: Args.string({ description: 'registry CSV file', required: true }) };
  static override flags = {
    'skip-invalid': Flags.boolean({ description: 'import the valid rows and report the invalid ones' }),
    'dry-run': Flags.boolean({ description: 'check the file (and its tariffs and regions), write nothing' }),
    'add-references': Flags.boolean({
      description:
        'create the tariffs and regions the file names for the first time (placeholder names); without it an unknown tariff_id or region_id is an invalid row',
    }),
  };

  async run(): Promise<MeterImportResult> {
    const { args, flags } = await this.parse(MetersImport);
    let result: MeterImportResult;
    try {
      result = await importMeters(await this.smtConfig(), args.file, {
        skipInvalid: flags['skip-invalid'],
        dryRun: flags['dry-run'],
        addReferences: flags['add-references'],
      });
    } catch (err) {
      const problems =
        (err instanceof InvalidDataError &&
          (err.details as { problems?: RowProblem[] } | undefined)?.problems) ||
        [];
      if (problems.length > 0 && !this.jsonEnabled()) writeInfo(renderProblems(problems));
      throw err;
    }
    if (!this.jsonEnabled()) {
      if (result.problems.length > 0) writeInfo(renderProblems(result.problems));
      writeResult(
        renderKeyValues([
          ['file', result.file],
          ['rows', result.rows],
          ['inserted', result.inserted],
          ['updated', result.updated],
          ['unchanged', result.unchanged],
          ['skipped (invalid)', result.skipped],
          ...(flags['dry-run'] ? ([['dry run', 'nothing written']] as [string, string][]) : []),
        ]),
      );
    }
    return result;
  }
}

function renderProblems(problems: RowProblem[], max = 50): string {
  const shown = problems.slice(0, max);
  const more = problems.length > max ? `\n… and ${problems.length - max} more (use --json for all)` : '';
  return (
    renderTable(
      ['line', 'field', 'problem'],
      shown.map((p) => [p.line, p.field, p.message]),
    ) + more
  );
}
