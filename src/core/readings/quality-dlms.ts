/**
 * DLMS/COSEM AMR profile status (the status byte captured with each entry of a load profile, OBIS
 * 0.x.96.10.x.255 in DSMR/IDIS profiles) at the edge. Bit layout per the DLMS UA Blue Book as used
 * by DSMR meters (checked against the open-source GXF/OSGP DLMS adapter):
 *
 *   bit 7 PDN power down      bit 3 DST daylight saving active
 *   bit 6 reserved            bit 2 DNV data not valid
 *   bit 5 CAD clock adjusted  bit 1 CIV clock invalid
 *   bit 4 reserved            bit 0 ERR critical error
 *
 * The byte is stored as received (ReadingBlock.status, QualityRecord.deviceStatus); these helpers
 * name its bits and derive what they mean for validation. Reserved bits are kept, never dropped.
 */
import { Reason } from './quality.js';

export const DlmsAmrStatus = {
  ERR: 1 << 0,
  CIV: 1 << 1,
  DNV: 1 << 2,
  DST: 1 << 3,
  RES4: 1 << 4,
  CAD: 1 << 5,
  RES6: 1 << 6,
  PDN: 1 << 7,
} as const;
export type DlmsAmrFlag = keyof typeof DlmsAmrStatus;

export const DLMS_AMR_FLAG_LABEL: Readonly<Record<DlmsAmrFlag, string>> = {
  ERR: 'critical error',
  CIV: 'clock invalid',
  DNV: 'data not valid',
  DST: 'daylight saving active',
  RES4: 'reserved bit 4',
  CAD: 'clock adjusted',
  RES6: 'reserved bit 6',
  PDN: 'power down',
};

/** In bit order, low to high. */
const FLAGS = Object.keys(DlmsAmrStatus) as DlmsAmrFlag[];

/** Named flags set in a status byte, low bit first. Bits above 7 are not part of the byte. */
export function dlmsStatusToFlags(status: number): DlmsAmrFlag[] {
  const out: DlmsAmrFlag[] = [];
  for (const f of FLAGS) if ((status & DlmsAmrStatus[f]) !== 0) out.push(f);
  return out;
}

export function flagsToDlmsStatus(flags: Iterable<DlmsAmrFlag>): number {
  let status = 0;
  for (const f of flags) {
    const bit = DlmsAmrStatus[f];
    if (bit === undefined) throw new RangeError(`Unknown DLMS AMR status flag: ${String(f)}`);
    status |= bit;
  }
  return status;
}

/** True when the device says the value must not be trusted as is (ERR or DNV). */
export function dlmsValueSuspect(status: number): boolean {
  return (status & (DlmsAmrStatus.ERR | DlmsAmrStatus.DNV)) !== 0;
}

/**
 * The most important reason the status byte gives, or Reason.None. Order: a critical error or
 * invalid data outranks clock trouble, which outranks a power-down (a power-down interval is
 * usually short, not wrong). DST is informational.
 */
export function reasonFromDlmsStatus(status: number): Reason {
  if ((status & DlmsAmrStatus.ERR) !== 0) return Reason.DeviceFault;
  if ((status & DlmsAmrStatus.DNV) !== 0) return Reason.DeviceReportedInvalid;
  if ((status & DlmsAmrStatus.CIV) !== 0) return Reason.ClockInvalid;
  if ((status & DlmsAmrStatus.PDN) !== 0) return Reason.PowerOutage;
  if ((status & DlmsAmrStatus.CAD) !== 0) return Reason.ClockAdjusted;
  return Reason.None;
}
