import { Flags } from '@oclif/core';
import { type AccuracyRow, forecastAccuracy } from '../../core/forecast/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderAccuracy } from '../../ui/forecast-output.js';
import { writeResult } from '../../ui/output.js';

export default class ForecastAccuracy extends BaseCommand {
  static override summary = 'Accuracy of the stored forecasts against the actuals that have arrived';
  static override examples = [
    '<%= config.bin %> forecast accuracy',
    '<%= config.bin %> forecast accuracy --limit 20 --json',
  ];
  static override flags = {
    limit: Flags.integer({ default: 50, min: 1, description: 'newest forecasts to compare' }),
  };

  async run(): Promise<AccuracyRow[]> {
    const { flags } = await this.parse(ForecastAccuracy);
    const rows = await forecastAccuracy(await this.smtConfig(), { now: Date.now(), limit: flags.limit });
    if (!this.jsonEnabled()) writeResult(renderAccuracy(rows));
    return rows;
  }
}
