import { Flags } from '@oclif/core';
import { type EstimateSummary, runEstimation } from '../../core/estimation/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { jobProgress } from '../../ui/job-progress.js';
import { renderKeyValues, renderTable, writeResult } from '../../ui/output.js';
import { localDateFlag, meterSelectionFlags, selectionOf } from '../../ui/quality-flags.js';

export default class Estimate extends BaseCommand {
  static override summary = 'Fill the gaps of the series with estimates (configurable fallback chain)';
  static override description =
    `Per segment, the chain of the rule set's \`estimation:\` section (default: linear for gaps up to 60 min → interp_blend for gaps shorter than a day (linear, the like-day shape shifted to meet the readings beside the gap, and profile, blended at the weights that best estimated the same window on the meter's 16 nearest clean days) → profile (like-day shape scaled to the level around the gap) → day_blend (for whole days: the blend of like days / more like days / days of any type that best estimates the meter's own nearest clean days) → like_day (average of the 3 nearest like days: weekday / Saturday / Sunday-or-holiday) → average_day → zero (de-energised meters only)). Each estimate is a new series version (origin Estimated, its method, reason) written like any other write: Cassandra, ClickHouse, the validated topic; an actual is never overwritten, and an actual that arrives later replaces the estimate (the estimate stays in the version history). See docs/estimation.md.

Exit codes: 0 done (also when some gaps could not be filled: see "unfilled"); 2 usage; 3 invalid rule set; 4 a store is unreachable.`;
  static override examples = [
    '<%= config.bin %> estimate --from 2026-03-01 --to 2026-03-31',
    '<%= config.bin %> estimate --from 2026-03-29 --to 2026-03-29 --meters MTR-1 --dry-run --json',
  ];
  static override flags = {
    from: localDateFlag({ description: 'first local date', required: true }),
    to: localDateFlag({ description: 'last local date (inclusive)', required: true }),
    ...meterSelectionFlags,
    'dry-run': Flags.boolean({ description: 'plan only: report what would be estimated, write nothing' }),
    rules: Flags.string({
      description: 'rule-set YAML with an estimation section; default: ingest.rules or the shipped one',
      env: 'SMT_VEE_RULES',
    }),
  };

  async run(): Promise<EstimateSummary> {
    const { flags } = await this.parse(Estimate);
    const progress = jobProgress('estimate', 'meters', !this.jsonEnabled());
    const s = await runEstimation(await this.smtConfig(), {
      from: flags.from,
      to: flags.to,
      channel: flags.channel,
      dryRun: flags['dry-run'],
      ...(flags.rules ? { rulesFile: flags.rules } : {}),
      ...selectionOf(flags),
      onProgress: (p) => progress(p.meters, p.of, p.seconds, `${p.filled} intervals filled`),
    });
    if (!this.jsonEnabled()) {
      writeResult(
        renderKeyValues([
          ['run', `${s.runId}${s.dryRun ? ' (dry run: nothing written)' : ''}`],
          ['rules', s.rules],
          ['days', `${s.from} … ${s.to} (${s.channel})`],
          ['meters / meter-days', `${s.meters} / ${s.meterDays}`],
          ['gaps / missing intervals', `${s.gaps} / ${s.missing}`],
          [s.dryRun ? 'would fill' : 'filled', s.filled],
          ['unfilled (no method applied)', s.unfilled],
          ['kept actuals (arrived meanwhile)', s.keptActuals],
          ['day versions written', s.versionsWritten],
          ['seconds', s.seconds],
        ]),
      );
      writeResult(renderTable(['method', 'intervals'], Object.entries(s.byMethod)));
    }
    return s;
  }
}
