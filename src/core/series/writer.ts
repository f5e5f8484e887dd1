/**
 * Every writer of the series (ingest, estimation, corrections, backfill) calls `writeSeries`: read
 * the stored state of the touched meter-days, plan, apply. Only the planner decides what changes.
 */
import { type ApplyHooks, applyPlan } from './apply.js';
import { keyOf, type SeriesDay, type SeriesDayKey } from './day.js';
import { type PlanInput, planWrite, touchedDays, touchedReads, type WritePlan } from './planner.js';
import type { SeriesPorts, SeriesStore } from './ports.js';

export interface WriteRequest extends Omit<PlanInput, 'stored' | 'closed' | 'storedReads'> {
  /** false: plan only (a dry run) */
  apply?: boolean;
  hooks?: ApplyHooks;
  /**
   * The caller's own read of the current versions of the touched days (a backfill that derived
   * its units from them). Only their version numbers are read again (when the store can: `heads`),
   * and the days that moved since are read whole, so the plan starts from the state at write time
   * as without it, for a fraction of a read.
   */
  known?: ReadonlyMap<string, SeriesDay>;
}

export async function writeSeries(ports: SeriesPorts, req: WriteRequest): Promise<WritePlan> {
  const keys = touchedDays(req.units, req.meters);
  const readKeys = touchedReads(req.units, req.meters);
  if (readKeys.length > 0 && ports.registers === undefined)
    throw new Error('register reads to write but no register read store among the series ports');
  const [stored, closed, storedReads] = await Promise.all([
    req.known ? currentFrom(ports.series, keys, req.known) : ports.series.current(keys),
    ports.bookkeeping.closedDays(keys),
    readKeys.length > 0 ? ports.registers!.current(readKeys) : new Map(),
  ]);
  const plan = planWrite({ ...req, stored, closed, storedReads });
  if (req.apply !== false) await applyPlan(ports, plan, req.now, req.hooks);
  return plan;
}

/** The current versions of `keys`: those of `known` still current, the others read again. */
async function currentFrom(
  store: SeriesStore,
  keys: readonly SeriesDayKey[],
  known: ReadonlyMap<string, SeriesDay>,
): Promise<Map<string, SeriesDay>> {
  if (!store.heads) return store.current(keys);
  const heads = await store.heads(keys);
  const out = new Map<string, SeriesDay>();
  const moved: SeriesDayKey[] = [];
  for (const k of keys) {
    const key = keyOf(k);
    const head = heads.get(key);
    const d = known.get(key);
    if (head === undefined && d === undefined) continue;
    if (d !== undefined && d.version === head) out.set(key, d);
    else moved.push(k);
  }
  if (moved.length > 0) for (const [key, d] of await store.current(moved)) out.set(key, d);
  return out;
}
