import { Args, Flags } from '@oclif/core';
import { billingCycle, type CycleResult } from '../../core/billing/service.js';
import { parseLocalMonth } from '../../core/time/local-date.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderKeyValues, writeResult } from '../../ui/output.js';

export default class BillingCycle extends BaseCommand {
  static override summary =
    "Show or set an account's billing cycle day (periods start on that day of every month)";
  static override examples = [
    '<%= config.bin %> billing cycle ACC-000042',
    '<%= config.bin %> billing cycle ACC-000042 --day 15',
  ];
  static override args = { account: Args.string({ description: 'account id', required: true }) };
  static override flags = {
    day: Flags.integer({ description: 'first day of every billing period, 1..28', min: 1, max: 28 }),
    month: Flags.string({
      description: 'show the period that starts in this month, YYYY-MM',
      default: new Date().toISOString().slice(0, 7),
    }),
  };

  async run(): Promise<CycleResult> {
    const { args, flags } = await this.parse(BillingCycle);
    parseLocalMonth(flags.month);
    const r = await billingCycle(await this.smtConfig(), {
      accountId: args.account,
      month: flags.month,
      ...(flags.day === undefined ? {} : { cycleDay: flags.day }),
    });
    if (!this.jsonEnabled())
      writeResult(
        renderKeyValues([
          ['account', r.accountId],
          ['cycle day', r.cycleDay],
          [`period of ${flags.month}`, `${r.example.from} – ${r.example.to}`],
        ]),
      );
    return r;
  }
}
