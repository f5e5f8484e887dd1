/**
 * The payloads smt writes to its output topics: one definition used by the writer (the planner),
 * the tests and docs/formats.md (test/unit/topic-contracts.test.ts checks every JSON example there
 * against the guards below). Keys are meter ids; values are UTF-8 JSON.
 */

export interface SourceRef {
  topic: string;
  partition: number;
  offset: string;
}

/** `smt.readings.validated`: the readings of one block that were stored (Passed or Accepted). */
export interface ValidatedMessage {
  v: 2;
  /** idempotency key: the same input always gives the same id; consumers de-duplicate by it */
  id: string;
  meterId: string;
  channel: string;
  intervalMinutes: number;
  /** where the readings came from: `topic/partition/offset`, `correction:42`, … */
  source: string;
  /** the series version that stored them (monotonic per meter-day) */
  version: number;
  starts: number[];
  values: number[];
  /** ValidationState per reading: 1 Passed, 3 Accepted */
  states: number[];
  /** keys of the rules that fired per reading (docs/vee-rules.md) */
  rules: (readonly string[])[];
}

/** `smt.readings.rejected`, a whole message that could not be taken. */
export interface RejectedMessageLetter {
  v: 2;
  kind: 'message';
  rule: string;
  reason: string;
  source: SourceRef | null;
  format: string | null;
  key: string | null;
  /** the payload as received, when it is at most 256 KiB (the topic's messages must stay below the broker's limit) */
  payloadBase64: string | null;
  payloadBytes: number;
  /** where the payload is archived (Cassandra raw_messages) when it is too large to embed */
  payloadRef: { meterId: string; day: string; source: string } | null;
  /** readings the decoder could tell the payload held and put in no block, per record (absent: none known) */
  drops?: DroppedReadingsEntry[];
  rejectedAt: string;
}

/**
 * Readings of one record of a payload that its decoder read and put in no block (an invalid NEM12
 * 300 record, a data stream without a channel …): why, where, and which meter and intervals.
 */
export interface DroppedReadingsEntry {
  /** the decoder's stable phrase, e.g. `invalid 300 record` (docs/formats.md per format) */
  reason: string;
  readings: number;
  /** the failure or warning that explains it */
  message: string;
  /** 1-based line and record indicator of the record in the payload */
  line: number | null;
  record: string | null;
  field: string | null;
  meterId: string | null;
  channel: string | null;
  intervalMinutes: number | null;
  /** the dropped intervals, [from, to) UTC epoch ms, when the record says which */
  from: number | null;
  to: number | null;
}

/** `smt.readings.rejected`, readings a taken message held that its decoder put in no block. */
export interface DroppedReadingsLetter {
  v: 2;
  kind: 'dropped';
  source: SourceRef | null;
  format: string | null;
  key: string | null;
  drops: DroppedReadingsEntry[];
  /** the delivery's row in Cassandra raw_messages (every delivery is archived) */
  payloadRef: { meterId: string; day: string; source: string } | null;
  rejectedAt: string;
}

/** `smt.readings.rejected`, readings of a block that failed a rule with action `fail`. */
export interface RejectedReadingsLetter {
  v: 2;
  kind: 'readings';
  meterId: string;
  channel: string;
  intervalMinutes: number;
  source: SourceRef | null;
  readings: { start: number; value: number | null; rules: string[] }[];
  rejectedAt: string;
}

export type RejectedLetter = RejectedMessageLetter | RejectedReadingsLetter | DroppedReadingsLetter;

export type LateKind = 'aggregated_day' | 'closed_period' | 'billed_period';

/** `smt.events`: stored readings on a meter-day that is already aggregated, closed or billed. */
export interface LateDataEvent {
  v: 2;
  type: 'late_data';
  meterId: string;
  channel: string;
  localDate: string;
  kind: LateKind;
  periodId: number | null;
  readings: number;
  /** energy of the meter-day in the series before and after these readings (the delta to re-bill) */
  dayBefore?: number;
  dayAfter?: number;
  detectedAt: string;
}

export interface TopicMessage<T> {
  key: string | null;
  value: T;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isArr = <T>(x: unknown, item: (y: unknown) => y is T): x is T[] => Array.isArray(x) && x.every(item);
const isSource = (x: unknown): x is SourceRef | null =>
  x === null || (isObj(x) && isStr(x.topic) && isNum(x.partition) && isStr(x.offset));

export function isValidatedMessage(x: unknown): x is ValidatedMessage {
  if (!isObj(x) || x.v !== 2) return false;
  const n = Array.isArray(x.starts) ? x.starts.length : -1;
  return (
    isStr(x.id) &&
    isStr(x.meterId) &&
    isStr(x.channel) &&
    isNum(x.intervalMinutes) &&
    isStr(x.source) &&
    isNum(x.version) &&
    isArr(x.starts, isNum) &&
    isArr(x.values, isNum) &&
    isArr(x.states, isNum) &&
    isArr(x.rules, (r): r is string[] => isArr(r, isStr)) &&
    x.values.length === n &&
    x.states.length === n &&
    x.rules.length === n
  );
}

const isNumOrNull = (x: unknown): boolean => x === null || isNum(x);
const isStrOrNull = (x: unknown): boolean => x === null || isStr(x);
const isPayloadRef = (x: unknown): boolean =>
  x === null || (isObj(x) && isStr(x.meterId) && isStr(x.day) && isStr(x.source));

export function isDroppedReadingsEntry(x: unknown): x is DroppedReadingsEntry {
  return (
    isObj(x) &&
    isStr(x.reason) &&
    isNum(x.readings) &&
    isStr(x.message) &&
    isNumOrNull(x.line) &&
    isStrOrNull(x.record) &&
    isStrOrNull(x.field) &&
    isStrOrNull(x.meterId) &&
    isStrOrNull(x.channel) &&
    isNumOrNull(x.intervalMinutes) &&
    isNumOrNull(x.from) &&
    isNumOrNull(x.to)
  );
}

export function isRejectedLetter(x: unknown): x is RejectedLetter {
  if (!isObj(x) || x.v !== 2 || !isStr(x.rejectedAt) || !isSource(x.source)) return false;
  if (x.kind === 'dropped')
    return (
      isStrOrNull(x.format) &&
      isStrOrNull(x.key) &&
      isArr(x.drops, isDroppedReadingsEntry) &&
      x.drops.length > 0 &&
      isPayloadRef(x.payloadRef)
    );
  if (x.kind === 'message')
    return (
      (x.drops === undefined || isArr(x.drops, isDroppedReadingsEntry)) &&
      isStr(x.rule) &&
      isStr(x.reason) &&
      (x.format === null || isStr(x.format)) &&
      (x.key === null || isStr(x.key)) &&
      (x.payloadBase64 === null || isStr(x.payloadBase64)) &&
      isNum(x.payloadBytes) &&
      (x.payloadRef === null ||
        (isObj(x.payloadRef) &&
          isStr(x.payloadRef.meterId) &&
          isStr(x.payloadRef.day) &&
          isStr(x.payloadRef.source)))
    );
  if (x.kind === 'readings')
    return (
      isStr(x.meterId) &&
      isStr(x.channel) &&
      isNum(x.intervalMinutes) &&
      isArr(
        x.readings,
        (r): r is RejectedReadingsLetter['readings'][number] =>
          isObj(r) && isNum(r.start) && (r.value === null || isNum(r.value)) && isArr(r.rules, isStr),
      )
    );
  return false;
}

export function isLateDataEvent(x: unknown): x is LateDataEvent {
  return (
    isObj(x) &&
    x.v === 2 &&
    x.type === 'late_data' &&
    isStr(x.meterId) &&
    isStr(x.channel) &&
    isStr(x.localDate) &&
    (x.kind === 'aggregated_day' || x.kind === 'closed_period' || x.kind === 'billed_period') &&
    (x.periodId === null || isNum(x.periodId)) &&
    isNum(x.readings) &&
    isStr(x.detectedAt)
  );
}

/** The idempotency key of a validated message: its source and the block's place in it. */
export function validatedId(source: string, block: number): string {
  return `${source}#${block}`;
}
