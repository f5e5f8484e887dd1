/**
 * What NEM12 and NEM13 share: AEMO's Meter Data File Format (MDFF) fields. NMIs (with AEMO's
 * checksum), units of measure, market-time dates, QualityMethod and reason codes, and the
 * tolerant reading of them: where a file in circulation departs from the specification in a way
 * that leaves no doubt about the value, the value is kept and a warning says what was assumed.
 */
import { nem12MethodFlag, nem12ReasonText } from '../readings/quality-nem12.js';
import { splitCsv } from './csv-split.js';
import { describe, type FailureSink } from './failures.js';
import { daysInMonth } from './time.js';

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

/** Where a warning or failure is, and how to report it; the decoders bind these to their sink. */
export type Fail = (
  line: number,
  record: string,
  message: string,
  field?: string,
  expected?: string,
  found?: string,
) => void;
export type Warn = (
  line: number,
  record: string,
  field: string,
  code: string,
  message: string,
  assumed: string,
) => void;

export const INT_RE = /^\d+$/;

/** YYYYMMDD → epoch ms of 00:00 UTC that day, or NaN. */
export function parseDate8(s: string): number {
  if (s.length !== 8 || !INT_RE.test(s)) return Number.NaN;
  const y = +s.slice(0, 4);
  const m = +s.slice(4, 6);
  const d = +s.slice(6, 8);
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return Number.NaN;
  return Date.UTC(y, m - 1, d);
}

/**
 * A market-time date-time of 12 (YYYYMMDDhhmm) or 14 (YYYYMMDDhhmmss) digits → UTC epoch ms, or
 * NaN. Which length the specification wants depends on the field; the caller warns on the other.
 */
export function parseDateTime(s: string): number {
  if ((s.length !== 12 && s.length !== 14) || !INT_RE.test(s)) return Number.NaN;
  const day = parseDate8(s.slice(0, 8));
  const hh = +s.slice(8, 10);
  const mm = +s.slice(10, 12);
  const ss = s.length === 14 ? +s.slice(12, 14) : 0;
  if (Number.isNaN(day) || hh > 23 || mm > 59 || ss > 59) return Number.NaN;
  return day + ((hh * 60 + mm - NEM_MARKET_OFFSET_MINUTES) * 60 + ss) * 1000;
}

/**
 * Read a date-time field the specification gives `len` digits: the other length (12 ↔ 14) is
 * accepted with a warning; blank is the caller's business. Returns false when it is no date-time.
 */
export function checkDateTime(
  s: string,
  len: 12 | 14,
  line: number,
  record: string,
  field: string,
  warn: Warn,
): boolean {
  if (Number.isNaN(parseDateTime(s))) return false;
  if (s.length !== len)
    warn(
      line,
      record,
      field,
      'MDFF_DATETIME_LENGTH',
      `${field} has ${s.length} digits where MDFF gives ${len} (${len === 14 ? 'YYYYMMDDhhmmss' : 'YYYYMMDDhhmm'})`,
      len === 14 ? 'seconds 00; kept as written' : 'the seconds are ignored; kept as written',
    );
  return true;
}

/**
 * AEMO's NMI checksum (NMI Procedure, "NMI checksum"): from the rightmost character leftwards,
 * the ASCII code of every other character, starting with the rightmost, is doubled; the decimal
 * digits of all the resulting numbers are summed; the checksum is what takes that sum to the
 * next multiple of ten.
 */
export function nmiChecksum(nmi: string): number {
  const s = nmi.toUpperCase();
  let sum = 0;
  let double = true;
  for (let i = s.length - 1; i >= 0; i--) {
    let d = s.charCodeAt(i);
    if (double) d *= 2;
    double = !double;
    while (d > 0) {
      sum += d % 10;
      d = Math.floor(d / 10);
    }
  }
  return (10 - (sum % 10)) % 10;
}

const NMI_CHARS = /^[A-Za-z0-9]{1,11}$/;

/**
 * Check an NMI as written. Always kept as written (a changed NMI would be another meter), so the
 * tolerances only warn: fewer than 10 characters, lower case, an 11th character that is (or is
 * not) the NMI checksum, the letters I and O that AEMO never allocates. False when it is no NMI
 * at all (empty, other characters, more than 11).
 */
export function checkNmi(nmi: string, line: number, record: string, warn: Warn): boolean {
  if (!NMI_CHARS.test(nmi)) return false;
  const w = (code: string, message: string, assumed = 'the NMI as written'): void =>
    warn(line, record, 'NMI', code, message, assumed);
  if (nmi.length < 10)
    w('MDFF_NMI_SHORT', `NMI ${JSON.stringify(nmi)} has ${nmi.length} characters where MDFF gives 10`);
  if (nmi !== nmi.toUpperCase()) w('MDFF_NMI_LOWER_CASE', `NMI ${JSON.stringify(nmi)} is in lower case`);
  const base = nmi.slice(0, 10).toUpperCase();
  if (/[IO]/.test(base))
    w('MDFF_NMI_I_OR_O', `NMI ${JSON.stringify(nmi)} holds I or O, letters AEMO never allocates`);
  if (nmi.length === 11) {
    const sum = nmiChecksum(base);
    if (String(sum) === nmi[10])
      w(
        'MDFF_NMI_WITH_CHECKSUM',
        `NMI ${JSON.stringify(nmi)} has 11 characters: the 11th is its NMI checksum (valid)`,
      );
    else
      w(
        'MDFF_NMI_CHECKSUM',
        `NMI ${JSON.stringify(nmi)} has 11 characters but the 11th is not the NMI checksum of the first 10 (${sum})`,
      );
  }
  return true;
}

export type UomFamily =
  | 'active'
  | 'reactive'
  | 'apparent'
  | 'active_power'
  | 'reactive_power'
  | 'apparent_power'
  | 'voltage'
  | 'current'
  | 'pf';

export interface Uom {
  family: UomFamily;
  /** power of ten from the file unit to the channel unit (kWh, kvarh, kVAh, kW, kvar, kVA, V, A) */
  exp: number;
}

function prefixed(base: string, family: UomFamily, kilo: boolean): Array<[string, Uom]> {
  // channel units are kilo- for energy and power, plain for volts and amps
  const k = kilo ? 0 : 3;
  return [
    [base, { family, exp: k - 3 }],
    [`K${base}`, { family, exp: k }],
    [`M${base}`, { family, exp: k + 3 }],
  ];
}

/** MDFF units of measure (case-insensitive: kVArh = KVARH) → family and power of ten. */
const UOMS = new Map<string, Uom>([
  ...prefixed('WH', 'active', true),
  ...prefixed('VARH', 'reactive', true),
  ...prefixed('VAH', 'apparent', true),
  ...prefixed('W', 'active_power', true),
  ...prefixed('VAR', 'reactive_power', true),
  ...prefixed('VA', 'apparent_power', true),
  ...prefixed('V', 'voltage', false),
  ...prefixed('A', 'current', false),
  ['PF', { family: 'pf', exp: 0 }],
]);

/** OBIS C group of [import, export] per family (IEC 62056-61), for channels named by OBIS code. */
export const OBIS_C_OF_FAMILY: Partial<Record<UomFamily, readonly [number, number]>> = {
  active: [1, 2],
  reactive: [3, 4],
  apparent: [9, 10],
  active_power: [1, 2],
  reactive_power: [3, 4],
  apparent_power: [9, 10],
};

export function uomOf(s: string): Uom | undefined {
  return UOMS.get(s.toUpperCase());
}

/**
 * File unit → channel unit, as the decimal a person would write: 1312.1 Wh is 1.3121 kWh, not the
 * 1.3120999999999998 a bare division gives (values have at most 15 significant digits).
 */
export function toChannelUnit(raw: number, exp: number): number {
  if (exp === 0) return raw;
  return Number((exp < 0 ? raw / 10 ** -exp : raw * 10 ** exp).toPrecision(15));
}

/** Channel unit → file unit, inverse of toChannelUnit. */
export function fromChannelUnit(v: number, exp: number): number {
  return exp > 0 ? v / 10 ** exp : exp < 0 ? Number((v * 10 ** -exp).toPrecision(15)) : v;
}

export interface QualityMethod {
  flag: number;
  /** -1 = none */
  method: number;
  /** E, F or S written without the method number the specification asks for */
  noMethod: boolean;
}

const QM_RE = /^([AEFNSV])(\d{2})?$/;

/** `flag` is the QualityMethod text; a string result is what was expected instead. */
export function parseQualityMethod(s: string): QualityMethod | string {
  const m = QM_RE.exec(s);
  if (m === null)
    return 'a quality flag A, E, F, N, S or V with a 2-digit method where required (e.g. A, E52, S53, V)';
  const flag = m[1]!.charCodeAt(0);
  const method = m[2] === undefined ? -1 : Number(m[2]);
  const needsMethod =
    flag === Nem12QualityFlag.Estimated ||
    flag === Nem12QualityFlag.Final ||
    flag === Nem12QualityFlag.Substituted;
  if (!needsMethod && method >= 0) return `${m[1]} without a method number`;
  // The method tables (AEMO Metrology Procedure Part B) live with the quality mapping.
  if (method >= 0 && nem12MethodFlag(method) === undefined)
    return 'a method flag AEMO defines (11-25, 51-59, 61-69, 71-75)';
  return { flag, method, noMethod: needsMethod && method < 0 };
}

/**
 * The field checks of one record: `bad` reports a field that is wrong, `ok` stays true while none
 * is, `first` keeps the first message (what a drop of the record names).
 */
export interface RecordChecks {
  ok: boolean;
  first: string;
  bad: (field: string, expected: string, found: string) => void;
}

export function recordChecks(fail: Fail, line: number, record: string): RecordChecks {
  const c: RecordChecks = {
    ok: true,
    first: '',
    bad: (field, expected, found) => {
      const message = `${field}: expected ${expected}, found ${found}`;
      c.ok = false;
      if (c.first === '') c.first = message;
      fail(line, record, message, field, expected, found);
    },
  };
  return c;
}

/** A single (non-V) quality with its reason, as a NEM12 300 or 400 and a NEM13 250 record give it. */
export type ReadQuality =
  | { flag: number; method: number; reason: number }
  | { field: string; expected: string; found: string };

/**
 * QualityMethod, ReasonCode and ReasonDescription of a NEM12 300 (not V) or 400 record or a NEM13
 * 250 read, with MDFF's rules and tolerances: V refused, E/F/S without a method and unknown reason
 * codes warned. `field` names the QualityMethod field (NEM13: `PreviousQualityMethod` …).
 */
export function readQuality(
  qmText: string,
  reasonText: string,
  desc: string,
  line: number,
  record: string,
  field: string,
  warn: Warn,
): ReadQuality {
  const qm = parseQualityMethod(qmText);
  if (typeof qm === 'string') return { field, expected: qm, found: describe(qmText) };
  if (qm.flag === Nem12QualityFlag.Variable)
    return { field, expected: 'a single quality (V is only for the 300 record)', found: 'V' };
  warnNoMethod(qm, qmText, line, record, field, warn);
  const r = checkReason(qm, reasonText, desc);
  if ('field' in r)
    return {
      field: field.replace(/QualityMethod$/, r.field),
      expected: r.expected,
      found: describe(r.field === 'ReasonCode' ? reasonText : desc),
    };
  warnUnknownReason(r.reason, line, record, warn);
  return { flag: qm.flag, method: qm.method, reason: r.reason };
}

/** Older MDFF versions and some MDPs write E, F or S alone: kept, with the method unknown. */
export function warnNoMethod(
  qm: QualityMethod,
  text: string,
  line: number,
  record: string,
  field: string,
  warn: Warn,
): void {
  if (qm.noMethod)
    warn(
      line,
      record,
      field,
      'MDFF_QUALITY_WITHOUT_METHOD',
      `${field} ${JSON.stringify(text)} carries no method number`,
      `quality ${text}, method unknown`,
    );
}

/** Reason code rules shared by 300, 400 and 250: required for S and F, a description required for code 0. */
export function checkReason(
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

/** Reason codes outside AEMO's table are kept (the quality mapping reports them as Other) but flagged. */
export function warnUnknownReason(reason: number, line: number, record: string, warn: Warn): void {
  if (reason >= 0 && nem12ReasonText(reason) === undefined)
    warn(
      line,
      record,
      'ReasonCode',
      'MDFF_UNKNOWN_REASON',
      `ReasonCode ${reason} is not in AEMO's reason code table`,
      `reason ${reason} kept (mapped to Other)`,
    );
}

/**
 * Fields beyond the `max` the record has: empty ones (padding some exporters add) are ignored
 * with a warning; false when one holds something (then the record is malformed).
 */
export function trailingPadding(f: string[], max: number, line: number, record: string, warn: Warn): boolean {
  if (f.length <= max) return true;
  for (let i = max; i < f.length; i++) if (f[i] !== '') return false;
  warn(
    line,
    record,
    'RecordIndicator',
    'MDFF_EXTRA_EMPTY_FIELDS',
    `${f.length - max} empty field(s) after the last field of the ${record} record`,
    'padding; ignored',
  );
  return true;
}

/** Warn and Fail bound to a decode's sink. */
export function reporters(sink: FailureSink): { warn: Warn; fail: Fail } {
  return {
    warn: (line, record, field, code, message, assumed) =>
      sink.warn(message, { line, record, field }, code, assumed),
    fail: (line, record, message, field, expected, found) => {
      const loc: { line: number; record: string; field?: string } = { line, record };
      if (field !== undefined) loc.field = field;
      sink.fail(message, loc, expected, found);
    },
  };
}

/**
 * The record frame both MDFF files share: the 100 header (its absence is a warning), the 900 end
 * record, nothing after it, and the end of the file. Every other record goes to `onRecord` with
 * the record indicator before it; `onEnd` runs after the last record, before the end checks.
 */
export function readMdffFile(
  text: string,
  version: 'NEM12' | 'NEM13',
  sink: FailureSink,
  onRecord: (f: string[], line: number, prev: string) => void,
  onEnd?: () => void,
): void {
  const { warn, fail } = reporters(sink);
  let records = 0;
  let lastLine = 0;
  let seen900 = 0;
  let prev = '';
  const problem = splitCsv(text, ',', (raw, line) => {
    records++;
    lastLine = line;
    const f = raw.map((s) => s.trim());
    const rec = f[0]!;
    if (records === 1 && rec !== '100')
      warn(
        line,
        rec,
        'RecordIndicator',
        `${version}_NO_HEADER`,
        `the file starts with a ${describe(rec)} record, not the 100 header`,
        `${version} (no header: created time and participants unknown)`,
      );
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
    if (rec === '100') read100(f, line, records > 1, version, fail, warn);
    else if (rec === '900') {
      seen900 = line;
      if (!trailingPadding(f, 1, line, '900', warn))
        fail(line, '900', `expected 1 field, found ${f.length}`, undefined, '1 field', String(f.length));
    } else onRecord(f, line, prev);
    prev = rec;
    return undefined;
  });
  onEnd?.();
  if (problem !== undefined)
    sink.fail(problem.message, { line: problem.line }, 'a closing "', 'end of input');
  if (records === 0) sink.fail(`empty ${version} file`, { line: 1 }, 'a 100 header record', 'nothing');
  else if (seen900 === 0)
    sink.fail(
      'missing 900 end record',
      { line: lastLine + 1, record: '900' },
      'a 900 record at the end',
      'end of file',
    );
}

function read100(f: string[], line: number, second: boolean, version: string, fail: Fail, warn: Warn): void {
  if (second)
    fail(
      line,
      '100',
      'a second 100 header record: a file holds exactly one',
      'RecordIndicator',
      'one 100 record',
      'another',
    );
  if (f[1] !== version)
    fail(
      line,
      '100',
      `VersionHeader: expected ${version}, found ${describe(f[1])}`,
      'VersionHeader',
      version,
      describe(f[1]),
    );
  if (!checkDateTime(f[2] ?? '', 12, line, '100', 'DateTime', warn))
    fail(
      line,
      '100',
      `DateTime: expected YYYYMMDDhhmm, found ${describe(f[2])}`,
      'DateTime',
      'YYYYMMDDhhmm',
      describe(f[2]),
    );
  if (!trailingPadding(f, 5, line, '100', warn))
    fail(line, '100', `expected 5 fields, found ${f.length}`, undefined, '5 fields', String(f.length));
}

/** UpdateDateTime (blank: a warning) and MSATSLoadDateTime (blank allowed) of a 300 or 250 record. */
export function checkUpdateTimes(
  update: string,
  msats: string,
  line: number,
  record: string,
  version: 'NEM12' | 'NEM13',
  warn: Warn,
  bad: (field: string, expected: string, found: string) => void,
): void {
  if (update === '')
    warn(
      line,
      record,
      'UpdateDateTime',
      `${version}_BLANK_UPDATE_DATETIME`,
      'UpdateDateTime is blank',
      'no update time (kept blank)',
    );
  else if (!checkDateTime(update, 14, line, record, 'UpdateDateTime', warn))
    bad('UpdateDateTime', 'YYYYMMDDhhmmss', describe(update));
  if (msats !== '' && !checkDateTime(msats, 14, line, record, 'MSATSLoadDateTime', warn))
    bad('MSATSLoadDateTime', 'YYYYMMDDhhmmss or blank', describe(msats));
}

/** A record that ends before its optional trailing `missing` fields: read with them blank. */
export function warnMissing(missing: string[], line: number, record: string, warn: Warn): void {
  warn(
    line,
    record,
    missing[0]!,
    'MDFF_MISSING_FIELDS',
    `the ${record} record ends before ${missing.join(', ')}`,
    `${missing.join(', ')} blank`,
  );
}
