import { Flags } from '@oclif/core';
import { DEFAULT_CHANNELS } from '../core/aggregate/service.js';
import { type BackfillResult, runBackfill } from '../core/backfill/service.js';
import { BACKFILL_STAGES, type BackfillStageName } from '../core/backfill/stages.js';
import { BaseCommand } from '../ui/base-command.js';
import { meterScopeFlags, parseRange, rangeFlags } from '../ui/flags.js';
import { renderKeyValues, writeResult } from '../ui/output.js';
import { createProgress } from '../ui/progress/index.js';

export default class Backfill extends BaseCommand {
  static override summary = 'Reprocess history from the raw archive: re-validate, re-estimate, re-aggregate';
  static override description =
    `Re-decodes every archived delivery of the meter-days and runs the current (or --rules) rule set again; new series versions only where a value, validation state or rule changed, through the series write model (so it runs beside \`smt ingest\`: versions decide). Then the estimate stage (gap detection and the estimation chain of smt estimate, configured by the rule set's estimation section) and the authoritative daily aggregates of the chunk; the weekly, monthly and region rollups once the last chunk is done.
The work is cut into chunks of meter-days shared through a pg-boss queue in PostgreSQL: start the same command on several machines to share one job; a killed process's chunk is retried after --chunk-timeout, and a restarted command continues with the chunks not done (checkpoints in smt.job_checkpoints). --dry-run writes nothing and prints the plan: chunks, meter-days, and what would change.
Exit codes: 0 done; 2 usage; 3 the rule set is invalid; 4 a store is unreachable.`;
  static override examples = [
    '<%= config.bin %> backfill --from 2026-03-01 --to 2026-03-31 --dry-run --rules new-rules.yaml',
    '<%= config.bin %> backfill --from 2026-03-29 --to 2026-03-29 --region SE3 --stages revalidate,aggregate --rate 2000',
    '<%= config.bin %> backfill --from 2026-03-01 --to 2026-03-31 --json',
  ];
  static override flags = {
    ...rangeFlags,
    ...meterScopeFlags,
    stages: Flags.string({
      description: 'stages to run, in this order',
      options: [...BACKFILL_STAGES],
      multiple: true,
      delimiter: ',',
      default: [...BACKFILL_STAGES],
    }),
    rules: Flags.string({
      description: 'rule-set YAML to validate with (default: ingest.rules or the shipped rules)',
    }),
    channel: Flags.string({
      description: 'channels (comma separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: [...DEFAULT_CHANNELS],
    }),
    'dry-run': Flags.boolean({
      description: 'write nothing: print the chunks, meter-days and what would change',
    }),
    rate: Flags.integer({
      description: 'meter-days per second for this process, 0 = no limit',
      default: 0,
      min: 0,
    }),
    'chunk-days': Flags.integer({ description: 'meter-days per chunk', default: 2_000, min: 1 }),
    concurrency: Flags.integer({
      description: 'chunks this process works at once',
      default: 2,
      min: 1,
      max: 32,
    }),
    'chunk-timeout': Flags.integer({
      description: 'seconds after which the chunk of a process that died is given to another',
      default: 300,
      min: 3,
    }),
  };

  async run(): Promise<BackfillResult> {
    const { flags } = await this.parse(Backfill);
    const range = parseRange(flags);
    const progress = createProgress({ json: this.jsonEnabled() });
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result: BackfillResult;
    try {
      result = await runBackfill(await this.smtConfig(), {
        ...range,
        scope: {
          ...(flags.meters ? { meterIds: flags.meters } : {}),
          ...(flags.region ? { region: flags.region } : {}),
        },
        stages: flags.stages as BackfillStageName[],
        ...(flags.rules ? { rules: flags.rules } : {}),
        channels: flags.channel,
        dryRun: flags['dry-run'],
        rate: flags.rate,
        chunkMeterDays: flags['chunk-days'],
        concurrency: flags.concurrency,
        chunkTimeoutSeconds: flags['chunk-timeout'],
        onProgress: progress.sink,
        signal: abort.signal,
      });
    } finally {
      progress.handle({ kind: 'done' });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (!this.jsonEnabled()) writeResult(render(result));
    return result;
  }
}

function render(r: BackfillResult): string {
  const v = r.totals.revalidate;
  const rows: [string, string | number][] = [
    ['job', `${r.jobId}${r.dryRun ? ' (dry run: nothing written)' : ''}`],
    ['range', `${r.from} … ${r.to}`],
    ['stages', r.stages.join(', ')],
    ['rules', r.rules],
    ['chunks / meter-days', `${r.chunks} / ${r.meterDays} (this process: ${r.chunksByThisProcess} chunks)`],
  ];
  if (v)
    rows.push(
      ['deliveries re-decoded', `${v.deliveries} (${v.undecodable} no longer decode)`],
      ['readings re-validated', v.readings],
      ['  would change / changed validation state', v.stateChanged],
      ['  value changed', v.valueChanged],
      ['  rules changed', v.rulesChanged],
      ['  now rejected (value kept)', v.nowRejected],
      ['  now accepted', v.nowAccepted],
      ['  set by another writer (left alone)', v.notOwned],
      ['  done already by an earlier attempt of this job', v.alreadyDone],
      [
        r.dryRun ? 'meter-days that would get a new version' : 'meter-days with a new version',
        r.totals.daysWritten,
      ],
    );
  const e = r.totals.estimate;
  if (e)
    rows.push(
      ['gaps found (intervals missing)', `${e.gaps} (${e.missing})`],
      ['  intervals estimated / left unfilled', `${e.filled} / ${e.unfilled}`],
      ['  kept actuals that arrived meanwhile', e.keptActuals],
      [r.dryRun ? 'meter-days that would get estimates' : 'meter-days with estimates', e.changedDays],
    );
  if (r.totals.aggregatesChanged !== null)
    rows.push(['authoritative daily aggregates changed', r.totals.aggregatesChanged]);
  if (r.rollups) {
    const n = (c: { inserted: number; updated: number }) => c.inserted + c.updated;
    rows.push([
      'rollups changed (week / month / region day / region month)',
      [r.rollups.weekly, r.rollups.monthly, r.rollups.dimsDaily, r.rollups.dimsMonthly].map(n).join(' / '),
    ]);
  }
  rows.push(['meter-days/s', `${r.meterDaysPerSecond} (${r.seconds} s)`]);
  return renderKeyValues(rows);
}
