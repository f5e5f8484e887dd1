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
 *
 * Decode options: `meterId` (the message key) must equal NMI + suffix of every imported stream, or
 * that stream fails with code METER_MISMATCH. `channel`, `intervalMinutes` and `timezone` have no
 * use here: the 200 record's suffix + UOM and IntervalLength fix the first two, and market time is
 * a fixed UTC+10.
 */
import type { Channel, IntervalMinutes, ReadingBlock } from '../readings/block.js';
import { NO_SEQUENCE } from '../readings/block.js';
import { nem12MethodFlag, nem12ReasonText } from '../readings/quality-nem12.js';
import { csvField, parseDecimal, splitCsv } from './csv-split.js';
import { describe, type FailureSink } from './failures.js';
import { textOrFail } from './text.js';
import { daysInMonth, MINUTE_MS } from './time.js';
import type {
  DecodedBlock,
  DecodeOptions,
  IntervalQuality,
  Nem12Details,
  Nem12EncodeOptions,
} from './types.js';

/** Quality flags as stored in IntervalQuality.flag (char codes). */
export enum Nem12QualityFlag {
  Actual = 65, // A
  Estimated = 69, // E: forward estimate
  Final = 70, // F: final substitution
  Null = 78, // N: no data
  Substituted = 83, // S
  Variable = 86, // V: only on a 300 record; resolved per interval from 400 records
}

/** AEST, fixed: NEM market time never observes daylight saving. */
export const NEM_MARKET_OFFSET_MINUTES = 600;
const DAY_MS = 86_400_000;

/** UOM (case-insensitive) → channel family and power of ten to smt's channel unit (kWh, V). */
const UOM: Record<string, { kind: 'energy' | 'voltage' | 'pf'; exp: number }> = {
  WH: { kind: 'energy', exp: -3 },
  KWH: { kind: 'energy', exp: 0 },
  MWH: { kind: 'energy', exp: 3 },
  V: { kind: 'voltage', exp: 0 },
  KV: { kind: 'voltage', exp: 3 },
  PF: { kind: 'pf', exp: 0 },
};

/** File unit → channel unit. Dividing by an exact power of ten rounds once (123 Wh → 0.123 kWh exactly). */
function toChannelUnit(raw: number, exp: number): number {
  return exp < 0 ? raw / 10 ** -exp : exp > 0 ? raw * 10 ** exp : raw;
}

/** Channel unit → file unit, inverse of toChannelUnit. */
function fromChannelUnit(v: number, exp: number): number {
  return exp > 0 ? v / 10 ** exp : exp < 0 ? Number((v * 10 ** -exp).toPrecision(15)) : v;
}
/** Valid MDFF UOMs smt has no channel for (reactive, apparent, demand, current): skipped with a warning. */
const OTHER_UOMS = new Set([
  'VARH',
  'KVARH',
  'MVARH',
  'VAR',
  'KVAR',
  'MVAR',
  'VAH',
  'KVAH',
  'MVAH',
  'VA',
  'KVA',
  'MVA',
  'W',
  'KW',
  'MW',
  'A',
  'KA',
]);

/**
 * NMI suffix → smt channel, by the suffix's first character (NMI Procedure): E = consumption,
 * B = generation. AEMO names directions from the market's side (energy to the customer is
 * "export"); smt names them from the meter's side like IEC/DLMS (+A import = consumption), so
 * E → active_import_kwh and B → active_export_kwh. Voltage and power factor go by UOM.
 */
export function nem12Channel(suffix: string, uom: string): Channel | undefined {
  const u = UOM[uom.toUpperCase()];
  if (u === undefined) return undefined;
  if (u.kind === 'voltage') return 'voltage_v';
  if (u.kind === 'pf') return 'power_factor';
  if (u.kind !== 'energy') return undefined;
  if (suffix[0] === 'E') return 'active_import_kwh';
  if (suffix[0] === 'B') return 'active_export_kwh';
  return undefined;
}

const NMI_RE = /^[A-Z0-9]{10}$/;
const SUFFIX_RE = /^[A-Z][A-Z0-9]$/;
const QM_RE = /^([AEFNSV])(\d{2})?$/;
const INT_RE = /^\d+$/;

interface NmiState {
  line: number;
  ok: boolean;
  /** a valid stream smt does not import (reactive energy…) */
  skip: boolean;
  details: Omit<Nem12Details, 'intervalDate' | 'updateDateTime' | 'msatsLoadDateTime'>;
  channel: Channel;
  interval: IntervalMinutes;
  exp: number;
  n: number;
}

interface DayState {
  line: number;
  ok: boolean;
  variable: boolean;
  flag300: number;
  nextEvent: number;
  /** the 200 record's UOM power of ten */
  exp: number;
  block: DecodedBlock;
  rawValues: Float64Array;
}

/** YYYYMMDD → epoch ms of 00:00 UTC that day, or NaN. */
function parseDate8(s: string): number {
  if (s.length !== 8 || !INT_RE.test(s)) return Number.NaN;
  const y = +s.slice(0, 4);
  const m = +s.slice(4, 6);
  const d = +s.slice(6, 8);
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return Number.NaN;
  return Date.UTC(y, m - 1, d);
}

/** YYYYMMDDhhmm or YYYYMMDDhhmmss (length given) valid? */
function validDateTime(s: string, len: 12 | 14): boolean {
  if (s.length !== len || Number.isNaN(parseDate8(s.slice(0, 8)))) return false;
  const hh = +s.slice(8, 10);
  const mm = +s.slice(10, 12);
  const ss = len === 14 ? +s.slice(12, 14) : 0;
  return INT_RE.test(s) && hh <= 23 && mm <= 59 && ss <= 59;
}

export function decodeNem12(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  const text = textOrFail(input, sink);
  if (text === null) return [];
  const blocks: DecodedBlock[] = [];
  let seen100 = false;
  let seen900 = 0;
  let records = 0;
  let lastLine = 0;
  let nmi: NmiState | undefined;
  let day: DayState | undefined;
  /** the previous record indicator, for 400 placement */
  let prev = '';

  const warn: Warn = (line, record, message, field) => sink.warn(message, { line, record, field });
  const fail = (
    line: number,
    record: string,
    message: string,
    field?: string,
    expected?: string,
    found?: string,
  ): void => {
    const loc: { line: number; record: string; field?: string } = { line, record };
    if (field !== undefined) loc.field = field;
    sink.fail(message, loc, expected, found);
  };

  const closeDay = (): void => {
    if (day === undefined) return;
    const d = day;
    day = undefined;
    if (d.variable && d.ok && d.nextEvent <= d.rawValues.length) {
      const covered = d.nextEvent === 1 ? 'none' : `1..${d.nextEvent - 1}`;
      fail(
        d.line,
        '300',
        `QualityMethod V needs 400 records covering intervals 1..${d.rawValues.length}; covered ${covered}`,
        'QualityMethod',
        `400 records for intervals 1..${d.rawValues.length}`,
        covered,
      );
      d.ok = false;
    }
    if (!d.ok) return;
    const q = d.block.quality!;
    for (let i = 0; i < d.rawValues.length; i++) {
      // N (null) intervals carry a placeholder number in the file; in smt missing is NaN, never 0.
      d.block.values[i] =
        q.flag[i] === Nem12QualityFlag.Null ? Number.NaN : toChannelUnit(d.rawValues[i]!, d.exp);
    }
    blocks.push(d.block);
  };

  const problem = splitCsv(text, ',', (raw, line) => {
    records++;
    lastLine = line;
    const f = raw.map((s) => s.trim());
    const rec = f[0]!;
    if (records === 1 && rec !== '100') {
      fail(
        line,
        rec,
        `a NEM12 file starts with a 100 header record, found ${describe(rec)}`,
        'RecordIndicator',
        '100',
        rec,
      );
      seen100 = true; // report once, then keep checking the rest
    }
    if (seen900 > 0 && rec !== '') {
      fail(
        line,
        rec,
        `record after the 900 end record (line ${seen900})`,
        'RecordIndicator',
        'end of file',
        rec,
      );
      return false;
    }
    if (rec !== '400') closeDay();
    switch (rec) {
      case '100':
        if (seen100 && records > 1)
          fail(
            line,
            '100',
            'a second 100 header record: a file holds exactly one',
            'RecordIndicator',
            'one 100 record',
            'another',
          );
        seen100 = true;
        if (f[1] !== 'NEM12')
          fail(
            line,
            '100',
            `VersionHeader: expected NEM12, found ${describe(f[1])}`,
            'VersionHeader',
            'NEM12',
            describe(f[1]),
          );
        if (!validDateTime(f[2] ?? '', 12))
          fail(
            line,
            '100',
            `DateTime: expected YYYYMMDDhhmm, found ${describe(f[2])}`,
            'DateTime',
            'YYYYMMDDhhmm',
            describe(f[2]),
          );
        break;
      case '200':
        nmi = read200(f, line, fail, sink, options);
        break;
      case '300':
        if (nmi === undefined) {
          fail(
            line,
            '300',
            '300 record before any 200 record',
            'RecordIndicator',
            'a 200 record first',
            '300',
          );
        } else if (nmi.ok && !nmi.skip) {
          day = read300(f, line, nmi, fail, warn);
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
        break;
      case '900':
        seen900 = line;
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
    prev = rec;
    return undefined;
  });
  closeDay();
  if (problem !== undefined)
    sink.fail(problem.message, { line: problem.line }, 'a closing "', 'end of input');
  if (records === 0) {
    sink.fail('empty NEM12 file', { line: 1 }, 'a 100 header record', 'nothing');
    return [];
  }
  if (seen900 === 0)
    sink.fail(
      'missing 900 end record',
      { line: lastLine + 1, record: '900' },
      'a 900 record at the end',
      'end of file',
    );
  return blocks;
}

type Fail = (
  line: number,
  record: string,
  message: string,
  field?: string,
  expected?: string,
  found?: string,
) => void;
type Warn = (line: number, record: string, message: string, field: string) => void;

/** Reason codes outside AEMO's table are kept (the quality mapping reports them as Other) but flagged. */
function warnUnknownReason(reason: number, line: number, record: string, warn: Warn): void {
  if (reason >= 0 && nem12ReasonText(reason) === undefined)
    warn(line, record, `ReasonCode ${reason} is not in AEMO's reason code table`, 'ReasonCode');
}

function read200(f: string[], line: number, fail: Fail, sink: FailureSink, options: DecodeOptions): NmiState {
  const st: NmiState = {
    line,
    ok: false,
    skip: false,
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
    channel: 'active_import_kwh',
    interval: 30,
    exp: 0,
    n: 48,
  };
  if (f.length < 9 || f.length > 10) {
    fail(
      line,
      '200',
      `expected 9 or 10 fields, found ${f.length}`,
      undefined,
      '9 or 10 fields',
      String(f.length),
    );
    return st;
  }
  let ok = true;
  const bad = (field: string, expected: string, found: string): void => {
    ok = false;
    fail(line, '200', `${field}: expected ${expected}, found ${found}`, field, expected, found);
  };
  const [, nmiId, config, registerId, suffix, stream, serial, uom, len, next] = f as [
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
  if (!NMI_RE.test(nmiId)) bad('NMI', '10 characters A-Z 0-9', describe(nmiId));
  if (!SUFFIX_RE.test(suffix)) bad('NMISuffix', 'a letter and a letter or digit, e.g. E1', describe(suffix));
  const u = UOM[uom.toUpperCase()];
  if (u === undefined && !OTHER_UOMS.has(uom.toUpperCase()))
    bad('UOM', 'an MDFF unit of measure (kWh, Wh, MWh, V, kvarh, …)', describe(uom));
  const n = INT_RE.test(len) ? Number(len) : Number.NaN;
  if (n !== 5 && n !== 15 && n !== 30) bad('IntervalLength', '5, 15 or 30', describe(len));
  if (next !== undefined && next !== '' && Number.isNaN(parseDate8(next)))
    bad('NextScheduledReadDate', 'YYYYMMDD or blank', describe(next));
  st.details = {
    nmi: nmiId,
    nmiSuffix: suffix,
    nmiConfiguration: config,
    registerId,
    mdmDataStreamId: stream,
    meterSerial: serial,
    uom,
    nextScheduledReadDate: next ?? '',
  };
  if (!ok) return st;
  st.ok = true;
  st.interval = n as IntervalMinutes;
  st.n = 1440 / n;
  const channel = nem12Channel(suffix, uom);
  if (channel === undefined) {
    st.skip = true;
    sink.warn(`NMI ${nmiId} suffix ${suffix} (${uom}) has no smt channel; its 300 records are skipped`, {
      line,
      record: '200',
      field: 'NMISuffix',
    });
    return st;
  }
  st.channel = channel;
  st.exp = u!.exp;
  // The file always names its meter (NMI + suffix): the message key can only confirm it. Streams
  // skipped above produce no blocks, so they are not compared.
  const key = options.meterId;
  const meterId = `${nmiId}${suffix}`;
  if (key !== undefined && key !== '' && key !== meterId) {
    sink.meterMismatch('NMI + NMISuffix', describe(meterId), { line, record: '200', field: 'NMI' });
    st.ok = false;
  }
  return st;
}

interface QualityMethod {
  flag: number;
  method: number;
}

function parseQualityMethod(s: string): QualityMethod | string {
  const m = QM_RE.exec(s);
  if (m === null)
    return 'a quality flag A, E, F, N, S or V with a 2-digit method where required (e.g. A, E52, S53, V)';
  const flag = m[1]!.charCodeAt(0);
  const method = m[2] === undefined ? -1 : Number(m[2]);
  const needsMethod =
    flag === Nem12QualityFlag.Estimated ||
    flag === Nem12QualityFlag.Final ||
    flag === Nem12QualityFlag.Substituted;
  if (needsMethod && method < 0) return `a method number after ${m[1]} (e.g. ${m[1]}52)`;
  if (!needsMethod && method >= 0) return `${m[1]} without a method number`;
  // The method tables (AEMO Metrology Procedure Part B) live with the quality mapping.
  if (method >= 0 && nem12MethodFlag(method) === undefined)
    return 'a method flag AEMO defines (11-25, 51-59, 61-69, 71-75)';
  return { flag, method };
}

/** Reason code rules shared by 300 and 400: required for S and F, a description required for code 0. */
function checkReason(
  qm: QualityMethod,
  code: string,
  desc: string,
): { reason: number } | { field: string; expected: string } {
  if (code === '') {
    if (qm.flag === Nem12QualityFlag.Substituted || qm.flag === Nem12QualityFlag.Final)
      return {
        field: 'ReasonCode',
        expected: `a reason code (required for ${String.fromCharCode(qm.flag)})`,
      };
    return { reason: -1 };
  }
  if (!INT_RE.test(code) || code.length > 3)
    return { field: 'ReasonCode', expected: 'a reason code 0..999 or blank' };
  const reason = Number(code);
  if (reason === 0 && desc === '')
    return { field: 'ReasonDescription', expected: 'a description (required with reason code 0)' };
  return { reason };
}

function read300(f: string[], line: number, nmi: NmiState, fail: Fail, warn: Warn): DayState | undefined {
  const n = nmi.n;
  const bad = (field: string, expected: string, found: string): void => {
    ok = false;
    fail(line, '300', `${field}: expected ${expected}, found ${found}`, field, expected, found);
  };
  let ok = true;
  if (f.length !== n + 7) {
    const values = f.length - 7;
    fail(
      line,
      '300',
      `expected ${n} interval values (1440 / IntervalLength ${nmi.interval} of the 200 record at line ${nmi.line}), found ${values < 0 ? f.length - 2 : values}`,
      'IntervalValue',
      `${n} values`,
      String(values < 0 ? f.length - 2 : values),
    );
    return undefined;
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
  const reasonText = f[n + 3]!;
  const desc = f[n + 4]!;
  const update = f[n + 5]!;
  const msats = f[n + 6]!;
  const qm = parseQualityMethod(qmText);
  let reason = -1;
  if (typeof qm === 'string') bad('QualityMethod', qm, describe(qmText));
  else if (qm.flag === Nem12QualityFlag.Variable) {
    if (reasonText !== '' || desc !== '')
      bad(
        'ReasonCode',
        'blank with QualityMethod V (reasons go on the 400 records)',
        describe(reasonText || desc),
      );
  } else {
    const r = checkReason(qm, reasonText, desc);
    if ('field' in r) bad(r.field, r.expected, describe(r.field === 'ReasonCode' ? reasonText : desc));
    else {
      reason = r.reason;
      warnUnknownReason(reason, line, '300', warn);
    }
  }
  if (!validDateTime(update, 14)) bad('UpdateDateTime', 'YYYYMMDDhhmmss', describe(update));
  if (msats !== '' && !validDateTime(msats, 14))
    bad('MSATSLoadDateTime', 'YYYYMMDDhhmmss or blank', describe(msats));

  const start = dayUtc - NEM_MARKET_OFFSET_MINUTES * MINUTE_MS;
  const stepMs = nmi.interval * MINUTE_MS;
  const quality: IntervalQuality = {
    flag: new Uint8Array(n),
    method: new Int16Array(n).fill(-1),
    reason: new Int16Array(n).fill(-1),
    description: new Int16Array(n).fill(-1),
    descriptions: [],
  };
  const variable = typeof qm !== 'string' && qm.flag === Nem12QualityFlag.Variable;
  if (typeof qm !== 'string' && !variable) {
    quality.flag.fill(qm.flag);
    quality.method.fill(qm.method);
    quality.reason.fill(reason);
    if (desc !== '') {
      quality.descriptions.push(desc);
      quality.description.fill(0);
    }
  }
  const block: DecodedBlock = {
    meterId: `${nmi.details.nmi}${nmi.details.nmiSuffix}`,
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
    ok,
    variable,
    flag300: typeof qm === 'string' ? 0 : qm.flag,
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
    day.ok = false;
    fail(line, '400', `${field}: expected ${expected}, found ${found}`, field, expected, found);
    return false;
  };
  if (f.length !== 6) {
    return reject(
      'RecordIndicator',
      '6 fields (400,StartInterval,EndInterval,QualityMethod,ReasonCode,ReasonDescription)',
      `${f.length} fields`,
    );
  }
  const [, a, z, qmText, reasonText, desc] = f as [string, string, string, string, string, string];
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
  const qm = parseQualityMethod(qmText);
  if (typeof qm === 'string') return reject('QualityMethod', qm, describe(qmText));
  if (qm.flag === Nem12QualityFlag.Variable)
    return reject('QualityMethod', 'a single quality (V is only for the 300 record)', 'V');
  if (!day.variable && qm.flag !== day.flag300) {
    return reject(
      'QualityMethod',
      `${String.fromCharCode(day.flag300)} as on the 300 record (which is not V)`,
      describe(qmText),
    );
  }
  const r = checkReason(qm, reasonText, desc);
  if ('field' in r)
    return reject(r.field, r.expected, describe(r.field === 'ReasonCode' ? reasonText : desc));
  warnUnknownReason(r.reason, line, '400', warn);
  const q = day.block.quality!;
  let di = -1;
  if (desc !== '') {
    di = q.descriptions.indexOf(desc);
    if (di < 0) di = q.descriptions.push(desc) - 1;
  }
  for (let i = from - 1; i < to; i++) {
    q.flag[i] = qm.flag;
    q.method[i] = qm.method;
    q.reason[i] = r.reason;
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
    if (!NMI_RE.test(nmiId))
      throw new Error(`meter id ${b.meterId} is not an NMI (10 characters A-Z 0-9, optionally + suffix)`);
    const uom = d?.uom ?? defaultStream(b).uom;
    const exp = UOM[uom.toUpperCase()]?.exp ?? 0;
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
