import { Args, Flags } from '@oclif/core';
import { WIRE_FORMATS, type WireFormat } from '../core/codecs/types.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { type ImportSummary, runImport } from '../core/import/service.js';
import { isIntervalMinutes } from '../core/readings/block.js';
import { assertTimeZone } from '../core/time/calendar.js';
import { BaseCommand } from '../ui/base-command.js';
import { importProgressReporter } from '../ui/import-progress.js';
import { renderKeyValues, renderTable, writeResult } from '../ui/output.js';

export default class Import extends BaseCommand {
  static override summary =
    'Import meter files: produce their readings to the raw topic as meter-day messages';
  static override description =
    `Reads files, directories and glob patterns (zip archives included) in any format smt reads (${WIRE_FORMATS.join(', ')}), cuts them into meter-day messages, checks that each decodes, and produces them to the raw topic (kafka.topics.raw) with the format header, so \`smt ingest\` takes them like any collection system's delivery. NEM12 is streamed (memory stays flat on a file of any size); other formats are read whole (up to 256 MiB) and sent as smt JSON blocks.

A file is recognised by the SHA-256 of its bytes: one imported before (PostgreSQL smt.imported_files) is reported and skipped unless --force. --dry-run reads and decodes everything and touches no service. Progress goes to stderr.

Exit codes: 0 every file imported or skipped; 2 usage (no such file, bad flag); 3 a file could not be read or had messages that do not decode (those were not produced; the rest were, and the file is not marked imported); 4 Kafka or PostgreSQL unavailable.`;
  static override examples = [
    '<%= config.bin %> import NEM12#0001#MDP#RETAILER.zip',
    "<%= config.bin %> import 'incoming/**/*.csv' --dry-run --json",
    '<%= config.bin %> import green-button.xml --meter MTR-000001',
    '<%= config.bin %> import han-push.bin --format hdlc --meter MTR-000002 --interval 60',
  ];
  static override strict = false;
  static override args = {
    paths: Args.string({ description: 'files, directories or glob patterns', required: true }),
  };
  static override flags = {
    'dry-run': Flags.boolean({
      description: 'read and decode, report what would be produced; produce and record nothing',
    }),
    force: Flags.boolean({ description: 'import files already imported (same SHA-256) again' }),
    format: Flags.string({
      description: 'payload format of every file; default: detected per file',
      options: [...WIRE_FORMATS],
    }),
    meter: Flags.string({
      description: 'meter id for payloads that carry none (DLMS buffers, one-meter feeds)',
    }),
    interval: Flags.integer({
      description:
        "interval minutes (5, 15, 30, 60): a DLMS buffer's capture period; the grid DSMR/HDLC registers are summed to",
    }),
    timezone: Flags.string({
      description: 'IANA zone of the local days messages are cut into (config `timezone`)',
    }),
    topic: Flags.string({
      description: 'raw topic to produce to (config `kafka.topics.raw`, SMT_TOPIC_RAW)',
    }),
    limit: Flags.integer({ description: 'failures and warnings listed per file', default: 20, min: 0 }),
  };

  protected override configFlags(flags: Record<string, unknown>) {
    return {
      timezone: flags.timezone as string | undefined,
      'kafka.topics.raw': flags.topic as string | undefined,
    };
  }

  async run(): Promise<ImportSummary> {
    const { argv, flags } = await this.parse(Import);
    const config = await this.smtConfig();
    const timezone = assertTimeZone(config.string('timezone'));
    if (flags.interval !== undefined && !isIntervalMinutes(flags.interval))
      throw new UsageError(`--interval ${flags.interval}: expected 5, 15, 30 or 60`);
    const reporter = this.jsonEnabled() ? undefined : importProgressReporter(process.stderr.isTTY === true);
    const abort = new AbortController();
    const onSignal = () => {
      if (abort.signal.aborted) process.exit(130);
      reporter?.clear();
      this.info('interrupted: finishing the messages in flight (again to quit at once)…');
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let summary: ImportSummary;
    try {
      summary = await runImport(config, {
        paths: argv as string[],
        dryRun: flags['dry-run'],
        force: flags.force,
        timezone,
        limit: flags.limit,
        signal: abort.signal,
        ...(flags.format === undefined ? {} : { format: flags.format as WireFormat }),
        ...(flags.meter === undefined ? {} : { meterId: flags.meter }),
        ...(flags.interval === undefined || !isIntervalMinutes(flags.interval)
          ? {}
          : { intervalMinutes: flags.interval }),
        ...(reporter ? { onProgress: reporter.update, progressIntervalMs: reporter.intervalMs } : {}),
      });
    } finally {
      reporter?.clear();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (!this.jsonEnabled()) writeResult(render(summary));
    if (summary.files.some((f) => f.status === 'failed')) process.exitCode = ExitCode.invalidData;
    return summary;
  }
}

const fmt = new Intl.NumberFormat('en-US');
const n = (x: number) => fmt.format(Math.round(x));

function render(s: ImportSummary): string {
  const files = renderTable(
    ['file', 'status', 'formats', 'messages', 'readings', 'dropped', 'failures', 'warnings'],
    s.files.map((f) => [
      f.file,
      f.status === 'skipped' ? `skipped (imported ${f.previous?.importedAt ?? ''})` : f.status,
      [...new Set(f.entries.map((e) => e.format ?? '?'))].join(','),
      n(f.messages),
      n(f.readings),
      n(f.dropped.count),
      n(f.failures.count),
      n(f.warnings.count),
    ]),
  );
  const details = s.files
    .filter((f) => f.failures.count + f.warnings.count + f.dropped.count > 0)
    .map((f) => {
      const lines = [`${f.file}:`];
      for (const r of f.dropped.reasons) lines.push(`  dropped: ${n(r.readings)} readings, ${r.reason}`);
      for (const x of f.dropped.items) lines.push(`  dropped: ${x}`);
      for (const x of f.failures.items) lines.push(`  error: ${x}`);
      if (f.failures.count > f.failures.items.length)
        lines.push(`  … ${n(f.failures.count - f.failures.items.length)} more errors`);
      for (const x of f.warnings.items) lines.push(`  warning: ${x}`);
      if (f.warnings.count > f.warnings.items.length)
        lines.push(`  … ${n(f.warnings.count - f.warnings.items.length)} more warnings`);
      return lines.join('\n');
    });
  const totals = renderKeyValues([
    ['topic', s.topic ?? 'none (dry run)'],
    ['messages', n(s.messages)],
    ['readings', n(s.readings)],
    ['readings dropped', n(s.dropped)],
    ['bytes', n(s.bytes)],
    ['seconds', String(s.seconds)],
    ['readings/s', n(s.readingsPerSecond)],
    ...(s.interrupted
      ? ([['interrupted', 'yes: files not finished are not marked imported']] as [string, string][])
      : []),
  ]);
  return [files, ...details, totals].join('\n');
}
