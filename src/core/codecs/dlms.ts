/**
 * DLMS/COSEM load profiles: the A-XDR encoded `buffer` (attribute 2) of a profile-generic object
 * (class 7), i.e. an array of entries, each a structure with one element per capture object.
 * What each column means comes from the capture-object configuration (DlmsProfileConfig), since
 * the buffer itself carries only values. See docs/formats.md "DLMS/COSEM load profile".
 *
 * Semantics chosen here (and documented):
 * - an entry's clock is the capture time, i.e. the END of the interval it closes;
 * - `interval` columns (e.g. 1.0.1.29.0.255) give the interval value directly;
 * - `cumulative` columns (e.g. 1.0.1.8.0.255) give a register; the interval value is the
 *   difference to the previous entry, so the first entry is only the baseline;
 * - an entry with a null clock (null-data, empty octet-string, or all-0xFF "not specified") is
 *   one capture period after the previous entry (Blue Book compact buffer);
 * - a missing entry (a jump of more than one capture period) yields NaN intervals: missing is
 *   not zero, and a register difference across a gap cannot be attributed to one interval.
 */
import { DateTime } from 'luxon';
import type { Channel, IntervalMinutes, ReadingBlock } from '../readings/block.js';
import { channelIdOf, isIntervalMinutes, NO_SEQUENCE } from '../readings/block.js';
import { parseChannel } from '../readings/channel.js';
import { AxdrError, AxdrReader, AxdrWriter, DlmsTag, tagName } from './axdr.js';
import type { FailureSink } from './failures.js';
import { daysInMonth, MINUTE_MS } from './time.js';
import type {
  DecodedBlock,
  DecodeOptions,
  DlmsCaptureObject,
  DlmsCaptureRole,
  DlmsEncodeOptions,
  DlmsProfileConfig,
  DlmsValueKind,
} from './types.js';

export { DlmsTag } from './axdr.js';

/** The few DLMS unit codes (Blue Book enumeration) smt's channels use. */
export enum DlmsUnit {
  W = 27,
  VA = 28,
  Var = 29,
  Wh = 30,
  VAh = 31,
  Varh = 32,
  A = 33,
  V = 35,
  Hz = 44,
  Count = 255,
}

/** DLMS unit → the channel unit it converts to and the power of ten of the conversion. */
const DLMS_UNITS: Readonly<Record<number, { unit: string; exp: number; name: string }>> = {
  [DlmsUnit.W]: { unit: 'kW', exp: -3, name: 'W (27)' },
  [DlmsUnit.VA]: { unit: 'kVA', exp: -3, name: 'VA (28)' },
  [DlmsUnit.Var]: { unit: 'kvar', exp: -3, name: 'var (29)' },
  [DlmsUnit.Wh]: { unit: 'kWh', exp: -3, name: 'Wh (30)' },
  [DlmsUnit.VAh]: { unit: 'kVAh', exp: -3, name: 'VAh (31)' },
  [DlmsUnit.Varh]: { unit: 'kvarh', exp: -3, name: 'varh (32)' },
  [DlmsUnit.A]: { unit: 'A', exp: 0, name: 'A (33)' },
  [DlmsUnit.V]: { unit: 'V', exp: 0, name: 'V (35)' },
  [DlmsUnit.Hz]: { unit: 'Hz', exp: 0, name: 'Hz (44)' },
  [DlmsUnit.Count]: { unit: '', exp: 0, name: 'count (255)' },
};

/** AMR profile status bits (DLMS UA, "AMR profile status" 0.x.96.10.1.255), kept as received in `status`. */
export enum AmrStatus {
  CriticalError = 0x01,
  ClockInvalid = 0x02,
  DataNotValid = 0x04,
  DaylightSaving = 0x08,
  ClockAdjusted = 0x20,
  PowerDown = 0x80,
}

/** COSEM date-time clock status bits. */
export enum ClockStatus {
  InvalidValue = 0x01,
  DoubtfulValue = 0x02,
  DifferentClockBase = 0x04,
  InvalidClockStatus = 0x08,
  DaylightSavingActive = 0x80,
  NotSpecified = 0xff,
}

export const DEVIATION_NOT_SPECIFIED = -0x8000;

/**
 * Readings one buffer may expand to (every value column, gaps included): a month of 1-minute
 * intervals, the same bound ingest puts on a message (MAX_READINGS_PER_MESSAGE), enforced here
 * before the columns are allocated.
 */
export const DLMS_MAX_READINGS = 31 * 1_440;

/**
 * A typical energy load profile: clock, AMR status, +A and -A registers in Wh. It names no capture
 * period: the buffer does not carry one, so the caller supplies it (DecodeOptions.intervalMinutes).
 */
export const DEFAULT_DLMS_PROFILE: DlmsProfileConfig = {
  captureObjects: [
    { obis: '0.0.1.0.0.255', classId: 8, attribute: 2 },
    { obis: '0.0.96.10.1.255', classId: 1, attribute: 2 },
    {
      obis: '1.0.1.8.0.255',
      classId: 3,
      attribute: 2,
      channel: 'active_import_kwh',
      scaler: 0,
      unit: DlmsUnit.Wh,
    },
    {
      obis: '1.0.2.8.0.255',
      classId: 3,
      attribute: 2,
      channel: 'active_export_kwh',
      scaler: 0,
      unit: DlmsUnit.Wh,
    },
  ],
};

interface Column {
  role: DlmsCaptureRole;
  obis: string;
  channel?: Channel;
  kind: DlmsValueKind;
  /** physical value in the channel's unit = raw × 10^exp */
  exp: number;
  dataType?: number;
}

interface Profile {
  columns: Column[];
  periodMs: number;
  interval: IntervalMinutes;
  timezone?: string;
  deviationSign: 'dlms' | 'utc-offset';
}

export function parseObis(s: string): number[] | undefined {
  const m = /^(\d{1,3})[.-](\d{1,3})[.:](\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[.*](\d{1,3}))?$/.exec(s.trim());
  if (m === null) return undefined;
  const parts = m.slice(1, 7).map((x) => (x === undefined ? 255 : Number(x)));
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function inferRole(o: DlmsCaptureObject, obis: number[]): DlmsCaptureRole {
  if (o.role !== undefined) return o.role;
  if (o.classId === 8 && o.attribute === 2) return 'clock';
  if (obis[2] === 96 && obis[3] === 10) return 'status';
  return o.channel !== undefined || inferChannel(obis) !== null ? 'value' : 'ignore';
}

/**
 * The channel a capture object without one feeds, from its OBIS code: a cumulative register
 * (D = 8) is differenced into energy per interval, so C.8.E feeds C.29.E (1.8.0 → active import,
 * 3.8.0 → reactive import, 1.8.1 → tariff 1); other electricity quantities (voltage and current
 * per phase, demand) feed their own code. Null when smt types no channel from it.
 */
function inferChannel(obis: number[]): Channel | null {
  const [a, b, c, d, e] = obis as [number, number, number, number, number];
  if (a !== 1) return null;
  return channelIdOf(`${a}-${b}:${c}.${d === 8 ? 29 : d}.${e}`);
}

function unitExp(channel: Channel, unit: number | undefined): number | undefined {
  if (unit === undefined) return 0; // already in the channel's unit after the scaler
  const u = DLMS_UNITS[unit];
  const spec = parseChannel(channel);
  return u !== undefined && spec !== null && u.unit === spec.unit ? u.exp : undefined;
}

/** The DLMS unit a channel's column must be captured in, for the failure message. */
function expectedUnit(channel: Channel): string {
  const spec = parseChannel(channel);
  const u = Object.values(DLMS_UNITS).find((x) => spec !== null && x.unit === spec.unit);
  return u ? u.name : `a unit convertible to ${spec?.unit ?? 'the channel unit'}`;
}

/** Validate a capture-object configuration; every problem is a failure at `dlms.<field>`. */
function resolveProfile(
  cfg: DlmsProfileConfig,
  options: DecodeOptions,
  sink: FailureSink | undefined,
): Profile | undefined {
  let ok = true;
  const bad = (field: string, expected: string, found: string): void => {
    ok = false;
    if (sink === undefined) throw new Error(`DLMS profile ${field}: expected ${expected}, found ${found}`);
    sink.fail(
      `DLMS profile ${field}: expected ${expected}, found ${found}`,
      { field: `dlms.${field}` },
      expected,
      found,
    );
  };
  const periodSeconds =
    cfg.capturePeriodSeconds ??
    (options.intervalMinutes === undefined ? undefined : options.intervalMinutes * 60);
  const minutes = (periodSeconds ?? 0) / 60;
  if (periodSeconds === undefined) {
    ok = false;
    const message =
      'DLMS profile buffer: the capture period is not in the payload and none was given; give it with `smt validate --interval <minutes>`, the message header `smt-format: dlms; interval=<minutes>`, or capturePeriodSeconds in the DLMS profile (smt does not assume one)';
    if (sink === undefined) throw new Error(message);
    sink.fail(
      message,
      { field: 'dlms.capturePeriodSeconds' },
      'a capture period (1, 5, 10, 15, 30 or 60 minutes)',
      'none',
    );
  } else if (!isIntervalMinutes(minutes))
    bad('capturePeriodSeconds', '60, 300, 600, 900, 1800 or 3600', String(periodSeconds));
  const columns: Column[] = [];
  const seen = new Set<string>();
  cfg.captureObjects.forEach((o, i) => {
    const obis = parseObis(o.obis);
    if (obis === undefined) {
      bad(`captureObjects[${i}].obis`, 'an OBIS code like 1.0.1.8.0.255', JSON.stringify(o.obis));
      return;
    }
    const role = inferRole(o, obis);
    const col: Column = {
      role,
      obis: o.obis,
      kind: o.kind ?? (obis[3] === 8 ? 'cumulative' : 'interval'),
      exp: 0,
    };
    if (o.dataType !== undefined) col.dataType = o.dataType;
    const channel = o.channel ?? (role === 'value' ? inferChannel(obis) : null);
    if (role === 'value' && o.channel === undefined && channel !== null && o.unit === undefined) {
      // an inferred channel without a unit could be Wh or kWh: skipped rather than guessed
      sink?.warn(
        `captureObjects[${i}] ${o.obis} would feed ${channel} but gives no unit: column skipped`,
        { field: `dlms.captureObjects[${i}].unit` },
        'DLMS_NO_UNIT',
        'nothing: the column is not decoded',
      );
      col.role = 'ignore';
    } else if (role === 'value') {
      if (channel === null) bad(`captureObjects[${i}].channel`, 'a channel for a value column', 'nothing');
      else {
        col.channel = channel;
        if (seen.has(channel)) bad(`captureObjects[${i}].channel`, 'each channel fed by one column', channel);
        seen.add(channel);
        const e = unitExp(channel, o.unit);
        if (e === undefined)
          bad(`captureObjects[${i}].unit`, `${expectedUnit(channel)} for ${channel}`, String(o.unit));
        col.exp = (o.scaler ?? 0) + (e ?? 0);
      }
    }
    columns.push(col);
  });
  const clocks = columns.filter((c) => c.role === 'clock').length;
  if (clocks !== 1) bad('captureObjects', 'exactly one clock column (class 8, attribute 2)', `${clocks}`);
  if (columns.filter((c) => c.role === 'status').length > 1)
    bad('captureObjects', 'at most one status column', 'several');
  if (!columns.some((c) => c.role === 'value'))
    bad('captureObjects', 'at least one value column with a channel', 'none');
  if (!ok) return undefined;
  const p: Profile = {
    columns,
    periodMs: periodSeconds! * 1000,
    interval: minutes as IntervalMinutes,
    deviationSign: cfg.deviationSign ?? 'dlms',
  };
  const tz = cfg.timezone ?? options.timezone;
  if (tz !== undefined) p.timezone = tz;
  return p;
}

/** Hex text (whitespace, `:` and a leading 0x allowed) → bytes, for samples, logs and the CLI. */
export function parseHex(
  s: string,
): { ok: true; bytes: Uint8Array } | { ok: false; at: number; found: string } {
  const clean: number[] = [];
  let i = /^\s*0x/i.test(s) ? s.toLowerCase().indexOf('0x') + 2 : 0;
  let hi = -1;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 58) continue;
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v < 0) return { ok: false, at: i, found: JSON.stringify(s[i]) };
    if (hi < 0) hi = v;
    else {
      clean.push(hi * 16 + v);
      hi = -1;
    }
  }
  if (hi >= 0) return { ok: false, at: s.length, found: 'an odd number of hex digits' };
  return { ok: true, bytes: Uint8Array.from(clean) };
}

interface Entry {
  /** capture time, UTC ms */
  at: number;
  status: number;
  clockStatus: number;
  /** raw values per value column (NaN = null-data) */
  raw: number[];
}

/** Numeric Data element → number; null-data → NaN. */
function readNumber(r: AxdrReader, what: string): number {
  const at = r.offset;
  const t = r.u8(what, 'tag');
  switch (t) {
    case DlmsTag.NullData:
      return Number.NaN;
    case DlmsTag.DoubleLong:
      return r.i32(what);
    case DlmsTag.DoubleLongUnsigned:
      return r.u32(what);
    case DlmsTag.Integer:
      return r.i8(what);
    case DlmsTag.Long:
      return r.i16(what);
    case DlmsTag.Unsigned:
    case DlmsTag.Enum:
      return r.u8(what);
    case DlmsTag.LongUnsigned:
      return r.u16(what);
    case DlmsTag.Long64:
      return r.i64(what);
    case DlmsTag.Long64Unsigned:
      return r.u64(what);
    case DlmsTag.Float32:
      return r.f32(what);
    case DlmsTag.Float64:
      return r.f64(what);
    default: {
      const expected = 'a numeric type (0x05, 0x06, 0x0f-0x12, 0x14-0x18) or null-data';
      throw new AxdrError(
        `${r.label(what)} at byte ${at}: expected ${expected}, found ${tagName(t)}`,
        at,
        expected,
        tagName(t),
      );
    }
  }
}

export interface Clock {
  /** wall-clock time read as if UTC, ms */
  wall: number;
  deviation: number;
  status: number;
  second: number;
}

/** COSEM date-time; undefined for a null clock (null-data, empty octet-string, or not specified). */
export function readClock(r: AxdrReader): Clock | undefined {
  // constant labels: they are only joined with r.context when a read fails
  const what = 'clock';
  const at = r.offset;
  const t = r.tag(what, DlmsTag.OctetString, DlmsTag.DateTime, DlmsTag.NullData);
  if (t === DlmsTag.NullData) return undefined;
  if (t === DlmsTag.OctetString) {
    const lenAt = r.offset;
    const n = r.length(what);
    if (n === 0) return undefined;
    if (n !== 12)
      throw new AxdrError(
        `${r.label(what)} at byte ${lenAt}: expected a 12-byte date-time, found ${n} bytes`,
        lenAt,
        'length 12 (or 0)',
        String(n),
      );
  }
  const year = r.u16('clock year');
  const month = r.u8('clock month');
  const day = r.u8('clock day');
  r.u8('clock day of week');
  const hour = r.u8('clock hour');
  const minute = r.u8('clock minute');
  const second = r.u8('clock second');
  const hundredths = r.u8('clock hundredths');
  const devAt = r.offset;
  const deviation = r.i16('clock deviation');
  const status = r.u8('clock status');
  if (year === 0xffff && month === 0xff && day === 0xff && hour === 0xff && minute === 0xff) return undefined;
  const sec = second === 0xff ? 0 : second;
  const hs = hundredths === 0xff ? 0 : hundredths;
  if (
    year === 0xffff ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    sec > 59 ||
    hs > 99
  ) {
    throw new AxdrError(
      `${r.label(what)} at byte ${at}: date-time is not a complete instant (${year}-${month}-${day} ${hour}:${minute}:${second})`,
      at,
      'a fully specified date-time or a null clock',
      `${year}-${month}-${day} ${hour}:${minute}:${second}`,
    );
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, sec, hs * 10);
  if (day > daysInMonth(year, month)) {
    throw new AxdrError(
      `${r.label(what)} at byte ${at}: ${year}-${month}-${day} is not a calendar date`,
      at,
      'a calendar date',
      `${year}-${month}-${day}`,
    );
  }
  if (deviation !== DEVIATION_NOT_SPECIFIED && (deviation < -720 || deviation > 720)) {
    throw new AxdrError(
      `${r.label(what)} at byte ${devAt}: deviation ${deviation} out of range`,
      devAt,
      '-720..720 or 0x8000',
      String(deviation),
    );
  }
  return { wall, deviation, status, second: sec };
}

/** Wall-clock time in an IANA zone → UTC; on the fall-back hour the clock status DST bit decides. */
export function wallToUtc(wall: number, zone: string, clockStatus: number): number | undefined {
  const d = new Date(wall);
  const dt = DateTime.fromObject(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
    },
    { zone },
  );
  if (!dt.isValid) return undefined;
  const candidates = [dt.toMillis() - 3_600_000, dt.toMillis(), dt.toMillis() + 3_600_000].filter((ms) => {
    const l = DateTime.fromMillis(ms, { zone });
    return l.toMillis() + l.offset * MINUTE_MS === wall;
  });
  if (candidates.length === 0) return undefined; // a wall time skipped by spring-forward
  if (candidates.length === 1 || clockStatus === ClockStatus.NotSpecified) return candidates[0];
  const wantDst = (clockStatus & ClockStatus.DaylightSavingActive) !== 0;
  return candidates.find((ms) => DateTime.fromMillis(ms, { zone }).isInDST === wantDst) ?? candidates[0];
}

/**
 * Decode options: `meterId` is required (the buffer names no meter), `timezone` serves clocks whose
 * deviation is not specified, `dlms` is the capture-object configuration. `channel` and
 * `intervalMinutes` have no use here: the capture objects name each column's channel and the
 * capture period is the interval.
 */
export function decodeDlms(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    const h = parseHex(input);
    if (!h.ok) {
      sink.fail(
        `hex text: expected hex digits, found ${h.found} at character ${h.at}`,
        { field: 'hex', byteOffset: h.at },
        'hex digits',
        h.found,
      );
      return [];
    }
    bytes = h.bytes;
  } else {
    bytes = input;
  }

  const profile = resolveProfile(options.dlms ?? DEFAULT_DLMS_PROFILE, options, sink);
  if (profile === undefined) return [];
  const meterId = options.meterId ?? '';
  if (meterId === '') {
    sink.fail(
      'a DLMS profile buffer carries no meter id: give one (the Kafka message key or --meter)',
      { field: 'meterId' },
      'a meter id',
      'nothing',
    );
    return [];
  }

  const cols = profile.columns;
  const valueCols = cols.map((c, i) => (c.role === 'value' ? i : -1)).filter((i) => i >= 0);
  const entries: Entry[] = [];
  const labels = cols.map((c) => (c.role === 'value' ? c.channel! : c.role));
  const r = new AxdrReader(bytes);
  try {
    r.tag('buffer', DlmsTag.Array);
    const count = r.length('buffer');
    let prev: Entry | undefined;
    for (let k = 0; k < count; k++) {
      const what = `entry[${k}]`;
      const entryAt = r.offset;
      r.context = what;
      r.tag('', DlmsTag.Structure);
      const nAt = r.offset;
      const n = r.length('');
      if (n !== cols.length) {
        throw new AxdrError(
          `${what} at byte ${nAt}: expected a structure of ${cols.length} elements (one per capture object), found ${n}`,
          nAt,
          `${cols.length} elements`,
          String(n),
        );
      }
      let clock: Clock | undefined;
      let clockAt = entryAt;
      const e: Entry = { at: 0, status: 0, clockStatus: ClockStatus.NotSpecified, raw: [] };
      for (let c = 0; c < cols.length; c++) {
        const col = cols[c]!;
        const w = labels[c]!;
        switch (col.role) {
          case 'clock':
            clockAt = r.offset;
            clock = readClock(r);
            break;
          case 'status': {
            const s = readNumber(r, w);
            e.status = Number.isNaN(s) ? 0 : s >>> 0;
            break;
          }
          case 'value':
            e.raw.push(readNumber(r, w));
            break;
          default:
            r.skipData(w);
        }
      }
      if (clock === undefined) {
        if (prev === undefined)
          throw new AxdrError(
            `${what}.clock at byte ${clockAt}: the first entry has no clock to count from`,
            clockAt,
            'a date-time',
            'a null clock',
          );
        e.at = prev.at + profile.periodMs;
      } else {
        e.clockStatus = clock.status;
        let at: number | undefined;
        if (clock.deviation !== DEVIATION_NOT_SPECIFIED) {
          at =
            profile.deviationSign === 'dlms'
              ? clock.wall + clock.deviation * MINUTE_MS
              : clock.wall - clock.deviation * MINUTE_MS;
        } else if (profile.timezone === undefined) {
          throw new AxdrError(
            `${what}.clock at byte ${clockAt}: deviation not specified and no time zone configured`,
            clockAt,
            'a deviation, or a timezone in the DLMS profile',
            'deviation 0x8000',
          );
        } else {
          at = wallToUtc(clock.wall, profile.timezone, clock.status);
          if (at === undefined)
            throw new AxdrError(
              `${what}.clock at byte ${clockAt}: local time does not exist in ${profile.timezone}`,
              clockAt,
              'an existing local time',
              new Date(clock.wall).toISOString().slice(0, 19),
            );
        }
        // Captures may be stamped a few seconds late; more than a minute off the grid is not a capture.
        const off = ((clock.wall % profile.periodMs) + profile.periodMs) % profile.periodMs;
        if (off >= MINUTE_MS) {
          throw new AxdrError(
            `${what}.clock at byte ${clockAt}: capture time ${new Date(clock.wall).toISOString().slice(11, 19)} is not on the ${profile.interval}-minute grid`,
            clockAt,
            `a time on the ${profile.interval}-minute capture grid`,
            new Date(clock.wall).toISOString().slice(11, 19),
          );
        }
        e.at = at - off;
      }
      if (prev !== undefined && e.at <= prev.at) {
        throw new AxdrError(
          `${what}.clock at byte ${clockAt}: capture time ${new Date(e.at).toISOString()} is not after the previous entry's ${new Date(prev.at).toISOString()}`,
          clockAt,
          'increasing capture times',
          new Date(e.at).toISOString(),
        );
      }
      entries.push(e);
      prev = e;
    }
    r.context = '';
    if (r.remaining > 0) {
      throw new AxdrError(
        `unexpected ${r.remaining} bytes after the buffer at byte ${r.offset}`,
        r.offset,
        'end of data',
        `${r.remaining} more bytes`,
      );
    }
  } catch (err) {
    if (!(err instanceof AxdrError)) throw err;
    const m = /entry\[(\d+)\]/.exec(err.message);
    const loc =
      m === null ? { byteOffset: err.offset } : { byteOffset: err.offset, record: `entry[${m[1]}]` };
    sink.fail(err.message, loc, err.expected, err.found);
    return [];
  }

  if (entries.length === 0) {
    sink.warn('the profile buffer holds no entries', { byteOffset: 0 });
    return [];
  }

  // A few entries far apart expand into a gap of missing intervals: bound that before allocating.
  const span = Math.round((entries[entries.length - 1]!.at - entries[0]!.at) / profile.periodMs) + 1;
  if (span * valueCols.length > DLMS_MAX_READINGS) {
    sink.fail(
      `the profile buffer's clocks span ${new Date(entries[0]!.at).toISOString()} … ${new Date(entries[entries.length - 1]!.at).toISOString()}: ${span} capture periods × ${valueCols.length} value columns would be ${span * valueCols.length} readings; at most ${DLMS_MAX_READINGS} are taken from one buffer (check the clocks, or split the buffer)`,
      { byteOffset: 0, field: 'clock' },
      `at most ${DLMS_MAX_READINGS} readings`,
      String(span * valueCols.length),
    );
    return [];
  }

  const blocks: DecodedBlock[] = [];
  valueCols.forEach((ci, j) => {
    const col = cols[ci]!;
    const b = columnBlock(entries, j, col, profile, meterId);
    if (b === undefined) {
      sink.warn(`${col.obis} (${col.channel}) carries no values in this buffer: no block`, {
        field: col.channel!,
      });
    } else {
      blocks.push(b);
    }
  });
  return blocks;
}

function scale(raw: number, exp: number): number {
  // Dividing by an exact power of ten rounds once; multiplying by 10^-3 would round twice (0.123 vs 0.12300000000000001).
  return exp < 0 ? raw / 10 ** -exp : exp > 0 ? raw * 10 ** exp : raw;
}

function columnBlock(
  entries: Entry[],
  j: number,
  col: Column,
  p: Profile,
  meterId: string,
): DecodedBlock | undefined {
  if (entries.every((e) => Number.isNaN(e.raw[j]!))) return undefined;
  const cumulative = col.kind === 'cumulative';
  const first = cumulative ? 1 : 0;
  if (entries.length <= first) return undefined;
  const firstStart = cumulative ? entries[0]!.at : entries[0]!.at - p.periodMs;
  const last = entries[entries.length - 1]!.at;
  const n = Math.round((last - firstStart) / p.periodMs);
  const b: DecodedBlock = {
    meterId,
    channel: col.channel!,
    intervalMinutes: p.interval,
    starts: new Float64Array(n),
    values: new Float64Array(n).fill(Number.NaN),
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(NO_SEQUENCE),
    commQuality: Number.NaN,
    clockStatus: new Uint8Array(n).fill(ClockStatus.NotSpecified),
  };
  for (let i = 0; i < n; i++) b.starts[i] = firstStart + i * p.periodMs;
  for (let k = first; k < entries.length; k++) {
    const e = entries[k]!;
    const i = Math.round((e.at - p.periodMs - firstStart) / p.periodMs);
    b.status[i] = e.status;
    b.clockStatus![i] = e.clockStatus;
    const raw = e.raw[j]!;
    if (!cumulative) {
      b.values[i] = scale(raw, col.exp);
    } else {
      const before = entries[k - 1]!;
      // Only a difference over exactly one capture period belongs to one interval.
      if (e.at - before.at === p.periodMs) b.values[i] = scale(raw - before.raw[j]!, col.exp);
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// encoder (tests and the simulator)

/**
 * Blocks of one meter → one profile buffer. Every block's channel must have a value column in the
 * profile; columns without a block are written as null-data (the decoder then makes no block).
 */
export function encodeDlms(blocks: readonly ReadingBlock[], options: DlmsEncodeOptions = {}): Uint8Array {
  const cfg = options.profile ?? DEFAULT_DLMS_PROFILE;
  const interval = blocks[0]?.intervalMinutes ?? 15;
  const p = resolveProfile(cfg, { intervalMinutes: interval }, undefined)!;
  const byChannel = new Map<Channel, ReadingBlock>();
  for (const b of blocks) {
    if (b.intervalMinutes !== p.interval)
      throw new Error(
        `block ${b.meterId} ${b.channel} has ${b.intervalMinutes}-minute intervals; the profile captures every ${p.interval}`,
      );
    if (!p.columns.some((c) => c.channel === b.channel))
      throw new Error(`the DLMS profile has no column for ${b.channel}`);
    if (byChannel.has(b.channel))
      throw new Error(`two blocks for ${b.channel}: one profile buffer holds one meter`);
    byChannel.set(b.channel, b);
  }
  const anyCumulative = p.columns.some(
    (c) => c.role === 'value' && c.kind === 'cumulative' && byChannel.has(c.channel!),
  );
  // capture times: the end of every interval, plus the baseline capture before the first one
  const times = new Set<number>();
  for (const b of blocks) {
    for (const s of b.starts) times.add(s + p.periodMs);
    if (anyCumulative && b.starts.length > 0) times.add(b.starts[0]!);
  }
  const sorted = [...times].sort((a, z) => a - z);
  const lookup = new Map<Channel, Map<number, number>>();
  for (const [ch, b] of byChannel)
    lookup.set(ch, new Map(Array.from(b.starts, (s, i) => [s + p.periodMs, i])));
  const registers = new Map<Channel, number>();
  for (const c of p.columns)
    if (c.channel !== undefined) registers.set(c.channel, options.baseline?.[c.channel] ?? 0);

  const w = new AxdrWriter();
  w.u8(DlmsTag.Array).axdrLength(sorted.length);
  const clockMode = options.clock ?? 'full';
  const deviation = options.deviation ?? 0;
  let prevAt: number | undefined;
  for (const at of sorted) {
    w.u8(DlmsTag.Structure).axdrLength(p.columns.length);
    const compact = clockMode !== 'full' && prevAt !== undefined && at - prevAt === p.periodMs;
    for (const col of p.columns) {
      if (col.role === 'clock') {
        if (!compact) writeDateTime(w, at - deviation * MINUTE_MS, deviation, options.clockStatus ?? 0);
        else if (clockMode === 'null-data') w.u8(DlmsTag.NullData);
        else if (clockMode === 'empty') w.u8(DlmsTag.OctetString).u8(0);
        else w.u8(DlmsTag.OctetString).u8(12).bytes(new Uint8Array(12).fill(0xff));
      } else if (col.role === 'status') {
        let s = 0;
        for (const [ch, b] of byChannel) {
          const i = lookup.get(ch)!.get(at);
          if (i !== undefined) s |= b.status[i]!;
        }
        w.u8(DlmsTag.Unsigned).u8(s & 0xff);
      } else if (col.role === 'value') {
        const b = byChannel.get(col.channel!);
        const i = b === undefined ? undefined : lookup.get(col.channel!)!.get(at);
        if (b === undefined) {
          w.u8(DlmsTag.NullData);
          continue;
        }
        if (col.kind === 'cumulative') {
          let reg = registers.get(col.channel!)!;
          if (i !== undefined) {
            const v = b.values[i]!;
            if (Number.isNaN(v)) {
              w.u8(DlmsTag.NullData);
              continue;
            }
            reg += Math.round(v / 10 ** col.exp);
            registers.set(col.channel!, reg);
          }
          writeNumber(w, reg, col.dataType);
        } else if (i === undefined || Number.isNaN(b.values[i]!)) {
          w.u8(DlmsTag.NullData);
        } else {
          writeNumber(w, Math.round(b.values[i]! / 10 ** col.exp), col.dataType);
        }
      } else {
        w.u8(DlmsTag.NullData);
      }
    }
    prevAt = at;
  }
  return w.toBytes();
}

function writeNumber(w: AxdrWriter, v: number, dataType: number | undefined): void {
  const t =
    dataType ??
    (v < 0 ? DlmsTag.DoubleLong : v > 0xffffffff ? DlmsTag.Long64Unsigned : DlmsTag.DoubleLongUnsigned);
  w.u8(t);
  switch (t) {
    case DlmsTag.DoubleLong:
      w.i32(v);
      return;
    case DlmsTag.DoubleLongUnsigned:
      w.u32(v);
      return;
    case DlmsTag.Long:
      w.i16(v);
      return;
    case DlmsTag.LongUnsigned:
      w.u16(v);
      return;
    case DlmsTag.Unsigned:
    case DlmsTag.Enum:
    case DlmsTag.Integer:
      w.u8(v);
      return;
    case DlmsTag.Long64:
      w.i64(v);
      return;
    case DlmsTag.Long64Unsigned:
      w.u64(v);
      return;
    case DlmsTag.Float32:
      w.f32(v);
      return;
    case DlmsTag.Float64:
      w.f64(v);
      return;
    default:
      throw new Error(`cannot write a register as ${tagName(t)}`);
  }
}

/** COSEM date-time as a 12-byte octet-string; `wall` is local wall time read as UTC ms. */
export function writeDateTime(w: AxdrWriter, wall: number, deviation: number, clockStatus: number): void {
  const d = new Date(wall);
  const dow = d.getUTCDay() === 0 ? 7 : d.getUTCDay(); // COSEM: Monday = 1 … Sunday = 7
  w.u8(DlmsTag.OctetString).u8(12);
  w.u16(d.getUTCFullYear())
    .u8(d.getUTCMonth() + 1)
    .u8(d.getUTCDate())
    .u8(dow)
    .u8(d.getUTCHours())
    .u8(d.getUTCMinutes())
    .u8(d.getUTCSeconds())
    .u8(0)
    .i16(deviation)
    .u8(clockStatus);
}
