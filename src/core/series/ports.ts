/**
 * The stores the series write model talks to, one interface each. Adapters live in the store's
 * folder (src/core/cassandra, clickhouse, postgres, kafka) and turn their driver's errors into
 * ServiceUnavailableError (a retry may help) or StoreRejectedError (it will not) where the driver
 * is called; nothing above them classifies driver errors.
 */
import type { LateDataEvent, LateKind, RejectedLetter, TopicMessage, ValidatedMessage } from './contracts.js';
import type { SeriesDay, SeriesDayKey } from './day.js';
import type { RegisterReadKey, StoredRegisterRead } from './register-reads.js';

/** Registry facts a writer needs per meter. */
export interface RegisteredMeter {
  meterId: string;
  timezone: string;
  intervalMinutes: number;
  regionId: string;
  segment: string;
  tariffId: string;
  /** the channels the registry declares for the meter; absent or null: not declared (any accepted) */
  channelSet?: ReadonlySet<string> | null;
}

export interface MeterLookup {
  get(meterId: string): RegisteredMeter | undefined;
}

export interface SeriesStore {
  /** The current version of each meter-day (absent: never written). */
  current(keys: readonly SeriesDayKey[]): Promise<Map<string, SeriesDay>>;
  /** New versions of meter-days. A version is immutable: writing it again writes the same row. */
  write(days: readonly SeriesDay[]): Promise<void>;
  /**
   * The current version number of each meter-day (absent: never written), without its contents:
   * a writer that read the days a moment ago checks with it which moved since.
   */
  heads?(keys: readonly SeriesDayKey[]): Promise<Map<string, number>>;
}

export interface DaysQuery {
  meterId: string;
  /** all channels when omitted */
  channel?: string;
  /** local dates, inclusive */
  from: string;
  to: string;
  /** epoch ms: the series as it stood then (the newest version written at or before it) */
  asOf?: number;
}

/** The read API every reader uses (aggregation, inspect, exports): one query per meter and range. */
export interface SeriesReader {
  days(q: DaysQuery): Promise<SeriesDay[]>;
  /** every version of one meter-day, newest first */
  versions(key: SeriesDayKey): Promise<SeriesDay[]>;
  /** the current version of each stored day of one channel in [from, to], by local date (no values read) */
  currentVersions(q: {
    meterId: string;
    channel: string;
    from: string;
    to: string;
  }): Promise<Map<string, number>>;
}

/** Register (accumulation) reads: src/core/series/register-reads.ts. */
export interface RegisterReadStore {
  /** the current version of each read (absent: never written), by registerReadKey */
  current(keys: readonly RegisterReadKey[]): Promise<Map<string, StoredRegisterRead>>;
  /** new versions; a version row is immutable, writing it again writes the same row */
  write(rows: readonly StoredRegisterRead[]): Promise<void>;
}

export interface RegisterReadsQuery {
  meterId: string;
  /** every register channel of the meter when omitted */
  channel?: string;
  /** read instants [from, to), UTC epoch ms */
  from: number;
  to: number;
  /** epoch ms: the reads as they stood then */
  asOf?: number;
}

/** The read API of register reads: the current version of each read, by channel then instant. */
export interface RegisterReadReader {
  registerReads(q: RegisterReadsQuery): Promise<StoredRegisterRead[]>;
  /** every version of one read, newest first */
  registerReadVersions(key: RegisterReadKey): Promise<StoredRegisterRead[]>;
}

/** One delivery exactly as received. */
export interface RawDelivery {
  meterId: string;
  /** local date of the first interval (or of the receipt when nothing decoded) */
  day: string;
  source: string;
  format: string;
  channel: string | null;
  readings: number;
  firstInterval: number | null;
  payload: Buffer;
  receivedAt: number;
}

export interface RawArchive {
  archive(rows: readonly RawDelivery[]): Promise<void>;
}

/** Positions of a new day version that changed, for the analytics store's per-reading rows. */
export interface DayChange {
  day: SeriesDay;
  positions: number[];
  meter: RegisteredMeter;
  /**
   * positions whose earlier value may be counted in the analytics store's rollups: the insert
   * cancels what it still counts there (absent: none, the readings are new)
   */
  replaces?: readonly number[];
}

export interface AnalyticsStore {
  insert(changes: readonly DayChange[], ingestedAt: number): Promise<void>;
  /** the positions of these readings (by meter, channel, interval start and version) that the store does not hold */
  missing(changes: readonly DayChange[]): Promise<DayChange[]>;
}

export interface ClosedDay {
  kind: LateKind;
  periodId: number | null;
}

export interface MeterDayCount {
  meterId: string;
  channel: string;
  localDate: string;
  received: number;
  rejected: number;
  late: number;
}

/**
 * Readings of one meter-day a write did not store, for one reason: `rule` is the rule of the
 * rejected-topic entry (a VEE rule key, `series.alignment`, `registry.channel`, the rule of a
 * dead-lettered message such as `decode` or `registry.unknown`, or `decode.dropped` for readings
 * the decoder put in no block), `detail` the decoder's reason for `decode.dropped` ('' otherwise).
 * A reading that failed two rules counts under both, as in the ingest summary's rejectsByReason.
 */
export interface MeterDayReject {
  meterId: string;
  /** '' when the payload names no channel smt has (a NEM12 stream without one) */
  channel: string;
  localDate: string;
  rule: string;
  detail: string;
  readings: number;
}

/** A stored meter-day that is already aggregated, closed or billed: the late-data event without its envelope. */
export type LateTouch = Omit<LateDataEvent, 'v' | 'type' | 'detectedAt'>;

/**
 * What a new day version holds: its runs without a value ([start, end) epoch ms) and its counts.
 * Bookkeeping shrinks or closes the open gap records of the day with it (smt.gaps).
 */
export interface GapState {
  meterId: string;
  channel: string;
  localDate: string;
  intervalMinutes: number;
  missing: [number, number][];
  actual: number;
  estimated: number;
  /** status of a gap record the write closed: an actual fills it, an estimate estimates it */
  resolvedAs: 'filled' | 'estimated';
}

export interface Bookkeeping {
  /** which of these meter-days are aggregated already, or inside a closed or billed period */
  closedDays(keys: readonly SeriesDayKey[]): Promise<Map<string, ClosedDay[]>>;
  /**
   * counts, late-data follow-ups and gap state, in one transaction (the Kafka caller passes a
   * bookkeeping whose transaction also moves its partition's watermark)
   */
  record(args: {
    counts: readonly MeterDayCount[];
    late: readonly LateTouch[];
    gaps?: readonly GapState[];
    /** readings not stored, per meter-day and reason (smt.ingest_rejects) */
    rejects?: readonly MeterDayReject[];
  }): Promise<void>;
}

export interface TopicSink {
  send(topic: string, messages: readonly TopicMessage<unknown>[]): Promise<void>;
}

export interface TopicMessages {
  validated: TopicMessage<ValidatedMessage>[];
  rejected: TopicMessage<RejectedLetter>[];
  events: TopicMessage<LateDataEvent>[];
}

export interface SeriesPorts {
  series: SeriesStore;
  /** where register reads go (writers of interval data only may leave it out) */
  registers?: RegisterReadStore;
  raw: RawArchive;
  analytics: AnalyticsStore;
  bookkeeping: Bookkeeping;
  topics: TopicSink;
  topicNames: { validated: string; rejected: string; events: string };
}
