import { Args, Flags } from '@oclif/core';
import { WIRE_FORMATS, type WireFormat } from '../core/codecs/types.js';
import { UsageError } from '../core/errors.js';
import { type IntervalMinutes, isIntervalMinutes } from '../core/readings/block.js';
import { type DecodeFailureItem, type ValidateFileReport, validateFile } from '../core/vee/validate-file.js';
import { BaseCommand } from '../ui/base-command.js';
import { renderKeyValues, renderTable, writeResult } from '../ui/output.js';

export default class Validate extends BaseCommand {
  static override summary =
    'Decode a payload file and run the VEE rules on it (a dry run: nothing is written)';
  static override description =
    `Reports readings decoded, readings dropped (counted by reason) and decode warnings (what a tolerant decoder assumed, with line and field), the period in UTC and in the file's own zone (NEM12/NEM13: AEST), readings per validation state, readings per rule, decode failures with their location, and the first failures with meter, interval start (UTC and local), rule and reason. Use it to try a rule set before activating it.

Registry rules run only with --meters; history rules never run here (a file carries no history).

Exit codes: 0 when the file decodes, even if rules fail readings (it is a dry run); 2 for a usage error (missing file, bad --now or --timezone); 3 when the file cannot be decoded at all, the format cannot be told, or the rules or meters file is invalid.`;

  static override examples = [
    '<%= config.bin %> validate samples/json/meter-day-dst-2026-03-29.json',
    '<%= config.bin %> validate readings.csv --rules my-rules.yaml --timezone Europe/Stockholm --now 2026-03-30T06:00:00Z',
    '<%= config.bin %> validate profile.dlms --format dlms --meter MTR-000001 --json',
  ];

  static override args = {
    file: Args.string({
      description: 'payload file (JSON block / NDJSON, CSV, DLMS profile buffer, NEM12, NEM13)',
      required: true,
    }),
  };

  static override flags = {
    format: Flags.string({
      description: 'payload format; default: detected from the content and the file name',
      options: [...WIRE_FORMATS],
    }),
    rules: Flags.string({
      description: 'rule-set YAML; default: the shipped rules/default.yaml',
      env: 'SMT_VEE_RULES',
    }),
    timezone: Flags.string({
      description:
        'IANA zone of meters without a registry entry and of local times without an offset (default: the `timezone` setting)',
    }),
    now: Flags.string({
      description:
        'instant to validate at, ISO-8601 with offset (future and late are measured from it); default: now',
    }),
    meter: Flags.string({ description: 'meter id for payloads that carry none (DLMS profile buffers)' }),
    interval: Flags.integer({
      description:
        "interval length in minutes (5, 15, 30, 60) for payloads that carry none: a DLMS buffer's capture period, never assumed",
    }),
    meters: Flags.string({
      description:
        'meter registry CSV (as `smt meters import` reads): runs the registry rules and uses segment thresholds',
    }),
    limit: Flags.integer({ description: 'failures to list', default: 20, min: 0 }),
  };

  protected override configFlags(flags: Record<string, unknown>) {
    return { timezone: flags.timezone as string | undefined };
  }

  async run(): Promise<ValidateFileReport> {
    const { args, flags } = await this.parse(Validate);
    const config = await this.smtConfig();
    const report = validateFile({
      file: args.file,
      format: flags.format as WireFormat | undefined,
      rulesFile: flags.rules,
      timezone: config.string('timezone'),
      now: flags.now === undefined ? undefined : parseNow(flags.now),
      meterId: flags.meter,
      intervalMinutes: intervalFlag(flags.interval),
      metersFile: flags.meters,
      limit: flags.limit,
    });
    if (!this.jsonEnabled()) writeResult(renderReport(report));
    return report;
  }
}

function parseNow(value: string): number {
  const ms = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `--now ${JSON.stringify(value)} is not an ISO-8601 instant with an offset`,
      'Write it like 2026-03-30T06:00:00Z or 2026-03-30T08:00:00+02:00.',
    );
  return ms;
}

function renderReport(r: ValidateFileReport): string {
  const parts: string[] = [];
  parts.push(
    renderKeyValues([
      ['file', r.file],
      ['format', r.format],
      [
        'rule set',
        `${r.ruleSet.name} v${r.ruleSet.version} (${r.ruleSet.fingerprint}) from ${r.ruleSet.source}`,
      ],
      ['now', r.now],
      ['timezone', r.timezone],
      ['registry', r.registry ?? '(none: registry rules not run)'],
      ['blocks / meters', `${r.blocks} / ${r.meters}`],
      ...(r.fileTimezone === null ? [] : [['file time zone', r.fileTimezone.label] as [string, string]]),
      ...(r.period === null ? [] : periodRows(r)),
      ['readings decoded', r.decoded],
      ['readings dropped', r.dropped.count],
      ['warnings', r.warnings.count],
      ['readings', r.readings.total],
      ['passed', r.states.passed],
      ['accepted', r.states.accepted],
      ['failed', r.states.failed],
      ['not validated (missing)', r.states.notValidated],
      ['late', r.readings.late],
      ['decode failures', r.decodeFailures.count],
    ]),
  );
  if (r.dropped.count > 0)
    parts.push(
      renderTable(
        ['readings dropped', 'reason'],
        r.dropped.reasons.map((x) => [x.readings, x.reason]),
      ),
    );
  if (r.warnings.items.length > 0) {
    parts.push(
      renderTable(
        ['where', 'code', 'warning', 'assumed'],
        r.warnings.items.map((w) => [where(w), w.code ?? '', w.message, w.assumed ?? '']),
      ),
    );
    if (r.warnings.count > r.warnings.items.length)
      parts.push(
        `… and ${r.warnings.count - r.warnings.items.length} more warnings (--limit); by code: ${r.warnings.byCode.map((c) => `${c.code || '(none)'} ${c.count}`).join(', ')}`,
      );
  }
  if (r.registerReads !== undefined && r.registerReads.items.length > 0) {
    parts.push(
      renderTable(
        ['line', 'meter', 'channel', 'previous read', 'current read', 'quantity', 'current − previous'],
        r.registerReads.items.map((x) => [
          x.line,
          x.meterId,
          x.channel,
          `${x.previous.value} ${x.previous.quality} at ${x.previous.atFile}`,
          `${x.current.value} ${x.current.quality} at ${x.current.atFile}`,
          `${x.quantity} ${x.unit}`,
          `${x.derived} ${x.unit}`,
        ]),
      ),
    );
    if (r.registerReads.count > r.registerReads.items.length)
      parts.push(
        `showing ${r.registerReads.items.length} of ${r.registerReads.count} register reads (--limit)`,
      );
  }
  const fired = r.rules.filter((x) => x.count > 0);
  parts.push(
    fired.length === 0
      ? 'No rule fired.'
      : renderTable(
          ['id', 'rule', 'action', 'readings', 'meaning'],
          fired.map((x) => [x.id, x.rule, x.action, x.count, x.title]),
        ),
  );
  if (r.decodeFailures.items.length > 0) {
    parts.push(
      renderTable(
        ['where', 'decode failure'],
        r.decodeFailures.items.map((f) => [where(f), f.message]),
      ),
    );
    if (r.decodeFailures.count > r.decodeFailures.items.length)
      parts.push(
        `… and ${r.decodeFailures.count - r.decodeFailures.items.length} more decode failures (--limit)`,
      );
  }
  if (r.failures.items.length > 0) {
    parts.push(
      renderTable(
        [
          'meter',
          'channel',
          'start (UTC)',
          ...(r.fileTimezone === null ? [] : ['start (file)']),
          'start (local)',
          'rule',
          'action',
          'reason',
        ],
        r.failures.items.map((f) => [
          f.meterId,
          f.channel,
          f.start,
          ...(f.startFile === undefined ? [] : [f.startFile]),
          f.startLocal,
          f.rule,
          f.action,
          f.reason,
        ]),
      ),
    );
    if (r.failures.count > r.failures.items.length)
      parts.push(`showing ${r.failures.items.length} of ${r.failures.count} rule firings (--limit)`);
  }
  return parts.join('\n');
}

function intervalFlag(minutes: number | undefined): IntervalMinutes | undefined {
  if (minutes === undefined || isIntervalMinutes(minutes)) return minutes;
  throw new UsageError(`--interval ${minutes}: expected 1, 5, 10, 15, 30 or 60`);
}

function where(f: DecodeFailureItem): string {
  return [
    f.line === undefined ? '' : `line ${f.line}`,
    f.byteOffset === undefined ? '' : `byte ${f.byteOffset}`,
    f.record ?? '',
    f.field ?? '',
  ]
    .filter(Boolean)
    .join(', ');
}

function periodRows(r: ValidateFileReport): Array<[string, string]> {
  const p = r.period!;
  const rows: Array<[string, string]> = [['period (UTC)', `${p.from} – ${p.to}`]];
  if (p.fromFile !== undefined) rows.push(['period (file time)', `${p.fromFile} – ${p.toFile}`]);
  return rows;
}
