import { Flags } from '@oclif/core';
import { UsageError } from '../../core/errors.js';
import { HORIZON_DAYS, type Horizon } from '../../core/forecast/backtest.js';
import { MODEL_NAMES, type ModelName } from '../../core/forecast/models/model.js';
import { DEFAULT_CHANNEL, type EvalRow, forecastEval } from '../../core/forecast/service.js';
import { isIntervalMinutes } from '../../core/readings/block.js';
import { parseLocalDate } from '../../core/time/local-date.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderEval } from '../../ui/forecast-output.js';
import { writeResult } from '../../ui/output.js';

const LEVELS = ['meter', 'segment', 'region', 'fleet'] as const;

export default class ForecastEval extends BaseCommand {
  static override summary =
    'Rolling-origin backtest: MAPE and WAPE by horizon, level and model against seasonal naive';
  static override examples = [
    '<%= config.bin %> forecast eval --from 2026-03-01 --to 2026-03-31',
    '<%= config.bin %> forecast eval --simulate 5000 --timezone Europe/Berlin --from 2026-03-02 --to 2026-04-26',
    '<%= config.bin %> forecast eval --file datasets/taylor/taylor-2000.csv --timezone Europe/London --from 2000-07-31 --to 2000-08-27',
  ];
  static override flags = {
    from: Flags.string({
      required: true,
      description: 'first origin (local date): history before it, forecast from it',
    }),
    to: Flags.string({ required: true, description: 'last origin (local date)' }),
    horizons: Flags.string({
      options: Object.keys(HORIZON_DAYS),
      multiple: true,
      delimiter: ',',
      default: ['1d', '7d'],
    }),
    models: Flags.string({
      options: [...MODEL_NAMES],
      multiple: true,
      delimiter: ',',
      default: [...MODEL_NAMES],
    }),
    levels: Flags.string({ options: [...LEVELS], multiple: true, delimiter: ',', default: [...LEVELS] }),
    'max-targets': Flags.integer({
      default: 50,
      min: 1,
      description: 'targets evaluated per level (meters first in id order)',
    }),
    file: Flags.string({ description: 'evaluate a CSV series (instant,value) instead of the stores' }),
    simulate: Flags.integer({
      min: 1,
      description:
        'evaluate a fleet of this many meters simulated in memory (no faults, --timezone) instead of the stores',
      exclusive: ['file'],
    }),
    seed: Flags.integer({ default: 42, description: 'simulator seed for --simulate' }),
    interval: Flags.integer({
      default: 60,
      description: 'interval of the --simulate fleet: 5, 15, 30 or 60 minutes',
    }),
    timezone: Flags.string({ default: 'UTC', description: 'local calendar of --file and --simulate' }),
    holidays: Flags.string({ description: 'public holidays of this country (date-holidays code)' }),
    channel: Flags.string({ default: DEFAULT_CHANNEL }),
  };

  async run(): Promise<EvalRow[]> {
    const { flags } = await this.parse(ForecastEval);
    parseLocalDate(flags.from);
    parseLocalDate(flags.to);
    if (!isIntervalMinutes(flags.interval))
      throw new UsageError(`--interval ${flags.interval}: expected 5, 15, 30 or 60`);
    const rows = await forecastEval(await this.smtConfig(), {
      from: flags.from,
      to: flags.to,
      horizons: flags.horizons as Horizon[],
      models: flags.models as ModelName[],
      levels: flags.levels as (typeof LEVELS)[number][],
      maxMeters: flags['max-targets'],
      timezone: flags.timezone,
      channel: flags.channel,
      ...(flags.file ? { file: flags.file } : {}),
      ...(flags.simulate
        ? {
            simulate: {
              meters: flags.simulate,
              seed: flags.seed,
              intervalMinutes: flags.interval,
            },
          }
        : {}),
      ...(flags.holidays ? { holidays: flags.holidays } : {}),
      onProgress: (done, total, what) => this.info(`evaluated ${done}/${total}: ${what}`),
    });
    if (!this.jsonEnabled()) writeResult(renderEval(rows));
    return rows;
  }
}
