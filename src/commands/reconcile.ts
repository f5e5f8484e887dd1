import { Flags } from '@oclif/core';
import { type ReconcileResult, reconcile } from '../core/aggregate/reconcile.js';
import { DEFAULT_CHANNELS, openAggregatePorts } from '../core/aggregate/service.js';
import { BaseCommand } from '../ui/base-command.js';
import { meterScopeFlags, parseRange, rangeFlags } from '../ui/flags.js';
import { renderKeyValues, renderTable, writeResult } from '../ui/output.js';
import { createProgress } from '../ui/progress/index.js';

export default class Reconcile extends BaseCommand {
  static override summary =
    'Compare the series with its ClickHouse and PostgreSQL copies per meter-day, and repair them';
  static override description =
    `Per meter-day: readings and energy in the Cassandra series (the source of truth), in ClickHouse \`readings\` (provisional copy, latest version) and in the PostgreSQL daily aggregates (authoritative). Lists the meter-days where a copy differs. With --repair, re-derives exactly those copies from the series (ClickHouse: the meter-day's readings and per-meter rollups deleted, then the series' readings inserted again and the rollups corrected to the sums of the readings while \`smt ingest\` is held off (its slices wait for the repair's last step: the inserts and one INSERT … SELECT per rollup); PostgreSQL: the daily row recomputed and the existing weekly, monthly and region rollups refreshed), then checks them again. The ClickHouse region × segment × tariff rollups (daily and hourly, over every meter) are checked per group against the readings they sum; --repair derives them again for the days it re-inserted or found differing.
Exit codes: 0 no differences (or all repaired); 3 differences remain; 2 usage; 4 a store is unreachable.`;
  static override examples = [
    '<%= config.bin %> reconcile --from 2026-03-29 --to 2026-03-29',
    '<%= config.bin %> reconcile --from 2026-03-01 --to 2026-03-31 --region SE3 --repair --json',
  ];
  static override flags = {
    ...rangeFlags,
    ...meterScopeFlags,
    channel: Flags.string({
      description: 'channels to compare (comma separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: [...DEFAULT_CHANNELS],
    }),
    repair: Flags.boolean({ description: 're-derive the differing copies from the series' }),
    limit: Flags.integer({ description: 'differences to list in the table', default: 50, min: 0 }),
  };

  async run(): Promise<ReconcileResult> {
    const { flags } = await this.parse(Reconcile);
    const range = parseRange(flags);
    const ports = await openAggregatePorts(await this.smtConfig(), { clickhouse: true });
    const progress = createProgress({ json: this.jsonEnabled() });
    let result: ReconcileResult;
    try {
      result = await reconcile(ports as Parameters<typeof reconcile>[0], {
        ...range,
        scope: {
          ...(flags.meters ? { meterIds: flags.meters } : {}),
          ...(flags.region ? { region: flags.region } : {}),
        },
        channels: flags.channel,
        repair: flags.repair,
        onProgress: progress.sink,
      });
    } finally {
      progress.handle({ kind: 'done' });
      await ports.close();
    }
    if (!this.jsonEnabled()) writeResult(render(result, flags.limit));
    const open = result.repaired
      ? result.repaired.remaining
      : result.differences.length + result.rollupDifferences.length;
    if (open > 0) process.exitCode = 3;
    return result;
  }
}

const fig = (f: { readings: number; energy: number | null } | null) =>
  f === null ? '–' : `${f.readings} / ${f.energy === null ? '–' : f.energy.toFixed(6)}`;

function render(r: ReconcileResult, limit: number): string {
  const head = renderKeyValues([
    ['range', `${r.from} … ${r.to} (${r.channels.join(', ')})`],
    ['meters / meter-days', `${r.meters} / ${r.meterDays}`],
    [
      'differences',
      `${r.differences.length} (ClickHouse ${r.byStore.clickhouse}, PostgreSQL ${r.byStore.postgres})`,
    ],
    [
      'region × segment × tariff rollups (ClickHouse, provisional)',
      `${r.rollupDifferences.length} groups differ from their readings`,
    ],
    ...(r.repaired
      ? ([
          [
            'repaired',
            `ClickHouse ${r.repaired.clickhouse}, PostgreSQL ${r.repaired.postgres}, rollups of ${r.repaired.rollupDays} days; still differing: ${r.repaired.remaining}`,
          ],
        ] as [string, string][])
      : []),
  ]);
  const rollups =
    r.rollupDifferences.length === 0
      ? ''
      : `\n${renderTable(
          [
            'rollup',
            'at',
            'channel',
            'region',
            'segment',
            'tariff',
            'rollup readings / kWh',
            'readings / kWh',
          ],
          r.rollupDifferences
            .slice(0, limit)
            .map((d) => [
              d.period === 'day' ? 'daily' : 'hourly',
              d.at,
              d.channel,
              d.region,
              d.segment,
              d.tariff,
              fig(d.rollup),
              fig(d.readings),
            ]),
        )}`;
  if (r.differences.length === 0) return head + rollups;
  const table = renderTable(
    [
      'meter',
      'channel',
      'day',
      'series (source of truth) readings / kWh',
      'ClickHouse (provisional)',
      'PostgreSQL (authoritative)',
      'differs',
    ],
    r.differences
      .slice(0, limit)
      .map((d) => [
        d.meterId,
        d.channel,
        d.day,
        fig(d.series),
        fig(d.clickhouse),
        fig(d.postgres),
        d.differs.join(', '),
      ]),
  );
  const more =
    r.differences.length > limit
      ? `\n… ${r.differences.length - limit} more (--limit, or --json for all)`
      : '';
  return `${head}\n${table}${more}${rollups}`;
}
