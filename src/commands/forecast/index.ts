import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../core/errors.js';
import { HORIZON_DAYS, type Horizon } from '../../core/forecast/backtest.js';
import { MODEL_NAMES, type ModelName } from '../../core/forecast/models/model.js';
import {
  DEFAULT_CHANNEL,
  type ForecastReport,
  forecast,
  type Selector,
} from '../../core/forecast/service.js';
import { MIN_HISTORY_DAYS } from '../../core/forecast/sufficiency.js';
import { parseLocalDate } from '../../core/time/local-date.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderForecast } from '../../ui/forecast-output.js';
import { writeResult } from '../../ui/output.js';

export default class Forecast extends BaseCommand {
  static override summary =
    'Forecast the usage of a meter, a segment, a region or the fleet, with 90 % prediction intervals';
  static override description =
    'Reads the history through the series read API, refuses with the reason when it is shorter than 8 weeks or more than 10 % missing, and stores the forecast in smt.forecasts so `smt forecast accuracy` can follow it. See docs/forecasting.md.';
  static override examples = [
    '<%= config.bin %> forecast SIM-000042 --horizon 1d',
    '<%= config.bin %> forecast --region north --horizon 7d --from 2026-03-02 --holidays DE',
    '<%= config.bin %> forecast --fleet --horizon 31d --model calendar-regression --weather temps.csv --json',
  ];
  static override args = {
    meter: Args.string({ description: 'meter id (or use --region, --segment, --fleet)' }),
  };
  static override flags = {
    region: Flags.string({ description: 'forecast the sum of a region' }),
    segment: Flags.string({ description: 'forecast the sum of a customer segment' }),
    fleet: Flags.boolean({ description: 'forecast the sum of every meter' }),
    horizon: Flags.string({
      options: Object.keys(HORIZON_DAYS),
      default: '1d',
      description: 'local days forecast',
    }),
    from: Flags.string({
      description: 'first local date forecast (YYYY-MM-DD); default today in the UTC calendar',
    }),
    'history-days': Flags.integer({
      default: 91,
      min: MIN_HISTORY_DAYS,
      description: 'days of history before --from',
    }),
    model: Flags.string({ options: [...MODEL_NAMES], default: 'double-seasonal' }),
    channel: Flags.string({ default: DEFAULT_CHANNEL }),
    holidays: Flags.string({
      description: 'public holidays of this country (date-holidays code: DE, GB-ENG, US-CA…)',
    }),
    weather: Flags.string({
      description: 'CSV of instant,temperature °C covering history and horizon (calendar-regression)',
    }),
    store: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'store the forecast in smt.forecasts',
    }),
  };

  async run(): Promise<ForecastReport> {
    const { args, flags } = await this.parse(Forecast);
    const picked = [args.meter, flags.region, flags.segment, flags.fleet || undefined].filter(
      (x) => x !== undefined,
    );
    if (picked.length !== 1)
      throw new UsageError('name exactly one target: a meter id, --region, --segment or --fleet');
    const selector: Selector = args.meter
      ? { level: 'meter', target: args.meter }
      : flags.region
        ? { level: 'region', target: flags.region }
        : flags.segment
          ? { level: 'segment', target: flags.segment }
          : { level: 'fleet', target: 'fleet' };
    const from = flags.from ?? new Date().toISOString().slice(0, 10);
    parseLocalDate(from);
    const r = await forecast(await this.smtConfig(), {
      selector,
      horizon: flags.horizon as Horizon,
      from,
      historyDays: flags['history-days'],
      model: flags.model as ModelName,
      channel: flags.channel,
      ...(flags.holidays ? { holidays: flags.holidays } : {}),
      ...(flags.weather ? { weather: flags.weather } : {}),
      store: flags.store,
    });
    if (!this.jsonEnabled()) writeResult(renderForecast(r));
    return r;
  }
}
