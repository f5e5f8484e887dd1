import type {
  DecodedBlock,
  DecodeFailure,
  DecodeFailureCode,
  DecodeLocation,
  DecodeOptions,
  DecodeResult,
  DecodeWarning,
  DecodeWarningCode,
  DroppedReadings,
  WireFormat,
} from './types.js';

/**
 * Collects failures for one decode call. Bounded so a garbage file of 10 M lines cannot turn into
 * 10 M failure objects; `dropped` counts what was not kept and is reported as one last failure.
 */
export class FailureSink {
  readonly failures: DecodeFailure[] = [];
  readonly warnings: DecodeWarning[] = [];
  /** readings not in any block, by reason */
  readonly droppedReadings: Record<string, number> = {};
  /** where each drop was, up to the cap (`droppedReadings` keeps counting past it) */
  readonly drops: DroppedReadings[] = [];
  dropped = 0;
  /** warnings past the cap, reported as one last warning */
  private warningsNotListed = 0;
  private readonly max: number;

  constructor(
    readonly format: WireFormat,
    private readonly options: DecodeOptions | undefined,
  ) {
    this.max = options?.maxFailures ?? 1000;
  }

  get count(): number {
    return this.failures.length + this.dropped;
  }

  fail(
    message: string,
    location: DecodeLocation,
    expected?: string,
    found?: string,
    code?: DecodeFailureCode,
  ): void {
    if (this.failures.length >= this.max) {
      this.dropped++;
      return;
    }
    const f = this.make(message, location, expected, found);
    if (code !== undefined) f.code = code;
    this.failures.push(f);
  }

  /** The payload names `found` where `options.meterId` says another meter (JSON, CSV, NEM12). */
  meterMismatch(field: string, found: string, location: DecodeLocation): void {
    const expected = `${JSON.stringify(this.options?.meterId)} (the message key)`;
    this.fail(`${field}: expected ${expected}, found ${found}`, location, expected, found, 'METER_MISMATCH');
  }

  /** `code` and `assumed` make the warning structured: what kind, and what the decoder assumed to go on. */
  warn(message: string, location: DecodeLocation, code?: DecodeWarningCode, assumed?: string): void {
    if (this.warnings.length >= this.max) {
      this.warningsNotListed++;
      return;
    }
    const w: DecodeWarning = this.make(message, location);
    if (code !== undefined) w.code = code;
    if (assumed !== undefined) w.assumed = assumed;
    this.warnings.push(w);
  }

  /**
   * `readings` readings of one record end up in no block, for `reason`: counted by reason, and
   * listed once per record (not per reading) with where it is and which intervals it held.
   */
  drop(reason: string, readings: number, where: Omit<DroppedReadings, 'reason' | 'readings'>): void {
    if (readings <= 0) return;
    this.droppedReadings[reason] = (this.droppedReadings[reason] ?? 0) + readings;
    if (this.drops.length < this.max) this.drops.push({ reason, readings, ...where });
  }

  result(blocks: DecodedBlock[]): DecodeResult {
    if (this.dropped > 0) {
      this.failures.push(this.make(`${this.dropped} more failures not listed (maxFailures ${this.max})`, {}));
    }
    if (this.warningsNotListed > 0) {
      const w: DecodeWarning = this.make(
        `${this.warningsNotListed} more warnings not listed (maxFailures ${this.max})`,
        {},
      );
      w.code = 'WARNINGS_NOT_LISTED';
      this.warnings.push(w);
    }
    return {
      blocks,
      failures: this.failures,
      warnings: this.warnings,
      dropped: this.droppedReadings,
      drops: this.drops,
    };
  }

  private make(message: string, location: DecodeLocation, expected?: string, found?: string): DecodeFailure {
    const f: DecodeFailure = { format: this.format, message, location };
    if (expected !== undefined) f.expected = expected;
    if (found !== undefined) f.found = found;
    if (this.options?.sourceName !== undefined) f.source = this.options.sourceName;
    return f;
  }
}

/** A value as it should appear in a failure's `found`: short, quoted if a string, typed otherwise. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `array(${v.length})`;
  return typeof v;
}

/** What a payload's channel field must hold (readings/channel.ts). */
export const CHANNEL_EXPECTED =
  'a channel: a name such as active_import_kwh, an OBIS code such as 1-0:1.8.0, or nem12:E2';
