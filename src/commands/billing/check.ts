import { Flags } from '@oclif/core';
import { type CheckResult, checkPeriod } from '../../core/billing/service.js';
import type { ConfigKey } from '../../core/config/keys.js';
import { ExitCode } from '../../core/errors.js';
import { parseLocalMonth } from '../../core/time/local-date.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderCheck } from '../../ui/billing-output.js';
import { writeResult } from '../../ui/output.js';

export default class BillingCheck extends BaseCommand {
  static override summary = 'Billing readiness: meters whose period is incomplete or too much estimated';
  static override description =
    `A meter is not ready when any interval of its period is missing, or when more of its kWh than --max-estimated-percent is estimated, substituted or calculated. Exit code 3 when any meter is not ready (the list is still printed), 0 when all are.`;
  static override examples = [
    '<%= config.bin %> billing check --period 2026-03',
    '<%= config.bin %> billing check --period 2026-03 --max-estimated-percent 5 --json',
  ];
  static override flags = {
    period: Flags.string({ description: 'the cycle that starts in this month, YYYY-MM', required: true }),
    subject: Flags.string({ description: 'only this meter or account' }),
    'max-estimated-percent': Flags.integer({
      description: "largest estimated share of a period's kWh, percent (config billing.maxEstimatedPercent)",
      env: 'SMT_BILLING_MAX_ESTIMATED_PERCENT',
      min: 0,
      max: 100,
    }),
  };

  protected override configFlags(
    flags: Record<string, unknown>,
  ): Partial<Record<ConfigKey, string | undefined>> {
    const v = flags['max-estimated-percent'];
    return { 'billing.maxEstimatedPercent': v === undefined ? undefined : String(v) };
  }

  async run(): Promise<CheckResult> {
    const { flags } = await this.parse(BillingCheck);
    parseLocalMonth(flags.period);
    const config = await this.smtConfig();
    const r = await checkPeriod(config, {
      period: flags.period,
      maxEstimatedShare: config.int('billing.maxEstimatedPercent') / 100,
      ...(flags.subject ? { subject: flags.subject } : {}),
    });
    if (!this.jsonEnabled()) writeResult(renderCheck(r));
    if (r.problems.length > 0) process.exitCode = ExitCode.invalidData;
    return r;
  }
}
