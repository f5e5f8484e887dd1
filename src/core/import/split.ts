/**
 * An input file → meter-day messages for the raw topic, each checked by decoding it.
 *
 * - NEM12 is streamed line by line (memory stays flat on a file of any size): every 300 record
 *   with its 400/500 records becomes one NEM12 message (its file's 100 header, its 200 record, 900),
 *   i.e. one NMI data stream and day, with format `nem12`; NEM13 the same way, one message per 250
 *   record with its 550 (one read period of one register), format `nem13`;
 * - every other format is read whole (at most WHOLE_FILE_LIMIT bytes), decoded, split into local
 *   days of the import's time zone and produced as smt JSON blocks (format `json`). Only what the
 *   JSON block carries travels: ESPI reading quality and DLMS clock status are not carried (said
 *   in the report's warnings).
 * A message that does not decode is not produced: its failures are reported with the file's line.
 */
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { decode, encode } from '../codecs/index.js';
import type {
  DecodedBlock,
  DecodeFailure,
  DecodeOptions,
  DecodeWarning,
  DroppedReadings,
  WireFormat,
} from '../codecs/types.js';
import { InvalidDataError } from '../errors.js';
import type { IntervalMinutes, ReadingBlock } from '../readings/block.js';
import { LocalCalendar } from '../time/calendar.js';

/** Files in formats that are not streamed are read whole up to this size. */
export const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;

export interface ImportMessage {
  key: string;
  value: Buffer;
  format: WireFormat;
  /** intervals the message carries */
  readings: number;
  /** register read periods it carries (NEM13) */
  registerReads: number;
}

export interface SplitOptions {
  format: WireFormat;
  sourceName: string;
  timezone: string;
  meterId?: string;
  intervalMinutes?: IntervalMinutes;
  /** bytes read so far of this entry, for progress */
  onBytes?: (n: number) => void;
}

/** Failures, warnings and dropped readings of one entry, listed up to a cap so a broken 1 GB file cannot fill memory; counts are exact. */
export class EntryProblems {
  readonly failures: DecodeFailure[] = [];
  readonly warnings: DecodeWarning[] = [];
  readonly drops: { drop: DroppedReadings; source: string }[] = [];
  /** dropped readings by reason */
  readonly dropped: Record<string, number> = {};
  failureCount = 0;
  warningCount = 0;
  constructor(private readonly max = 100) {}

  drop(d: DroppedReadings, source: string): void {
    this.dropped[d.reason] = (this.dropped[d.reason] ?? 0) + d.readings;
    if (this.drops.length < this.max) this.drops.push({ drop: d, source });
  }

  fail(f: DecodeFailure): void {
    this.failureCount++;
    if (this.failures.length < this.max) this.failures.push(f);
  }

  warn(f: DecodeWarning): void {
    this.warningCount++;
    if (this.warnings.length < this.max) this.warnings.push(f);
  }
}

export async function* splitEntry(
  stream: Readable,
  o: SplitOptions,
  problems: EntryProblems,
): AsyncGenerator<ImportMessage> {
  if (o.format === 'nem12' || o.format === 'nem13') yield* splitMdff(stream, o, o.format, problems);
  else yield* splitWhole(stream, o, problems);
}

/**
 * The records of each MDFF version: `context` opens a data stream (NEM12 200), `unit` opens a
 * message (NEM12 300, NEM13 250) that takes the records after it until the next context or unit.
 */
const MDFF_LAYOUT = {
  nem12: {
    context: '200',
    unit: '300',
    unitName: '300 record before any 200 record: no NMI data stream to put it in',
    outside: '500',
  },
  nem13: { context: undefined, unit: '250', unitName: '', outside: undefined },
} as const;

async function* splitMdff(
  stream: Readable,
  o: SplitOptions,
  format: 'nem12' | 'nem13',
  problems: EntryProblems,
): AsyncGenerator<ImportMessage> {
  const layout = MDFF_LAYOUT[format];
  if (o.onBytes) stream.on('data', (c: Buffer) => o.onBytes!(c.length));
  const rl = readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let header = `100,${format.toUpperCase()},200001010000,SMT,SMT`;
  let headerLine = 0;
  let nmi: { text: string; line: number } | undefined;
  let chunk: string[] = [];
  let chunkLines: number[] = [];
  let lineNo = 0;
  const flush = function* (): Generator<ImportMessage> {
    if (chunk.length === 0 || (layout.context !== undefined && nmi === undefined)) {
      if (chunk.length > 0)
        problems.fail({
          format,
          message: layout.unitName,
          location: { line: chunkLines[0]!, record: layout.unit },
          source: o.sourceName,
        });
      chunk = [];
      chunkLines = [];
      return;
    }
    const context = nmi === undefined ? [] : [nmi];
    const text = [header, ...context.map((c) => c.text), ...chunk, '900', ''].join('\n');
    const lines = [headerLine, ...context.map((c) => c.line), ...chunkLines, lineNo];
    chunk = [];
    chunkLines = [];
    const m = checked(format, text, o, problems, (l) => lines[l - 1] ?? l);
    if (m !== undefined) yield m;
  };
  for await (const raw of rl) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\ufeff/, '') : raw;
    if (line.trim() === '') continue;
    const rec = line.slice(0, 3);
    if (rec === '100') {
      yield* flush();
      header = line;
      headerLine = lineNo;
    } else if (rec === layout.context) {
      yield* flush();
      nmi = { text: line, line: lineNo };
    } else if (rec === layout.unit) {
      yield* flush();
      chunk.push(line);
      chunkLines.push(lineNo);
    } else if (rec === '900') {
      yield* flush();
    } else if (chunk.length > 0) {
      chunk.push(line);
      chunkLines.push(lineNo);
    } else if (rec !== layout.outside) {
      // a 500 record may follow the 200 before any 300; anything else outside a unit has no home
      problems.fail({
        format,
        message: `record ${JSON.stringify(rec)} outside a ${[layout.context, layout.unit].filter(Boolean).join('/')} block`,
        location: { line: lineNo, record: rec },
        source: o.sourceName,
      });
    }
  }
  yield* flush();
}

/** Decode one message's payload; undefined (with its failures reported) when it does not decode. */
function checked(
  format: WireFormat,
  payload: string | Buffer,
  o: SplitOptions,
  problems: EntryProblems,
  fileLine: (line: number) => number,
): ImportMessage | undefined {
  const r = decode(format, payload, decodeOptions(o));
  const relocate = <T extends DecodeFailure | DecodeWarning | DroppedReadings>(f: T): T =>
    f.location.line === undefined
      ? f
      : { ...f, location: { ...f.location, line: fileLine(f.location.line) } };
  for (const w of r.warnings) problems.warn(relocate(w));
  for (const d of r.drops) problems.drop(relocate(d), o.sourceName);
  if (r.failures.length > 0) {
    for (const f of r.failures) problems.fail(relocate(f));
    return undefined;
  }
  // A message whose readings were all dropped is produced still: ingest records the drops in
  // PostgreSQL (smt.ingest_rejects) and on the rejected topic, so they are on the record.
  const key = r.blocks[0]?.meterId ?? r.registerReads?.[0]?.meterId ?? r.drops[0]?.meterId;
  if (key === undefined) return undefined;
  return {
    key,
    value: Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8'),
    format,
    readings: r.blocks.reduce((s, b) => s + b.starts.length, 0),
    registerReads: r.registerReads?.length ?? 0,
  };
}

function decodeOptions(o: SplitOptions): DecodeOptions {
  const d: DecodeOptions = { timezone: o.timezone, sourceName: o.sourceName };
  if (o.meterId !== undefined) d.meterId = o.meterId;
  if (o.intervalMinutes !== undefined) d.intervalMinutes = o.intervalMinutes;
  return d;
}

async function* splitWhole(
  stream: Readable,
  o: SplitOptions,
  problems: EntryProblems,
): AsyncGenerator<ImportMessage> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    size += b.length;
    o.onBytes?.(b.length);
    if (size > WHOLE_FILE_LIMIT) {
      stream.destroy();
      throw new InvalidDataError(
        `${o.sourceName}: ${o.format} files are read whole and this one exceeds ${WHOLE_FILE_LIMIT / 2 ** 20} MiB`,
        {
          code: 'FILE_TOO_LARGE',
          hint: 'Split the file (only NEM12 is streamed).',
        },
      );
    }
    parts.push(b);
  }
  const buf = Buffer.concat(parts);
  // DLMS and HDLC on disk are often hex text; their decoders take it as a string
  const binaryStart = o.format === 'dlms' ? 0x01 : o.format === 'hdlc' ? 0x7e : -1;
  const input: Buffer | string = binaryStart >= 0 && buf[0] !== binaryStart ? buf.toString('latin1') : buf;
  const r = decode(o.format, input, decodeOptions(o));
  for (const w of r.warnings) problems.warn(w);
  for (const f of r.failures) problems.fail(f);
  for (const d of r.drops) problems.drop(d, o.sourceName);
  if (r.failures.length > 0) return;
  const dropped = r.blocks.some(
    (b) => b.espiQuality !== undefined || b.clockStatus !== undefined || b.quality !== undefined,
  );
  if (dropped)
    problems.warn({
      format: o.format,
      message:
        'produced as smt JSON blocks, which do not carry per-reading quality (ESPI ReadingQuality, DLMS clock status): those are not sent',
      location: {},
      source: o.sourceName,
    });
  const cal = LocalCalendar.for(o.timezone);
  for (const b of r.blocks) {
    for (const day of localDays(b, cal)) {
      yield {
        key: day.meterId,
        value: Buffer.from(encode('json', [day]) as string, 'utf8'),
        format: 'json',
        readings: day.starts.length,
        registerReads: 0,
      };
    }
  }
}

/** A block cut at the local midnights of `cal` (views, no copies). */
export function* localDays(b: DecodedBlock, cal: LocalCalendar): Generator<ReadingBlock> {
  let from = 0;
  const n = b.starts.length;
  while (from < n) {
    const day = cal.localDayOf(b.starts[from]!);
    let to = from + 1;
    while (to < n && cal.localDayOf(b.starts[to]!) === day) to++;
    yield {
      meterId: b.meterId,
      channel: b.channel,
      intervalMinutes: b.intervalMinutes,
      starts: b.starts.subarray(from, to),
      values: b.values.subarray(from, to),
      status: b.status.subarray(from, to),
      sequence: b.sequence.subarray(from, to),
      commQuality: b.commQuality,
    };
    from = to;
  }
}
