/**
 * The revalidate stage of a backfill: re-decode every archived delivery of the meter-days and
 * run the rule set again; a reading becomes part of a write only where its delivery still owns
 * the stored value (positions set by estimation or corrections are left alone) and its value,
 * validation state or rules changed, or where a reading rejected before now passes (and where an
 * earlier attempt of the same job wrote it: the planner then only completes what that attempt left). The write
 * units carry the delivery's own source behind a backfill prefix, so a later backfill still
 * knows which delivery set a value, and a rerun of the same job is recognised by the planner.
 */
import { decodeAndValidateMessage } from '../ingest/decode-stage.js';
import type { ReadingBlock } from '../readings/block.js';
import { stateOf, ValidationState } from '../readings/quality.js';
import { dayKey, positionOf, type SeriesDay, writeAt } from '../series/day.js';
import type { WriteUnit } from '../series/planner.js';
import type { RawDelivery } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate } from '../time/local-date.js';
import type { RegistrySnapshot } from '../vee/context.js';
import { ValidationColumns, type VeeEngine } from '../vee/engine.js';
import { ruleKey, rulesInMask } from '../vee/rules.js';

export interface RevalidateCounts {
  deliveries: number;
  /** deliveries that no longer decode (or are for unregistered meters): left as they are */
  undecodable: number;
  readings: number;
  /** readings whose stored value another writer (estimation, correction, a later delivery) set */
  notOwned: number;
  valueChanged: number;
  /** readings whose validation state changes (e.g. passed → accepted under a new rule set) */
  stateChanged: number;
  rulesChanged: number;
  /** stored readings that now fail a rule with action `fail` (dead-lettered; the stored value stays) */
  nowRejected: number;
  /** readings not in the series (rejected before) that now pass */
  nowAccepted: number;
  /** readings an earlier attempt of this very job re-validated already (a chunk done again after a crash) */
  alreadyDone: number;
}

export function emptyRevalidateCounts(): RevalidateCounts {
  return {
    deliveries: 0,
    undecodable: 0,
    readings: 0,
    notOwned: 0,
    valueChanged: 0,
    stateChanged: 0,
    rulesChanged: 0,
    nowRejected: 0,
    nowAccepted: 0,
    alreadyDone: 0,
  };
}

const PREFIX = /^backfill:[^:]+:/;

/** The delivery a write source stands for: backfill sources wrap the delivery's own. */
export function deliveryOf(source: string): string {
  return source.replace(PREFIX, '');
}

export function backfillSource(jobId: string, delivery: string): string {
  return `backfill:${jobId}:${delivery}`;
}

const sameRules = (a: readonly string[] | undefined, b: readonly string[]) =>
  (a?.length ?? 0) === b.length && b.every((r, i) => a![i] === r);

/**
 * The write units that re-validate these deliveries against the current days (`current`, by day
 * key), and what would change. `inScope` limits the readings to the chunk's meter-days.
 */
export function revalidationUnits(args: {
  jobId: string;
  deliveries: readonly RawDelivery[];
  current: ReadonlyMap<string, SeriesDay>;
  inScope: ReadonlySet<string>;
  engine: VeeEngine;
  registry: RegistrySnapshot & { get(id: string): { timezone: string } | undefined };
  timezone: string;
}): { units: WriteUnit[]; counts: RevalidateCounts } {
  const counts = emptyRevalidateCounts();
  const units: WriteUnit[] = [];
  const rulesOf = memo((mask: number) => (mask === 0 ? [] : rulesInMask(mask).map(ruleKey)));
  const deliveryOfOwner = memo(deliveryOf);
  for (const d of args.deliveries) {
    counts.deliveries++;
    const decoded = decodeAndValidateMessage(
      { key: d.meterId, value: d.payload, format: d.format },
      args.engine,
      { now: d.receivedAt, timezone: args.timezone, registry: args.registry },
    );
    if (decoded.reject || !decoded.columns) {
      counts.undecodable++;
      continue;
    }
    const mine = backfillSource(args.jobId, d.source);
    const cols = decoded.columns;
    const blocks: ReadingBlock[] = [];
    const keep: number[] = [];
    const offsets = [0];
    for (let k = 0; k < decoded.blocks.length; k++) {
      const b = decoded.blocks[k]!;
      const cal = LocalCalendar.for(args.registry.get(b.meterId)?.timezone ?? args.timezone);
      const picked: number[] = [];
      // readings come in runs of one local day: the day's key and lookups once per run
      let dayStart = Number.NaN;
      let dayEnd = Number.NaN;
      let inScope = false;
      let day: SeriesDay | undefined;
      for (let j = 0; j < b.starts.length; j++) {
        const value = b.values[j]!;
        if (Number.isNaN(value)) continue;
        const start = b.starts[j]!;
        if (!(start >= dayStart && start < dayEnd)) {
          const epochDay = cal.localDayOf(start);
          ({ start: dayStart, end: dayEnd } = cal.dayBoundsOf(epochDay));
          const key = dayKey(b.meterId, b.channel, formatLocalDate(epochDay));
          inScope = args.inScope.has(key);
          day = args.current.get(key);
        }
        if (!inScope) continue;
        counts.readings++;
        const i = decoded.offsets[k]! + j;
        const state = cols.states[i]!;
        const pos = day ? positionOf(day, start) : -1;
        const stored = pos >= 0 && !Number.isNaN(day!.values[pos]!);
        if (!stored) {
          if (state !== ValidationState.Failed) {
            counts.nowAccepted++;
            picked.push(j);
          }
          continue;
        }
        const owner = writeAt(day!, pos)!.source;
        if (owner === mine) {
          // handed to the planner anyway: it recognises its own write and has ClickHouse checked
          // for the readings an attempt that failed after the series write did not insert there
          counts.alreadyDone++;
          picked.push(j);
          continue;
        }
        if (owner !== d.source && deliveryOfOwner(owner) !== d.source) {
          counts.notOwned++;
          continue;
        }
        const valueChanged = day!.values[pos] !== value;
        const stateChanged = stateOf(day!.quality[pos]!) !== state;
        const rulesChanged = !sameRules(day!.rules.get(pos), rulesOf(cols.ruleMask[i]!));
        if (state === ValidationState.Failed) counts.nowRejected++;
        if (valueChanged) counts.valueChanged++;
        if (stateChanged) counts.stateChanged++;
        if (rulesChanged) counts.rulesChanged++;
        if (valueChanged || stateChanged || rulesChanged) picked.push(j);
      }
      if (picked.length === 0) continue;
      blocks.push(subBlock(b, picked));
      for (const j of picked) keep.push(decoded.offsets[k]! + j);
      offsets.push(offsets[offsets.length - 1]! + picked.length);
    }
    if (blocks.length === 0) continue;
    const columns = ValidationColumns.allocate(keep.length);
    keep.forEach((i, n) => {
      columns.states[n] = cols.states[i]!;
      columns.ruleMask[n] = cols.ruleMask[i]!;
      columns.late[n] = cols.late[i]!;
    });
    units.push({
      source: backfillSource(args.jobId, d.source),
      sourceRef: null,
      key: d.meterId,
      format: d.format,
      payload: null,
      receivedAt: d.receivedAt,
      reject: null,
      blocks,
      columns,
      offsets: Uint32Array.from(offsets),
    });
  }
  return { units, counts };
}

/** `f` with its results kept by argument (few distinct masks and owners per chunk). */
function memo<K, V>(f: (k: K) => V): (k: K) => V {
  const seen = new Map<K, V>();
  return (k) => {
    let v = seen.get(k);
    if (v === undefined && !seen.has(k)) {
      v = f(k);
      seen.set(k, v);
    }
    return v as V;
  };
}

function subBlock(b: ReadingBlock, picked: readonly number[]): ReadingBlock {
  const take = <T extends Float64Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
    const out = make(picked.length);
    picked.forEach((j, n) => {
      out[n] = a[j]!;
    });
    return out;
  };
  return {
    ...b,
    starts: take(b.starts, (n) => new Float64Array(n)),
    values: take(b.values, (n) => new Float64Array(n)),
    status: take(b.status, (n) => new Uint32Array(n)),
    sequence: take(b.sequence, (n) => new Int32Array(n)),
  };
}
