/**
 * Green Button / NAESB ESPI QualityOfReading codes at the edge (IntervalReading ReadingQuality).
 * Code list as published in the ESPI schema (espi:QualityOfReading, UInt8): 0 valid, 7 manually
 * edited, 8 estimated using reference day, 9 estimated using linear interpolation, 10 questionable,
 * 11 derived, 12 projected (forecast), 13 mixed, 14 raw, 15 normalized for weather, 16 other,
 * 17 validated, 18 verified, 19 revenue-quality. Checked against the generated ESPI schema classes
 * and two ESPI parsers (see docs/time-and-quality.md).
 *
 * ESPI has one code per reading where smt has orthogonal fields, so both directions are lossy;
 * `toEspi(fromEspi(c)) === c` holds for the codes in ESPI_CANONICAL_CODES.
 */
import { Method, Origin, type QualityCode, Reason, ValidationState } from './quality.js';

export enum EspiQuality {
  Valid = 0,
  ManuallyEdited = 7,
  EstimatedReferenceDay = 8,
  EstimatedLinearInterpolation = 9,
  Questionable = 10,
  Derived = 11,
  Projected = 12,
  Mixed = 13,
  Raw = 14,
  NormalizedForWeather = 15,
  Other = 16,
  Validated = 17,
  Verified = 18,
  RevenueQuality = 19,
}

export const ESPI_QUALITY_LABEL: Readonly<Record<EspiQuality, string>> = {
  [EspiQuality.Valid]: 'valid',
  [EspiQuality.ManuallyEdited]: 'manually edited',
  [EspiQuality.EstimatedReferenceDay]: 'estimated using reference day',
  [EspiQuality.EstimatedLinearInterpolation]: 'estimated using linear interpolation',
  [EspiQuality.Questionable]: 'questionable',
  [EspiQuality.Derived]: 'derived',
  [EspiQuality.Projected]: 'projected (forecast)',
  [EspiQuality.Mixed]: 'mixed',
  [EspiQuality.Raw]: 'raw',
  [EspiQuality.NormalizedForWeather]: 'normalized for weather',
  [EspiQuality.Other]: 'other',
  [EspiQuality.Validated]: 'validated',
  [EspiQuality.Verified]: 'verified',
  [EspiQuality.RevenueQuality]: 'revenue-quality',
};

/** Codes that survive ESPI → smt → ESPI unchanged (17 and 19 come back as 0 valid). */
export const ESPI_CANONICAL_CODES: readonly EspiQuality[] = [0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18];

export function isEspiQuality(code: number): code is EspiQuality {
  return ESPI_QUALITY_LABEL[code as EspiQuality] !== undefined;
}

const q = (origin: Origin, state: ValidationState, method: Method = Method.None): QualityCode => ({
  origin,
  state,
  method,
  reason: Reason.None,
  final: false,
});

/** smt quality of an ESPI code; undefined for codes outside the published list. */
export function fromEspi(code: number): QualityCode | undefined {
  switch (code) {
    case EspiQuality.Valid:
    case EspiQuality.Validated:
    case EspiQuality.RevenueQuality:
      return q(Origin.Actual, ValidationState.Passed);
    case EspiQuality.ManuallyEdited:
      return q(Origin.Substituted, ValidationState.NotValidated, Method.OperatorEdit);
    case EspiQuality.EstimatedReferenceDay:
      return q(Origin.Estimated, ValidationState.NotValidated, Method.LikeDay);
    case EspiQuality.EstimatedLinearInterpolation:
      return q(Origin.Estimated, ValidationState.NotValidated, Method.LinearInterpolation);
    case EspiQuality.Questionable:
      return q(Origin.Actual, ValidationState.Failed);
    case EspiQuality.Derived:
      return q(Origin.Calculated, ValidationState.NotValidated, Method.Calculated);
    case EspiQuality.Projected:
      return q(Origin.Estimated, ValidationState.NotValidated, Method.Forecast);
    case EspiQuality.Mixed:
      // an aggregate over readings of mixed quality
      return q(Origin.Calculated, ValidationState.NotValidated, Method.Other);
    case EspiQuality.Raw:
      return q(Origin.Actual, ValidationState.NotValidated);
    case EspiQuality.NormalizedForWeather:
      return q(Origin.Calculated, ValidationState.NotValidated, Method.WeatherNormalized);
    case EspiQuality.Other:
      return q(Origin.Estimated, ValidationState.NotValidated, Method.Other);
    case EspiQuality.Verified:
      return q(Origin.Actual, ValidationState.Accepted);
    default:
      return undefined;
  }
}

/**
 * ESPI code of an smt quality, or undefined for a missing reading: ESPI has no null value, so a
 * missing interval is left out of the feed rather than sent as 0.
 */
export function toEspi(code: QualityCode): EspiQuality | undefined {
  switch (code.origin) {
    case Origin.Missing:
      return undefined;
    case Origin.Actual:
      switch (code.state) {
        case ValidationState.Passed:
          return EspiQuality.Valid;
        case ValidationState.Failed:
          return EspiQuality.Questionable;
        case ValidationState.Accepted:
          return EspiQuality.Verified;
        default:
          return EspiQuality.Raw;
      }
    case Origin.Calculated:
      if (code.method === Method.WeatherNormalized) return EspiQuality.NormalizedForWeather;
      if (code.method === Method.Other) return EspiQuality.Mixed;
      return EspiQuality.Derived;
    default:
      // Estimated or substituted: the method decides.
      switch (code.method) {
        case Method.LinearInterpolation:
          return EspiQuality.EstimatedLinearInterpolation;
        case Method.LikeDay:
        case Method.AverageLikeDay:
        case Method.AverageDailyLoad:
        case Method.PreviousYear:
        case Method.CustomerClass:
        case Method.NoHistoricalData:
          // "replaced by a machine computed value based on analysis of historical data"
          return EspiQuality.EstimatedReferenceDay;
        case Method.OperatorEdit:
        case Method.Agreed:
        case Method.CustomerRead:
          // "replaced or approved by a human"
          return EspiQuality.ManuallyEdited;
        case Method.Forecast:
          return EspiQuality.Projected;
        case Method.Calculated:
        case Method.CheckMeter:
        case Method.Scada:
        case Method.AlternateSource:
        case Method.DataScaling:
        case Method.Revision:
        case Method.LinearExtrapolation:
        case Method.PreviousRead:
          return EspiQuality.Derived;
        case Method.WeatherNormalized:
          return EspiQuality.NormalizedForWeather;
        default:
          return EspiQuality.Other;
      }
  }
}
