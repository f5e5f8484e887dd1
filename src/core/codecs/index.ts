/**
 * Payload codecs: bytes or text from head-ends, Kafka and files ⇄ columnar ReadingBlocks.
 *
 * `decode` never throws on bad input: one bad Kafka message yields failures (with a location a
 * person can act on) so it can go to the dead-letter topic with its reason. Formats and their
 * rules are documented in docs/formats.md.
 */
import { InvalidDataError } from '../errors.js';
import type { ReadingBlock } from '../readings/block.js';
import { decodeCsv, encodeCsv } from './csv.js';
import { decodeDlms, encodeDlms } from './dlms.js';
import { decodeDsmr } from './dsmr.js';
import { decodeEspi } from './espi.js';
import { FailureSink } from './failures.js';
import { decodeHdlc } from './hdlc.js';
import { decodeJson, encodeJson } from './json.js';
import { decodeNem12, encodeNem12 } from './nem12.js';
import { decodeNem13 } from './nem13.js';
import {
  type DecodeFailure,
  type DecodeOptions,
  type DecodeResult,
  type DecodeWarning,
  type DroppedReadings,
  type EncodeOptions,
  WIRE_FORMATS,
  type WireFormat,
} from './types.js';

export { AxdrError, AxdrReader, AxdrWriter } from './axdr.js';
export { CSV_COLUMNS } from './csv.js';
export { detectFormat } from './detect.js';
export {
  AmrStatus,
  ClockStatus,
  DEFAULT_DLMS_PROFILE,
  DlmsTag,
  DlmsUnit,
  parseHex,
  parseObis,
} from './dlms.js';
export { crc16Arc } from './dsmr.js';
export { crc16X25 } from './hdlc.js';
export { JSON_BLOCK_VERSION, JSON_MAX_READINGS } from './json.js';
export { nmiChecksum } from './mdff.js';
export { NEM_MARKET_OFFSET_MINUTES, NEM12_DROP, Nem12QualityFlag, nem12Channel } from './nem12.js';
export { NEM13_DROP } from './nem13.js';
export * from './types.js';

export function decode(
  format: WireFormat,
  input: Uint8Array | string,
  options: DecodeOptions = {},
): DecodeResult {
  const sink = new FailureSink(format, options);
  try {
    switch (format) {
      case 'json':
        return sink.result(decodeJson(input, options, sink));
      case 'csv':
        return sink.result(decodeCsv(input, options, sink));
      case 'dlms':
        return sink.result(decodeDlms(input, options, sink));
      case 'nem12':
        return sink.result(decodeNem12(input, options, sink));
      case 'dsmr':
        return sink.result(decodeDsmr(input, options, sink));
      case 'hdlc':
        return sink.result(decodeHdlc(input, options, sink));
      case 'espi':
        return sink.result(decodeEspi(input, options, sink));
      case 'nem13': {
        const registerReads = decodeNem13(input, options, sink);
        return { ...sink.result([]), registerReads };
      }
      default:
        sink.fail(
          `unknown payload format ${JSON.stringify(format)}`,
          {},
          WIRE_FORMATS.join(', '),
          String(format),
        );
        return sink.result([]);
    }
  } catch (err) {
    // A decoder bug must still not take a consumer down: report it as a failure of this message.
    sink.fail(`internal decoder error: ${err instanceof Error ? err.message : String(err)}`, {});
    return sink.result([]);
  }
}

/**
 * Encode blocks into a payload. JSON and CSV give text; DLMS gives bytes; NEM12 gives text.
 * Throws (a programming error, not bad input) when the blocks cannot be represented.
 */
export function encode(
  format: WireFormat,
  blocks: readonly ReadingBlock[],
  options: EncodeOptions = {},
): Uint8Array | string {
  switch (format) {
    case 'json':
      return encodeJson(blocks, options);
    case 'csv':
      return encodeCsv(blocks, options);
    case 'dlms':
      return encodeDlms(blocks, options.dlms);
    case 'nem12':
      return encodeNem12(blocks, options.nem12);
    case 'dsmr':
    case 'hdlc':
    case 'espi':
      throw new Error(`smt reads ${format} but does not write it`);
    default:
      throw new Error(`unknown payload format ${JSON.stringify(format)}`);
  }
}

/** `file.csv:12: interval_start: expected …` — the way failures are shown to people. */
export function formatFailure(f: DecodeFailure | DecodeWarning): string {
  const where: string[] = [];
  if (f.source !== undefined) where.push(f.source);
  if (f.location.line !== undefined) where.push(`line ${f.location.line}`);
  if (f.location.byteOffset !== undefined) where.push(`byte ${f.location.byteOffset}`);
  if (f.location.record !== undefined) where.push(f.location.record);
  return where.length > 0 ? `${where.join(', ')}: ${f.message}` : f.message;
}

/** `file.csv, line 4, 300: 48 readings dropped (invalid 300 record), NCDE001111E1 from 2026-01-09T14:00:00.000Z: …` */
export function formatDrop(d: DroppedReadings, source?: string): string {
  const where = formatFailure({ format: 'nem12', message: '', location: d.location, source }).replace(
    /: $/,
    '',
  );
  const what = [
    `${d.readings} readings dropped (${d.reason})`,
    d.meterId,
    d.from === undefined ? undefined : `from ${new Date(d.from).toISOString()}`,
    d.to === undefined ? undefined : `to ${new Date(d.to).toISOString()}`,
  ].filter((x) => x !== undefined);
  return `${where ? `${where}: ` : ''}${what.join(' ')}: ${d.message}`;
}

/** For callers that want to throw: carries the first failure and exits with code 3. */
export class DecodeError extends InvalidDataError {
  readonly failure: DecodeFailure;
  readonly failures: DecodeFailure[];

  constructor(failures: DecodeFailure[] | DecodeFailure, hint?: string) {
    const list = Array.isArray(failures) ? failures : [failures];
    const first = list[0] ?? { format: 'json', message: 'invalid payload', location: {} };
    const more = list.length > 1 ? ` (and ${list.length - 1} more)` : '';
    super(`${formatFailure(first)}${more}`, {
      code: 'DECODE_FAILED',
      hint:
        hint ??
        `Fix the ${first.format} payload at the place named, or run \`smt validate <file>\` to list every problem.`,
    });
    this.name = 'DecodeError';
    this.failure = first;
    this.failures = list;
  }
}

/** decode() and throw DecodeError if anything failed. */
export function decodeOrThrow(
  format: WireFormat,
  input: Uint8Array | string,
  options: DecodeOptions = {},
): DecodeResult {
  const r = decode(format, input, options);
  if (r.failures.length > 0) throw new DecodeError(r.failures);
  return r;
}
