/**
 * The contract of smt's payload codecs. Everything here is pure data: decoders run inside piscina
 * workers (no I/O, no logging) and their results cross the worker boundary, so results are plain
 * objects of typed arrays and strings.
 */
import type { Channel, IntervalMinutes, ReadingBlock } from '../readings/block.js';

export const WIRE_FORMATS = ['json', 'csv', 'dlms', 'nem12', 'nem13', 'dsmr', 'hdlc', 'espi'] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];

export function isWireFormat(s: string): s is WireFormat {
  return (WIRE_FORMATS as readonly string[]).includes(s);
}

/** Where in the input a failure was found. Every field that is known is set. */
export interface DecodeLocation {
  /** 1-based line (text formats) */
  line?: number;
  /** 0-based byte offset (DLMS; JSON syntax errors give a character offset here) */
  byteOffset?: number;
  /** field path, e.g. `values[17]`, column name, or NEM12 field name */
  field?: string;
  /** record: NEM12 record indicator (`300`), JSON block index (`blocks[3]`), DLMS entry (`entry[5]`) */
  record?: string;
}

/**
 * Machine-readable kind of a failure, for callers that route on it. `METER_MISMATCH`: the payload
 * names another meter than `DecodeOptions.meterId` (ingest dead-letters it as `message.key`, a
 * routing problem, rather than as an undecodable payload).
 */
export type DecodeFailureCode = 'METER_MISMATCH';

/**
 * Machine-readable kind of a warning: input that was not as the specification says but was read
 * anyway, with what was assumed (docs/formats.md lists them per format). Open: formats add theirs.
 */
export type DecodeWarningCode = string;

/** Input understood and kept with an assumption, or skipped on purpose: never a silently changed value. */
export interface DecodeWarning extends Omit<DecodeFailure, 'code'> {
  /** e.g. `NEM12_BLANK_UPDATE_DATETIME`; absent on warnings of formats that do not name them yet */
  code?: DecodeWarningCode;
  /** what the decoder assumed to read the input, e.g. `kWh (the data stream suffix E1 says active energy)` */
  assumed?: string;
}

export interface DecodeFailure {
  format: WireFormat;
  /** set for failures a caller may treat apart (see DecodeFailureCode); absent for the rest */
  code?: DecodeFailureCode;
  /** one line a person can act on; already includes the field, e.g. `values[17]: expected number or null, found "abc"` */
  message: string;
  location: DecodeLocation;
  expected?: string;
  found?: string;
  /** DecodeOptions.sourceName when given (file name, topic/partition/offset) */
  source?: string;
}

/** How a profile-generic capture object is used when decoding a DLMS load-profile buffer. */
export type DlmsCaptureRole = 'clock' | 'status' | 'value' | 'ignore';

/** Cumulative register (1.8.0: difference of consecutive entries) or interval quantity (1.29.0: as captured). */
export type DlmsValueKind = 'cumulative' | 'interval';

export interface DlmsCaptureObject {
  /** OBIS code, `1.0.1.8.0.255` or `1-0:1.8.0.255` */
  obis: string;
  /** COSEM interface class: 8 clock, 1 data, 3 register, 4 extended register */
  classId: number;
  /** captured attribute, normally 2 (value / time) */
  attribute: number;
  /** inferred when omitted: class 8 → clock, OBIS x.x.96.10.x.x → status, with a channel → value, else ignore */
  role?: DlmsCaptureRole;
  /** the smt channel a value column feeds */
  channel?: Channel;
  /** register scaler (attribute 3 of the register): physical = raw × 10^scaler in `unit` */
  scaler?: number;
  /** DLMS unit enumeration (Blue Book): 30 Wh, 35 V, 255 count/unitless; converted to the channel's unit */
  unit?: number;
  /** default: `cumulative` for x.x.x.8.x.x (energy registers), `interval` otherwise */
  kind?: DlmsValueKind;
  /** encoder only: A-XDR type for values (default double-long-unsigned for cumulative, else double-long-unsigned) */
  dataType?: number;
}

export interface DlmsProfileConfig {
  /** capture_objects (attribute 3 of the profile generic), in buffer column order */
  captureObjects: DlmsCaptureObject[];
  /**
   * capture_period in seconds (attribute 4); must be 60, 300, 600, 900, 1800 or 3600. The buffer does not
   * carry it: when omitted, DecodeOptions.intervalMinutes (`smt validate --interval`, the
   * `smt-format: dlms; interval=15` header) supplies it, and without either the decode is refused
   * rather than re-timed on an assumed period.
   */
  capturePeriodSeconds?: number;
  /**
   * IANA zone of the meter's clock, used only for entries whose deviation is 0x8000 (not specified).
   * Falls back to DecodeOptions.timezone.
   */
  timezone?: string;
  /**
   * Sign of the date-time deviation field. `dlms` (Blue Book): minutes to add to local time to get
   * UTC, so CET = -60. `utc-offset`: local = UTC + deviation (CET = +60), as some meters send.
   */
  deviationSign?: 'dlms' | 'utc-offset';
}

/**
 * Options of `decode`. Every option is honoured by every format it can apply to; where a format
 * has no use for one, that is because the payload itself always fixes the fact (the column
 * "ignored by" below), never silently: a payload that contradicts `meterId` is a failure in every
 * format that names meters.
 *
 * | option | json | csv | dlms | nem12 |
 * |---|---|---|---|---|
 * | meterId | fallback + mismatch check | fallback + mismatch check | the meter id (required) | mismatch check |
 * | channel | fallback | fallback | ignored: the profile's capture objects name channels | ignored: suffix + UOM fix it |
 * | intervalMinutes | fallback | fallback | the capture period when the profile gives none (else refused) | ignored: 200 IntervalLength |
 * | timezone | ignored: times carry an offset | ignored: times carry an offset | clocks without deviation | ignored: market time is UTC+10 |
 * | dlms | — | — | capture objects | — |
 * | sourceName, maxFailures | every format | | | |
 */
export interface DecodeOptions {
  /**
   * meter id from outside the payload (the Kafka message key); '' = none. Payloads that carry no
   * meter id take it (JSON without `meter`, CSV without a meter column, DLMS always); a payload that
   * names another meter is a failure with code `METER_MISMATCH` (JSON, CSV, NEM12 NMI + suffix).
   */
  meterId?: string;
  /** channel for payloads that do not name one (JSON without `channel`, CSV without a channel column) */
  channel?: Channel;
  /** interval length for payloads that do not give one (JSON without `interval`, CSV without an interval column) */
  intervalMinutes?: IntervalMinutes;
  /**
   * IANA zone for local times that carry no offset: DLMS entries whose deviation is not specified
   * (the profile's own `timezone` wins). JSON and CSV reject times without an offset (ambiguous on
   * the fall-back day) and NEM12 times are market time, so they have no use for it.
   */
  timezone?: string;
  /** DLMS capture-object configuration; DEFAULT_DLMS_PROFILE when omitted */
  dlms?: DlmsProfileConfig;
  /** file name or topic/partition/offset, copied onto every failure */
  sourceName?: string;
  /** stop collecting failures after this many (the decode still finishes); default 1000 */
  maxFailures?: number;
}

/** NEM12 quality per interval, columnar (parallel to the block's values). */
export interface IntervalQuality {
  /** quality flag as a char code: 65 A, 69 E, 70 F, 78 N, 83 S (V never appears: it is resolved from the 400 records) */
  flag: Uint8Array;
  /** method number (e.g. 52 from `E52`); -1 = none */
  method: Int16Array;
  /** reason code; -1 = none */
  reason: Int16Array;
  /** index into `descriptions`; -1 = none */
  description: Int16Array;
  /** distinct reason descriptions referenced by `description` */
  descriptions: string[];
}

/** The data-stream fields NEM12 200 and NEM13 250 records share, as written. */
export interface MdffStreamDetails {
  nmi: string;
  nmiSuffix: string;
  nmiConfiguration: string;
  registerId: string;
  mdmDataStreamId: string;
  meterSerial: string;
}

/** NEM12 200/300 details carried with a decoded block (for round trips and the audit trail). */
export interface Nem12Details extends MdffStreamDetails {
  /** UOM as written in the file, e.g. `kWh` */
  uom: string;
  /** 300 IntervalDate, YYYYMMDD */
  intervalDate: string;
  /** 300 UpdateDateTime, YYYYMMDDhhmmss as written (market time) */
  updateDateTime: string;
  /** 300 MSATSLoadDateTime, YYYYMMDDhhmmss as written; '' when blank */
  msatsLoadDateTime: string;
  nextScheduledReadDate: string;
}

/** A decoded block: the ReadingBlock contract plus what some formats carry beyond it. */
export interface DecodedBlock extends ReadingBlock {
  /** quality that arrived with the data (NEM12); absent for formats without quality */
  quality?: IntervalQuality;
  nem12?: Nem12Details;
  /** DLMS clock status byte of the entry that closed each interval (0xFF = not specified) */
  clockStatus?: Uint8Array;
  /** Green Button / ESPI ReadingQuality code per reading (255 = none given); see quality-espi.ts */
  espiQuality?: Uint8Array;
}

export interface DecodeResult {
  /** blocks that decoded cleanly (see docs/formats.md for what each format drops on a failure) */
  blocks: DecodedBlock[];
  /** empty when the whole input was valid; a Kafka consumer dead-letters the message otherwise */
  failures: DecodeFailure[];
  /** input read with an assumption or skipped on purpose, each with where and what was assumed */
  warnings: DecodeWarning[];
  /**
   * Readings the input held that are in no block, counted by reason (a short stable phrase, e.g.
   * `invalid 300 record`). Formats that do not count them leave it empty.
   */
  dropped: Record<string, number>;
  /**
   * The same readings, one entry per record that lost them: why, where (line, record, field) and
   * which meter and intervals, as far as the input says. Capped like failures (`maxFailures`);
   * `dropped` stays exact past the cap.
   */
  drops: DroppedReadings[];
  /** register reads (NEM13 accumulation meters): absent for interval formats */
  registerReads?: RegisterRead[];
}

/** Readings of one record that end up in no block: why, where, and which ones. */
export interface DroppedReadings {
  /** the stable phrase `DecodeResult.dropped` counts them under, e.g. `invalid 300 record` */
  reason: string;
  readings: number;
  location: DecodeLocation;
  /** the failure or warning that explains the drop, as reported */
  message: string;
  /** NMI + suffix (NEM12/NEM13) when the input names it */
  meterId?: string;
  channel?: Channel;
  intervalMinutes?: number;
  /** the dropped intervals as [from, to) in UTC epoch ms, when the record's date says which */
  from?: number;
  to?: number;
}

/** One read of one register at one time, as NEM13 (and basic meters generally) report it. */
export interface RegisterReadValue {
  /** register value as written, in `RegisterRead.unit` after unit normalisation */
  value: number;
  /** read time, UTC epoch ms */
  at: number;
  /** quality flag char code (A, E, F, N, S) and method (-1 none), as NEM12's IntervalQuality */
  flag: number;
  method: number;
  reason: number;
  description: string;
}

/** A read period of a register: previous and current read and the consumption between them. */
export interface RegisterRead {
  /** NMI + NMI suffix, as NEM12 builds meter ids */
  meterId: string;
  /** register channel id: register_import_kwh / register_export_kwh, or an OBIS/nem12 id */
  channel: Channel;
  /** normalised unit (kWh, kvarh, kVAh) */
  unit: string;
  previous: RegisterReadValue;
  current: RegisterReadValue;
  /** consumption of the period as the file states it (NEM13 Quantity), in `unit` */
  quantity: number;
  /** current − previous (NaN when a read is missing): differs from `quantity` on a register rollover or meter change */
  derived: number;
  /** 1-based line of the record */
  line: number;
  nem13?: Nem13Details;
}

export interface Nem13Details extends MdffStreamDetails {
  /** `I` import / `E` export, from the market's side (E = energy to the customer) */
  directionIndicator: string;
  uom: string;
  nextScheduledReadDate: string;
  updateDateTime: string;
  msatsLoadDateTime: string;
  /** the 550 record after it, when there is one */
  b2b?: {
    previousTransCode: string;
    previousRetServiceOrder: string;
    currentTransCode: string;
    currentRetServiceOrder: string;
  };
}

export interface EncodeOptions {
  /** IANA zone for written local times (JSON `start`, CSV `interval_start`); default UTC with `Z` */
  timezone?: string;
  /** JSON with more than one block: NDJSON (default) or one JSON array */
  jsonLayout?: 'ndjson' | 'array';
  /** CSV delimiter, default `,` */
  csvDelimiter?: ',' | ';';
  dlms?: DlmsEncodeOptions;
  nem12?: Nem12EncodeOptions;
}

export interface DlmsEncodeOptions {
  /** default DEFAULT_DLMS_PROFILE */
  profile?: DlmsProfileConfig;
  /** raw register value before the first interval, per channel, for cumulative columns (default 0) */
  baseline?: Partial<Record<Channel, number>>;
  /**
   * How entries after the first are time-stamped: `full` (every entry), or compact forms the
   * decoder must fill from the capture period: `null-data` (tag 0x00), `empty` (octet-string of
   * length 0), `not-specified` (12 bytes of 0xFF).
   */
  clock?: 'full' | 'null-data' | 'empty' | 'not-specified';
  /** deviation written into clocks, minutes, Blue Book sign (CET = -60); default 0 (UTC) */
  deviation?: number;
  /** clock status byte written into clocks (default 0x00) */
  clockStatus?: number;
}

export interface Nem12EncodeOptions {
  fromParticipant?: string;
  toParticipant?: string;
  /** 100 DateTime as YYYYMMDDhhmm; default 200001010000 so output is deterministic */
  createdAt?: string;
  /** 300 UpdateDateTime default (YYYYMMDDhhmmss) when a block has no nem12 details */
  updateDateTime?: string;
}
