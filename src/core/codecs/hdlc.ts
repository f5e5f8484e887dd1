/**
 * DLMS/COSEM pushed over HDLC on a meter's HAN port (Norway, Sweden, Austria, …): a stream of
 * HDLC frames (IEC 62056-46, frame format type 3), each carrying, after the LLC header E6 E7 00, a
 * data-notification APDU (0x0F) whose body lists the meter's values. See docs/formats.md
 * "DLMS/COSEM HDLC push frames".
 *
 * Frame: 7E | format A0..A7 (+0x08 segmented) with an 11-bit length | destination and source
 * address (each byte's low bit ends the address) | control | HCS | information | FCS | 7E, where
 * HCS and FCS are CRC-16/X-25 (transmitted low byte first).
 *
 * List formats (the body of the notification), as the meter makes send them and open-source HAN
 * readers document them:
 * - OBIS-tagged with scaler and unit (Aidon, and most "IDIS"-style lists): an array of structures
 *   {octet-string OBIS, value[, structure {scaler, unit}]};
 * - OBIS-tagged pairs without scaler (Kamstrup): a structure of a list id, then OBIS, value, OBIS,
 *   value …; scalers are the maker's published ones (energy in 10 Wh, current in 10 mA, voltage V);
 * - positional (Kaifa): a structure with no OBIS codes, whose elements are identified by their
 *   position in the maker's list 1/2/3 (energy in Wh, voltage in 0.1 V, current in mA).
 * Cumulative energy registers (A+, A-, R+, R-) become interval consumption on a grid (DecodeOptions
 * .intervalMinutes, default 60: the lists with registers are pushed hourly); instantaneous values
 * are counted in a warning per OBIS code.
 */
import { type IntervalMinutes, isIntervalMinutes } from '../readings/block.js';
import { AxdrError, AxdrReader, DlmsTag, tagName } from './axdr.js';
import { DEVIATION_NOT_SPECIFIED, readClock, wallToUtc } from './dlms.js';
import type { FailureSink } from './failures.js';
import { type RegisterSample, registerIntervals, round6 } from './register-intervals.js';
import { MINUTE_MS } from './time.js';
import type { DecodedBlock, DecodeOptions } from './types.js';

/** CRC-16/X-25 (HDLC FCS): check value of "123456789" is 0x906E. */
export function crc16X25(bytes: ArrayLike<number>, from = 0, to = bytes.length): number {
  let crc = 0xffff;
  for (let i = from; i < to; i++) {
    crc ^= bytes[i]! & 0xff;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc ^ 0xffff;
}

const FLAG = 0x7e;

export interface HdlcFrame {
  /** byte offset of the opening flag in the stream */
  offset: number;
  destination: number;
  source: number;
  control: number;
  /** segmentation bit: more frames follow with the rest of the information field */
  segmented: boolean;
  info: Uint8Array;
}

export interface HdlcProblem {
  offset: number;
  message: string;
  expected?: string;
  found?: string;
}

/**
 * Incremental HDLC deframer: feed it chunks as they arrive (any split, even inside a flag or a
 * CRC) and it returns the frames completed so far. Bytes it cannot frame are reported as problems
 * and skipped up to the next flag, as a HAN reader resynchronises.
 */
export class HdlcDeframer {
  private buf = new Uint8Array(0);
  /** stream offset of buf[0] */
  private base = 0;

  push(chunk: Uint8Array): { frames: HdlcFrame[]; problems: HdlcProblem[] } {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const frames: HdlcFrame[] = [];
    const problems: HdlcProblem[] = [];
    let i = 0;
    const b = this.buf;
    for (;;) {
      // skip to a flag; bytes before it are noise (or the tail of a frame we did not see begin)
      let f = i;
      while (f < b.length && b[f] !== FLAG) f++;
      if (f > i)
        problems.push({
          offset: this.base + i,
          message: `${f - i} bytes outside a frame skipped`,
          expected: 'a 0x7E flag',
          found: hex(b[i]!),
        });
      i = f;
      // shared or repeated flags: the last of a run opens the frame
      while (i + 1 < b.length && b[i + 1] === FLAG) i++;
      if (i + 3 > b.length) break;
      const format = (b[i + 1]! << 8) | b[i + 2]!;
      if (format >> 12 !== 0xa) {
        problems.push({
          offset: this.base + i + 1,
          message: `frame format type ${(format >> 12).toString(16).toUpperCase()} is not HDLC type 3 (0xA)`,
          expected: 'a format byte 0xA0..0xAF',
          found: hex(b[i + 1]!),
        });
        i++;
        continue;
      }
      const length = format & 0x07ff;
      if (length < 7) {
        problems.push({
          offset: this.base + i + 1,
          message: `frame length ${length} is too short for a header`,
          expected: 'at least 7',
          found: String(length),
        });
        i++;
        continue;
      }
      const end = i + 1 + length; // the closing flag
      if (end >= b.length) break; // wait for more
      if (b[end] !== FLAG) {
        problems.push({
          offset: this.base + end,
          message: `frame at byte ${this.base + i} of length ${length} does not end in a 0x7E flag`,
          expected: '0x7E',
          found: hex(b[end]!),
        });
        i++;
        continue;
      }
      const frame = this.parse(b, i, end);
      if ('message' in frame) problems.push(frame);
      else frames.push(frame);
      i = end; // the closing flag may open the next frame
    }
    this.base += i;
    this.buf = b.slice(i);
    return { frames, problems };
  }

  /** What is left when the stream ends: an incomplete frame is a problem. */
  end(): HdlcProblem[] {
    const rest = this.buf.length > 0 && !(this.buf.length === 1 && this.buf[0] === FLAG);
    return rest
      ? [
          {
            offset: this.base,
            message: `the stream ends inside a frame (${this.buf.length} bytes)`,
            expected: 'a complete frame',
            found: 'end of data',
          },
        ]
      : [];
  }

  private parse(b: Uint8Array, open: number, close: number): HdlcFrame | HdlcProblem {
    const at = this.base + open;
    let p = open + 3;
    const address = (what: string): number | HdlcProblem => {
      let v = 0;
      for (let k = 0; k < 4; k++) {
        if (p >= close) break;
        const x = b[p++]!;
        v = (v << 7) | (x >> 1);
        if (x & 1) return v;
      }
      return {
        offset: this.base + p,
        message: `frame at byte ${at}: ${what} address does not end within 4 bytes`,
        expected: 'an address byte with bit 0 set',
      };
    };
    const destination = address('destination');
    if (typeof destination !== 'number') return destination;
    const source = address('source');
    if (typeof source !== 'number') return source;
    if (p + 3 > close)
      return { offset: this.base + p, message: `frame at byte ${at}: too short for control and HCS` };
    const control = b[p++]!;
    const hcs = b[p]! | (b[p + 1]! << 8);
    const wantHcs = crc16X25(b, open + 1, p);
    if (hcs !== wantHcs)
      return {
        offset: this.base + p,
        message: `frame at byte ${at}: header check sequence ${hex16(hcs)} does not match the header (computed ${hex16(wantHcs)})`,
        expected: hex16(wantHcs),
        found: hex16(hcs),
      };
    p += 2;
    let info = new Uint8Array(0);
    if (p < close) {
      if (close - p < 2)
        return { offset: this.base + p, message: `frame at byte ${at}: too short for the FCS` };
      const fcsAt = close - 2;
      const fcs = b[fcsAt]! | (b[fcsAt + 1]! << 8);
      const wantFcs = crc16X25(b, open + 1, fcsAt);
      if (fcs !== wantFcs)
        return {
          offset: this.base + fcsAt,
          message: `frame at byte ${at}: frame check sequence ${hex16(fcs)} does not match the frame (computed ${hex16(wantFcs)})`,
          expected: hex16(wantFcs),
          found: hex16(fcs),
        };
      info = b.slice(p, fcsAt);
    }
    return { offset: at, destination, source, control, segmented: (b[open + 1]! & 0x08) !== 0, info };
  }
}

const hex = (v: number) => `0x${v.toString(16).toUpperCase().padStart(2, '0')}`;
const hex16 = (v: number) => `0x${v.toString(16).toUpperCase().padStart(4, '0')}`;

/** A value of the notification body as read (A-XDR), with where it started. */
type Value =
  | { t: 'number'; v: number; at: number }
  | { t: 'bytes'; v: Uint8Array; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'list'; tag: DlmsTag; v: Value[]; at: number }
  | { t: 'null'; at: number };

function readValue(r: AxdrReader, depth = 0): Value {
  const at = r.offset;
  const tag = r.u8('body', 'tag');
  switch (tag) {
    case DlmsTag.NullData:
      return { t: 'null', at };
    case DlmsTag.Array:
    case DlmsTag.Structure: {
      if (depth > 8)
        throw new AxdrError(`body at byte ${at}: nested deeper than 8`, at, 'at most 8 levels', 'deeper');
      const n = r.length('body');
      const v: Value[] = [];
      for (let k = 0; k < n; k++) v.push(readValue(r, depth + 1));
      return { t: 'list', tag, v, at };
    }
    case DlmsTag.OctetString:
      return { t: 'bytes', v: r.bytes(r.length('body'), 'octet-string'), at };
    case DlmsTag.VisibleString:
    case DlmsTag.Utf8String:
      return { t: 'string', v: Buffer.from(r.bytes(r.length('body'), 'string')).toString('latin1'), at };
    case DlmsTag.Boolean:
    case DlmsTag.Unsigned:
    case DlmsTag.Enum:
      return { t: 'number', v: r.u8('body'), at };
    case DlmsTag.Integer:
      return { t: 'number', v: r.i8('body'), at };
    case DlmsTag.Long:
      return { t: 'number', v: r.i16('body'), at };
    case DlmsTag.LongUnsigned:
      return { t: 'number', v: r.u16('body'), at };
    case DlmsTag.DoubleLong:
      return { t: 'number', v: r.i32('body'), at };
    case DlmsTag.DoubleLongUnsigned:
      return { t: 'number', v: r.u32('body'), at };
    case DlmsTag.Long64:
      return { t: 'number', v: r.i64('body'), at };
    case DlmsTag.Long64Unsigned:
      return { t: 'number', v: r.u64('body'), at };
    case DlmsTag.Float32:
      return { t: 'number', v: r.f32('body'), at };
    case DlmsTag.Float64:
      return { t: 'number', v: r.f64('body'), at };
    default:
      throw new AxdrError(
        `body at byte ${at}: unsupported ${tagName(tag)}`,
        at,
        'a DLMS data type',
        tagName(tag),
      );
  }
}

/** One value of a list, identified by OBIS code (`A-B:C.D.E`), scaled to its physical unit. */
interface ListItem {
  obis: string;
  value: Value;
  /** physical = raw × 10^scaler */
  scaler: number;
  /** DLMS unit code when the list gives one */
  unit?: number;
}

const obisOf = (b: Uint8Array) => `${b[0]}-${b[1]}:${b[2]}.${b[3]}.${b[4]}`;
const isObis = (x: Value | undefined): x is { t: 'bytes'; v: Uint8Array; at: number } =>
  x !== undefined && x.t === 'bytes' && x.v.length === 6;

/** Kamstrup's published scalers (no scaler-unit in its lists): by OBIS C.D. */
const KAMSTRUP_SCALER: Record<string, number> = {
  '1.8': 1,
  '2.8': 1,
  '3.8': 1,
  '4.8': 1,
  '31.7': -2,
  '51.7': -2,
  '71.7': -2,
};
/** Kaifa list 3 positions (after the list id): id, type, P+, P-, Q+, Q-, I1-3, U1-3, clock, A+, A-, R+, R- */
const KAIFA_LIST3: ReadonlyArray<[obis: string, scaler: number]> = [
  ['0-0:96.1.0', 0],
  ['0-0:96.1.7', 0],
  ['1-0:1.7.0', 0],
  ['1-0:2.7.0', 0],
  ['1-0:3.7.0', 0],
  ['1-0:4.7.0', 0],
  ['1-0:31.7.0', -3],
  ['1-0:51.7.0', -3],
  ['1-0:71.7.0', -3],
  ['1-0:32.7.0', -1],
  ['1-0:52.7.0', -1],
  ['1-0:72.7.0', -1],
  ['0-0:1.0.0', 0],
  ['1-0:1.8.0', 0],
  ['1-0:2.8.0', 0],
  ['1-0:3.8.0', 0],
  ['1-0:4.8.0', 0],
];

/** The list's items, whichever of the three layouts it has; undefined = a layout smt does not know. */
function listItems(body: Value): ListItem[] | undefined {
  if (body.t !== 'list') return undefined;
  const v = body.v;
  // Aidon style: array (or structure) of structures {OBIS, value[, {scaler, unit}]}
  if (v.length > 0 && v.every((e) => e.t === 'list' && isObis(e.v[0]))) {
    return v.map((e) => {
      const s = (e as { v: Value[] }).v;
      const su = s[2];
      const item: ListItem = {
        obis: obisOf((s[0] as { v: Uint8Array }).v),
        value: s[1] ?? { t: 'null', at: e.at },
        scaler: 0,
      };
      if (su?.t === 'list' && su.v[0]?.t === 'number' && su.v[1]?.t === 'number') {
        item.scaler = su.v[0].v;
        item.unit = su.v[1].v;
      }
      return item;
    });
  }
  // Kamstrup style: a flat structure with OBIS, value pairs (after a list id)
  const firstObis = v.findIndex(isObis);
  if (firstObis >= 0 && v.slice(firstObis).every((e, k) => k % 2 === 1 || isObis(e))) {
    const items: ListItem[] = [];
    for (let k = firstObis; k + 1 < v.length; k += 2) {
      const obis = obisOf((v[k] as { v: Uint8Array }).v).replace(/^1-1:/, '1-0:');
      const cd = obis
        .slice(obis.indexOf(':') + 1)
        .split('.')
        .slice(0, 2)
        .join('.');
      items.push({ obis, value: v[k + 1]!, scaler: KAMSTRUP_SCALER[cd] ?? 0 });
    }
    return items;
  }
  // Kaifa: positional, list id first (visible-string), lists 1 (1 value), 2 (13) and 3 (18)
  if (v[0]?.t === 'string' && (v.length === 13 || v.length === 18)) {
    return v.slice(1).map((value, k) => ({ obis: KAIFA_LIST3[k]![0], value, scaler: KAIFA_LIST3[k]![1] }));
  }
  return undefined;
}

/** Register OBIS C → channel (electricity energy registers in kWh / kvarh). */
const REGISTER_CHANNELS: ReadonlyArray<{ obis: string; channel: string }> = [
  { obis: '1-0:1.8.0', channel: 'active_import_kwh' },
  { obis: '1-0:2.8.0', channel: 'active_export_kwh' },
  { obis: '1-0:3.8.0', channel: 'reactive_import_kvarh' },
  { obis: '1-0:4.8.0', channel: 'reactive_export_kvarh' },
];
const CHANNELS = REGISTER_CHANNELS.map((c) => c.channel);
/** DLMS unit of an energy register: 30 Wh, 32 varh → kWh, kvarh (÷1000). Without a unit: Wh/varh as the makes document. */
const ENERGY_UNITS = new Set([30, 32]);

/**
 * Decode options: `meterId` (else the list's meter id 0-0:96.1.0 / 0-0:96.1.1), `intervalMinutes`
 * (the consumption grid, default 60), `timezone` (clocks whose deviation is not specified).
 */
export function decodeHdlc(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  let bytes: Uint8Array;
  // hex text (logs, files) as a string, or as the bytes of a file that holds it
  const text =
    typeof input === 'string'
      ? input
      : input[0] !== FLAG &&
          input.length > 0 &&
          /^[0-9a-fA-F\s:]+$/.test(Buffer.from(input.subarray(0, 256)).toString('latin1'))
        ? Buffer.from(input).toString('latin1')
        : undefined;
  if (text !== undefined) {
    const clean = text.replace(/[\s:]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
      sink.fail('hex text: expected pairs of hex digits', { field: 'hex' }, 'hex digits', 'other characters');
      return [];
    }
    bytes = Uint8Array.from(Buffer.from(clean, 'hex'));
  } else bytes = input as Uint8Array;
  const interval = (options.intervalMinutes ?? 60) as IntervalMinutes;
  if (!isIntervalMinutes(interval)) {
    sink.fail(`intervalMinutes: expected 5, 15, 30 or 60, found ${interval}`, { field: 'intervalMinutes' });
    return [];
  }
  const deframer = new HdlcDeframer();
  const { frames, problems } = deframer.push(bytes);
  problems.push(...deframer.end());
  for (const p of problems)
    sink.fail(p.message, { byteOffset: p.offset, field: 'frame' }, p.expected, p.found);

  const samples: RegisterSample[] = [];
  const notRead = new Map<string, { count: number; offset: number }>();
  let pending: { offset: number; parts: Uint8Array[] } | undefined;
  for (const f of frames) {
    if (pending === undefined) pending = { offset: f.offset, parts: [] };
    pending.parts.push(f.info);
    if (f.segmented) continue;
    const info = Buffer.concat(pending.parts);
    const at = pending.offset;
    pending = undefined;
    const sample = readNotification(info, at, options, sink, notRead);
    if (sample !== undefined) samples.push(sample);
  }
  if (pending !== undefined)
    sink.fail('the last frame is segmented but no frame with the rest follows', {
      byteOffset: pending.offset,
      field: 'frame',
    });
  for (const [obis, w] of notRead)
    sink.warn(
      `${obis}: ${w.count} value${w.count === 1 ? '' : 's'} not read (not a cumulative energy register)`,
      { byteOffset: w.offset, field: obis },
    );
  return registerIntervals(samples, CHANNELS, interval, sink);
}

function readNotification(
  info: Uint8Array,
  frameAt: number,
  options: DecodeOptions,
  sink: FailureSink,
  notRead: Map<string, { count: number; offset: number }>,
): RegisterSample | undefined {
  const r = new AxdrReader(info);
  const fail = (message: string, at: number, expected?: string, found?: string) =>
    sink.fail(
      `frame at byte ${frameAt}: ${message}`,
      { byteOffset: frameAt, field: `info+${at}` },
      expected,
      found,
    );
  try {
    if (info[0] === 0xe6) {
      if (info[1] !== 0xe7 || info[2] !== 0x00) {
        fail('LLC header is not E6 E7 00', 0, 'E6 E7 00', Buffer.from(info.subarray(0, 3)).toString('hex'));
        return undefined;
      }
      r.offset = 3;
    }
    const apdu = r.u8('APDU', 'tag');
    if (apdu !== 0x0f) {
      fail(`APDU ${hex(apdu)} is not a data-notification (0x0F)`, r.offset - 1, '0x0F', hex(apdu));
      return undefined;
    }
    r.bytes(4, 'long-invoke-id-and-priority');
    // date-time: absent (0x00), 12 bytes after a length 0x0C, or a tagged octet-string 09 0C
    let headerTime: number | undefined;
    const dtTag = r.u8('date-time');
    if (dtTag === 0x0c || dtTag === DlmsTag.OctetString) {
      if (dtTag === DlmsTag.OctetString) r.u8('date-time length');
      const raw = r.bytes(12, 'date-time');
      headerTime = clockUtc(Uint8Array.from([DlmsTag.OctetString, 12, ...raw]), options);
    } else if (dtTag !== 0x00) {
      fail(
        `date-time: expected 0x00 (none) or 0x0C, found ${hex(dtTag)}`,
        r.offset - 1,
        '0x00 or 0x0C',
        hex(dtTag),
      );
      return undefined;
    }
    const body = readValue(r);
    if (body.t === 'number') {
      // Kaifa list 1: the active power alone, without OBIS code or structure
      const w = notRead.get('(a lone value: Kaifa list 1 active power)');
      if (w) w.count++;
      else notRead.set('(a lone value: Kaifa list 1 active power)', { count: 1, offset: frameAt });
      return undefined;
    }
    const list = listItems(body);
    if (list === undefined) {
      fail(
        'notification body is not a list layout smt knows (OBIS list with scaler, OBIS pairs, Kaifa positional)',
        body.at,
      );
      return undefined;
    }
    let meterId = options.meterId !== undefined && options.meterId !== '' ? options.meterId : undefined;
    let clock: number | undefined;
    const registers = CHANNELS.map(() => Number.NaN);
    for (const item of list) {
      const { obis, value } = item;
      if (obis === '0-0:1.0.0' && value.t === 'bytes' && value.v.length === 12) {
        clock = clockUtc(Uint8Array.from([DlmsTag.OctetString, 12, ...value.v]), options);
        continue;
      }
      if ((obis === '0-0:96.1.0' || obis === '0-0:96.1.1') && (value.t === 'bytes' || value.t === 'string')) {
        meterId ??= typeof value.v === 'string' ? value.v : Buffer.from(value.v).toString('latin1');
        continue;
      }
      const g = REGISTER_CHANNELS.findIndex((c) => c.obis === obis);
      if (g < 0 || value.t !== 'number') {
        if (value.t !== 'null') {
          const w = notRead.get(obis);
          if (w) w.count++;
          else notRead.set(obis, { count: 1, offset: frameAt });
        }
        continue;
      }
      if (item.unit !== undefined && !ENERGY_UNITS.has(item.unit)) {
        fail(
          `${obis}: unit ${item.unit} is not Wh (30) or varh (32)`,
          value.at,
          'unit 30 or 32',
          String(item.unit),
        );
        return undefined;
      }
      // Wh or varh × 10^scaler → kWh or kvarh
      const exp = item.scaler - 3;
      registers[g] = round6(exp < 0 ? value.v / 10 ** -exp : value.v * 10 ** exp);
    }
    const at = clock ?? headerTime;
    if (registers.every(Number.isNaN)) return undefined; // a list of instantaneous values only (list 1/2)
    if (at === undefined) {
      fail(
        'energy registers without a clock (neither 0-0:1.0.0 in the list nor a notification date-time)',
        0,
        'a clock',
        'none',
      );
      return undefined;
    }
    if (meterId === undefined) {
      fail(
        'no meter id in the list (0-0:96.1.0): give one (the Kafka message key or --meter)',
        0,
        'a meter id',
        'none',
      );
      return undefined;
    }
    return { meterId: meterId.trim(), at, registers, location: { byteOffset: frameAt } };
  } catch (err) {
    if (!(err instanceof AxdrError)) throw err;
    fail(err.message, err.offset, err.expected, err.found);
    return undefined;
  }
}

/** A COSEM date-time (tagged) → UTC ms; throws AxdrError for clocks that are not an instant. */
function clockUtc(bytes: Uint8Array, options: DecodeOptions): number | undefined {
  const c = readClock(new AxdrReader(bytes));
  if (c === undefined) return undefined;
  if (c.deviation !== DEVIATION_NOT_SPECIFIED) return c.wall + c.deviation * MINUTE_MS;
  if (options.timezone === undefined)
    throw new AxdrError(
      'clock deviation not specified and no time zone given',
      0,
      'a deviation or --timezone',
      'deviation 0x8000',
    );
  const at = wallToUtc(c.wall, options.timezone, c.status);
  if (at === undefined)
    throw new AxdrError(
      `clock ${new Date(c.wall).toISOString().slice(0, 19)} does not exist in ${options.timezone}`,
      0,
      'an existing local time',
      'a skipped local time',
    );
  return at;
}
