import { Args } from '@oclif/core';
import { type CorrectionReport, undoCorrection } from '../../core/corrections/service.js';
import { withCorrectionStores } from '../../core/corrections/stores.js';
import { UsageError } from '../../core/errors.js';
import { BaseCommand } from '../../ui/base-command.js';
import { correctionFlags } from '../../ui/correction-flags.js';
import { renderCorrection } from '../../ui/corrections-output.js';
import { writeResult } from '../../ui/output.js';

export default class CorrectUndo extends BaseCommand {
  static override summary = 'Undo a correction: a new correction restoring what the series held before it';
  static override description =
    `Restores each interval of the correction to the value, quality, device status and rules of the series version it superseded, as a new audited correction (history kept: nothing is deleted). Intervals changed again since (a later correction, late data) are left as they are and counted as skipped. A correction can be undone once; undo the undo to restore it.

Exit codes: 0 undone (or dry run done); 2 usage (no --reason, already undone, closed period without --allow-closed); 3 no such correction; 4 a store is unreachable; 6 schema behind.`;

  static override examples = [
    '<%= config.bin %> correct undo 42 --reason "applied to the wrong meter" --dry-run',
    '<%= config.bin %> correct undo 42 --reason "applied to the wrong meter" --as alice --json',
  ];

  static override args = {
    correction: Args.string({
      description: 'correction id (from `smt correct` or `smt audit <meter>`)',
      required: true,
    }),
  };

  static override flags = { ...correctionFlags };

  async run(): Promise<CorrectionReport> {
    const { args, flags } = await this.parse(CorrectUndo);
    if (!/^\d+$/.test(args.correction))
      throw new UsageError(
        `correction id ${JSON.stringify(args.correction)} is not a number`,
        'See `smt audit <meter>`.',
      );
    const report = await withCorrectionStores(await this.smtConfig(), { write: !flags['dry-run'] }, (s) =>
      undoCorrection(s.corrections, {
        correctionId: Number(args.correction),
        reason: flags.reason ?? '',
        ...(flags.as ? { operator: flags.as } : {}),
        dryRun: flags['dry-run'],
        allowClosed: flags['allow-closed'],
      }),
    );
    if (!this.jsonEnabled()) writeResult(renderCorrection(report, flags.limit));
    return report;
  }
}
