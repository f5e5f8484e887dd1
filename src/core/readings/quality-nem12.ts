/**
 * AEMO NEM12 quality at the edge: the QualityMethod field ('A', 'E52', 'S14', 'F17', 'N', 'V')
 * and the ReasonCode field, to and from smt's orthogonal quality (quality.ts).
 *
 * Sources: AEMO "Meter Data File Format Specification NEM12 & NEM13" (quality flags, reason codes,
 * appendices C and E/F) and "Metrology Procedure Part B" (method flags = substitution/estimation
 * types). The tables below were checked against two independent public implementations that
 * transcribe those documents (a Python MDFF constants module citing MDFF v2.6 and a Go `nem12`
 * package, plus a Ruby AEMO gem for the method flags); codes not found in them are left out.
 * See docs/time-and-quality.md for the mapping tables.
 */
import { InvalidDataError } from '../errors.js';
import {
  Method,
  Origin,
  packFields,
  type QualityCode,
  Reason,
  reasonLabel,
  ValidationState,
} from './quality.js';

export type Nem12QualityFlag = 'A' | 'E' | 'F' | 'N' | 'S' | 'V';

export const NEM12_QUALITY_FLAGS: Readonly<Record<Nem12QualityFlag, string>> = {
  A: 'Actual data',
  E: 'Forward estimated data (method flag required)',
  F: 'Final substituted data (method flag and reason code required)',
  N: 'Null data',
  S: 'Substituted data (method flag and reason code required)',
  V: 'Variable data (day-level flag of a 300 record: per-interval qualities follow in 400 records)',
};

/**
 * Which metering installation types a method flag belongs to. Interval meters (types 1-4) use
 * 11-25; type 5 (interval-capable, manually read) 51-59; type 6 (accumulation) 61-69; type 7
 * (unmetered) 71-75.
 */
export type Nem12MethodFamily = 'interval' | 'type5' | 'type6' | 'type7';

export interface Nem12MethodFlag {
  code: number;
  name: string;
  family: Nem12MethodFamily;
  method: Method;
  /** allowed on an 'E' (estimate) */
  estimate: boolean;
  /** allowed on an 'S' / 'F' (substitute) */
  substitute: boolean;
  /** obsolete in the current Metrology Procedure Part B (decoded, never produced) */
  obsolete?: boolean;
}

const flag = (
  code: number,
  name: string,
  family: Nem12MethodFamily,
  method: Method,
  kinds: 'EST' | 'SUB' | 'EST SUB',
  obsolete = false,
): Nem12MethodFlag => ({
  code,
  name,
  family,
  method,
  estimate: kinds.includes('EST'),
  substitute: kinds.includes('SUB'),
  ...(obsolete ? { obsolete } : {}),
});

/**
 * Method flags. For interval meters, Part B v7.8 split like-day methods into retrospective (14/15)
 * and prospective (20/22); both decode to the same smt method.
 */
export const NEM12_METHOD_FLAGS: readonly Nem12MethodFlag[] = [
  flag(11, 'Check', 'interval', Method.CheckMeter, 'SUB'),
  flag(12, 'Calculated', 'interval', Method.Calculated, 'SUB'),
  flag(13, 'SCADA', 'interval', Method.Scada, 'SUB'),
  flag(14, 'Retrospective Like Day', 'interval', Method.LikeDay, 'SUB'),
  flag(15, 'Retrospective Average Like Day', 'interval', Method.AverageLikeDay, 'SUB'),
  flag(16, 'Agreed', 'interval', Method.Agreed, 'SUB', true),
  flag(17, 'Linear', 'interval', Method.LinearInterpolation, 'SUB'),
  flag(18, 'Alternate', 'interval', Method.AlternateSource, 'SUB'),
  flag(19, 'Zero', 'interval', Method.Zero, 'SUB'),
  flag(20, 'Prospective Like Day', 'interval', Method.LikeDay, 'SUB'),
  flag(21, 'Five-minute No Historical Data', 'interval', Method.NoHistoricalData, 'SUB'),
  flag(22, 'Prospective Average Like Day', 'interval', Method.AverageLikeDay, 'SUB'),
  flag(23, 'Previous Year', 'interval', Method.PreviousYear, 'SUB'),
  flag(24, 'Data Scaling', 'interval', Method.DataScaling, 'SUB'),
  flag(25, 'ADL', 'interval', Method.AverageDailyLoad, 'SUB'),
  flag(51, 'Previous Year', 'type5', Method.PreviousYear, 'EST SUB'),
  flag(52, 'Previous Read', 'type5', Method.PreviousRead, 'EST SUB'),
  flag(53, 'Revision', 'type5', Method.Revision, 'SUB'),
  flag(54, 'Linear', 'type5', Method.LinearInterpolation, 'SUB'),
  flag(55, 'Agreed', 'type5', Method.Agreed, 'SUB'),
  flag(56, 'Prior to First Read - Agreed', 'type5', Method.Agreed, 'EST SUB'),
  flag(57, 'Customer Class', 'type5', Method.CustomerClass, 'EST SUB'),
  flag(58, 'Zero', 'type5', Method.Zero, 'EST SUB'),
  flag(59, 'Five-minute No Historical Data', 'type5', Method.NoHistoricalData, 'EST SUB'),
  flag(61, 'Previous Year', 'type6', Method.PreviousYear, 'EST SUB'),
  flag(62, 'Previous Read', 'type6', Method.PreviousRead, 'EST SUB'),
  flag(63, 'Customer Class', 'type6', Method.CustomerClass, 'EST SUB'),
  flag(64, 'Agreed', 'type6', Method.Agreed, 'SUB'),
  flag(65, 'ADL', 'type6', Method.AverageDailyLoad, 'EST'),
  flag(66, 'Revision', 'type6', Method.Revision, 'SUB'),
  flag(67, 'Customer Read', 'type6', Method.CustomerRead, 'SUB'),
  flag(68, 'Zero', 'type6', Method.Zero, 'EST SUB'),
  flag(69, 'Linear extrapolation', 'type6', Method.LinearExtrapolation, 'SUB'),
  flag(71, 'Recalculation', 'type7', Method.Calculated, 'SUB'),
  flag(72, 'Revised Table', 'type7', Method.Calculated, 'SUB'),
  flag(73, 'Revised Algorithm', 'type7', Method.Calculated, 'SUB'),
  flag(74, 'Agreed', 'type7', Method.Agreed, 'SUB'),
  flag(75, 'Existing Table', 'type7', Method.Calculated, 'EST'),
];

const METHOD_BY_CODE = new Map(NEM12_METHOD_FLAGS.map((f) => [f.code, f]));

/**
 * The code produced for (method, origin, family). Interval-meter method flags are substitution
 * types; an smt estimate of an interval meter is written 'E' with the same code, since NEM12
 * requires a method flag with E. The prospective like-day codes (20, 22) are decoded but not
 * produced: the sources do not say enough about when they apply.
 */
const EXPORT_CODE: Record<Nem12MethodFamily, Partial<Record<Method, { est?: number; sub?: number }>>> = {
  interval: {
    [Method.CheckMeter]: { sub: 11, est: 11 },
    [Method.Calculated]: { sub: 12, est: 12 },
    [Method.Scada]: { sub: 13, est: 13 },
    [Method.LikeDay]: { sub: 14, est: 14 },
    [Method.AverageLikeDay]: { sub: 15, est: 15 },
    [Method.LinearInterpolation]: { sub: 17, est: 17 },
    [Method.AlternateSource]: { sub: 18, est: 18 },
    [Method.Zero]: { sub: 19, est: 19 },
    [Method.NoHistoricalData]: { sub: 21, est: 21 },
    [Method.PreviousYear]: { sub: 23, est: 23 },
    [Method.DataScaling]: { sub: 24, est: 24 },
    [Method.AverageDailyLoad]: { sub: 25, est: 25 },
  },
  type5: {
    [Method.PreviousYear]: { sub: 51, est: 51 },
    [Method.PreviousRead]: { sub: 52, est: 52 },
    [Method.Revision]: { sub: 53 },
    [Method.LinearInterpolation]: { sub: 54 },
    [Method.Agreed]: { sub: 55, est: 56 },
    [Method.CustomerClass]: { sub: 57, est: 57 },
    [Method.Zero]: { sub: 58, est: 58 },
    [Method.NoHistoricalData]: { sub: 59, est: 59 },
  },
  type6: {
    [Method.PreviousYear]: { sub: 61, est: 61 },
    [Method.PreviousRead]: { sub: 62, est: 62 },
    [Method.CustomerClass]: { sub: 63, est: 63 },
    [Method.Agreed]: { sub: 64 },
    [Method.AverageDailyLoad]: { est: 65 },
    [Method.Revision]: { sub: 66 },
    [Method.CustomerRead]: { sub: 67 },
    [Method.Zero]: { sub: 68, est: 68 },
    [Method.LinearExtrapolation]: { sub: 69 },
  },
  type7: {
    [Method.Calculated]: { sub: 71, est: 75 },
    [Method.Agreed]: { sub: 74 },
  },
};

export interface Nem12ReasonCode {
  code: number;
  text: string;
  reason: Reason;
  /** listed as obsolete (historical data only) in the current specification */
  obsolete?: boolean;
}

const r = (code: number, text: string, reason: Reason, obsolete = false): Nem12ReasonCode => ({
  code,
  text,
  reason,
  ...(obsolete ? { obsolete } : {}),
});

/**
 * Reason codes of the MDFF specification (current and obsolete). Codes the sources do not list
 * (56, 57, 59, 63, 66, and the gaps 82..86 aside) are absent; an unlisted code decodes to
 * Reason.Other. 67 and 100-109 come from one source only (MDFF v2.6, 2024).
 */
export const NEM12_REASON_CODES: readonly Nem12ReasonCode[] = [
  r(0, 'Free text description', Reason.Other),
  r(1, 'Meter/equipment changed', Reason.MeterChanged),
  r(2, 'Extreme weather conditions', Reason.ExtremeWeather),
  r(3, 'Quarantined premises', Reason.NoAccess),
  r(4, 'Dangerous dog', Reason.NoAccess, true),
  r(5, 'Blank screen', Reason.DeviceFault),
  r(6, 'De-energised premises', Reason.DeEnergised),
  r(7, 'Unable to locate meter', Reason.NoAccess),
  r(8, 'Vacant premises', Reason.Other),
  r(9, 'Under investigation', Reason.UnderInvestigation),
  r(10, 'Lock damaged unable to open', Reason.NoAccess),
  r(11, 'In wrong route', Reason.NoAccess),
  r(12, 'Locked premises', Reason.NoAccess),
  r(13, 'Locked gate', Reason.NoAccess),
  r(14, 'Locked meter box', Reason.NoAccess),
  r(15, 'Overgrown vegetation', Reason.NoAccess),
  r(16, 'Noxious weeds', Reason.NoAccess, true),
  r(17, 'Unsafe equipment/location', Reason.NoAccess),
  r(18, 'Read less than previous', Reason.FailedValidation),
  r(19, 'Consumer wanted', Reason.Other, true),
  r(20, 'Damaged equipment/panel', Reason.DeviceFault),
  r(21, 'Main switch off', Reason.DeEnergised),
  r(22, 'Meter/equipment seals missing', Reason.Other),
  r(23, 'Reader error', Reason.DataCorrection),
  r(24, 'Substituted/replaced data (data correction)', Reason.DataCorrection),
  r(25, 'Unable to locate premises', Reason.NoAccess),
  r(26, 'Negative consumption (generation)', Reason.ReverseEnergy),
  r(27, 'RoLR', Reason.Other),
  r(28, 'CT/VT fault', Reason.DeviceFault),
  r(29, 'Relay faulty/damaged', Reason.DeviceFault),
  r(30, 'Meter stop switch on', Reason.Other, true),
  r(31, 'Not all meters read', Reason.NoDataReceived),
  r(32, 'Re-energised without readings', Reason.NoDataReceived),
  r(33, 'De-energised without readings', Reason.DeEnergised),
  r(34, 'Meter not in handheld', Reason.Other),
  r(35, 'Timeswitch faulty/reset required', Reason.DeviceFault),
  r(36, 'Meter high/ladder required', Reason.NoAccess),
  r(37, 'Meter under churn', Reason.NoDataReceived),
  r(38, 'Unmarried lock', Reason.NoAccess),
  r(39, 'Reverse energy observed', Reason.ReverseEnergy),
  r(40, 'Unrestrained livestock', Reason.NoAccess),
  r(41, 'Faulty meter display/dials', Reason.DeviceFault),
  r(42, 'Channel added/removed', Reason.ChannelChanged),
  r(43, 'Power outage', Reason.PowerOutage),
  r(44, 'Meter testing', Reason.MeterTesting),
  r(45, 'Readings failed to validate', Reason.FailedValidation),
  r(46, 'Extreme weather/hot', Reason.ExtremeWeather, true),
  r(47, 'Refused access', Reason.NoAccess),
  r(48, 'Dog on premises', Reason.NoAccess),
  r(49, 'Wet paint', Reason.NoAccess, true),
  r(50, 'Wrong tariff', Reason.Other, true),
  r(51, 'Installation demolished', Reason.Other),
  r(52, 'Access – blocked', Reason.NoAccess),
  r(53, 'Pests in meter box', Reason.NoAccess),
  r(54, 'Meter box damaged/faulty', Reason.DeviceFault),
  r(55, 'Dials obscured', Reason.NoAccess),
  r(58, 'Meter ok – supply failure', Reason.PowerOutage, true),
  r(60, 'Illegal connection', Reason.Tampering),
  r(61, 'Equipment tampered', Reason.Tampering),
  r(62, 'NSRD window expired', Reason.NoDataReceived),
  r(64, 'Key required', Reason.NoAccess),
  r(65, 'Wrong key provided', Reason.NoAccess),
  r(67, 'Transfer', Reason.Other),
  r(68, 'Zero consumption', Reason.ZeroConsumption),
  r(69, 'Reading exceeds substitute', Reason.RecalculatedFromActual),
  r(70, 'Probe reports tampering', Reason.Tampering, true),
  r(71, 'Probe read error', Reason.CommunicationFailure),
  r(72, 'Re-calculated based on actual metering data', Reason.RecalculatedFromActual),
  r(73, 'Low consumption', Reason.LowConsumption),
  r(74, 'High consumption', Reason.HighConsumption),
  r(75, 'Customer read', Reason.CustomerRead),
  r(76, 'Communications fault', Reason.CommunicationFailure),
  r(77, 'Estimation forecast', Reason.Forecast),
  r(78, 'Null data', Reason.NoDataReceived),
  r(79, 'Power outage alarm', Reason.PowerOutage),
  r(80, 'Short interval alarm', Reason.ClockAdjusted),
  r(81, 'Long interval alarm', Reason.ClockAdjusted),
  r(82, 'CRC error', Reason.DeviceFault, true),
  r(83, 'RAM checksum error', Reason.DeviceFault, true),
  r(84, 'ROM checksum error', Reason.DeviceFault, true),
  r(85, 'Data missing alarm', Reason.NoDataReceived, true),
  r(86, 'Clock error alarm', Reason.ClockInvalid, true),
  r(87, 'Reset occurred', Reason.MeterReset),
  r(88, 'Watchdog timeout alarm', Reason.DeviceFault, true),
  r(89, 'Time reset occurred', Reason.ClockAdjusted),
  r(90, 'Test mode', Reason.MeterTesting, true),
  r(91, 'Load control', Reason.Other, true),
  r(92, 'Added interval (data correction)', Reason.DataCorrection, true),
  r(93, 'Replaced interval (data correction)', Reason.DataCorrection, true),
  r(94, 'Estimated interval (data correction)', Reason.DataCorrection, true),
  r(95, 'Pulse overflow alarm', Reason.DeviceFault, true),
  r(96, 'Data out of limits', Reason.FailedValidation, true),
  r(97, 'Excluded data', Reason.Other, true),
  r(98, 'Parity error', Reason.CommunicationFailure, true),
  r(99, 'Energy type (register changed)', Reason.ChannelChanged, true),
  r(100, 'Incorrect meter multiplier', Reason.DataCorrection),
  r(101, 'Temporarily connection point unmetered', Reason.Other),
  r(102, 'Customer by-pass', Reason.Other),
  r(103, 'Network by-pass', Reason.Other),
  r(104, 'Transposed channel', Reason.DataCorrection),
  r(105, 'Transposed channel – UoM correction', Reason.DataCorrection),
  r(106, 'Transposed channel – reverse polarity', Reason.DataCorrection),
  r(107, 'Transposed meter', Reason.DataCorrection),
  r(108, 'Network by-pass extreme weather', Reason.Other),
  r(109, 'Defined load method', Reason.Other),
];

const REASON_BY_CODE = new Map(NEM12_REASON_CODES.map((c) => [c.code, c]));

/**
 * The NEM12 code written for each smt reason. Reasons with no specific NEM12 code are written as 0
 * (free text) with the reason's label as description, which NEM12 requires with code 0.
 */
const REASON_EXPORT: Record<Reason, number> = {
  [Reason.None]: -1,
  [Reason.CommunicationFailure]: 76,
  [Reason.PowerOutage]: 43,
  [Reason.NoDataReceived]: 78,
  [Reason.FailedValidation]: 45,
  [Reason.HighConsumption]: 74,
  [Reason.LowConsumption]: 73,
  [Reason.ZeroConsumption]: 68,
  [Reason.ReverseEnergy]: 39,
  [Reason.MeterChanged]: 1,
  [Reason.ChannelChanged]: 42,
  [Reason.MeterReset]: 87,
  [Reason.ClockAdjusted]: 89,
  [Reason.ClockInvalid]: 0,
  [Reason.DeviceFault]: 0,
  [Reason.DeviceReportedInvalid]: 0,
  [Reason.Tampering]: 61,
  [Reason.DeEnergised]: 6,
  [Reason.NoAccess]: 0,
  [Reason.CustomerRead]: 75,
  [Reason.DataCorrection]: 24,
  [Reason.RecalculatedFromActual]: 72,
  [Reason.Forecast]: 77,
  [Reason.MeterTesting]: 44,
  [Reason.ExtremeWeather]: 2,
  [Reason.UnderInvestigation]: 9,
  [Reason.OperatorDecision]: 0,
  [Reason.Other]: 0,
};

/** The smt reason of a NEM12 reason code; Reason.Other for unlisted codes. */
export function nem12ReasonToReason(code: number): Reason {
  return REASON_BY_CODE.get(code)?.reason ?? Reason.Other;
}

/** The NEM12 reason code written for an smt reason, or undefined for Reason.None. */
export function reasonToNem12(reason: Reason): number | undefined {
  const code = REASON_EXPORT[reason];
  return code === undefined || code < 0 ? undefined : code;
}

export function nem12ReasonText(code: number): string | undefined {
  return REASON_BY_CODE.get(code)?.text;
}

export function nem12MethodFlag(code: number): Nem12MethodFlag | undefined {
  return METHOD_BY_CODE.get(code);
}

/** One reading's quality as written in a NEM12 file. */
export interface Nem12Quality {
  /** QualityMethod: flag plus two-digit method code where one applies, e.g. 'A', 'S14', 'E52', 'N' */
  qualityMethod: string;
  reasonCode?: number;
  /** ReasonDescription; required with reason code 0 */
  reasonDescription?: string;
}

function invalid(message: string, hint: string): InvalidDataError {
  return new InvalidDataError(message, { code: 'INVALID_NEM12_QUALITY', hint });
}

const QM_RE = /^([AEFNSV])(\d{2})?$/;

/** Split a QualityMethod field into its flag and method code (undefined when absent). */
export function parseNem12QualityMethod(qualityMethod: string): {
  flag: Nem12QualityFlag;
  methodCode: number | undefined;
} {
  const m = QM_RE.exec(qualityMethod.trim());
  if (m === null) {
    throw invalid(
      `Not a NEM12 QualityMethod: '${qualityMethod}'.`,
      "Expected a quality flag A, E, F, N, S or V, followed by a two-digit method flag for E, F and S (e.g. 'S14').",
    );
  }
  return { flag: m[1] as Nem12QualityFlag, methodCode: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * smt quality of a NEM12 interval quality. The validation state is NotValidated: smt's own
 * validation has not looked at the value yet. 'V' is a day-level marker, not a reading quality:
 * resolve it with the 400 records first.
 */
export function fromNem12(q: Nem12Quality): QualityCode {
  const { flag: f, methodCode } = parseNem12QualityMethod(q.qualityMethod);
  const reason = q.reasonCode === undefined ? Reason.None : nem12ReasonToReason(q.reasonCode);
  const base = { state: ValidationState.NotValidated, reason, final: false };
  switch (f) {
    case 'A':
    case 'N':
      if (methodCode !== undefined) {
        throw invalid(
          `NEM12 quality '${q.qualityMethod}': flag ${f} takes no method flag.`,
          `Write '${f}' alone.`,
        );
      }
      return { ...base, origin: f === 'A' ? Origin.Actual : Origin.Missing, method: Method.None };
    case 'V':
      throw invalid(
        "NEM12 quality 'V' (variable) is a day-level marker, not the quality of a reading.",
        'Take each interval’s quality from the 400 records that follow the 300 record.',
      );
    default: {
      if (methodCode === undefined) {
        throw invalid(
          `NEM12 quality '${q.qualityMethod}': flag ${f} needs a method flag.`,
          `Write e.g. '${f}14'.`,
        );
      }
      const mf = METHOD_BY_CODE.get(methodCode);
      if (mf === undefined) {
        throw invalid(
          `NEM12 quality '${q.qualityMethod}': unknown method flag ${methodCode}.`,
          'Method flags are 11-25, 51-59, 61-69 or 71-75 (AEMO Metrology Procedure Part B).',
        );
      }
      return {
        ...base,
        origin: f === 'E' ? Origin.Estimated : Origin.Substituted,
        method: mf.method,
        final: f === 'F',
      };
    }
  }
}

/**
 * NEM12 quality of an smt quality. Calculated origin is written as a substitute (NEM12 has no
 * separate flag). Throws when the method has no code in the given family.
 */
export function toNem12(q: QualityCode, family: Nem12MethodFamily = 'interval'): Nem12Quality {
  const out: Nem12Quality = { qualityMethod: '' };
  let reasonCode = reasonToNem12(q.reason);
  switch (q.origin) {
    case Origin.Actual:
      out.qualityMethod = 'A';
      break;
    case Origin.Missing:
      out.qualityMethod = 'N';
      break;
    case Origin.Estimated:
    case Origin.Substituted:
    case Origin.Calculated: {
      const estimate = q.origin === Origin.Estimated;
      const codes = EXPORT_CODE[family][q.method];
      const code = estimate ? codes?.est : codes?.sub;
      if (code === undefined) {
        throw invalid(
          `No NEM12 ${family} method flag for ${estimate ? 'an estimate' : 'a substitute'} made by method ${Method[q.method] ?? q.method}.`,
          'Use a method NEM12 defines for this installation type, or export with another method family.',
        );
      }
      out.qualityMethod = `${estimate ? 'E' : q.final ? 'F' : 'S'}${code}`;
      // S and F require a reason code.
      if (!estimate && reasonCode === undefined) reasonCode = 0;
      break;
    }
    default:
      throw invalid(`Unknown origin ${String(q.origin)}.`, 'This is a bug in the caller: origins are 0..4.');
  }
  if (reasonCode !== undefined) {
    out.reasonCode = reasonCode;
    if (reasonCode === 0)
      out.reasonDescription = q.reason === Reason.None ? 'Reason not recorded' : reasonLabel(q.reason);
  }
  return out;
}

const CHAR_A = 65;
const CHAR_E = 69;
const CHAR_F = 70;
const CHAR_N = 78;
const CHAR_S = 83;

/**
 * Columnar form of `fromNem12` for decoders: the quality flag as a char code (65 'A', 69 'E',
 * 70 'F', 78 'N', 83 'S'), method code and reason code (-1 = none) straight to a packed quality.
 * Returns -1 instead of throwing when the combination is not valid NEM12 ('V', unknown method,
 * method missing or superfluous), so a decode loop can count failures without allocating.
 */
export function packFromNem12(flagCharCode: number, methodCode: number, reasonCode: number): number {
  const reason = reasonCode < 0 ? Reason.None : nem12ReasonToReason(reasonCode);
  if (flagCharCode === CHAR_A || flagCharCode === CHAR_N) {
    if (methodCode >= 0) return -1;
    return packFields(
      flagCharCode === CHAR_A ? Origin.Actual : Origin.Missing,
      ValidationState.NotValidated,
      Method.None,
      reason,
    );
  }
  if (flagCharCode !== CHAR_E && flagCharCode !== CHAR_S && flagCharCode !== CHAR_F) return -1;
  const mf = METHOD_BY_CODE.get(methodCode);
  if (mf === undefined) return -1;
  return packFields(
    flagCharCode === CHAR_E ? Origin.Estimated : Origin.Substituted,
    ValidationState.NotValidated,
    mf.method,
    reason,
    flagCharCode === CHAR_F,
  );
}
