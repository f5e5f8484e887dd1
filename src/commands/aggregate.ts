import { Flags } from '@oclif/core';
import {
  AGGREGATE_PERIODS,
  AGGREGATE_SOURCES,
  type AggregatePeriod,
  type AggregateResult,
  type AggregateSource,
  aggregate,
  DEFAULT_CHANNELS,
  openAggregatePorts,
} from '../core/aggregate/service.js';
import { BaseCommand } from '../ui/base-command.js';
import { authorityLabel, meterScopeFlags, parseRange, rangeFlags } from '../ui/flags.js';
import { renderKeyValues, writeResult } from '../ui/output.js';
import { createProgress } from '../ui/progress/index.js';

export default class Aggregate extends BaseCommand {
  static override summary = 'Compute the authoritative daily, weekly or monthly aggregates in PostgreSQL';
  static override description =
    `Per meter and channel, from the current series (actuals, estimates and corrections): energy, peak interval demand, intervals expected / actual / estimated / missing, the estimated share, a status (provisional, validated, billed) and the series version each row was computed from; plus region × segment × tariff rows per day and month. Days are local to each meter's zone (92/96/100 quarter-hours on DST days); --period week|month widens the range to whole local weeks (Monday–Sunday) or months.
Idempotent: a row is rewritten only when a value changed; the result counts inserted, updated and unchanged rows. Energies are stored to 6 decimal places.
Exit codes: 0 done; 2 usage; 4 a store is unreachable; 6 the schema is behind (run \`smt db migrate\`).`;
  static override examples = [
    '<%= config.bin %> aggregate --period day --from 2026-03-29 --to 2026-03-29',
    '<%= config.bin %> aggregate --period month --from 2026-03-01 --to 2026-03-31 --region SE3 --json',
    '<%= config.bin %> aggregate --period week --from 2026-10-19 --to 2026-10-25 --meters MTR-000001,MTR-000002',
  ];
  static override flags = {
    period: Flags.string({
      description: 'aggregation period',
      options: [...AGGREGATE_PERIODS],
      default: 'day',
    }),
    ...rangeFlags,
    ...meterScopeFlags,
    channel: Flags.string({
      description: 'channels to aggregate (comma separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: [...DEFAULT_CHANNELS],
    }),
    source: Flags.string({
      description:
        'where the series is read: cassandra (the series itself, by partition) or clickhouse (its analytics copy, summed in place)',
      options: [...AGGREGATE_SOURCES],
      // measured (docs/benchmarks.md): summing in ClickHouse reads ~4× faster than Cassandra by partition
      default: 'clickhouse',
    }),
  };

  async run(): Promise<AggregateResult> {
    const { flags } = await this.parse(Aggregate);
    const range = parseRange(flags);
    const source = flags.source as AggregateSource;
    const ports = await openAggregatePorts(await this.smtConfig(), { clickhouse: source === 'clickhouse' });
    const progress = createProgress({ json: this.jsonEnabled() });
    let result: AggregateResult;
    try {
      result = await aggregate(ports, {
        period: flags.period as AggregatePeriod,
        ...range,
        scope: {
          ...(flags.meters ? { meterIds: flags.meters } : {}),
          ...(flags.region ? { region: flags.region } : {}),
        },
        channels: flags.channel,
        source,
        onProgress: progress.sink,
      });
    } finally {
      progress.handle({ kind: 'done' });
      await ports.close();
    }
    if (!this.jsonEnabled()) writeResult(renderResult(result));
    return result;
  }
}

function counts(c: { inserted: number; updated: number; unchanged?: number } | null): string {
  if (!c) return '–';
  return `${c.inserted} inserted, ${c.updated} updated${c.unchanged === undefined ? '' : `, ${c.unchanged} unchanged`}`;
}

function renderResult(r: AggregateResult): string {
  return renderKeyValues([
    ['figures', authorityLabel(r.authority)],
    ['period', `${r.period}: ${r.from} … ${r.to}`],
    ['read from', r.source],
    ['meters / meter-days', `${r.meters} / ${r.meterDays} (${r.chunks} chunks)`],
    ['channels', r.channels.join(', ')],
    ['daily rows', counts(r.daily)],
    ...(r.weekly ? ([['weekly rows', counts(r.weekly)]] as [string, string][]) : []),
    ...(r.monthly ? ([['monthly rows', counts(r.monthly)]] as [string, string][]) : []),
    ['region × segment × tariff, daily', counts(r.dimsDaily)],
    ...(r.dimsMonthly
      ? ([['region × segment × tariff, monthly', counts(r.dimsMonthly)]] as [string, string][])
      : []),
    ['meter-days/s', `${r.meterDaysPerSecond} (${r.seconds} s)`],
  ]);
}
