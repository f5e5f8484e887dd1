/**
 * AEMO Meter Data File Format, NEM12 (interval data), per the MDFF specification for NEM12 and
 * NEM13. Record structure: 100 (header, once) · { 200 (NMI data details) · { 300 (one day of
 * interval values) · 400* (interval events) }* · 500* (B2B details) }* · 900 (end, once).
 *
 * Times: IntervalDate is a day in market time, which is Australian Eastern Standard Time, UTC+10
 * all year, with no daylight saving; interval 1 starts at 00:00 of that day. So the day
 * 20260301 starts at 2026-02-28T14:00:00Z whatever the NMI's state does with DST.
 *
 * One decoded block per 300 record (one NMI suffix, one day), carrying the per-interval quality
 * (flag / method / reason) resolved from the 300 QualityMethod or, when that is V, from the 400
 * records. Mapping those onto smt's Origin / ValidationState is quality.ts's job, not this one's.
 * Every data stream becomes a channel (active, reactive and apparent energy, demand, voltage,
 * current, power factor); a stream no channel fits is dropped with its reason, never silently.
 *
 * Tolerant of what circulates (docs/formats.md, "Tolerances"): each departure from the
 * specification that leaves the values beyond doubt is read with a warning saying what was
 * assumed; values are never changed. Readings that end up in no block are counted by reason.
 *
 * Decode options: `meterId` (the message key) must equal NMI + suffix of every imported stream, or
 * that stream fails with code METER_MISMATCH. `channel`, `intervalMinutes` and `timezone` have no
 * use here: the 200 record's suffix + UOM and IntervalLength fix the first two, and market time is
 * a fixed UTC+10.
 */
import type { Channel, IntervalMinutes, ReadingBlock } from '../readings/block.js';
import { channelIdOf, NO_SEQUENCE } from '../readings/block.js';
import { nem12ChannelSpec } from '../readings/channel.js';
import { csvField, parseDecimal } from './csv-split.js';
import { describe, type FailureSink } from './failures.js';
import {
  checkNmi,
  checkUpdateTimes,
  type Fail,
  fromChannelUnit,
  INT_RE,
  NEM_MARKET_OFFSET_MINUTES,
  Nem12QualityFlag,
  OBIS_C_OF_FAMILY,
  parseDate8,
  type ReadQuality,
  readMdffFile,
  readQuality,
  recordChecks,
  reporters,
  toChannelUnit,
  trailingPadding,
  type Uom,
  type UomFamily,
  uomOf,
  type Warn,
  warnMissing,
} from './mdff.js';
import { textOrFail } from './text.js';
import { MINUTE_MS } from './time.js';
import type {
  DecodedBlock,
  DecodeOptions,
  IntervalQuality,
  Nem12Details,
  Nem12EncodeOptions,
} from './types.js';

export { NEM_MARKET_OFFSET_MINUTES, Nem12QualityFlag } from './mdff.js';

const DAY_MS = 86_400_000;

/** Reasons readings end up in no block (DecodeResult.dropped keys). */
export const NEM12_DROP = {
  invalid200: 'invalid 200 record',
  invalid300: 'invalid 300 record',
  invalid400: 'invalid 400 record',
  meterMismatch: 'meter mismatch',
  blankUom: 'blank unit of measure on a stream that is not active energy',
  noChannel: 'no channel for the data stream',
} as const;

/**
 * NMI suffix letter → the meter-side direction. AEMO names directions from the market's side
 * (energy to the customer is "export" in the NMI Procedure); smt names them from the meter's side
 * like IEC/DLMS (+A import = consumption): E consumption → import, B generation → export, Q and K
 * the reactive energy that goes with them.
 */
const LETTER_DIRECTION: Readonly<Record<string, 0 | 1>> = { E: 0, B: 1, Q: 0, K: 1 };
/** The energy family readings/channel.ts types a suffix letter with. */
const LETTER_FAMILY: Readonly<Record<string, UomFamily>> = {
  E: 'active',
  B: 'active',
  Q: 'reactive',
  K: 'reactive',
};
/**
 * The channel of a data stream, by its suffix and unit of measure, or why it has none. Energy in
 * the family its suffix letter names keeps the suffix's identity (E1 → active_import_kwh, E2 →
 * nem12:E2, Q1 → reactive_import_kvarh); apparent energy and demand go by OBIS code with the
 * letter's direction; volts, amps and power factor by their unit. The meter id holds the suffix,
 * so two streams of one NMI never share a series.
 */
export function nem12StreamChannel(suffix: string, uom: Uom): Channel | string {
  const letter = suffix[0]!.toUpperCase();
  switch (uom.family) {
    case 'voltage':
      return 'voltage_v';
    case 'pf':
      return 'power_factor';
    case 'current':
      return channelIdOf('1-0:11.7.0')!;
    default: {
      const family = LETTER_FAMILY[letter];
      if (family === uom.family) return nem12ChannelSpec(suffix)!.id;
      const dir = LETTER_DIRECTION[letter];
      // active and reactive energy go by the letter alone; apparent energy (D 29) and demand (D 4) by OBIS
      const byObis = uom.family === 'apparent' || uom.family.endsWith('_power');
      const c = byObis ? OBIS_C_OF_FAMILY[uom.family] : undefined;
      if (dir === undefined || c === undefined)
        return family === undefined
          ? `suffix ${suffix} names no quantity smt knows (E, B, Q, K)`
          : `suffix ${suffix} is ${family} energy but the unit is ${uom.family.replace('_', ' ')}`;
      return channelIdOf(`1-0:${c[dir]}.${uom.family === 'apparent' ? 29 : 4}.0`)!;
    }
  }
}

/** The channel of a suffix and a UOM as written, or undefined (kept for callers of the old API). */
export function nem12Channel(suffix: string, uom: string): Channel | undefined {
  const u = uomOf(uom);
  if (u === undefined) return undefined;
  const c = nem12StreamChannel(suffix, u);
  return channelIdOf(c) === c ? c : undefined;
}

const SUFFIX_RE = /^[A-Z][A-Z0-9]$/;
/** what a QualityMethod field starts with (interval values never start with a letter) */
const LETTER_RE = /^[A-Za-z]/;
const INTERVAL_LENGTHS = [1, 5, 10, 15, 30];

interface NmiState {
  line: number;
  /** why the 300 records under this 200 decode into no block; undefined = they are imported */
  drop: string | undefined;
  /** the failure or warning that says so */
  dropMessage: string;
  details: Omit<Nem12Details, 'intervalDate' | 'updateDateTime' | 'msatsLoadDateTime'>;
  meterId: string;
  channel: Channel;
  interval: IntervalMinutes;
  exp: number;
  /** intervals per day; 0 when the IntervalLength is unreadable */
  n: number;
}

interface DayState {
  line: number;
  ok: boolean;
  /** what dropped the day when !ok, and the first failure that did */
  dropReason: string;
  dropMessage: string;
  variable: boolean;
  flag300: number;
  nextEvent: number;
  /** the 200 record's UOM power of ten */
  exp: number;
  block: DecodedBlock;
  rawValues: Float64Array;
}

export function decodeNem12(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  const text = textOrFail(input, sink);
  if (text === null) return [];
  const blocks: DecodedBlock[] = [];
  const { warn, fail } = reporters(sink);
  let nmi: NmiState | undefined;
  let day: DayState | undefined;
  /** meter id + IntervalDate → line of its first 300 record */
  const days = new Map<string, number>();

  const closeDay = (): void => {
    if (day === undefined) return;
    const d = day;
    day = undefined;
    if (d.variable && d.ok && d.nextEvent <= d.rawValues.length) {
      const covered = d.nextEvent === 1 ? 'none' : `1..${d.nextEvent - 1}`;
      d.dropMessage = `QualityMethod V needs 400 records covering intervals 1..${d.rawValues.length}; covered ${covered}`;
      fail(
        d.line,
        '300',
        d.dropMessage,
        'QualityMethod',
        `400 records for intervals 1..${d.rawValues.length}`,
        covered,
      );
      d.ok = false;
    }
    if (!d.ok) {
      const b = d.block;
      sink.drop(d.dropReason, d.rawValues.length, {
        location: { line: d.line, record: '300' },
        message: d.dropMessage,
        meterId: b.meterId,
        channel: b.channel,
        intervalMinutes: b.intervalMinutes,
        ...dayRange(b.nem12!.intervalDate, b.starts.length, b.intervalMinutes),
      });
      return;
    }
    const q = d.block.quality!;
    for (let i = 0; i < d.rawValues.length; i++) {
      // N (null) intervals carry a placeholder number in the file; in smt missing is NaN, never 0.
      d.block.values[i] =
        q.flag[i] === Nem12QualityFlag.Null ? Number.NaN : toChannelUnit(d.rawValues[i]!, d.exp);
    }
    blocks.push(d.block);
  };

  const onRecord = (f: string[], line: number, prev: string): void => {
    const rec = f[0]!;
    if (rec !== '400') closeDay();
    switch (rec) {
      case '200':
        nmi = read200(f, line, fail, warn, sink, options);
        break;
      case '300':
        if (nmi === undefined) {
          const message = '300 record before any 200 record';
          fail(line, '300', message, 'RecordIndicator', 'a 200 record first', '300');
          const n = valueCount(f, 0);
          sink.drop(NEM12_DROP.invalid300, n, {
            location: { line, record: '300' },
            message,
            ...dayRange(f[1] ?? '', n, 1440 / n),
          });
        } else if (nmi.drop !== undefined) {
          const n = valueCount(f, nmi.n);
          sink.drop(nmi.drop, n, {
            location: { line, record: '300' },
            message: `its 200 record: ${nmi.dropMessage}`,
            meterId: nmi.meterId,
            ...(nmi.n > 0 ? { intervalMinutes: nmi.interval, ...dayRange(f[1] ?? '', n, nmi.interval) } : {}),
          });
        } else {
          day = read300(f, line, nmi, fail, warn, sink);
          if (day !== undefined) {
            const key = `${nmi.meterId}\u0000${day.block.nem12!.intervalDate}`;
            const first = days.get(key);
            if (first === undefined) days.set(key, line);
            else
              warn(
                line,
                '300',
                'IntervalDate',
                'NEM12_DUPLICATE_DAY',
                `${nmi.meterId} ${day.block.nem12!.intervalDate} appears again (first at line ${first})`,
                'both days decoded as written (the VEE rule interval.duplicate sees both)',
              );
          }
        }
        break;
      case '400':
        if (prev !== '300' && prev !== '400') {
          fail(
            line,
            '400',
            `400 record must follow a 300 or 400 record, found after ${prev === '' ? 'nothing' : prev}`,
            'RecordIndicator',
            'a preceding 300 record',
            prev,
          );
        } else if (day !== undefined) {
          read400(f, line, day, fail, warn);
        }
        break;
      case '500':
        if (nmi === undefined)
          fail(
            line,
            '500',
            '500 record before any 200 record',
            'RecordIndicator',
            'a 200 record first',
            '500',
          );
        else if (f.length < 2 || !/^[A-Z]?$/.test(f[1] ?? ''))
          fail(
            line,
            '500',
            `TransCode: expected one letter, found ${describe(f[1])}`,
            'TransCode',
            'one letter',
            describe(f[1]),
          );
        else if (!trailingPadding(f, 5, line, '500', warn))
          fail(line, '500', `expected 5 fields, found ${f.length}`, undefined, '5 fields', String(f.length));
        break;
      default:
        fail(
          line,
          rec,
          `unknown record indicator ${describe(rec)}`,
          'RecordIndicator',
          '100, 200, 300, 400, 500 or 900',
          describe(rec),
        );
    }
  };
  readMdffFile(text, 'NEM12', sink, onRecord, closeDay);
  return blocks;
}

/**
 * Index of the QualityMethod field of a 300 record: after the `n` values where the 200 record
 * says, else the first field after IntervalDate that starts with a letter (values never do);
 * -1 when there is none.
 */
function qualityIndex(f: string[], n: number): number {
  if (n > 0 && LETTER_RE.test(f[n + 2] ?? '')) return n + 2;
  for (let k = 2; k < f.length; k++) if (LETTER_RE.test(f[k]!)) return k;
  return -1;
}

/** The UTC [from, to) of `n` intervals of a market day written YYYYMMDD; nothing when the date is not one. */
function dayRange(date: string, n: number, interval: number): { from?: number; to?: number } {
  const day = parseDate8(date);
  if (Number.isNaN(day) || !(n > 0) || !Number.isFinite(interval)) return {};
  const from = day - NEM_MARKET_OFFSET_MINUTES * MINUTE_MS;
  return { from, to: from + n * interval * MINUTE_MS };
}

/** How many interval values a 300 record holds, for counting what a dropped record drops. */
function valueCount(f: string[], n: number): number {
  const q = qualityIndex(f, n);
  return Math.max(0, q < 0 ? f.length - 7 : q - 2);
}

function read200(
  f: string[],
  line: number,
  fail: Fail,
  warn: Warn,
  sink: FailureSink,
  options: DecodeOptions,
): NmiState {
  const st: NmiState = {
    line,
    drop: NEM12_DROP.invalid200,
    dropMessage: '',
    details: {
      nmi: '',
      nmiSuffix: '',
      nmiConfiguration: '',
      registerId: '',
      mdmDataStreamId: '',
      meterSerial: '',
      uom: '',
      nextScheduledReadDate: '',
    },
    meterId: '',
    channel: 'active_import_kwh',
    interval: 30,
    exp: 0,
    n: 0,
  };
  if (f.length < 9 || !trailingPadding(f, 10, line, '200', warn)) {
    st.dropMessage = `expected 9 or 10 fields, found ${f.length}`;
    fail(line, '200', st.dropMessage, undefined, '9 or 10 fields', String(f.length));
    return st;
  }
  let ok = true;
  const bad = (field: string, expected: string, found: string): void => {
    ok = false;
    const message = `${field}: expected ${expected}, found ${found}`;
    if (st.dropMessage === '') st.dropMessage = message;
    fail(line, '200', message, field, expected, found);
  };
  const [, nmiId, config, registerId, suffix, stream, serial, uomText, len, next] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (!checkNmi(nmiId, line, '200', warn)) bad('NMI', 'an NMI: 10 characters A-Z 0-9', describe(nmiId));
  if (!SUFFIX_RE.test(suffix)) bad('NMISuffix', 'a letter and a letter or digit, e.g. E1', describe(suffix));
  const n = INT_RE.test(len) ? Number(len) : Number.NaN;
  if (INTERVAL_LENGTHS.includes(n)) {
    st.n = 1440 / n;
    if (n === 1 || n === 10)
      warn(
        line,
        '200',
        'IntervalLength',
        'NEM12_INTERVAL_LENGTH',
        `IntervalLength ${n} is not one MDFF defines (5, 15, 30)`,
        `${n}-minute intervals, ${1440 / n} values a day`,
      );
  } else bad('IntervalLength', '1, 5, 10, 15 or 30', describe(len));
  if (next !== undefined && next !== '' && Number.isNaN(parseDate8(next)))
    bad('NextScheduledReadDate', 'YYYYMMDD or blank', describe(next));
  let uom = uomOf(uomText);
  let drop: string | undefined;
  if (uomText === '') {
    // Only active energy has a unit smt dares assume: kWh is what every MDP sends for E and B.
    if (ok && LETTER_FAMILY[suffix[0]!] === 'active') {
      uom = uomOf('kWh')!;
      warn(
        line,
        '200',
        'UOM',
        'NEM12_BLANK_UOM',
        `UOM is blank on data stream ${suffix}`,
        `kWh (suffix ${suffix} is active energy)`,
      );
    } else if (ok) {
      drop = NEM12_DROP.blankUom;
      st.dropMessage = `UOM is blank on data stream ${suffix}, whose unit cannot be told`;
      warn(line, '200', 'UOM', 'NEM12_BLANK_UOM', st.dropMessage, 'nothing: the stream is dropped');
    }
  } else if (uom === undefined)
    bad('UOM', 'an MDFF unit of measure (kWh, Wh, MWh, kvarh, kVAh, kW, V, A, PF, …)', describe(uomText));
  st.details = {
    nmi: nmiId,
    nmiSuffix: suffix,
    nmiConfiguration: config,
    registerId,
    mdmDataStreamId: stream,
    meterSerial: serial,
    uom: uomText,
    nextScheduledReadDate: next ?? '',
  };
  st.meterId = `${nmiId}${suffix}`;
  if (!ok) return st;
  st.interval = n as IntervalMinutes;
  if (drop === undefined && uom !== undefined) {
    const channel = nem12StreamChannel(suffix, uom);
    if (channelIdOf(channel) === channel) {
      st.channel = channel;
      st.exp = uom.exp;
    } else {
      drop = NEM12_DROP.noChannel;
      st.dropMessage = `data stream ${suffix} (${uomText}) has no smt channel: ${channel}`;
      warn(line, '200', 'NMISuffix', 'NEM12_NO_CHANNEL', st.dropMessage, 'nothing: the stream is dropped');
    }
  }
  // The file always names its meter (NMI + suffix): the message key can only confirm it. Streams
  // dropped above produce no blocks, so they are not compared.
  const key = options.meterId;
  if (drop === undefined && key !== undefined && key !== '' && key !== st.meterId) {
    sink.meterMismatch('NMI + NMISuffix', describe(st.meterId), { line, record: '200', field: 'NMI' });
    drop = NEM12_DROP.meterMismatch;
    st.dropMessage = `NMI + NMISuffix ${st.meterId} is not the message key ${JSON.stringify(key)}`;
  }
  st.drop = drop;
  return st;
}

/** Names of the 300 fields after the values, for the missing-field warning. */
const TAIL_300 = ['ReasonCode', 'ReasonDescription', 'UpdateDateTime', 'MSATSLoadDateTime'];

function read300(
  f: string[],
  line: number,
  nmi: NmiState,
  fail: Fail,
  warn: Warn,
  sink: FailureSink,
): DayState | undefined {
  const n = nmi.n;
  const q = qualityIndex(f, n);
  if (q !== n + 2) {
    const values = q < 0 ? Math.max(0, f.length - 7) : q - 2;
    const message = `expected ${n} interval values (1440 / IntervalLength ${nmi.interval} of the 200 record at line ${nmi.line}), found ${values}`;
    fail(line, '300', message, 'IntervalValue', `${n} values`, String(values));
    sink.drop(NEM12_DROP.invalid300, values, {
      location: { line, record: '300', field: 'IntervalValue' },
      message,
      meterId: nmi.meterId,
      channel: nmi.channel,
      intervalMinutes: nmi.interval,
      // the values cannot be placed on intervals: the record says which day, not which intervals
      ...dayRange(f[1] ?? '', n, nmi.interval),
    });
    return undefined;
  }
  const checks = recordChecks(fail, line, '300');
  const bad = checks.bad;
  if (f.length < n + 7) {
    warnMissing(TAIL_300.slice(f.length - n - 3), line, '300', warn);
  } else if (!trailingPadding(f, n + 7, line, '300', warn)) {
    bad('RecordIndicator', `${n + 7} fields (${n} values)`, `${f.length} fields`);
  }
  const date = f[1]!;
  const dayUtc = parseDate8(date);
  if (Number.isNaN(dayUtc)) bad('IntervalDate', 'a date YYYYMMDD', describe(date));
  const raw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = f[2 + i]!;
    const v = parseDecimal(s);
    if (Number.isNaN(v)) bad(`IntervalValue${i + 1}`, 'a decimal number', describe(s));
    else if (!Number.isFinite(v))
      bad(`IntervalValue${i + 1}`, 'a finite decimal number', `${describe(s)} (${v})`);
    raw[i] = v;
  }
  const qmText = f[n + 2]!;
  const reasonText = f[n + 3] ?? '';
  const desc = f[n + 4] ?? '';
  const update = f[n + 5] ?? '';
  const msats = f[n + 6] ?? '';
  const variable = qmText === 'V';
  const qm: ReadQuality = variable
    ? { flag: Nem12QualityFlag.Variable, method: -1, reason: -1 }
    : readQuality(qmText, reasonText, desc, line, '300', 'QualityMethod', warn);
  if ('field' in qm) bad(qm.field, qm.expected, qm.found);
  else if (variable && (reasonText !== '' || desc !== ''))
    bad(
      'ReasonCode',
      'blank with QualityMethod V (reasons go on the 400 records)',
      describe(reasonText || desc),
    );
  checkUpdateTimes(update, msats, line, '300', 'NEM12', warn, bad);

  const start = dayUtc - NEM_MARKET_OFFSET_MINUTES * MINUTE_MS;
  const stepMs = nmi.interval * MINUTE_MS;
  const quality: IntervalQuality = {
    flag: new Uint8Array(n),
    method: new Int16Array(n).fill(-1),
    reason: new Int16Array(n).fill(-1),
    description: new Int16Array(n).fill(-1),
    descriptions: [],
  };
  if (!('field' in qm) && !variable) {
    quality.flag.fill(qm.flag);
    quality.method.fill(qm.method);
    quality.reason.fill(qm.reason);
    if (desc !== '') {
      quality.descriptions.push(desc);
      quality.description.fill(0);
    }
  }
  const block: DecodedBlock = {
    meterId: nmi.meterId,
    channel: nmi.channel,
    intervalMinutes: nmi.interval,
    starts: new Float64Array(n),
    values: new Float64Array(n),
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(NO_SEQUENCE),
    commQuality: Number.NaN,
    quality,
    nem12: { ...nmi.details, intervalDate: date, updateDateTime: update, msatsLoadDateTime: msats },
  };
  for (let i = 0; i < n; i++) block.starts[i] = start + i * stepMs;
  return {
    line,
    ok: checks.ok,
    dropReason: NEM12_DROP.invalid300,
    dropMessage: checks.first,
    variable,
    flag300: 'field' in qm ? 0 : qm.flag,
    nextEvent: 1,
    exp: nmi.exp,
    block,
    rawValues: raw,
  };
}

function read400(f: string[], line: number, day: DayState, fail: Fail, warn: Warn): boolean {
  const n = day.rawValues.length;
  // false: the record is rejected and its day dropped
  const reject = (field: string, expected: string, found: string): false => {
    const message = `${field}: expected ${expected}, found ${found}`;
    if (day.ok) {
      day.dropReason = NEM12_DROP.invalid400;
      day.dropMessage = `the 400 record at line ${line}: ${message}`;
    }
    day.ok = false;
    fail(line, '400', message, field, expected, found);
    return false;
  };
  if (f.length < 4 || !trailingPadding(f, 6, line, '400', warn)) {
    return reject(
      'RecordIndicator',
      '4 to 6 fields (400,StartInterval,EndInterval,QualityMethod[,ReasonCode[,ReasonDescription]])',
      `${f.length} fields`,
    );
  }
  if (f.length < 6) {
    warnMissing(['ReasonCode', 'ReasonDescription'].slice(f.length - 4), line, '400', warn);
  }
  const [, a, z, qmText] = f as [string, string, string, string];
  const reasonText = f[4] ?? '';
  const desc = f[5] ?? '';
  const from = INT_RE.test(a) ? Number(a) : Number.NaN;
  const to = INT_RE.test(z) ? Number(z) : Number.NaN;
  if (!(from >= 1 && from <= n)) return reject('StartInterval', `1..${n}`, describe(a));
  if (!(to >= from && to <= n)) return reject('EndInterval', `${from}..${n}`, describe(z));
  if (from !== day.nextEvent) {
    return reject(
      'StartInterval',
      `${day.nextEvent} (400 records run in order without gaps or overlaps)`,
      describe(a),
    );
  }
  const qm = readQuality(qmText, reasonText, desc, line, '400', 'QualityMethod', warn);
  if ('field' in qm) return reject(qm.field, qm.expected, qm.found);
  if (!day.variable && qm.flag !== day.flag300)
    warn(
      line,
      '400',
      'QualityMethod',
      'NEM12_400_QUALITY_DIFFERS',
      `QualityMethod ${qmText} differs from the 300 record's ${String.fromCharCode(day.flag300)}, which is not V`,
      `${qmText} for intervals ${from}..${to} (the 400 record is the more specific)`,
    );
  const q = day.block.quality!;
  let di = -1;
  if (desc !== '') {
    di = q.descriptions.indexOf(desc);
    if (di < 0) di = q.descriptions.push(desc) - 1;
  }
  for (let i = from - 1; i < to; i++) {
    q.flag[i] = qm.flag;
    q.method[i] = qm.method;
    q.reason[i] = qm.reason;
    q.description[i] = di;
  }
  day.nextEvent = to + 1;
  return true;
}

// ---------------------------------------------------------------------------------------------
// encoder

/** The data stream a channel is written as when the block carries no NEM12 details. */
const DEFAULT_STREAM: Readonly<Record<string, { suffix: string; uom: string }>> = {
  active_import_kwh: { suffix: 'E1', uom: 'kWh' },
  active_export_kwh: { suffix: 'B1', uom: 'kWh' },
  reactive_import_kvarh: { suffix: 'Q1', uom: 'kvarh' },
  reactive_export_kvarh: { suffix: 'K1', uom: 'kvarh' },
  voltage_v: { suffix: 'V1', uom: 'V' },
  power_factor: { suffix: 'P1', uom: 'PF' },
};

function defaultStream(b: { meterId: string; channel: Channel }): { suffix: string; uom: string } {
  const s = DEFAULT_STREAM[b.channel];
  if (!s)
    throw new Error(
      `NEM12 encoder: no default data stream for channel ${b.channel} (${b.meterId}); give the block's nem12 details`,
    );
  return s;
}

function ymd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

interface DayOut {
  date: string;
  values: number[];
  flag: number[];
  method: number[];
  reason: number[];
  desc: string[];
  update: string;
  msats: string;
}

/**
 * Blocks → one NEM12 file. Blocks are cut into market days (AEST); intervals a block does not
 * cover, and NaN values, are written as N (null) with value 0. Quality comes from block.quality
 * when present (A for values, N for NaN otherwise); a day whose intervals differ is written as V
 * with 400 records.
 */
export function encodeNem12(blocks: readonly ReadingBlock[], options: Nem12EncodeOptions = {}): string {
  const lines: string[] = [
    `100,NEM12,${options.createdAt ?? '200001010000'},${options.fromParticipant ?? 'SMT'},${options.toParticipant ?? 'SMT'}`,
  ];
  const streams = new Map<
    string,
    {
      details: Omit<Nem12Details, 'intervalDate' | 'updateDateTime' | 'msatsLoadDateTime'>;
      interval: number;
      exp: number;
      days: Map<string, DayOut>;
    }
  >();
  const configs = new Map<string, string[]>();
  for (const b of blocks as readonly DecodedBlock[]) {
    if (b.intervalMinutes === 60)
      throw new Error(`NEM12 has no 60-minute intervals (${b.meterId} ${b.channel})`);
    const d = b.nem12;
    let suffix = d?.nmiSuffix;
    let nmiId = d?.nmi;
    if (suffix === undefined || nmiId === undefined) {
      const tail = b.meterId.slice(-2);
      const stream = defaultStream(b);
      if (b.meterId.length === 12 && SUFFIX_RE.test(tail) && nem12Channel(tail, stream.uom) === b.channel) {
        nmiId = b.meterId.slice(0, 10);
        suffix = tail;
      } else {
        nmiId = b.meterId;
        suffix = stream.suffix;
      }
    }
    // an NMI a decode kept as written (short, lower case) is written back as it was
    if (!(d === undefined ? /^[A-Z0-9]{10}$/ : /^[A-Za-z0-9]{1,11}$/).test(nmiId))
      throw new Error(`meter id ${b.meterId} is not an NMI (10 characters A-Z 0-9, optionally + suffix)`);
    const uom = d?.uom ?? defaultStream(b).uom;
    const exp = uomOf(uom)?.exp ?? 0;
    const key = `${nmiId}${suffix}`;
    let s = streams.get(key);
    if (s === undefined) {
      const cfg = configs.get(nmiId) ?? [];
      s = {
        details: {
          nmi: nmiId,
          nmiSuffix: suffix,
          nmiConfiguration: d?.nmiConfiguration ?? '',
          registerId: d?.registerId ?? '1',
          // unique per NMI: N1, N2, … in order of appearance
          mdmDataStreamId: d?.mdmDataStreamId ?? `N${cfg.length + 1}`,
          meterSerial: d?.meterSerial ?? '',
          uom,
          nextScheduledReadDate: d?.nextScheduledReadDate ?? '',
        },
        interval: b.intervalMinutes,
        exp,
        days: new Map(),
      };
      streams.set(key, s);
      if (!cfg.includes(suffix)) cfg.push(suffix);
      configs.set(nmiId, cfg);
    }
    const n = 1440 / b.intervalMinutes;
    const step = b.intervalMinutes * MINUTE_MS;
    const descs = (b as DecodedBlock).quality?.descriptions ?? [];
    for (let i = 0; i < b.starts.length; i++) {
      const local = b.starts[i]! + NEM_MARKET_OFFSET_MINUTES * MINUTE_MS;
      const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
      const date = ymd(dayStart);
      let day = s.days.get(date);
      if (day === undefined) {
        day = {
          date,
          values: new Array(n).fill(0),
          flag: new Array(n).fill(Nem12QualityFlag.Null),
          method: new Array(n).fill(-1),
          reason: new Array(n).fill(-1),
          desc: new Array(n).fill(''),
          update: d?.updateDateTime ?? options.updateDateTime ?? '20000101000000',
          msats: d?.msatsLoadDateTime ?? '',
        };
        s.days.set(date, day);
      }
      const k = Math.round((local - dayStart) / step);
      const v = b.values[i]!;
      const q = (b as DecodedBlock).quality;
      if (q !== undefined) {
        day.flag[k] = q.flag[i]!;
        day.method[k] = q.method[i]!;
        day.reason[k] = q.reason[i]!;
        const di = q.description[i]!;
        day.desc[k] = di >= 0 ? (descs[di] ?? '') : '';
      } else {
        day.flag[k] = Number.isNaN(v) ? Nem12QualityFlag.Null : Nem12QualityFlag.Actual;
      }
      day.values[k] = Number.isNaN(v) ? 0 : v;
    }
  }
  for (const s of streams.values()) {
    const dd = s.details;
    const config = dd.nmiConfiguration || (configs.get(dd.nmi) ?? []).join('');
    lines.push(
      [
        '200',
        dd.nmi,
        config,
        dd.registerId,
        dd.nmiSuffix,
        dd.mdmDataStreamId,
        csvField(dd.meterSerial, ','),
        dd.uom,
        s.interval,
        dd.nextScheduledReadDate,
      ].join(','),
    );
    for (const day of [...s.days.values()].sort((a, z) => (a.date < z.date ? -1 : 1))) {
      const qm = (k: number): string =>
        String.fromCharCode(day.flag[k]!) +
        (day.method[k]! >= 0 ? String(day.method[k]).padStart(2, '0') : '');
      const reasonOf = (k: number): string => (day.reason[k]! >= 0 ? String(day.reason[k]) : '');
      const runs: Array<[number, number]> = [];
      let from = 0;
      for (let k = 1; k <= day.values.length; k++) {
        if (
          k === day.values.length ||
          qm(k) !== qm(from) ||
          reasonOf(k) !== reasonOf(from) ||
          day.desc[k] !== day.desc[from]
        ) {
          runs.push([from, k]);
          from = k;
        }
      }
      const values = day.values.map((v) => String(fromChannelUnit(v, s.exp)));
      if (runs.length === 1) {
        lines.push(
          [
            '300',
            day.date,
            ...values,
            qm(0),
            reasonOf(0),
            csvField(day.desc[0]!, ','),
            day.update,
            day.msats,
          ].join(','),
        );
      } else {
        lines.push(['300', day.date, ...values, 'V', '', '', day.update, day.msats].join(','));
        for (const [a, z] of runs)
          lines.push(['400', a + 1, z, qm(a), reasonOf(a), csvField(day.desc[a]!, ',')].join(','));
      }
    }
  }
  lines.push('900');
  return `${lines.join('\n')}\n`;
}
