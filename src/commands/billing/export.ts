import { Flags } from '@oclif/core';
import { type BillingExportResult, exportPeriod } from '../../core/billing/service.js';
import { parseLocalMonth } from '../../core/time/local-date.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderExport } from '../../ui/billing-output.js';
import { writeResult } from '../../ui/output.js';

export default class BillingExport extends BaseCommand {
  static override summary = 'Hand the closed periods of a cycle month to invoicing and mark them billed';
  static override description =
    `Every closed period that starts in --period (or the --subject's) is exported with the bill frozen at close (--json: the bills, determinants and lines) and becomes billed in smt.billing_periods, with the invoice reference; the daily aggregates of its days take the status billed (monthly rows too when the whole month is billed). Periods that are open, already billed or waiting for a rebill are left as they are. Later data for a billed period raises a late-data alert with the delta against what was billed.
Exit codes: 0 done (also when nothing was closed); 2 usage; 4 a store is unreachable.`;
  static override examples = [
    '<%= config.bin %> billing export --period 2026-03',
    '<%= config.bin %> billing export --period 2026-03 --subject ACC-000042 --invoice-ref INV-2026-03 --json',
  ];
  static override flags = {
    period: Flags.string({ description: 'the cycle that starts in this month, YYYY-MM', required: true }),
    subject: Flags.string({ description: 'only this meter or account' }),
    'invoice-ref': Flags.string({
      description: 'reference stored with the billed periods (default: smt-<period>-<time>)',
    }),
  };

  async run(): Promise<BillingExportResult> {
    const { flags } = await this.parse(BillingExport);
    parseLocalMonth(flags.period);
    const r = await exportPeriod(await this.smtConfig(), {
      period: flags.period,
      ...(flags.subject ? { subject: flags.subject } : {}),
      ...(flags['invoice-ref'] ? { invoiceRef: flags['invoice-ref'] } : {}),
    });
    if (!this.jsonEnabled()) writeResult(renderExport(r));
    return r;
  }
}
