import { Args } from '@oclif/core';
import { showTariff, type TariffDetail } from '../../core/billing/tariff-service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTariff } from '../../ui/billing-output.js';
import { writeResult } from '../../ui/output.js';

export default class TariffsShow extends BaseCommand {
  static override summary = 'Show one tariff: periods, tiers, rates, schedules, fixed and demand charges';
  static override examples = [
    '<%= config.bin %> tariffs show SE-TOU-2026',
    '<%= config.bin %> tariffs show SE-TOU-2026 --json',
  ];
  static override args = { tariff: Args.string({ description: 'tariff id', required: true }) };

  async run(): Promise<TariffDetail> {
    const { args } = await this.parse(TariffsShow);
    const t = await showTariff(await this.smtConfig(), args.tariff);
    if (!this.jsonEnabled()) writeResult(renderTariff(t));
    return t;
  }
}
