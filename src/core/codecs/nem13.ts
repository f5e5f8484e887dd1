/**
 * AEMO Meter Data File Format, NEM13 (accumulated meter reads of basic and manually read
 * meters), per the MDFF specification for NEM12 and NEM13. Record structure: 100 (header, once)
 * · { 250 (one read period of one register) · 550? (B2B details) }* · 900 (end, once).
 *
 * A 250 record carries the previous and the current register read with their times and quality,
 * the consumption of the period (Quantity) and its unit. Each decodes to one RegisterRead: the
 * reads in the channel unit, Quantity as stated, and `derived` = current − previous. Where the
 * two disagree (a register that rolled over, a meter multiplier, a meter exchange) Quantity is
 * kept and a warning says so; smt never replaces the file's figure with its own.
 *
 * Times are market time (AEST, UTC+10, no daylight saving), as in NEM12. The meter id is NMI +
 * NMISuffix; the channel is the register of the UOM's quantity in the meter-side direction (the
 * DirectionIndicator is the market's: E, energy to the customer, is smt's import).
 */
import { channelIdOf } from '../readings/block.js';
import { channelSpec } from '../readings/channel.js';
import { parseDecimal } from './csv-split.js';
import { describe, type FailureSink } from './failures.js';
import {
  checkDateTime,
  checkNmi,
  checkUpdateTimes,
  type Fail,
  OBIS_C_OF_FAMILY,
  parseDate8,
  parseDateTime,
  readMdffFile,
  readQuality,
  recordChecks,
  reporters,
  toChannelUnit,
  trailingPadding,
  uomOf,
  type Warn,
  warnMissing,
} from './mdff.js';
import { textOrFail } from './text.js';
import type { DecodeOptions, Nem13Details, RegisterRead, RegisterReadValue } from './types.js';

export const NEM13_DROP = {
  invalid250: 'invalid 250 record',
  meterMismatch: 'meter mismatch',
} as const;

const SUFFIX_RE = /^[A-Z0-9]{2}$/;
const FIELDS_250 = 23;

export function decodeNem13(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): RegisterRead[] {
  const text = textOrFail(input, sink);
  if (text === null) return [];
  const reads: RegisterRead[] = [];
  const seen = new Map<string, number>();
  const { warn, fail } = reporters(sink);
  /** the read of the 250 record just before, for its 550; undefined when that 250 failed */
  let last: RegisterRead | undefined;

  readMdffFile(text, 'NEM13', sink, (f, line, prev) => {
    const rec = f[0]!;
    if (rec === '250') {
      last = read250(f, line, fail, warn, sink, options);
      if (last === undefined) return;
      const key = `${last.meterId}\u0000${last.current.at}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, line);
      else
        warn(
          line,
          '250',
          'CurrentRegisterReadDateTime',
          'NEM13_DUPLICATE_READ',
          `${last.meterId} read at ${f[14]} appears again (first at line ${first})`,
          'both reads decoded as written',
        );
      reads.push(last);
    } else if (rec === '550') {
      if (prev !== '250')
        fail(
          line,
          '550',
          `550 record must follow a 250 record, found after ${prev || 'nothing'}`,
          'RecordIndicator',
        );
      else if (!trailingPadding(f, 5, line, '550', warn))
        fail(line, '550', `expected 5 fields, found ${f.length}`, undefined, '5 fields', String(f.length));
      else if (last !== undefined)
        last.nem13!.b2b = {
          previousTransCode: f[1] ?? '',
          previousRetServiceOrder: f[2] ?? '',
          currentTransCode: f[3] ?? '',
          currentRetServiceOrder: f[4] ?? '',
        };
    } else
      fail(
        line,
        rec,
        `unknown record indicator ${describe(rec)}`,
        'RecordIndicator',
        '100, 250, 550 or 900',
        describe(rec),
      );
  });
  return reads;
}

function read250(
  f: string[],
  line: number,
  fail: Fail,
  warn: Warn,
  sink: FailureSink,
  options: DecodeOptions,
): RegisterRead | undefined {
  const checks = recordChecks(fail, line, '250');
  const bad = checks.bad;
  const location = { line, record: '250' };
  if (f.length < FIELDS_250 - 1 || !trailingPadding(f, FIELDS_250, line, '250', warn)) {
    const message = `expected ${FIELDS_250} fields, found ${f.length}`;
    fail(line, '250', message, undefined, `${FIELDS_250} fields`, String(f.length));
    sink.drop(NEM13_DROP.invalid250, 1, { location, message });
    return undefined;
  }
  if (f.length === FIELDS_250 - 1) warnMissing(['MSATSLoadDateTime'], line, '250', warn);
  const [, nmi, config, registerId, suffix, stream, serial, direction] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const quantityText = f[18]!;
  const uomText = f[19]!;
  const next = f[20]!;
  const update = f[21]!;
  const msats = f[22] ?? '';
  if (!checkNmi(nmi, line, '250', warn)) bad('NMI', 'an NMI: 10 characters A-Z 0-9', describe(nmi));
  if (!SUFFIX_RE.test(suffix)) bad('NMISuffix', 'two letters or digits, e.g. 11', describe(suffix));
  if (direction !== 'E' && direction !== 'I') bad('DirectionIndicator', 'E or I', describe(direction));
  const uom = uomOf(uomText);
  // a register of energy (D 8) or a maximum demand (D 6)
  const obis = uom === undefined ? undefined : OBIS_C_OF_FAMILY[uom.family];
  if (obis === undefined)
    bad('UOM', 'an MDFF unit of energy or demand (kWh, Wh, MWh, kvarh, kVAh, kW, kVA, …)', describe(uomText));
  const previous = readValue(f, 8, 'Previous', line, bad, warn);
  const current = readValue(f, 13, 'Current', line, bad, warn);
  const quantity = parseDecimal(quantityText);
  if (Number.isNaN(quantity)) bad('Quantity', 'a decimal number', describe(quantityText));
  if (next !== '' && Number.isNaN(parseDate8(next)))
    bad('NextScheduledReadDate', 'YYYYMMDD or blank', describe(next));
  checkUpdateTimes(update, msats, line, '250', 'NEM13', warn, bad);
  if (checks.ok && current !== undefined && previous !== undefined && current.at < previous.at)
    bad('CurrentRegisterReadDateTime', `a time after the previous read (${f[9]})`, describe(f[14]));
  const meterId = `${nmi}${suffix}`;
  // a register read is one reading; the period it closes is what the drop names
  const period = previous !== undefined && current !== undefined ? { from: previous.at, to: current.at } : {};
  if (checks.ok && options.meterId !== undefined && options.meterId !== '' && options.meterId !== meterId) {
    sink.meterMismatch('NMI + NMISuffix', describe(meterId), { line, record: '250', field: 'NMI' });
    sink.drop(NEM13_DROP.meterMismatch, 1, {
      location,
      message: `NMI + NMISuffix ${meterId} is not the message key ${JSON.stringify(options.meterId)}`,
      meterId,
      ...period,
    });
    return undefined;
  }
  if (!checks.ok || previous === undefined || current === undefined || obis === undefined) {
    sink.drop(NEM13_DROP.invalid250, 1, { location, message: checks.first, meterId, ...period });
    return undefined;
  }
  const exp = uom!.exp;
  const prevRaw = parseDecimal(f[8]!);
  const curRaw = parseDecimal(f[13]!);
  // in the reads' own precision, so 7654.9 − 6342.8 is 1312.1, not 1312.0999999999995
  const decimals = Math.max(decimalsOf(f[8]!), decimalsOf(f[13]!));
  const derivedRaw = Number((curRaw - prevRaw).toFixed(decimals));
  const derived = toChannelUnit(derivedRaw, exp);
  if (!Number.isNaN(derivedRaw) && derivedRaw !== quantity)
    warn(
      line,
      '250',
      'Quantity',
      'NEM13_QUANTITY_DIFFERS',
      `Quantity ${quantityText} differs from CurrentRegisterRead − PreviousRegisterRead = ${derivedRaw}`,
      'Quantity as stated (a register rollover, a multiplier or a meter exchange explains a difference)',
    );
  const channel = channelIdOf(
    `1-0:${obis[direction === 'E' ? 0 : 1]}.${uom!.family.endsWith('_power') ? 6 : 8}.0`,
  )!;
  const details: Nem13Details = {
    nmi,
    nmiSuffix: suffix,
    nmiConfiguration: config,
    registerId,
    mdmDataStreamId: stream,
    meterSerial: serial,
    directionIndicator: direction,
    uom: uomText,
    nextScheduledReadDate: next,
    updateDateTime: update,
    msatsLoadDateTime: msats,
  };
  return {
    meterId,
    channel,
    unit: channelSpec(channel).unit,
    previous: { ...previous, value: toChannelUnit(previous.value, exp) },
    current: { ...current, value: toChannelUnit(current.value, exp) },
    quantity: toChannelUnit(quantity, exp),
    derived,
    line,
    nem13: details,
  };
}

function decimalsOf(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** RegisterRead, RegisterReadDateTime, QualityMethod, ReasonCode, ReasonDescription from index `at`. */
function readValue(
  f: string[],
  at: number,
  which: 'Previous' | 'Current',
  line: number,
  bad: (field: string, expected: string, found: string) => void,
  warn: Warn,
): RegisterReadValue | undefined {
  const [valueText, timeText, qmText, reasonText, desc] = f.slice(at, at + 5) as [
    string,
    string,
    string,
    string,
    string,
  ];
  let ok = true;
  const no = (field: string, expected: string, found: string): void => {
    ok = false;
    bad(`${which}${field}`, expected, found);
  };
  const value = parseDecimal(valueText);
  if (Number.isNaN(value)) no('RegisterRead', 'a decimal number', describe(valueText));
  const time = parseDateTime(timeText);
  if (!checkDateTime(timeText, 14, line, '250', `${which}RegisterReadDateTime`, warn))
    no('RegisterReadDateTime', 'YYYYMMDDhhmmss', describe(timeText));
  const q = readQuality(qmText, reasonText, desc, line, '250', `${which}QualityMethod`, warn);
  if ('field' in q) {
    ok = false;
    bad(q.field, q.expected, q.found);
  }
  if (!ok || 'field' in q) return undefined;
  return { value, at: time, flag: q.flag, method: q.method, reason: q.reason, description: desc };
}
