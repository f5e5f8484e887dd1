import { type DetectSummary, detectGaps } from '../../core/gaps/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { jobProgress } from '../../ui/job-progress.js';
import { renderKeyValues, writeResult } from '../../ui/output.js';
import { localDateFlag, meterSelectionFlags, selectionOf } from '../../ui/quality-flags.js';

export default class GapsDetect extends BaseCommand {
  static override summary = 'Find the missing intervals of every meter-day and record them in PostgreSQL';
  static override description =
    `Expected intervals per meter and local day (the meter's interval length and zone: 92/96/100 at 15 min on DST days; from installation to removal; none while de-energised or inactive) against the current series. Gap records (smt.gaps, one per run of missing intervals, cut at local midnight) and per meter-day completeness (smt.meter_day_completeness) are replaced for the days detected: a rerun writes the same rows. Progress on stderr.

Exit codes: 0 detected (gaps found or not); 2 usage (bad date, unknown meter); 4 a store is unreachable.`;
  static override examples = [
    '<%= config.bin %> gaps detect --from 2026-03-01 --to 2026-03-31',
    '<%= config.bin %> gaps detect --from 2026-03-29 --to 2026-03-29 --meters MTR-1,MTR-2 --json',
  ];
  static override flags = {
    from: localDateFlag({ description: 'first local date', required: true }),
    to: localDateFlag({ description: 'last local date (inclusive)', required: true }),
    ...meterSelectionFlags,
  };

  async run(): Promise<DetectSummary> {
    const { flags } = await this.parse(GapsDetect);
    const progress = jobProgress('gaps detect', 'meters', !this.jsonEnabled());
    const s = await detectGaps(await this.smtConfig(), {
      from: flags.from,
      to: flags.to,
      channel: flags.channel,
      ...selectionOf(flags),
      onProgress: (p) => progress(p.meters, p.of, p.seconds, `${p.meterDays} meter-days`),
    });
    if (!this.jsonEnabled())
      writeResult(
        renderKeyValues([
          ['days', `${s.from} … ${s.to} (${s.channel})`],
          ['meters / meter-days', `${s.meters} / ${s.meterDays}`],
          ['expected intervals', s.expected],
          ['actual', s.actual],
          ['estimated', s.estimated],
          ['missing', s.missing],
          ['gap records (open)', s.gaps],
          ['complete (actual + estimated)', `${s.completePct} %`],
          ['meter-days/s', `${s.meterDaysPerSecond} (${s.seconds} s)`],
        ]),
      );
    return s;
  }
}
