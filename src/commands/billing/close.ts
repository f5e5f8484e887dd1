import { Flags } from '@oclif/core';
import { BILL_SOURCES, type BillSource, type CloseResult, closePeriod } from '../../core/billing/service.js';
import { parseLocalMonth } from '../../core/time/local-date.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderClose } from '../../ui/billing-output.js';
import { writeResult } from '../../ui/output.js';

export default class BillingClose extends BaseCommand {
  static override summary =
    'Freeze a billing period: keep its determinants as billed, with the series versions they came from';
  static override description =
    `Every active meter (or the --subject's meters) gets its period row closed in smt.billing_periods, with the bill, what it was computed from (the authoritative daily aggregates and the version of each row used, or the series) and the version of every series day it read, and its determinants in smt.billing_determinants. A period that is already closed is left as it is and listed. Later data for a closed period raises a late-data alert (ingest), and the delta against what was billed can be computed.`;
  static override examples = [
    '<%= config.bin %> billing close --period 2026-03',
    '<%= config.bin %> billing close --period 2026-03 --subject ACC-000042 --json',
  ];
  static override flags = {
    period: Flags.string({ description: 'the cycle that starts in this month, YYYY-MM', required: true }),
    subject: Flags.string({ description: 'only this meter or account' }),
    source: Flags.string({
      description:
        'what to bill from: auto = the authoritative daily aggregates where they are current, else the series (named, with the reason); aggregates = refuse (exit 3) otherwise; series',
      options: [...BILL_SOURCES],
      default: 'auto',
    }),
  };

  async run(): Promise<CloseResult> {
    const { flags } = await this.parse(BillingClose);
    parseLocalMonth(flags.period);
    const r = await closePeriod(await this.smtConfig(), {
      period: flags.period,
      ...(flags.subject ? { subject: flags.subject } : {}),
      source: flags.source as BillSource,
    });
    if (!this.jsonEnabled()) writeResult(renderClose(r));
    return r;
  }
}
