import { describe, expect, it } from 'vitest';
import {
  describeQuality,
  isFinal,
  isMissing,
  isValidPacked,
  Method,
  methodOf,
  Origin,
  originOf,
  PACKED_ACTUAL,
  packedMissing,
  packFields,
  packQuality,
  type QualityCode,
  Reason,
  reasonOf,
  stateOf,
  unpackQuality,
  ValidationState,
  valueQualityProblem,
  withReason,
  withState,
} from '../../src/core/readings/quality.js';
import {
  DlmsAmrStatus,
  dlmsStatusToFlags,
  dlmsValueSuspect,
  flagsToDlmsStatus,
  reasonFromDlmsStatus,
} from '../../src/core/readings/quality-dlms.js';
import { ESPI_CANONICAL_CODES, EspiQuality, fromEspi, toEspi } from '../../src/core/readings/quality-espi.js';
import {
  fromNem12,
  NEM12_METHOD_FLAGS,
  NEM12_REASON_CODES,
  type Nem12MethodFamily,
  nem12ReasonText,
  nem12ReasonToReason,
  packFromNem12,
  reasonToNem12,
  toNem12,
} from '../../src/core/readings/quality-nem12.js';

const enumValues = <T extends number>(e: Record<string, string | number>): T[] =>
  Object.values(e).filter((v): v is T => typeof v === 'number') as T[];

const ORIGINS = enumValues<Origin>(Origin);
const STATES = enumValues<ValidationState>(ValidationState);
const METHODS = enumValues<Method>(Method);
const REASONS = enumValues<Reason>(Reason);

describe('stored numbers are frozen', () => {
  it('keeps the numbers of the first release', () => {
    expect([Origin.Actual, Origin.Estimated, Origin.Substituted, Origin.Calculated, Origin.Missing]).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect([
      ValidationState.NotValidated,
      ValidationState.Passed,
      ValidationState.Failed,
      ValidationState.Accepted,
    ]).toEqual([0, 1, 2, 3]);
    expect([
      Method.None,
      Method.LinearInterpolation,
      Method.LikeDay,
      Method.OperatorEdit,
      Method.Other,
    ]).toEqual([0, 1, 2, 10, 63]);
    expect([
      Reason.None,
      Reason.CommunicationFailure,
      Reason.FailedValidation,
      Reason.MeterChanged,
      Reason.Other,
    ]).toEqual([0, 1, 4, 9, 63]);
  });
});

describe('packing', () => {
  it('follows the documented bit layout', () => {
    // origin bits 0-2, state 3-4, method 5-10, reason 11-17, final 18
    expect(
      packFields(
        Origin.Substituted,
        ValidationState.Passed,
        Method.LinearInterpolation,
        Reason.CommunicationFailure,
      ),
    ).toBe(2 + (1 << 3) + (1 << 5) + (1 << 11));
    expect(packFields(Origin.Substituted, ValidationState.NotValidated, Method.None, Reason.None, true)).toBe(
      2 + (1 << 18),
    );
    expect(packFields(Origin.Missing, ValidationState.Accepted, Method.Other, Reason.Other)).toBe(
      4 + (3 << 3) + (63 << 5) + (63 << 11),
    );
    expect(PACKED_ACTUAL).toBe(0);
    expect(unpackQuality(0)).toEqual({
      origin: Origin.Actual,
      state: ValidationState.NotValidated,
      method: Method.None,
      reason: Reason.None,
      final: false,
    });
  });

  it('round-trips every combination of defined values, each to a distinct integer', () => {
    const seen = new Set<number>();
    let n = 0;
    for (const origin of ORIGINS)
      for (const state of STATES)
        for (const method of METHODS)
          for (const reason of REASONS)
            for (const final of [false, true]) {
              const q: QualityCode = { origin, state, method, reason, final };
              const p = packQuality(q);
              if (!isValidPacked(p) || p > 0x7fff_ffff) expect.fail(`bad packed ${p}`);
              const back = unpackQuality(p);
              if (
                back.origin !== origin ||
                back.state !== state ||
                back.method !== method ||
                back.reason !== reason ||
                back.final !== final
              ) {
                expect.fail(`round trip of ${JSON.stringify(q)} gave ${JSON.stringify(back)}`);
              }
              seen.add(p);
              n++;
            }
    expect(n).toBe(ORIGINS.length * STATES.length * METHODS.length * REASONS.length * 2);
    expect(seen.size).toBe(n);
  });

  it('round-trips the whole field space (every value each field can hold)', () => {
    for (let origin = 0; origin < 8; origin++)
      for (let state = 0; state < 4; state++)
        for (let method = 0; method < 64; method++)
          for (let reason = 0; reason < 128; reason++) {
            const p = packFields(origin, state, method, reason, (reason & 1) === 1);
            if (
              originOf(p) !== origin ||
              stateOf(p) !== state ||
              methodOf(p) !== method ||
              reasonOf(p) !== reason ||
              isFinal(p) !== ((reason & 1) === 1)
            ) {
              expect.fail(`field space round trip failed at ${origin}/${state}/${method}/${reason}`);
            }
          }
  });

  it('rejects values that do not fit and integers with undefined bits', () => {
    expect(() => packFields(8 as Origin, 0, 0, 0)).toThrow(RangeError);
    expect(() => packFields(0, 4 as ValidationState, 0, 0)).toThrow(RangeError);
    expect(() => packFields(0, 0, 64 as Method, 0)).toThrow(RangeError);
    expect(() => packFields(0, 0, 0, 128 as Reason)).toThrow(RangeError);
    expect(() => packFields(0, 0, -1 as Method, 0)).toThrow(RangeError);
    expect(isValidPacked(1 << 19)).toBe(false);
    expect(isValidPacked(-1)).toBe(false);
    expect(isValidPacked(1.5)).toBe(false);
  });

  it('changes one field at a time', () => {
    const p = packFields(
      Origin.Estimated,
      ValidationState.NotValidated,
      Method.LikeDay,
      Reason.CommunicationFailure,
      false,
    );
    const passed = withState(p, ValidationState.Passed);
    expect(unpackQuality(passed)).toEqual({ ...unpackQuality(p), state: ValidationState.Passed });
    const failed = withReason(withState(passed, ValidationState.Failed), Reason.HighConsumption);
    expect(unpackQuality(failed)).toEqual({
      ...unpackQuality(p),
      state: ValidationState.Failed,
      reason: Reason.HighConsumption,
    });
  });
});

describe('missing is not zero', () => {
  it('a missing reading has no value and says so', () => {
    const missing = packedMissing(Reason.CommunicationFailure);
    expect(originOf(missing)).toBe(Origin.Missing);
    expect(reasonOf(missing)).toBe(Reason.CommunicationFailure);
    expect(isMissing(Number.NaN, missing)).toBe(true);
    expect(isMissing(0, PACKED_ACTUAL)).toBe(false);
    expect(valueQualityProblem(Number.NaN, missing)).toBeNull();
    expect(valueQualityProblem(0, missing)).toMatch(/no value/);
    expect(valueQualityProblem(Number.NaN, PACKED_ACTUAL)).toMatch(/Missing/);
    expect(valueQualityProblem(0, PACKED_ACTUAL)).toBeNull();
  });

  it('flags other inconsistent pairs', () => {
    expect(valueQualityProblem(1, packFields(Origin.Estimated, 0, Method.None, 0))).toMatch(/method/);
    expect(valueQualityProblem(1, packFields(Origin.Actual, 0, Method.LikeDay, 0))).toMatch(/method/);
    expect(valueQualityProblem(1, packFields(Origin.Estimated, 0, Method.LikeDay, 0, true))).toMatch(/final/);
    expect(valueQualityProblem(1, packFields(5 as Origin, 0, 0, 0))).toMatch(/origin/);
    expect(
      valueQualityProblem(
        1,
        packFields(Origin.Substituted, 1, Method.LinearInterpolation, Reason.CommunicationFailure, true),
      ),
    ).toBeNull();
  });

  it('NEM12 null data is a missing reading', () => {
    expect(fromNem12({ qualityMethod: 'N', reasonCode: 78 })).toMatchObject({
      origin: Origin.Missing,
      method: Method.None,
      reason: Reason.NoDataReceived,
    });
    expect(toNem12(unpackQuality(packedMissing()))).toEqual({ qualityMethod: 'N', reasonCode: 78 });
  });
});

describe('describeQuality', () => {
  it('reads as a sentence', () => {
    expect(
      describeQuality(
        packFields(
          Origin.Substituted,
          ValidationState.Passed,
          Method.LinearInterpolation,
          Reason.CommunicationFailure,
        ),
      ),
    ).toBe('substituted (linear interpolation; communication failure), passed');
    expect(describeQuality(PACKED_ACTUAL)).toBe('actual, not validated');
    expect(describeQuality(packFields(Origin.Substituted, 0, Method.Zero, Reason.DeEnergised, true))).toBe(
      'final substituted (zero; de-energised), not validated',
    );
  });
});

describe('NEM12', () => {
  it('decodes examples', () => {
    const base = { state: ValidationState.NotValidated, final: false };
    expect(fromNem12({ qualityMethod: 'A' })).toEqual({
      ...base,
      origin: Origin.Actual,
      method: Method.None,
      reason: Reason.None,
    });
    expect(fromNem12({ qualityMethod: 'S14', reasonCode: 76 })).toEqual({
      ...base,
      origin: Origin.Substituted,
      method: Method.LikeDay,
      reason: Reason.CommunicationFailure,
    });
    expect(fromNem12({ qualityMethod: 'F17', reasonCode: 24 })).toEqual({
      ...base,
      origin: Origin.Substituted,
      method: Method.LinearInterpolation,
      reason: Reason.DataCorrection,
      final: true,
    });
    expect(fromNem12({ qualityMethod: 'E52' })).toEqual({
      ...base,
      origin: Origin.Estimated,
      method: Method.PreviousRead,
      reason: Reason.None,
    });
    expect(fromNem12({ qualityMethod: 'S20', reasonCode: 1 })).toMatchObject({
      method: Method.LikeDay,
      reason: Reason.MeterChanged,
    });
    expect(fromNem12({ qualityMethod: 'S12', reasonCode: 12 })).toMatchObject({
      method: Method.Calculated,
      reason: Reason.NoAccess,
    });
  });

  it('rejects what is not a reading quality', () => {
    for (const qm of ['V', 'S', 'E', 'A14', 'N78', 'S99', 'S30', 'X', 'S1', 's14', '']) {
      expect(() => fromNem12({ qualityMethod: qm }), qm).toThrow(
        expect.objectContaining({ code: 'INVALID_NEM12_QUALITY' }),
      );
    }
  });

  it('encodes examples', () => {
    const q = (origin: Origin, method: Method, reason: Reason, final = false): QualityCode => ({
      origin,
      state: ValidationState.Passed,
      method,
      reason,
      final,
    });
    expect(toNem12(q(Origin.Actual, Method.None, Reason.None))).toEqual({ qualityMethod: 'A' });
    expect(toNem12(q(Origin.Substituted, Method.LinearInterpolation, Reason.CommunicationFailure))).toEqual({
      qualityMethod: 'S17',
      reasonCode: 76,
    });
    expect(
      toNem12(q(Origin.Substituted, Method.LinearInterpolation, Reason.CommunicationFailure, true)),
    ).toEqual({ qualityMethod: 'F17', reasonCode: 76 });
    expect(toNem12(q(Origin.Estimated, Method.PreviousYear, Reason.None), 'type5')).toEqual({
      qualityMethod: 'E51',
    });
    expect(toNem12(q(Origin.Calculated, Method.Calculated, Reason.None))).toEqual({
      qualityMethod: 'S12',
      reasonCode: 0,
      reasonDescription: 'Reason not recorded',
    });
    expect(toNem12(q(Origin.Substituted, Method.LikeDay, Reason.NoAccess))).toEqual({
      qualityMethod: 'S14',
      reasonCode: 0,
      reasonDescription: 'no access to the metering installation',
    });
    expect(() => toNem12(q(Origin.Substituted, Method.OperatorEdit, Reason.DataCorrection))).toThrow(
      /No NEM12 interval method flag/,
    );
    expect(() => toNem12(q(Origin.Substituted, Method.PreviousRead, Reason.None), 'interval')).toThrow();
  });

  it('round-trips smt → NEM12 → smt for everything NEM12 can express', () => {
    const families: Nem12MethodFamily[] = ['interval', 'type5', 'type6', 'type7'];
    let checked = 0;
    for (const family of families)
      for (const origin of [Origin.Actual, Origin.Missing, Origin.Estimated, Origin.Substituted])
        for (const method of METHODS)
          for (const reason of REASONS)
            for (const final of [false, true]) {
              const hasMethod = origin === Origin.Estimated || origin === Origin.Substituted;
              if (hasMethod === (method === Method.None)) continue;
              if (final && origin !== Origin.Substituted) continue;
              const q: QualityCode = { origin, state: ValidationState.NotValidated, method, reason, final };
              let out: ReturnType<typeof toNem12>;
              try {
                out = toNem12(q, family);
              } catch {
                continue; // no method flag for this method in this family
              }
              const back = fromNem12(out);
              // reasons without a NEM12 code travel as 0 (free text) and come back as Other;
              // a substitute always carries a reason code, so None comes back as Other too
              const code = reasonToNem12(reason);
              const expected =
                code === 0 || (code === undefined && origin === Origin.Substituted) ? Reason.Other : reason;
              expect(back, JSON.stringify(out)).toEqual({ ...q, reason: expected });
              checked++;
            }
    expect(checked).toBeGreaterThan(2000);
  });

  it('round-trips NEM12 → smt → NEM12 for the method flags smt writes', () => {
    const written: Record<Nem12MethodFamily, number[]> = {
      interval: [11, 12, 13, 14, 15, 17, 18, 19, 21, 23, 24, 25],
      type5: [51, 52, 53, 54, 55, 57, 58, 59],
      type6: [61, 62, 63, 64, 66, 67, 68, 69],
      type7: [71, 74],
    };
    for (const [family, codes] of Object.entries(written) as [Nem12MethodFamily, number[]][]) {
      for (const code of codes) {
        for (const f of ['S', 'F']) {
          const qm = `${f}${code}`;
          expect(toNem12(fromNem12({ qualityMethod: qm, reasonCode: 76 }), family), qm).toEqual({
            qualityMethod: qm,
            reasonCode: 76,
          });
        }
      }
    }
    // estimate-only codes
    expect(toNem12(fromNem12({ qualityMethod: 'E65' }), 'type6')).toEqual({ qualityMethod: 'E65' });
    expect(toNem12(fromNem12({ qualityMethod: 'E56' }), 'type5')).toEqual({ qualityMethod: 'E56' });
    expect(toNem12(fromNem12({ qualityMethod: 'E75' }), 'type7')).toEqual({ qualityMethod: 'E75' });
  });

  it('decodes every listed method flag, each to a defined method', () => {
    expect(NEM12_METHOD_FLAGS.length).toBe(15 + 9 + 9 + 5);
    for (const f of NEM12_METHOD_FLAGS) {
      const q = fromNem12({ qualityMethod: `S${f.code}`, reasonCode: 0 });
      expect(METHODS).toContain(q.method);
      expect(q.method).not.toBe(Method.None);
    }
  });

  it('reason codes: the published texts, and round trips through smt reasons', () => {
    // spot checks against the MDFF reason code table
    expect(nem12ReasonText(0)).toBe('Free text description');
    expect(nem12ReasonText(1)).toBe('Meter/equipment changed');
    expect(nem12ReasonText(4)).toBe('Dangerous dog');
    expect(nem12ReasonText(18)).toBe('Read less than previous');
    expect(nem12ReasonText(24)).toBe('Substituted/replaced data (data correction)');
    expect(nem12ReasonText(27)).toBe('RoLR');
    expect(nem12ReasonText(47)).toBe('Refused access');
    expect(nem12ReasonText(76)).toBe('Communications fault');
    expect(nem12ReasonText(78)).toBe('Null data');
    expect(nem12ReasonText(56)).toBeUndefined();
    expect(NEM12_REASON_CODES.filter((c) => c.obsolete).map((c) => c.code)).toEqual([
      4, 16, 19, 30, 46, 49, 50, 58, 70, 82, 83, 84, 85, 86, 88, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99,
    ]);
    expect(nem12ReasonToReason(999)).toBe(Reason.Other);
    // the generic code is written, not the alarm or a narrower variant
    expect(
      [
        Reason.PowerOutage,
        Reason.CommunicationFailure,
        Reason.NoDataReceived,
        Reason.DataCorrection,
        Reason.MeterChanged,
      ].map(reasonToNem12),
    ).toEqual([43, 76, 78, 24, 1]);

    for (const reason of REASONS) {
      const code = reasonToNem12(reason);
      if (reason === Reason.None) {
        expect(code).toBeUndefined();
        continue;
      }
      expect(code, Reason[reason]).toBeDefined();
      expect(nem12ReasonText(code!), `${Reason[reason]} → ${code}`).toBeDefined();
      // specific codes come back as the same reason; free text (0) comes back as Other
      expect(nem12ReasonToReason(code!)).toBe(code === 0 ? Reason.Other : reason);
    }
    // and every specific code smt writes survives NEM12 → smt → NEM12
    for (const c of NEM12_REASON_CODES) {
      const back = reasonToNem12(nem12ReasonToReason(c.code));
      if (back !== 0 && back !== c.code) {
        // many-to-one: only the reason's canonical code round-trips
        expect(nem12ReasonToReason(back!)).toBe(nem12ReasonToReason(c.code));
      }
    }
  });

  it('columnar packFromNem12 agrees with fromNem12', () => {
    const chars = ['A', 'E', 'F', 'N', 'S', 'V', 'X'];
    const reasons = [-1, 0, 1, 24, 43, 76, 78, 200];
    for (const ch of chars)
      for (let method = -1; method < 100; method++)
        for (const reasonCode of reasons) {
          const qm = method < 0 ? ch : `${ch}${String(method).padStart(2, '0')}`;
          let expected: number;
          try {
            expected = packQuality(
              fromNem12({ qualityMethod: qm, ...(reasonCode < 0 ? {} : { reasonCode }) }),
            );
          } catch {
            expected = -1;
          }
          if (packFromNem12(ch.charCodeAt(0), method, reasonCode) !== expected)
            expect.fail(`${qm} reason ${reasonCode}`);
        }
  });
});

describe('Green Button / ESPI', () => {
  it('decodes every published code', () => {
    for (const code of [0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
      expect(fromEspi(code), String(code)).toBeDefined();
    for (const code of [1, 2, 6, 20, 255]) expect(fromEspi(code)).toBeUndefined();
    expect(fromEspi(EspiQuality.EstimatedLinearInterpolation)).toMatchObject({
      origin: Origin.Estimated,
      method: Method.LinearInterpolation,
    });
    expect(fromEspi(EspiQuality.Raw)).toMatchObject({
      origin: Origin.Actual,
      state: ValidationState.NotValidated,
    });
    expect(fromEspi(EspiQuality.Verified)).toMatchObject({
      origin: Origin.Actual,
      state: ValidationState.Accepted,
    });
    expect(fromEspi(EspiQuality.Questionable)).toMatchObject({
      origin: Origin.Actual,
      state: ValidationState.Failed,
    });
  });

  it('round-trips the canonical codes', () => {
    for (const code of ESPI_CANONICAL_CODES) expect(toEspi(fromEspi(code)!), String(code)).toBe(code);
    // synonyms of valid come back as valid
    expect(toEspi(fromEspi(17)!)).toBe(0);
    expect(toEspi(fromEspi(19)!)).toBe(0);
  });

  it('encodes every smt quality except missing', () => {
    for (const origin of ORIGINS)
      for (const state of STATES)
        for (const method of METHODS) {
          const code = toEspi({ origin, state, method, reason: Reason.None, final: false });
          if (origin === Origin.Missing) expect(code).toBeUndefined();
          else expect(fromEspi(code!), `${origin}/${state}/${method}`).toBeDefined();
        }
    expect(
      toEspi({ origin: Origin.Substituted, state: 1, method: Method.OperatorEdit, reason: 0, final: false }),
    ).toBe(EspiQuality.ManuallyEdited);
    expect(
      toEspi({ origin: Origin.Estimated, state: 1, method: Method.AverageLikeDay, reason: 0, final: false }),
    ).toBe(EspiQuality.EstimatedReferenceDay);
  });
});

describe('DLMS/COSEM AMR profile status', () => {
  it('names the bits of the Blue Book layout', () => {
    expect(dlmsStatusToFlags(0)).toEqual([]);
    expect(dlmsStatusToFlags(0x80)).toEqual(['PDN']);
    expect(dlmsStatusToFlags(0b1000_0100)).toEqual(['DNV', 'PDN']); // 132
    expect(dlmsStatusToFlags(0b0010_0100)).toEqual(['DNV', 'CAD']);
    expect(dlmsStatusToFlags(0b0000_1011)).toEqual(['ERR', 'CIV', 'DST']);
    expect(dlmsStatusToFlags(0b0101_0000)).toEqual(['RES4', 'RES6']);
    expect(DlmsAmrStatus.CAD).toBe(32);
  });

  it('round-trips every byte, reserved bits included', () => {
    for (let b = 0; b < 256; b++) expect(flagsToDlmsStatus(dlmsStatusToFlags(b))).toBe(b);
  });

  it('derives the reason and suspicion', () => {
    expect(reasonFromDlmsStatus(0)).toBe(Reason.None);
    expect(reasonFromDlmsStatus(DlmsAmrStatus.DST)).toBe(Reason.None);
    expect(reasonFromDlmsStatus(DlmsAmrStatus.PDN)).toBe(Reason.PowerOutage);
    expect(reasonFromDlmsStatus(DlmsAmrStatus.PDN | DlmsAmrStatus.CIV)).toBe(Reason.ClockInvalid);
    expect(reasonFromDlmsStatus(DlmsAmrStatus.PDN | DlmsAmrStatus.DNV)).toBe(Reason.DeviceReportedInvalid);
    expect(reasonFromDlmsStatus(0xff)).toBe(Reason.DeviceFault);
    expect(reasonFromDlmsStatus(DlmsAmrStatus.CAD)).toBe(Reason.ClockAdjusted);
    expect(dlmsValueSuspect(DlmsAmrStatus.CAD | DlmsAmrStatus.PDN)).toBe(false);
    expect(dlmsValueSuspect(DlmsAmrStatus.DNV)).toBe(true);
  });
});
