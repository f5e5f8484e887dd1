import type {
  CassandraReadingStore,
  RawMessageRow,
  SeriesEntry,
  SeriesRow,
} from '../cassandra/reading-store.js';
import {
  ClickHouseReadingBatch,
  type ClickHouseReadingStore,
  chDateTime,
} from '../clickhouse/reading-store.js';
import type { ConsumedMessage } from '../kafka/messages.js';
import { sourceOf } from '../kafka/messages.js';
import type { MessageProducer } from '../kafka/producer.js';
import type { TopicNames } from '../kafka/topics.js';
import type { IngestBookkeeping, LateTouch, MeterDayCount } from '../postgres/ingest-bookkeeping.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../readings/quality.js';
import type { RegistryLookup } from '../registry/meter-table.js';
import { LocalCalendar } from '../time/calendar.js';
import type { RegistrySnapshot } from '../vee/context.js';
import type { VeeEngine } from '../vee/engine.js';
import { ruleKey, rulesInMask } from '../vee/rules.js';
import type { DecodedMessage, DecodeStage } from './decode-stage.js';

/** Where each reading of a batch went. Every decoded reading lands in exactly one bucket. */
export interface BatchOutcome {
  messages: number;
  /** messages skipped because an earlier run already processed their offsets */
  replayedMessages: number;
  deadLetteredMessages: number;
  /** readings of dead-lettered messages that could be decoded (unknown meter, key mismatch) */
  deadLetteredReadings: number;
  readings: number;
  stored: number;
  rejected: number;
  missing: number;
  /** same identity and value already in the series (re-delivery) */
  duplicates: number;
  /** same identity, different value: a new version superseding the stored one */
  newVersions: number;
  late: number;
  lateTouches: number;
  rejectsByReason: Record<string, number>;
}

export interface IngestPorts {
  decode: DecodeStage;
  engine: VeeEngine;
  cassandra: CassandraReadingStore;
  clickhouse: ClickHouseReadingStore;
  bookkeeping: IngestBookkeeping;
  producer: MessageProducer;
  topics: TopicNames;
  group: string;
  /** registry lookup, refreshed by the daemon */
  registry: () => { meters: RegistryLookup; snapshot: RegistrySnapshot };
  timezone: string;
  now?: () => number;
  /** the last version assigned by this process (strictly increasing) */
  versionClock: { last: number };
}

/**
 * The local day of the last instant looked up. Readings come in runs of one day (a block rarely
 * spans two), so the per-day work of the loops below (keys, map lookups) runs once per run.
 */
class DayCursor {
  date = '';
  private start = Number.NaN;
  private end = Number.NaN;

  constructor(private readonly cal: LocalCalendar) {}

  /** Moves to the local day of `ms`; true when that is not the day of the previous call. */
  moveTo(ms: number): boolean {
    if (ms >= this.start && ms < this.end) return false;
    const bounds = this.cal.dayBoundsOf(this.cal.localDayOf(ms));
    this.start = bounds.start;
    this.end = bounds.end;
    this.date = this.cal.localDateOf(ms);
    return true;
  }
}

/** A meter-day that received stored readings in this batch (checked against aggregated / billed days). */
interface TouchedDay {
  meterId: string;
  channel: string;
  localDate: string;
  readings: number;
}

function emptyOutcome(messages: number): BatchOutcome {
  return {
    messages,
    replayedMessages: 0,
    deadLetteredMessages: 0,
    deadLetteredReadings: 0,
    readings: 0,
    stored: 0,
    rejected: 0,
    missing: 0,
    duplicates: 0,
    newVersions: 0,
    late: 0,
    lateTouches: 0,
    rejectsByReason: {},
  };
}

function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

/**
 * Process the messages of one partition, in offset order. Writes, in this order: raw payloads
 * (Cassandra), readings (ClickHouse), the current series (Cassandra), validated / rejected / event
 * topics, then counts and the partition watermark in one PostgreSQL transaction. The caller commits
 * the Kafka offset only after this resolves. Each step is idempotent, and the series comparison
 * keeps a replay from producing new ClickHouse rows (which the rollup views would count again).
 */
export async function processPartitionBatch(
  ports: IngestPorts,
  topic: string,
  partition: number,
  all: readonly ConsumedMessage[],
): Promise<BatchOutcome> {
  const out = emptyOutcome(all.length);
  if (all.length === 0) return out;
  const watermark = (await ports.bookkeeping.watermarks(ports.group, topic)).get(partition) ?? -1n;
  const messages = all.filter((m) => BigInt(m.offset) >= watermark);
  out.replayedMessages = all.length - messages.length;
  const lastOffset = BigInt(all[all.length - 1]!.offset);
  if (messages.length === 0) return out;

  const now = ports.now?.() ?? Date.now();
  const { meters, snapshot } = ports.registry();
  const ctx = { now, timezone: ports.timezone, registry: snapshot };
  const decoded = await ports.decode(messages, ctx);

  const raw: RawMessageRow[] = [];
  const deadLetters: { key: string | null; value: unknown }[] = [];
  const partitions = new Map<string, { meterId: string; day: string }>();

  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const d = decoded[i]!;
    const source = sourceOf(m);
    let reject = d.reject;
    if (!reject) {
      const unknown = d.blocks.find((b) => !meters.has(b.meterId));
      if (unknown)
        reject = { rule: 'registry.unknown', reason: `meter ${unknown.meterId} is not registered` };
    }
    const firstBlock = d.blocks[0];
    const zone = firstBlock && meters.get(firstBlock.meterId)?.timezone;
    const rawDay = LocalCalendar.for(zone ?? ports.timezone).localDateOf(
      firstBlock?.starts[0] ?? m.timestamp,
    );
    if (m.key !== null && m.value !== null) {
      raw.push({
        meterId: m.key,
        day: rawDay,
        source,
        format: m.format ?? '',
        channel: firstBlock?.channel ?? null,
        readings: d.blocks.reduce((n, b) => n + b.starts.length, 0),
        firstInterval: firstBlock?.starts.length ? firstBlock.starts[0]! : null,
        payload: m.value,
        receivedAt: m.timestamp,
      });
    }
    if (reject) {
      out.deadLetteredMessages++;
      const n = d.blocks.reduce((s, b) => s + b.starts.length, 0);
      out.deadLetteredReadings += n;
      bump(out.rejectsByReason, reject.rule, Math.max(n, 1));
      deadLetters.push({
        key: m.key,
        value: {
          kind: 'message',
          rule: reject.rule,
          reason: reject.reason,
          source: { topic: m.topic, partition: m.partition, offset: m.offset },
          format: m.format,
          key: m.key,
          payloadBase64: m.value?.toString('base64') ?? null,
          rejectedAt: new Date(now).toISOString(),
        },
      });
      d.blocks = [];
      d.columns = null;
      continue;
    }
    // The meter-day partitions this message touches, to read their current series in one pass.
    for (const b of d.blocks) {
      const cal = LocalCalendar.for(meters.get(b.meterId)!.timezone);
      const cursor = new DayCursor(cal);
      for (let j = 0; j < b.starts.length; j++) {
        if (!cursor.moveTo(b.starts[j]!)) continue;
        const day = cursor.date;
        const pkey = `${b.meterId}|${day}`;
        if (!partitions.has(pkey)) partitions.set(pkey, { meterId: b.meterId, day });
      }
    }
  }

  await ports.cassandra.writeRaw(raw);
  const current = await ports.cassandra.readSeries([...partitions.values()]);

  const chRows = new ClickHouseReadingBatch();
  const seriesRows: SeriesRow[] = [];
  const validated: { key: string; value: unknown }[] = [];
  const counts = new Map<string, MeterDayCount>();
  const touchedDays = new Map<string, TouchedDay>();
  const ingestedAt = chDateTime(now);

  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const d: DecodedMessage = decoded[i]!;
    if (!d.columns) continue;
    const source = sourceOf(m);
    // Versions follow processing order: the later of two deliveries wins even when both carry the
    // same millisecond timestamp (ClickHouse keeps the highest version, Cassandra the last write).
    const version = Math.max(m.timestamp, ports.versionClock.last + 1);
    ports.versionClock.last = version;
    for (let k = 0; k < d.blocks.length; k++) {
      const b = d.blocks[k]!;
      const meter = meters.get(b.meterId)!;
      const cal = LocalCalendar.for(meter.timezone);
      const base = d.offsets[k]!;
      chRows.block({
        meter_id: b.meterId,
        channel: b.channel,
        interval_minutes: b.intervalMinutes,
        region: meter.regionId,
        segment: meter.segment,
        tariff: meter.tariffId,
        version,
        ingested_at: ingestedAt,
      });
      ports.engine.validateContext(b, ctx, d.columns, base);
      const states = d.columns.states;
      const masks = d.columns.ruleMask;
      const lateFlags = d.columns.late;
      const rejectedReadings: { start: number; value: number | null; rules: string[] }[] = [];
      const acceptedIdx: number[] = [];
      // Per local day of the block (see DayCursor): its count, touched-day entry and series entries.
      const cursor = new DayCursor(cal);
      let day = '';
      let ckey = '';
      let count: MeterDayCount = undefined as unknown as MeterDayCount;
      let touched: TouchedDay | undefined;
      let series: Map<number, SeriesEntry> = undefined as unknown as Map<number, SeriesEntry>;
      for (let j = 0; j < b.starts.length; j++) {
        const start = b.starts[j]!;
        if (cursor.moveTo(start)) {
          day = cursor.date;
          ckey = `${b.meterId}|${b.channel}|${day}`;
          const c = counts.get(ckey);
          if (c) count = c;
          else {
            count = {
              meterId: b.meterId,
              channel: b.channel,
              localDate: day,
              received: 0,
              rejected: 0,
              late: 0,
            };
            counts.set(ckey, count);
          }
          // looked up at the day's first stored reading, so touchedDays keeps its insertion order
          touched = undefined;
          series = current.entries(b.meterId, day, b.channel);
        }
        out.readings++;
        const value = b.values[j]!;
        if (Number.isNaN(value)) {
          out.missing++;
          continue;
        }
        count.received++;
        const state = states[base + j]!;
        if (state === ValidationState.Failed) {
          out.rejected++;
          count.rejected++;
          const rules = rulesInMask(masks[base + j]!).map(ruleKey);
          for (const r of rules) bump(out.rejectsByReason, r);
          rejectedReadings.push({ start, value, rules });
          continue;
        }
        const isLate = lateFlags[base + j] === 1;
        const existing = series.get(start);
        // Written by this very message in an attempt that failed later on: stored already, and
        // ClickHouse has it too (it is written before the series).
        const alreadyWritten = existing !== undefined && existing.source === source;
        if (existing && !alreadyWritten && existing.value === value) {
          out.duplicates++;
          continue;
        }
        if (existing && !alreadyWritten) out.newVersions++;
        if (isLate) {
          out.late++;
          count.late++;
        }
        // Any stored reading, late by the VEE threshold or not, can land on a day that is already
        // aggregated or billed; the bookkeeping query decides which meter-days are.
        touched ??= touchedDays.get(ckey);
        if (!touched) {
          touched = { meterId: b.meterId, channel: b.channel, localDate: day, readings: 0 };
          touchedDays.set(ckey, touched);
        }
        touched.readings++;
        out.stored++;
        acceptedIdx.push(j);
        if (alreadyWritten) continue;
        const quality = packFields(
          Origin.Actual,
          state as ValidationState,
          Method.None,
          state === ValidationState.Accepted ? Reason.FailedValidation : Reason.None,
        );
        // Two messages of one batch with different values for one identity: the later one replaces
        // the pending row. Both rows in one unlogged batch would share a write timestamp, and
        // Cassandra would then keep the larger value, not the later one.
        const pendingRow = existing?.pendingRow;
        const row: SeriesRow = {
          meterId: b.meterId,
          day,
          channel: b.channel,
          intervalStart: start,
          intervalMinutes: b.intervalMinutes,
          value,
          quality,
          origin: Origin.Actual,
          validationState: state,
          failedRules: masks[base + j]!,
          deviceStatus: b.status[j]!,
          version,
          supersedes:
            pendingRow !== undefined
              ? seriesRows[pendingRow]!.supersedes
              : existing
                ? existing.version
                : null,
          source,
        };
        if (pendingRow !== undefined) seriesRows[pendingRow] = row;
        else seriesRows.push(row);
        // Later messages in this batch compare against what this one stores.
        series.set(start, {
          value,
          version,
          source,
          quality,
          pendingRow: pendingRow ?? seriesRows.length - 1,
        });
        chRows.add({
          ts: start,
          local_date: day,
          value,
          missing: 0,
          quality,
          origin: Origin.Actual,
          validation_state: state,
          failed_rules: masks[base + j]!,
          device_status: b.status[j]!,
        });
      }
      if (rejectedReadings.length > 0) {
        deadLetters.push({
          key: b.meterId,
          value: {
            kind: 'readings',
            meterId: b.meterId,
            channel: b.channel,
            intervalMinutes: b.intervalMinutes,
            source: { topic: m.topic, partition: m.partition, offset: m.offset },
            readings: rejectedReadings,
            rejectedAt: new Date(now).toISOString(),
          },
        });
      }
      if (acceptedIdx.length > 0) {
        validated.push({
          key: b.meterId,
          value: {
            v: 1,
            meterId: b.meterId,
            channel: b.channel,
            intervalMinutes: b.intervalMinutes,
            source,
            version,
            starts: acceptedIdx.map((j) => b.starts[j]),
            values: acceptedIdx.map((j) => b.values[j]),
            states: acceptedIdx.map((j) => states[base + j]),
            ruleMasks: acceptedIdx.map((j) => masks[base + j]),
          },
        });
      }
    }
  }

  await ports.clickhouse.insert(chRows);
  await ports.cassandra.writeSeries(seriesRows);

  const late: LateTouch[] = await ports.bookkeeping.lateTouches([...touchedDays.values()]);
  out.lateTouches = late.length;
  await ports.producer.sendJson(ports.topics.validated, validated);
  await ports.producer.sendJson(ports.topics.rejected, deadLetters);
  await ports.producer.sendJson(
    ports.topics.events,
    late.map((t) => ({
      key: t.meterId,
      value: { type: 'late_data', ...t, detectedAt: new Date(now).toISOString() },
    })),
  );
  await ports.bookkeeping.recordBatch({
    group: ports.group,
    topic,
    partition,
    nextOffset: lastOffset + 1n,
    counts: [...counts.values()],
    late,
  });
  return out;
}

export function mergeOutcomes(into: BatchOutcome, o: BatchOutcome): BatchOutcome {
  for (const k of Object.keys(into) as (keyof BatchOutcome)[]) {
    if (k === 'rejectsByReason') continue;
    (into[k] as number) += o[k] as number;
  }
  for (const [r, n] of Object.entries(o.rejectsByReason)) bump(into.rejectsByReason, r, n);
  return into;
}

export { emptyOutcome };
