/**
 * smt's own JSON block: one meter, one channel, a run of consecutive intervals (typically one
 * meter-day). Designed for the hot path: one JSON.parse of compact arrays and one typed-array fill
 * per column, no object per reading. See docs/formats.md "JSON block".
 */
import {
  type Channel,
  channelIdOf,
  type IntervalMinutes,
  isIntervalMinutes,
  NO_SEQUENCE,
  type ReadingBlock,
} from '../readings/block.js';
import { CHANNEL_EXPECTED, describe, type FailureSink } from './failures.js';
import { lineOf, textOrFail } from './text.js';
import { formatInstant, isAligned, MINUTE_MS, parseIsoInstant } from './time.js';
import type { DecodedBlock, DecodeLocation, DecodeOptions, EncodeOptions } from './types.js';

export const JSON_BLOCK_VERSION = 1;
/** A block longer than a month of 5-minute intervals is a mistake, not a block. */
export const JSON_MAX_READINGS = 31 * 288;
const MAX_SEQ = 0x7fffffff;
const MAX_STATUS = 0xffffffff;

interface Ctx {
  sink: FailureSink;
  options: DecodeOptions;
  /** set for arrays and NDJSON */
  record: string | undefined;
  line: number | undefined;
  failed: boolean;
}

function locationOf(ctx: Ctx, field: string): DecodeLocation {
  const loc: DecodeLocation = { field };
  if (ctx.record !== undefined) loc.record = ctx.record;
  if (ctx.line !== undefined) loc.line = ctx.line;
  return loc;
}

function fail(ctx: Ctx, field: string, expected: string, found: string, message?: string): void {
  ctx.failed = true;
  ctx.sink.fail(
    message ?? `${field}: expected ${expected}, found ${found}`,
    locationOf(ctx, field),
    expected,
    found,
  );
}

export function decodeJson(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  const text = textOrFail(input, sink);
  if (text === null) return [];
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  const first = text.charCodeAt(i);
  const out: DecodedBlock[] = [];

  if (first === 0x7b /* { */) {
    // Fast path: a Kafka message is exactly one object. Only if that fails do we look for NDJSON.
    let parsed: unknown;
    let syntax: SyntaxError | undefined;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      syntax = err as SyntaxError;
    }
    if (syntax === undefined) {
      const b = decodeBlock(parsed, { sink, options, record: undefined, line: undefined, failed: false });
      if (b !== undefined) out.push(b);
      return out;
    }
    if (!hasSecondLine(text, i)) {
      syntaxFailure(sink, text, syntax, 0, undefined);
      return out;
    }
    decodeNdjson(text, options, sink, out);
    return out;
  }

  if (first === 0x5b /* [ */) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      syntaxFailure(sink, text, err as SyntaxError, 0, undefined);
      return out;
    }
    const arr = parsed as unknown[];
    for (let k = 0; k < arr.length; k++) {
      const b = decodeBlock(arr[k], {
        sink,
        options,
        record: `blocks[${k}]`,
        line: undefined,
        failed: false,
      });
      if (b !== undefined) out.push(b);
    }
    return out;
  }

  if (Number.isNaN(first)) {
    sink.fail(
      'empty payload',
      { byteOffset: 0 },
      'a JSON block object, an array of blocks, or NDJSON',
      'nothing',
    );
  } else {
    sink.fail(
      `expected a JSON block object, an array of blocks, or NDJSON, found ${describe(text.slice(i, i + 20))}`,
      { line: lineOf(text, i), byteOffset: i },
      '{ or [',
      describe(text[i]),
    );
  }
  return out;
}

function decodeNdjson(text: string, options: DecodeOptions, sink: FailureSink, out: DecodedBlock[]): void {
  let line = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(pos, end);
    const startPos = pos;
    pos = end + 1;
    if (raw.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      syntaxFailure(sink, raw, err as SyntaxError, startPos, line);
      continue;
    }
    const b = decodeBlock(parsed, { sink, options, record: `line ${line}`, line, failed: false });
    if (b !== undefined) out.push(b);
  }
}

/**
 * V8's JSON.parse messages carry "at position N" (and on newer V8 "(line L column C)"); keep the
 * message and turn the position into a line and character offset.
 */
function syntaxFailure(
  sink: FailureSink,
  text: string,
  err: SyntaxError,
  base: number,
  line: number | undefined,
): void {
  const m = /position (\d+)/.exec(err.message);
  const loc: DecodeLocation = {};
  let found = 'malformed JSON';
  if (m !== null) {
    const pos = +m[1]!;
    loc.byteOffset = base + pos;
    loc.line = line ?? lineOf(text, pos);
    found = describe(text.slice(pos, pos + 20));
  } else if (line !== undefined) {
    loc.line = line;
  } else if (/end of (JSON )?input|Unterminated/i.test(err.message)) {
    loc.byteOffset = base + text.length;
    loc.line = lineOf(text, text.length);
    found = 'end of input';
  }
  sink.fail(`JSON syntax error: ${err.message}`, loc, 'valid JSON', found);
}

function hasSecondLine(text: string, from: number): boolean {
  const nl = text.indexOf('\n', from);
  return nl !== -1 && text.slice(nl + 1).trim() !== '';
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;
}

function decodeBlock(o: unknown, ctx: Ctx): DecodedBlock | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    fail(ctx, '(block)', 'a JSON object', describe(o), `expected a JSON block object, found ${describe(o)}`);
    return undefined;
  }
  const b = o as Record<string, unknown>;

  if (b.v !== JSON_BLOCK_VERSION) fail(ctx, 'v', `${JSON_BLOCK_VERSION}`, describe(b.v));

  // meter: the message key wins only when the payload is silent; a disagreement is a routing bug.
  let meterId = '';
  const meter = b.meter;
  if (meter === undefined || meter === null) {
    if (ctx.options.meterId !== undefined && ctx.options.meterId !== '') meterId = ctx.options.meterId;
    else fail(ctx, 'meter', 'a meter id (or a message key)', 'nothing');
  } else if (typeof meter !== 'string' || meter.length === 0 || meter.length > 64) {
    fail(ctx, 'meter', 'a string of 1 to 64 characters', describe(meter));
  } else if (
    ctx.options.meterId !== undefined &&
    ctx.options.meterId !== '' &&
    ctx.options.meterId !== meter
  ) {
    ctx.failed = true;
    ctx.sink.meterMismatch('meter', describe(meter), locationOf(ctx, 'meter'));
  } else {
    meterId = meter;
  }

  let channel: Channel = 'active_import_kwh';
  const ch = b.channel;
  if (ch === undefined || ch === null) {
    if (ctx.options.channel !== undefined) channel = ctx.options.channel;
    else fail(ctx, 'channel', CHANNEL_EXPECTED, 'nothing');
  } else {
    const id = typeof ch === 'string' ? channelIdOf(ch) : null;
    if (id) channel = id;
    else fail(ctx, 'channel', CHANNEL_EXPECTED, describe(ch));
  }

  let interval: IntervalMinutes = 15;
  const iv = b.interval;
  if ((iv === undefined || iv === null) && ctx.options.intervalMinutes !== undefined)
    interval = ctx.options.intervalMinutes;
  else if (typeof iv !== 'number' || !isIntervalMinutes(iv))
    fail(ctx, 'interval', '5, 15, 30 or 60', describe(iv));
  else interval = iv;
  const intervalMs = interval * MINUTE_MS;

  let start = 0;
  let offset: number | undefined;
  const st = b.start;
  if (typeof st === 'string') {
    const p = parseIsoInstant(st);
    if (p.ok) {
      start = p.ms;
      offset = p.offsetMinutes;
    } else {
      fail(ctx, 'start', p.reason, describe(st));
    }
  } else if (typeof st === 'number' && Number.isSafeInteger(st)) {
    start = st;
  } else {
    fail(ctx, 'start', 'ISO-8601 date-time with offset or epoch milliseconds', describe(st));
  }
  if (!ctx.failed && !isAligned(start, interval, offset)) {
    fail(ctx, 'start', `an interval start aligned to ${interval} minutes`, describe(st));
  }

  const vals = b.values;
  let n = 0;
  if (!Array.isArray(vals)) {
    fail(ctx, 'values', 'an array of numbers or null', describe(vals));
  } else if (vals.length === 0 || vals.length > JSON_MAX_READINGS) {
    fail(ctx, 'values', `1 to ${JSON_MAX_READINGS} readings`, `${vals.length}`);
  } else {
    n = vals.length;
  }

  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = (vals as unknown[])[i];
    if (typeof v === 'number' && Number.isFinite(v)) values[i] = v;
    else if (typeof v === 'number')
      // JSON.parse turns a literal beyond a double's range (1e999) into ±Infinity; storing it
      // would become `null` (or Infinity) downstream, so refuse it by name.
      fail(
        ctx,
        `values[${i}]`,
        'a finite number or null',
        describe(v),
        `values[${i}]: expected a finite number or null, found ${describe(v)} (a number beyond the range of a double)`,
      );
    else if (v === null) values[i] = Number.NaN;
    else fail(ctx, `values[${i}]`, 'number or null', describe(v));
  }

  const status = new Uint32Array(n);
  const stv = b.status;
  if (stv !== undefined && stv !== null) {
    if (!Array.isArray(stv)) fail(ctx, 'status', 'an array of status words', describe(stv));
    else if (stv.length !== n) fail(ctx, 'status', `${n} entries (one per value)`, `${stv.length}`);
    else {
      for (let i = 0; i < n; i++) {
        const s = stv[i];
        if (typeof s === 'number' && s >= 0 && s <= MAX_STATUS && Number.isInteger(s)) status[i] = s;
        else fail(ctx, `status[${i}]`, 'an integer 0..4294967295', describe(s));
      }
    }
  }

  const sequence = new Int32Array(n);
  const sq = b.seq;
  if (sq === undefined || sq === null) {
    sequence.fill(NO_SEQUENCE);
  } else if (typeof sq === 'number') {
    if (!Number.isInteger(sq) || sq < 0 || sq + n - 1 > MAX_SEQ)
      fail(ctx, 'seq', `an integer 0..${MAX_SEQ - n + 1}`, describe(sq));
    else for (let i = 0; i < n; i++) sequence[i] = sq + i;
  } else if (Array.isArray(sq)) {
    if (sq.length !== n) fail(ctx, 'seq', `${n} entries (one per value)`, `${sq.length}`);
    else {
      for (let i = 0; i < n; i++) {
        const s = sq[i];
        if (s === null) sequence[i] = NO_SEQUENCE;
        else if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= MAX_SEQ) sequence[i] = s;
        else fail(ctx, `seq[${i}]`, `an integer 0..${MAX_SEQ} or null`, describe(s));
      }
    }
  } else {
    fail(ctx, 'seq', 'the first sequence number, or an array of them', describe(sq));
  }

  let commQuality = Number.NaN;
  const cq = b.cq;
  if (cq !== undefined && cq !== null) {
    if (typeof cq === 'number' && cq >= 0 && cq <= 100) commQuality = cq;
    else fail(ctx, 'cq', 'a number 0..100 or null', describe(cq));
  }

  if (ctx.failed) return undefined;

  const starts = new Float64Array(n);
  for (let i = 0; i < n; i++) starts[i] = start + i * intervalMs;
  return { meterId, channel, intervalMinutes: interval, starts, values, status, sequence, commQuality };
}

// ---------------------------------------------------------------------------------------------
// encoder

/**
 * One JSON object per run of consecutive intervals: a block whose starts have a gap is written as
 * several objects (the format implies start + i × interval).
 */
export function encodeJson(blocks: readonly ReadingBlock[], options: EncodeOptions = {}): string {
  const objects: string[] = [];
  for (const b of blocks) {
    for (const [from, to] of contiguousRuns(b)) objects.push(encodeRun(b, from, to, options.timezone));
  }
  if (objects.length === 1 && options.jsonLayout !== 'array') return `${objects[0]}\n`;
  if (options.jsonLayout === 'array') return `[\n${objects.join(',\n')}\n]\n`;
  return `${objects.join('\n')}\n`;
}

export function contiguousRuns(b: ReadingBlock): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const step = b.intervalMinutes * MINUTE_MS;
  let from = 0;
  for (let i = 1; i <= b.starts.length; i++) {
    if (i === b.starts.length || b.starts[i]! - b.starts[i - 1]! !== step) {
      runs.push([from, i]);
      from = i;
    }
  }
  return runs;
}

function encodeRun(b: ReadingBlock, from: number, to: number, timezone: string | undefined): string {
  const values = Array.from(b.values.subarray(from, to), (v) => (Number.isNaN(v) ? null : v));
  let json =
    `{"v":${JSON_BLOCK_VERSION},"meter":${JSON.stringify(b.meterId)},"channel":"${b.channel}",` +
    `"interval":${b.intervalMinutes},"start":"${formatInstant(b.starts[from]!, timezone)}",` +
    `"values":${JSON.stringify(values)}`;
  const status = b.status.subarray(from, to);
  if (status.some((s) => s !== 0)) json += `,"status":${JSON.stringify(Array.from(status))}`;
  const seq = b.sequence.subarray(from, to);
  if (seq.some((s) => s !== NO_SEQUENCE)) {
    const first = seq[0]!;
    const consecutive = first !== NO_SEQUENCE && seq.every((s, i) => s === first + i);
    json += `,"seq":${consecutive ? first : JSON.stringify(Array.from(seq, (s) => (s === NO_SEQUENCE ? null : s)))}`;
  }
  if (!Number.isNaN(b.commQuality)) json += `,"cq":${b.commQuality}`;
  return `${json}}`;
}
