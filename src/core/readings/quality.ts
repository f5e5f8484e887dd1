/**
 * Reading quality as orthogonal fields (DESIGN.md "Reading quality"). The numeric values are stored
 * in Cassandra, ClickHouse and PostgreSQL and travel in columnar worker results: never renumber,
 * only add. Mappings to industry vocabularies live beside this file:
 * quality-nem12.ts (AEMO NEM12), quality-espi.ts (Green Button / ESPI), quality-dlms.ts (DLMS/COSEM
 * AMR profile status).
 *
 * Missing is not zero: a missing reading has value NaN and origin `Missing`; it is never stored as
 * 0 with some other quality.
 */
export enum Origin {
  Actual = 0,
  Estimated = 1,
  Substituted = 2,
  Calculated = 3,
  /** no value exists for the interval (NEM12 'N' null data); the value is NaN */
  Missing = 4,
}

export enum ValidationState {
  NotValidated = 0,
  Passed = 1,
  Failed = 2,
  /** failed a rule but accepted by an operator or a rule configured to accept */
  Accepted = 3,
}

/** How an estimated, substituted or calculated value was produced. None for actual and missing. */
export enum Method {
  None = 0,
  /** between the readings before and after */
  LinearInterpolation = 1,
  /** profile of one similar day (e.g. same weekday last week); NEM12 "like day" */
  LikeDay = 2,
  /** average of several similar days */
  AverageLikeDay = 3,
  /** historical average daily load spread over the intervals */
  AverageDailyLoad = 4,
  /** same period of the previous year */
  PreviousYear = 5,
  /** from the previous (register) read */
  PreviousRead = 6,
  /** load profile of the customer class */
  CustomerClass = 7,
  /** zero, by agreement or known zero consumption */
  Zero = 8,
  /** a value agreed between the parties */
  Agreed = 9,
  /** edited by an operator */
  OperatorEdit = 10,
  /** from a check (backup) meter */
  CheckMeter = 11,
  /** computed from other channels or meters by a formula */
  Calculated = 12,
  /** from SCADA or other network measurements */
  Scada = 13,
  /** from an alternate data source (e.g. a second collection path) */
  AlternateSource = 14,
  /** from a reading supplied by the customer */
  CustomerRead = 15,
  /** a prior substitute revised once an actual read arrived */
  Revision = 16,
  /** a profile scaled to match an actual register read */
  DataScaling = 17,
  /** extrapolated from readings before the gap */
  LinearExtrapolation = 18,
  /** a projection of future consumption */
  Forecast = 19,
  /** derived from coarser historical data where no history at this resolution exists (NEM12 21/59) */
  NoHistoricalData = 20,
  /** adjusted for weather (ESPI 15) */
  WeatherNormalized = 21,
  Other = 63,
}

/** Why a value is not (or not only) an actual, validated reading. None when nothing to say. */
export enum Reason {
  None = 0,
  /** the head-end could not reach the meter (meter offline) */
  CommunicationFailure = 1,
  PowerOutage = 2,
  /** no data received for the interval, for no known reason */
  NoDataReceived = 3,
  /** failed a validation rule (the rule id is in the VEE result) */
  FailedValidation = 4,
  HighConsumption = 5,
  LowConsumption = 6,
  ZeroConsumption = 7,
  ReverseEnergy = 8,
  /** meter or metering equipment replaced */
  MeterChanged = 9,
  ChannelChanged = 10,
  MeterReset = 11,
  ClockAdjusted = 12,
  ClockInvalid = 13,
  DeviceFault = 14,
  /** the device flagged the value as not valid (DLMS DNV) */
  DeviceReportedInvalid = 15,
  Tampering = 16,
  DeEnergised = 17,
  /** a field read could not be taken (locked premises, dog, vegetation, refused access, …) */
  NoAccess = 18,
  CustomerRead = 19,
  /** erroneous data replaced (data correction) */
  DataCorrection = 20,
  /** prior substitutes recalculated once actual data arrived */
  RecalculatedFromActual = 21,
  Forecast = 22,
  MeterTesting = 23,
  ExtremeWeather = 24,
  UnderInvestigation = 25,
  /** an operator decided (see the note) */
  OperatorDecision = 26,
  Other = 63,
}

/** `supersedes` of a first version. */
export const NO_VERSION = 0;

/** The four coded quality fields plus the final flag: what `packQuality` stores in one integer. */
export interface QualityCode {
  origin: Origin;
  state: ValidationState;
  method: Method;
  reason: Reason;
  /** a substitute that will not be replaced by actual data (NEM12 'F' final substituted) */
  final: boolean;
}

/** The full quality of one stored reading version. */
export interface QualityRecord extends QualityCode {
  /** device status bits exactly as received (e.g. the DLMS AMR profile status byte); 0 = none */
  deviceStatus: number;
  /** when this version was written, UTC epoch ms; also identifies the version */
  writtenAt: number;
  /** `writtenAt` of the version this one replaces; NO_VERSION for the first */
  supersedes: number;
  /** free text: an operator's comment, or the description NEM12 requires with reason code 0 */
  note?: string;
}

// ---- packing ------------------------------------------------------------------------------------
//
// One non-negative 32-bit integer per reading (Int32Array / Uint32Array columns, Cassandra int,
// ClickHouse UInt32, PostgreSQL integer). 0 is "actual, not validated, no method, no reason",
// the quality of a freshly decoded reading.
//
//   bit  31..19  18     17..11   10..5    4..3    2..0
//        reserved final  reason   method   state   origin
//        (0)      1 bit  7 bits   6 bits   2 bits  3 bits

const ORIGIN_SHIFT = 0;
const ORIGIN_MASK = 0b111;
const STATE_SHIFT = 3;
const STATE_MASK = 0b11;
const METHOD_SHIFT = 5;
const METHOD_MASK = 0b11_1111;
const REASON_SHIFT = 11;
const REASON_MASK = 0b111_1111;
const FINAL_BIT = 1 << 18;
/** every bit a valid packed quality may use */
export const PACKED_QUALITY_BITS =
  FINAL_BIT |
  (REASON_MASK << REASON_SHIFT) |
  (METHOD_MASK << METHOD_SHIFT) |
  (STATE_MASK << STATE_SHIFT) |
  ORIGIN_MASK;

/** Packed quality of a freshly received actual reading. */
export const PACKED_ACTUAL = 0;

function checkField(name: string, value: number, mask: number): void {
  if (!Number.isInteger(value) || value < 0 || value > mask) {
    throw new RangeError(`${name} ${value} does not fit the packed quality (0..${mask})`);
  }
}

/** Pack origin, state, method, reason and the final flag into one integer (layout above). */
export function packFields(
  origin: Origin,
  state: ValidationState,
  method: Method,
  reason: Reason,
  final = false,
): number {
  checkField('origin', origin, ORIGIN_MASK);
  checkField('validation state', state, STATE_MASK);
  checkField('method', method, METHOD_MASK);
  checkField('reason', reason, REASON_MASK);
  return (
    ((reason << REASON_SHIFT) |
      (method << METHOD_SHIFT) |
      (state << STATE_SHIFT) |
      (origin << ORIGIN_SHIFT) |
      (final ? FINAL_BIT : 0)) >>>
    0
  );
}

export function packQuality(q: QualityCode): number {
  return packFields(q.origin, q.state, q.method, q.reason, q.final);
}

export function unpackQuality(packed: number): QualityCode {
  return {
    origin: originOf(packed),
    state: stateOf(packed),
    method: methodOf(packed),
    reason: reasonOf(packed),
    final: isFinal(packed),
  };
}

/** True for integers that use only the documented bits. Values read from storage should pass this. */
export function isValidPacked(packed: number): boolean {
  return Number.isInteger(packed) && packed >= 0 && (packed & ~PACKED_QUALITY_BITS) === 0;
}

// Single-field accessors: cheap enough for per-reading loops over a packed column.
export function originOf(packed: number): Origin {
  return (packed >>> ORIGIN_SHIFT) & ORIGIN_MASK;
}
export function stateOf(packed: number): ValidationState {
  return (packed >>> STATE_SHIFT) & STATE_MASK;
}
export function methodOf(packed: number): Method {
  return (packed >>> METHOD_SHIFT) & METHOD_MASK;
}
export function reasonOf(packed: number): Reason {
  return (packed >>> REASON_SHIFT) & REASON_MASK;
}
export function isFinal(packed: number): boolean {
  return (packed & FINAL_BIT) !== 0;
}

/** The same packed quality with another validation state (what a VEE pass writes). */
export function withState(packed: number, state: ValidationState): number {
  checkField('validation state', state, STATE_MASK);
  return ((packed & ~(STATE_MASK << STATE_SHIFT)) | (state << STATE_SHIFT)) >>> 0;
}

/** The same packed quality with another reason. */
export function withReason(packed: number, reason: Reason): number {
  checkField('reason', reason, REASON_MASK);
  return ((packed & ~(REASON_MASK << REASON_SHIFT)) | (reason << REASON_SHIFT)) >>> 0;
}

// ---- missing --------------------------------------------------------------------------------------

/** Packed quality of a missing reading: no value, origin Missing, with why if known. */
export function packedMissing(reason: Reason = Reason.NoDataReceived): number {
  return packFields(Origin.Missing, ValidationState.NotValidated, Method.None, reason);
}

/** A reading is missing when it has no value or its quality says so; 0 is a value. */
export function isMissing(value: number, packed: number): boolean {
  return Number.isNaN(value) || originOf(packed) === Origin.Missing;
}

/**
 * Why a value/quality pair is inconsistent, or null when it is fine: a missing reading must have
 * no value (NaN, never 0) and a value must not be marked missing; estimates name their method.
 */
export function valueQualityProblem(value: number, packed: number): string | null {
  if (!isValidPacked(packed)) return `packed quality ${packed} uses undefined bits`;
  const origin = originOf(packed);
  if (origin > Origin.Missing) return `unknown origin ${origin}`;
  if (origin === Origin.Missing) {
    if (!Number.isNaN(value)) return `a missing reading must have no value (NaN), got ${value}`;
    if (methodOf(packed) !== Method.None) return 'a missing reading has no estimation method';
    return null;
  }
  if (Number.isNaN(value))
    return `a ${Origin[origin]?.toLowerCase()} reading has no value; mark it Missing instead`;
  if (origin === Origin.Actual && methodOf(packed) !== Method.None)
    return 'an actual reading has no estimation method';
  if ((origin === Origin.Estimated || origin === Origin.Substituted) && methodOf(packed) === Method.None) {
    return `a ${Origin[origin]?.toLowerCase()} reading must name its method`;
  }
  if (isFinal(packed) && origin !== Origin.Substituted) return 'only a substituted reading can be final';
  return null;
}

// ---- labels ---------------------------------------------------------------------------------------

const METHOD_LABEL: Record<Method, string> = {
  [Method.None]: 'none',
  [Method.LinearInterpolation]: 'linear interpolation',
  [Method.LikeDay]: 'like day',
  [Method.AverageLikeDay]: 'average like day',
  [Method.AverageDailyLoad]: 'average daily load',
  [Method.PreviousYear]: 'previous year',
  [Method.PreviousRead]: 'previous read',
  [Method.CustomerClass]: 'customer class profile',
  [Method.Zero]: 'zero',
  [Method.Agreed]: 'agreed value',
  [Method.OperatorEdit]: 'operator edit',
  [Method.CheckMeter]: 'check meter',
  [Method.Calculated]: 'calculated',
  [Method.Scada]: 'SCADA',
  [Method.AlternateSource]: 'alternate source',
  [Method.CustomerRead]: 'customer read',
  [Method.Revision]: 'revision',
  [Method.DataScaling]: 'data scaling',
  [Method.LinearExtrapolation]: 'linear extrapolation',
  [Method.Forecast]: 'forecast',
  [Method.NoHistoricalData]: 'no historical data at this resolution',
  [Method.WeatherNormalized]: 'weather normalised',
  [Method.Other]: 'other',
};

const REASON_LABEL: Record<Reason, string> = {
  [Reason.None]: 'none',
  [Reason.CommunicationFailure]: 'communication failure',
  [Reason.PowerOutage]: 'power outage',
  [Reason.NoDataReceived]: 'no data received',
  [Reason.FailedValidation]: 'failed validation',
  [Reason.HighConsumption]: 'high consumption',
  [Reason.LowConsumption]: 'low consumption',
  [Reason.ZeroConsumption]: 'zero consumption',
  [Reason.ReverseEnergy]: 'reverse energy',
  [Reason.MeterChanged]: 'meter changed',
  [Reason.ChannelChanged]: 'channel added or removed',
  [Reason.MeterReset]: 'meter reset',
  [Reason.ClockAdjusted]: 'clock adjusted',
  [Reason.ClockInvalid]: 'clock invalid',
  [Reason.DeviceFault]: 'device fault',
  [Reason.DeviceReportedInvalid]: 'device reported data not valid',
  [Reason.Tampering]: 'tampering',
  [Reason.DeEnergised]: 'de-energised',
  [Reason.NoAccess]: 'no access to the metering installation',
  [Reason.CustomerRead]: 'customer read',
  [Reason.DataCorrection]: 'data correction',
  [Reason.RecalculatedFromActual]: 'recalculated from actual data',
  [Reason.Forecast]: 'forecast',
  [Reason.MeterTesting]: 'meter testing',
  [Reason.ExtremeWeather]: 'extreme weather',
  [Reason.UnderInvestigation]: 'under investigation',
  [Reason.OperatorDecision]: 'operator decision',
  [Reason.Other]: 'other',
};

export function methodLabel(method: Method): string {
  return METHOD_LABEL[method] ?? `method ${method}`;
}

export function reasonLabel(reason: Reason): string {
  return REASON_LABEL[reason] ?? `reason ${reason}`;
}

/** One line for people, e.g. "substituted (linear interpolation; communication failure), passed". */
export function describeQuality(packed: number): string {
  const q = unpackQuality(packed);
  const origin = (Origin[q.origin] ?? `origin ${q.origin}`).toLowerCase();
  const details = [
    q.method === Method.None ? undefined : methodLabel(q.method),
    q.reason === Reason.None ? undefined : reasonLabel(q.reason),
  ].filter((s): s is string => s !== undefined);
  const state = (ValidationState[q.state] ?? `state ${q.state}`)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `${q.final ? 'final ' : ''}${origin}${details.length > 0 ? ` (${details.join('; ')})` : ''}, ${state}`;
}
