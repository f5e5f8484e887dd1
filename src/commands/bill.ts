import { Args, Flags } from '@oclif/core';
import { BILL_SOURCES, type BillResult, type BillSource, bill } from '../core/billing/service.js';
import { BaseCommand } from '../ui/base-command.js';
import { instantOf, periodFlags, selectionOf } from '../ui/billing-flags.js';
import { renderBill } from '../ui/billing-output.js';
import { writeResult } from '../ui/output.js';

export default class Bill extends BaseCommand {
  static override summary = 'Billing determinants and cost of a meter or an account, line by line';
  static override description =
    `Computed from the authoritative daily aggregates (PostgreSQL, by local hour) where they are current — every day aggregated from the series version the series holds now — and from the current series (actuals, estimates and corrections) otherwise; the output names the source of each period (docs/billing.md). In the meter's local time, with the meter's tariff and the account's billing cycle. Determinants: kWh per time-of-use period and tier, peak demand per period, days, interval counts and the estimated share. Each line is rounded to the cent; the total is the sum of the lines. A range (--from/--to) is cut into billing periods, each billed on its own.`;
  static override examples = [
    '<%= config.bin %> bill SIM-000042 --period 2026-03',
    '<%= config.bin %> bill ACC-000042 --from 2026-01-01 --to 2026-12-31 --json',
    '<%= config.bin %> bill SIM-000042 --period 2026-03 --as-of 2026-04-02T08:00:00Z',
    '<%= config.bin %> bill SIM-000042 --period 2026-03 --source aggregates',
  ];
  static override args = { subject: Args.string({ description: 'meter id or account id', required: true }) };
  static override flags = {
    ...periodFlags,
    'as-of': Flags.string({ description: 'bill the series as it stood at this instant (ISO-8601)' }),
    source: Flags.string({
      description:
        'what to bill from: auto = the authoritative daily aggregates where they are current, else the series (named, with the reason); aggregates = refuse (exit 3) otherwise; series',
      options: [...BILL_SOURCES],
      default: 'auto',
    }),
  };

  async run(): Promise<BillResult> {
    const { args, flags } = await this.parse(Bill);
    const asOf = instantOf('--as-of', flags['as-of']);
    const result = await bill(await this.smtConfig(), {
      subject: args.subject,
      selection: selectionOf(flags),
      ...(asOf === undefined ? {} : { asOf }),
      source: flags.source as BillSource,
    });
    if (!this.jsonEnabled()) writeResult(renderBill(result));
    return result;
  }
}
