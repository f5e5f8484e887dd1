import { Args, Flags } from '@oclif/core';
import { ESTIMATE_METHODS } from '../../core/corrections/estimate-methods.js';
import type { CorrectionOperation } from '../../core/corrections/model.js';
import { type CorrectionReport, correct } from '../../core/corrections/service.js';
import { withCorrectionStores } from '../../core/corrections/stores.js';
import { UsageError } from '../../core/errors.js';
import { estimationSettingsOf } from '../../core/estimation/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { channelFlag, correctionFlags, finiteNumber } from '../../ui/correction-flags.js';
import { renderCorrection } from '../../ui/corrections-output.js';
import { writeResult } from '../../ui/output.js';

export default class Correct extends BaseCommand {
  static override summary = 'Correct a range of intervals of one meter: a new, audited series version';
  static override description =
    `Sets the intervals in [--from, --to) with exactly one of --value (kWh per interval), --scale (multiply what is stored), --copy-from (another meter's same intervals, or another local day of this meter by wall-clock time) or --estimate (a method). The new values must pass the corrections rule set (rules/corrections.yaml) before anything is written. The correction is recorded in PostgreSQL (smt.correction_sets, smt.corrections, a hash-chained smt.audit_log entry), written as a new series version (Cassandra, ClickHouse, the validated topic) with quality "substituted, data correction", and the touched meter-days are queued for recalculation. --dry-run shows the intervals old → new, the day and month totals before and after, and any closed or billed billing period touched (those need --allow-closed, and raise an alert). Undo with \`smt correct undo <id>\`; docs/corrections.md.

--from/--to: a local date (--to a date means the end of that day), a local time (2026-03-29T10:15) or an instant with an offset, in the meter's time zone.

Exit codes: 0 corrected (or dry run done); 2 usage (no --reason, bad range, closed period without --allow-closed); 3 the values fail the rule set, the meter or source data does not exist; 4 a store is unreachable; 6 schema behind (smt db migrate).`;

  static override examples = [
    '<%= config.bin %> correct SIM-000042 --from 2026-03-29T10:00 --to 2026-03-29T12:00 --value 0.25 --reason "register read agreed with the customer (ticket 4711)" --dry-run',
    '<%= config.bin %> correct SIM-000042 --from 2026-03-29 --to 2026-03-29 --copy-from 2026-03-22 --reason "meter fault, like day"',
    '<%= config.bin %> correct SIM-000042 --from 2026-10-25T01:00+02:00 --to 2026-10-25T04:00+01:00 --estimate linear --reason "spike removed" --as alice',
    '<%= config.bin %> correct SIM-000042 --from 2026-01-01 --to 2026-01-31 --scale 1.02 --reason "CT ratio" --allow-closed --json',
  ];

  static override args = { meter: Args.string({ description: 'meter id', required: true }) };

  static override flags = {
    from: Flags.string({ description: 'first instant corrected (inclusive)', required: true }),
    to: Flags.string({
      description: 'end of the range (exclusive; a date: the end of that day)',
      required: true,
    }),
    value: Flags.string({ description: 'the value of every interval in the range (kWh per interval)' }),
    scale: Flags.string({
      description: 'multiply each stored value by this factor (missing intervals stay missing)',
    }),
    'copy-from': Flags.string({
      description:
        'a meter id (its same intervals) or a local date YYYY-MM-DD of this meter (by wall-clock time)',
    }),
    estimate: Flags.string({
      description:
        'estimate the range with a method of smt estimate: linear, interp-blend, like-day, profile, average-day, or the chain of the rule set (docs/estimation.md)',
      options: [...ESTIMATE_METHODS.keys()],
    }),
    channel: channelFlag,
    rules: Flags.string({
      description: 'rule-set YAML the new values must pass (default rules/corrections.yaml)',
    }),
    ...correctionFlags,
  };

  static override strict = true;

  async run(): Promise<CorrectionReport> {
    const { args, flags } = await this.parse(Correct);
    const operation = operationOf(flags);
    const config = await this.smtConfig();
    const report = await withCorrectionStores(config, { write: !flags['dry-run'] }, (s) =>
      correct(s.corrections, {
        meterId: args.meter,
        channel: flags.channel,
        from: flags.from,
        to: flags.to,
        operation,
        reason: flags.reason ?? '',
        ...(flags.as ? { operator: flags.as } : {}),
        dryRun: flags['dry-run'],
        allowClosed: flags['allow-closed'],
        ...(flags.rules ? { rules: flags.rules } : {}),
        estimation: estimationSettingsOf(config.string('ingest.rules') || undefined).settings,
      }),
    );
    if (!this.jsonEnabled()) writeResult(renderCorrection(report, flags.limit));
    return report;
  }
}

function operationOf(f: {
  value?: string | undefined;
  scale?: string | undefined;
  'copy-from'?: string | undefined;
  estimate?: string | undefined;
}): CorrectionOperation {
  const given = (['value', 'scale', 'copy-from', 'estimate'] as const).filter((k) => f[k] !== undefined);
  if (given.length !== 1)
    throw new UsageError(
      given.length === 0
        ? 'say what to correct to: one of --value, --scale, --copy-from, --estimate'
        : `--${given.join(' and --')} cannot be combined: give exactly one`,
      'See `smt correct --help`.',
    );
  if (f.value !== undefined) return { kind: 'value', value: finiteNumber('value', f.value) };
  if (f.scale !== undefined) return { kind: 'scale', factor: finiteNumber('scale', f.scale) };
  if (f.estimate !== undefined) return { kind: 'estimate', method: f.estimate };
  const src = f['copy-from']!;
  return /^\d{4}-\d{2}-\d{2}$/.test(src)
    ? { kind: 'copy_from', day: src }
    : { kind: 'copy_from', meterId: src };
}
