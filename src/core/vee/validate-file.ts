/**
 * `smt validate <file>`: decode a file and run the VEE rules on it locally, nothing written
 * anywhere. Operators use it to dry-run a rule set before activating it, and to see why a file
 * from a head-end is rejected. The report is the command's `--json` output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { parseHex } from '../codecs/dlms.js';
import {
  DecodeError,
  type DecodeFailure,
  type DecodeWarning,
  DlmsTag,
  decode,
  detectFormat,
  WIRE_FORMATS,
  type WireFormat,
} from '../codecs/index.js';
import { InvalidDataError, UsageError } from '../errors.js';
import type { Channel, IntervalMinutes } from '../readings/block.js';
import { ValidationState } from '../readings/quality.js';
import { parseMeterCsv } from '../registry/meter-csv.js';
import { assertTimeZone } from '../time/calendar.js';
import { registrySnapshot, type ValidationContext } from './context.js';
import { blockOf, VeeEngine } from './engine.js';
import { describeFiring, iso } from './explain.js';
import { loadDefaultRuleSet, loadRuleSetFile } from './rule-set.js';
import { RULE_SLOTS, RULES, type RuleAction, type RuleId, rulesInMask } from './rules.js';

export interface ValidateFileOptions {
  file: string;
  /** default: detected from the content and the file name */
  format?: WireFormat;
  /** rule-set YAML; default rules/default.yaml */
  rulesFile?: string;
  /** zone for meters without a registry entry and for local times in the file without an offset */
  timezone: string;
  /** epoch ms validation runs "at"; default now */
  now?: number;
  /** meter id for payloads that carry none (DLMS) */
  meterId?: string;
  /** interval length for payloads that carry none (a DLMS buffer's capture period) */
  intervalMinutes?: IntervalMinutes;
  /** registry CSV (as for `smt meters import`): enables the registry rules and segment thresholds */
  metersFile?: string;
  /** how many reading failures and decode failures to list; default 20 */
  limit?: number;
}

export interface RuleCount {
  id: number;
  rule: string;
  title: string;
  /** action under the `rules` level of the rule set (segments may differ) */
  action: RuleAction;
  /** readings on which the rule fired */
  count: number;
  /** false when the rule needs context this run did not have (registry, history) */
  evaluated: boolean;
}

export interface ReadingFailureItem {
  meterId: string;
  channel: Channel;
  /** index of the reading within its block */
  index: number;
  /** interval start, UTC */
  start: string;
  /** interval start on the meter's local clock, with offset */
  startLocal: string;
  /** interval start in the file's own time zone (NEM12: market time, +10:00); absent when the file has none */
  startFile?: string;
  ruleId: number;
  rule: string;
  action: RuleAction;
  reason: string;
}

export interface DecodeFailureItem {
  message: string;
  line?: number;
  byteOffset?: number;
  field?: string;
  record?: string;
  expected?: string;
  found?: string;
}

export interface DecodeWarningItem extends DecodeFailureItem {
  /** e.g. NEM12_BLANK_UOM (docs/formats.md, Tolerances) */
  code?: string;
  /** what the decoder assumed to read on */
  assumed?: string;
}

/** The zone a format writes its times in, when it has one of its own (NEM12/NEM13 market time). */
export interface FileTimezone {
  /** luxon/IANA-style zone, e.g. UTC+10 */
  zone: string;
  label: string;
}

/** First interval start and last interval end of the decoded readings (or read times, NEM13). */
export interface Period {
  from: string;
  to: string;
  /** the same instants in the file's zone; absent when the file has none */
  fromFile?: string;
  toFile?: string;
}

/** One NEM13 read period as `smt validate` lists it. */
export interface RegisterReadItem {
  line: number;
  meterId: string;
  channel: Channel;
  unit: string;
  previous: { value: number; at: string; atFile: string; quality: string };
  current: { value: number; at: string; atFile: string; quality: string };
  /** consumption as the file states it */
  quantity: number;
  /** current − previous */
  derived: number;
}

export interface ValidateFileReport {
  file: string;
  format: WireFormat;
  /** null for formats whose times carry their own offset */
  fileTimezone: FileTimezone | null;
  /** null when nothing decoded */
  period: Period | null;
  /** readings in decoded blocks (NEM13: register reads) */
  decoded: number;
  /** readings the file held that are in no block, by reason (never silently) */
  dropped: { count: number; reasons: Array<{ reason: string; readings: number }> };
  /** input read with an assumption: counts per code, then the first `limit` */
  warnings: {
    count: number;
    byCode: Array<{ code: string; count: number }>;
    items: DecodeWarningItem[];
  };
  /** NEM13 only: the first `limit` read periods */
  registerReads?: { count: number; items: RegisterReadItem[] };
  ruleSet: { name: string; version: number; fingerprint: string; source: string };
  now: string;
  timezone: string;
  registry: string | null;
  blocks: number;
  meters: number;
  readings: { total: number; missing: number; late: number };
  states: { notValidated: number; passed: number; failed: number; accepted: number };
  /** every rule of the catalogue, in id order */
  rules: RuleCount[];
  decodeFailures: { count: number; items: DecodeFailureItem[] };
  /** `count` = rule firings (a reading with two rules counts twice); `items` = the first `limit` */
  failures: { count: number; items: ReadingFailureItem[] };
}

export function validateFile(options: ValidateFileOptions): ValidateFileReport {
  const limit = options.limit ?? 20;
  const timezone = assertTimeZone(options.timezone);
  const now = options.now ?? Date.now();
  const ruleSet = options.rulesFile === undefined ? loadDefaultRuleSet() : loadRuleSetFile(options.rulesFile);

  let input: Uint8Array;
  try {
    input = readFileSync(options.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${options.file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'Pass the path of an existing payload file.',
    );
  }
  const format = options.format ?? detectFormat(input, options.file);
  if (format === undefined) {
    throw new InvalidDataError(`cannot tell the payload format of ${options.file}`, {
      code: 'UNKNOWN_FORMAT',
      hint: `Pass --format (${WIRE_FORMATS.join(', ')}).`,
    });
  }

  // DLMS on disk is often hex text (as in logs and samples/); on Kafka it is always raw bytes.
  if (format === 'dlms' && input.length > 0 && input[0] !== DlmsTag.Array) {
    const hex = parseHex(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1'));
    if (!hex.ok) {
      throw new InvalidDataError(
        `${options.file}: neither a DLMS buffer (starts with 0x01) nor hex text: character ${hex.at} is ${hex.found}`,
        {
          code: 'DECODE_FAILED',
          hint: 'Pass the raw profile buffer or its hex text, or check --format.',
        },
      );
    }
    input = hex.bytes;
  }

  const registry = options.metersFile === undefined ? undefined : loadRegistry(options.metersFile);
  const decoded = decode(format, input, {
    timezone,
    sourceName: path.basename(options.file),
    ...(options.meterId === undefined ? {} : { meterId: options.meterId }),
    ...(options.intervalMinutes === undefined ? {} : { intervalMinutes: options.intervalMinutes }),
  });
  const reads = decoded.registerReads ?? [];
  if (decoded.blocks.length === 0 && reads.length === 0) {
    if (decoded.failures.length > 0)
      throw new DecodeError(
        decoded.failures,
        `Fix the ${format} file at the place named${format === 'dlms' ? ' (a DLMS buffer needs --meter and --interval)' : ''}, or check --format.`,
      );
    const dropped = Object.entries(decoded.dropped).map(([why, n]) => `${n} dropped: ${why}`);
    throw new InvalidDataError(
      `${options.file} holds no readings smt can keep${dropped.length > 0 ? ` (${dropped.join('; ')})` : ''}`,
      {
        code: 'NO_READINGS',
        hint: `Check that the file is a ${format} payload; \`smt validate --json\` lists the warnings.`,
      },
    );
  }
  const fileZone = FILE_ZONES[format] ?? null;
  const inFileZone = (ms: number): string =>
    fileZone === null || !Number.isFinite(ms)
      ? iso(ms)
      : (DateTime.fromMillis(ms, { zone: fileZone.zone }).toISO({ suppressMilliseconds: true }) ?? iso(ms));

  const engine = new VeeEngine(ruleSet);
  const ctx: ValidationContext = { now, timezone, registry };
  const { columns, offsets } = engine.validateBatch(decoded.blocks, ctx);

  const items: ReadingFailureItem[] = [];
  for (const [g, id] of pickFirings(columns.ruleMask, limit)) {
    const k = blockOf(offsets, g);
    const b = decoded.blocks[k]!;
    const f = describeFiring(engine, b, g - offsets[k]!, id, ctx);
    const zone = registry?.get(b.meterId)?.timezone ?? timezone;
    const s = b.starts[f.index]!;
    items.push({
      meterId: b.meterId,
      channel: b.channel,
      index: f.index,
      start: iso(s),
      startLocal: Number.isFinite(s)
        ? (DateTime.fromMillis(s, { zone }).toISO({ suppressMilliseconds: true }) ?? iso(s))
        : iso(s),
      ...(fileZone === null ? {} : { startFile: inFileZone(s) }),
      ruleId: f.ruleId,
      rule: f.rule,
      action: f.action,
      reason: f.reason,
    });
  }

  const context = new Set<string>();
  if (registry === undefined) context.add('registry');
  context.add('history'); // a file carries no history summaries
  let firings = 0;
  const rules: RuleCount[] = RULES.map((r) => {
    const count = columns.ruleCounts[r.id]!;
    firings += count;
    return {
      id: r.id,
      rule: r.key,
      title: r.title,
      action: ruleSet.rules[r.key]!.action,
      count,
      evaluated: !context.has(r.needs),
    };
  });

  let decodedReadings = reads.length;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const b of decoded.blocks) {
    decodedReadings += b.starts.length;
    if (b.starts.length === 0) continue;
    from = Math.min(from, b.starts[0]!);
    to = Math.max(to, b.starts[b.starts.length - 1]! + b.intervalMinutes * 60_000);
  }
  for (const r of reads) {
    from = Math.min(from, r.previous.at);
    to = Math.max(to, r.current.at);
  }
  const period: Period | null =
    from > to
      ? null
      : {
          from: iso(from),
          to: iso(to),
          ...(fileZone === null ? {} : { fromFile: inFileZone(from), toFile: inFileZone(to) }),
        };
  const reasons = Object.entries(decoded.dropped)
    .map(([reason, readings]) => ({ reason, readings }))
    .sort((a, b) => b.readings - a.readings || a.reason.localeCompare(b.reason));
  const byCode = new Map<string, number>();
  for (const w of decoded.warnings) byCode.set(w.code ?? '', (byCode.get(w.code ?? '') ?? 0) + 1);
  const quality = (v: { flag: number; method: number }): string =>
    String.fromCharCode(v.flag) + (v.method >= 0 ? String(v.method).padStart(2, '0') : '');

  return {
    file: options.file,
    format,
    fileTimezone: fileZone,
    period,
    decoded: decodedReadings,
    dropped: { count: reasons.reduce((n, r) => n + r.readings, 0), reasons },
    warnings: {
      count: decoded.warnings.length,
      byCode: [...byCode].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count),
      items: decoded.warnings.slice(0, limit).map(decodeWarningItem),
    },
    ...(decoded.registerReads === undefined
      ? {}
      : {
          registerReads: {
            count: reads.length,
            items: reads.slice(0, limit).map((r) => ({
              line: r.line,
              meterId: r.meterId,
              channel: r.channel,
              unit: r.unit,
              previous: {
                value: r.previous.value,
                at: iso(r.previous.at),
                atFile: inFileZone(r.previous.at),
                quality: quality(r.previous),
              },
              current: {
                value: r.current.value,
                at: iso(r.current.at),
                atFile: inFileZone(r.current.at),
                quality: quality(r.current),
              },
              quantity: r.quantity,
              derived: r.derived,
            })),
          },
        }),
    ruleSet: {
      name: ruleSet.name,
      version: ruleSet.version,
      fingerprint: ruleSet.fingerprint,
      source: ruleSet.source,
    },
    now: iso(now),
    timezone,
    registry: options.metersFile ?? null,
    blocks: decoded.blocks.length,
    meters: new Set([...decoded.blocks, ...reads].map((b) => b.meterId)).size,
    readings: {
      total: columns.length,
      missing: columns.stateCounts[ValidationState.NotValidated]!,
      late: columns.lateCount,
    },
    states: {
      notValidated: columns.stateCounts[ValidationState.NotValidated]!,
      passed: columns.stateCounts[ValidationState.Passed]!,
      failed: columns.stateCounts[ValidationState.Failed]!,
      accepted: columns.stateCounts[ValidationState.Accepted]!,
    },
    rules,
    decodeFailures: {
      count: decoded.failures.length,
      items: decoded.failures.slice(0, limit).map(decodeFailureItem),
    },
    failures: { count: firings, items },
  };
}

/**
 * Which (reading, rule) firings to list: the first firing of every rule that fired (so a dry run
 * shows each rule at least once, however many readings one noisy rule hits), then more in reading
 * order up to `limit`; listed in reading order.
 */
function pickFirings(mask: Uint32Array, limit: number): [number, RuleId][] {
  const picked: [number, RuleId][] = [];
  const taken = new Set<number>();
  const key = (g: number, id: number): number => g * RULE_SLOTS + id;
  let seen = 0;
  for (let g = 0; g < mask.length && picked.length < limit; g++) {
    const fresh = (mask[g]! & ~seen) >>> 0;
    if (fresh === 0) continue;
    for (const id of rulesInMask(fresh)) {
      if (picked.length >= limit) break;
      picked.push([g, id]);
      taken.add(key(g, id));
    }
    seen = (seen | fresh) >>> 0;
  }
  for (let g = 0; g < mask.length && picked.length < limit; g++) {
    if (mask[g] === 0) continue;
    for (const id of rulesInMask(mask[g]!)) {
      if (picked.length >= limit) break;
      if (!taken.has(key(g, id))) picked.push([g, id]);
    }
  }
  return picked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** NEM12 and NEM13 write market time: AEST all year, whatever the NMI's state does with DST. */
const FILE_ZONES: Partial<Record<WireFormat, FileTimezone>> = {
  nem12: { zone: 'UTC+10', label: 'AEST, NEM market time (UTC+10, no daylight saving)' },
  nem13: { zone: 'UTC+10', label: 'AEST, NEM market time (UTC+10, no daylight saving)' },
};

function decodeWarningItem(w: DecodeWarning): DecodeWarningItem {
  return {
    ...decodeFailureItem(w),
    ...(w.code === undefined ? {} : { code: w.code }),
    ...(w.assumed === undefined ? {} : { assumed: w.assumed }),
  };
}

function decodeFailureItem(f: DecodeFailure | DecodeWarning): DecodeFailureItem {
  return {
    message: f.message,
    ...f.location,
    ...(f.expected === undefined ? {} : { expected: f.expected }),
    ...(f.found === undefined ? {} : { found: f.found }),
  };
}

function loadRegistry(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read meter registry ${file}: ${(err as Error).message}`,
      'Pass an existing registry CSV with --meters.',
    );
  }
  const parsed = parseMeterCsv(text);
  const problems = [...parsed.fatal, ...parsed.problems];
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((p) => `${file}:${p.line}: ${p.field}: ${p.message}`);
    throw new InvalidDataError(
      `meter registry ${file} has ${problems.length} problem(s):\n  ${shown.join('\n  ')}`,
      {
        code: 'INVALID_REGISTRY',
        hint: 'Fix the rows named (the format is the one `smt meters import` reads).',
      },
    );
  }
  return registrySnapshot(parsed.meters.map((m) => m.meter));
}
