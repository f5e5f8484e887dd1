/**
 * DSMR P1 telegrams (Dutch DSMR 4/5, Belgian e-MUCS, Swedish HAN port): the ASCII text a meter
 * writes to its P1 port every 1–10 s. See docs/formats.md "DSMR P1 telegrams".
 *
 * A telegram is `/XXX5ident`, a blank line, OBIS lines `1-0:1.8.1(001234.567*kWh)`, and `!` with the
 * CRC16 (CRC-16/ARC: polynomial 0xA001 reflected, initial 0) of every byte from `/` through `!`.
 * DSMR 2/3 telegrams end in `!` without a CRC: read, with a warning.
 *
 * What becomes readings: the cumulative energy registers (import 1.8.x, export 2.8.x, Swedish
 * reactive 3.8.0/4.8.0), turned into consumption per interval of a grid (DecodeOptions
 * .intervalMinutes, default 15): the register at each boundary is the first telegram stamped in
 * [boundary, boundary + 60 s); an interval's value is the difference between its two boundaries,
 * missing (NaN) where a boundary has no telegram. Everything else is kept as a warning per OBIS code.
 */
import { DateTime } from 'luxon';
import { type IntervalMinutes, isIntervalMinutes } from '../readings/block.js';
import type { FailureSink } from './failures.js';
import { type RegisterSample, registerIntervals, round6 } from './register-intervals.js';
import { MINUTE_MS } from './time.js';
import type { DecodedBlock, DecodeOptions } from './types.js';

/** CRC-16/ARC (the DSMR P1 checksum): check value of "123456789" is 0xBB3D. */
export function crc16Arc(bytes: ArrayLike<number>, from = 0, to = bytes.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= bytes[i]! & 0xff;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Register groups → channel; a group's total is its .0 register, or the sum of its tariffs. */
const REGISTERS: ReadonlyArray<{ c: number; channel: string; unit: string }> = [
  { c: 1, channel: 'active_import_kwh', unit: 'kWh' },
  { c: 2, channel: 'active_export_kwh', unit: 'kWh' },
  { c: 3, channel: 'reactive_import_kvarh', unit: 'kvarh' },
  { c: 4, channel: 'reactive_export_kvarh', unit: 'kvarh' },
];
const UNIT_SCALE: Record<string, Record<string, number>> = {
  kWh: { kwh: 1, wh: 1e-3 },
  kvarh: { kvarh: 1, varh: 1e-3 },
};

/** Lines read for the telegram itself (not readings): no warning for them. */
const HEADER_CODES = new Set(['1-3:0.2.8', '0-0:1.0.0', '0-0:96.1.1', '0-0:96.1.0', '0-0:96.1.4']);

/** Why a known line is not turned into readings, for its warning. */
const NOT_READ: Record<string, string> = {
  '0-0:96.14.0': 'tariff indicator',
  '0-0:96.7.21': 'power failure count',
  '0-0:96.7.9': 'long power failure count',
  '1-0:99.97.0': 'power failure log',
  '0-0:96.13.0': 'text message',
  '0-0:96.13.1': 'text message',
  '0-0:17.0.0': 'power threshold',
  '0-0:96.3.10': 'breaker state',
};

/** `registers`: per REGISTERS group, the total in the channel's unit, or NaN when the telegram has none */
type Telegram = RegisterSample;

interface LineWarning {
  line: number;
  count: number;
  why: string;
}

/**
 * Decode options: `meterId` (else the equipment identifier 0-0:96.1.1, hex as DSMR writes it),
 * `intervalMinutes` (the grid consumption is summed to, default 15), `timezone` (only for
 * timestamps without the S/W suffix).
 */
export function decodeDsmr(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  const text =
    typeof input === 'string'
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const interval: IntervalMinutes = options.intervalMinutes ?? 15;
  if (!isIntervalMinutes(interval)) {
    sink.fail(`intervalMinutes: expected 5, 15, 30 or 60, found ${interval}`, { field: 'intervalMinutes' });
    return [];
  }
  const telegrams: Telegram[] = [];
  const notRead = new Map<string, LineWarning>();
  let pos = text.indexOf('/');
  if (pos < 0) {
    sink.fail(
      'no DSMR telegram: expected a line starting with "/" (the identification line)',
      { line: 1, byteOffset: 0 },
      '/XXX5…',
      'none',
    );
    return [];
  }
  if (text.slice(0, pos).trim() !== '')
    sink.warn(`${pos} bytes before the first telegram skipped (a telegram cut at the start)`, {
      line: 1,
      byteOffset: 0,
    });
  let line = lineAt(text, pos);
  while (pos >= 0) {
    const end = text.indexOf('!', pos);
    if (end < 0) {
      sink.fail(
        'telegram without its end: expected "!" and the CRC',
        { line, byteOffset: pos },
        '!XXXX',
        'end of input',
      );
      break;
    }
    const next = text.indexOf('/', end + 1);
    const crcText = /^[0-9A-Fa-f]{4}/.exec(text.slice(end + 1, end + 5))?.[0];
    const body = text.slice(pos, end);
    const endLine = line + countLines(body);
    if (crcText === undefined) {
      sink.warn('telegram without a CRC (DSMR 2/3): not checked', { line: endLine, byteOffset: end });
    }
    const crc = crcText === undefined ? undefined : crc16Arc(latin1Codes(text, pos, end + 1));
    if (crc !== undefined && crc !== Number.parseInt(crcText!, 16)) {
      const computed = crc.toString(16).toUpperCase().padStart(4, '0');
      sink.fail(
        `telegram CRC ${crcText!.toUpperCase()} does not match its content (computed ${computed}): the telegram is corrupt and is skipped`,
        { line: endLine, byteOffset: end + 1, record: `telegram at line ${line}` },
        computed,
        crcText!.toUpperCase(),
      );
    } else {
      const t = readTelegram(body, line, pos, options, sink, notRead);
      if (t !== undefined) telegrams.push(t);
    }
    if (next >= 0) line = endLine + countLines(text.slice(end, next));
    pos = next;
  }
  for (const [code, w] of notRead)
    sink.warn(`${code} (${w.why}) on ${w.count} line${w.count === 1 ? '' : 's'}: not read`, {
      line: w.line,
      field: code,
    });
  return registerIntervals(
    telegrams,
    REGISTERS.map((r) => r.channel),
    interval,
    sink,
  );
}

function lineAt(text: string, pos: number): number {
  return 1 + countLines(text.slice(0, pos));
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function latin1Codes(text: string, from: number, to: number): Uint8Array {
  const b = new Uint8Array(to - from);
  for (let i = from; i < to; i++) b[i - from] = text.charCodeAt(i);
  return b;
}

const LINE_RE = /^(\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3})((?:\([^()]*\))+)\s*$/;

function readTelegram(
  body: string,
  startLine: number,
  startByte: number,
  options: DecodeOptions,
  sink: FailureSink,
  notRead: Map<string, LineWarning>,
): Telegram | undefined {
  const lines = body.split('\n');
  let at: number | undefined;
  let equipment: string | undefined;
  const totals = REGISTERS.map(() => Number.NaN);
  const tariffs = REGISTERS.map(() => 0);
  const tariffCount = REGISTERS.map(() => 0);
  let ok = true;
  for (let k = 1; k < lines.length; k++) {
    const raw = lines[k]!.replace(/\r$/, '');
    const ln = startLine + k;
    if (raw.trim() === '') continue;
    const m = LINE_RE.exec(raw);
    if (m === null) {
      note(notRead, '(unreadable)', ln, 'not an OBIS line');
      continue;
    }
    const code = m[1]!;
    const values = [...m[2]!.matchAll(/\(([^()]*)\)/g)].map((x) => x[1]!);
    if (code === '0-0:1.0.0') {
      at = timestamp(values[0]!, options, (msg) => {
        ok = false;
        sink.fail(
          `${code}: ${msg}`,
          { line: ln, field: code },
          'YYMMDDhhmmss with S or W',
          JSON.stringify(values[0]),
        );
      });
      continue;
    }
    if (code === '0-0:96.1.1' || code === '0-0:96.1.0') {
      equipment ??= equipmentId(values[0]!);
      continue;
    }
    if (HEADER_CODES.has(code)) continue;
    const [, group] = /^1-0:(\d+)\.8\.(\d+)$/.exec(code) ?? [];
    const g = group === undefined ? -1 : REGISTERS.findIndex((r) => r.c === Number(group));
    if (g < 0) {
      note(
        notRead,
        code,
        ln,
        NOT_READ[code] ??
          (code.startsWith('0-1:24.2') || code.startsWith('0-2:24.2')
            ? 'gas or water meter reading: smt channels are electricity'
            : /:\d+\.7\.0$/.test(code)
              ? 'instantaneous value, not an interval reading'
              : 'not a register smt reads'),
      );
      continue;
    }
    const reg = REGISTERS[g]!;
    const v = quantity(values[0]!, reg.unit);
    if (v === undefined) {
      ok = false;
      sink.fail(
        `${code}: expected a number in ${reg.unit}, found ${JSON.stringify(values[0])}`,
        { line: ln, field: code },
        `a number in ${reg.unit}`,
        JSON.stringify(values[0]),
      );
      continue;
    }
    const tariff = Number(code.slice(code.lastIndexOf('.') + 1));
    if (tariff === 0) totals[g] = v;
    else {
      tariffs[g]! += v;
      tariffCount[g]!++;
    }
  }
  if (!ok) return undefined;
  if (at === undefined) {
    sink.fail(
      'telegram without a timestamp (0-0:1.0.0): its registers cannot be placed in time',
      { line: startLine, byteOffset: startByte, field: '0-0:1.0.0' },
      'a 0-0:1.0.0 line',
      'none',
    );
    return undefined;
  }
  const meterId = options.meterId !== undefined && options.meterId !== '' ? options.meterId : equipment;
  if (meterId === undefined || meterId === '') {
    sink.fail(
      'telegram without an equipment identifier (0-0:96.1.1): give the meter id (the Kafka key or --meter)',
      { line: startLine, byteOffset: startByte, field: '0-0:96.1.1' },
      'a meter id',
      'none',
    );
    return undefined;
  }
  // the total of a group is its .0 register when sent (Swedish, Belgian), else the sum of the tariffs (DSMR)
  const registers = totals.map((t, g) => (Number.isNaN(t) && tariffCount[g]! > 0 ? round6(tariffs[g]!) : t));
  return { location: { line: startLine }, meterId, at, registers };
}

function note(map: Map<string, LineWarning>, code: string, line: number, why: string): void {
  const w = map.get(code);
  if (w) w.count++;
  else map.set(code, { line, count: 1, why });
}

function quantity(s: string, unit: string): number | undefined {
  const m = /^(-?\d+(?:\.\d+)?)(?:\*([A-Za-z0-9]+))?$/.exec(s);
  if (m === null) return undefined;
  const scale = m[2] === undefined ? 1 : UNIT_SCALE[unit]?.[m[2].toLowerCase()];
  if (scale === undefined) return undefined;
  const v = Number(m[1]);
  return scale === 1 ? v : round6(v * scale);
}

/** DSMR writes the equipment id as hex of its ASCII text; keep it as written when it is not. */
function equipmentId(s: string): string {
  if (/^([0-9A-Fa-f]{2})+$/.test(s)) {
    const t = Buffer.from(s, 'hex').toString('latin1');
    if (/^[\x20-\x7e]+$/.test(t)) return t.trim();
  }
  return s.trim();
}

/** YYMMDDhhmmssX → UTC ms: S = summer time (UTC+2), W = winter time (UTC+1), as DSMR/e-MUCS define. */
function timestamp(s: string, options: DecodeOptions, bad: (message: string) => void): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([SW])?$/.exec(s);
  if (m === null) {
    bad(`expected YYMMDDhhmmss followed by S (summer) or W (winter), found ${JSON.stringify(s)}`);
    return undefined;
  }
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(2000 + y, mo - 1, d, h, mi, se);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    bad(`${JSON.stringify(s)} is not a calendar date and time`);
    return undefined;
  }
  if (m[7] !== undefined) return wall - (m[7] === 'S' ? 120 : 60) * MINUTE_MS;
  if (options.timezone === undefined) {
    bad(
      `${JSON.stringify(s)} has no S/W suffix and no time zone was given: the fall-back hour would be ambiguous`,
    );
    return undefined;
  }
  const dt = DateTime.fromObject(
    { year: 2000 + y, month: mo, day: d, hour: h, minute: mi, second: se },
    { zone: options.timezone },
  );
  return dt.toMillis();
}
