/**
 * Every writer of the series (ingest, estimation, corrections, backfill) calls `writeSeries`: read
 * the stored state of the touched meter-days, plan, apply. Only the planner decides what changes.
 */
import { type ApplyHooks, applyPlan } from './apply.js';
import { type PlanInput, planWrite, touchedDays, touchedReads, type WritePlan } from './planner.js';
import type { SeriesPorts } from './ports.js';

export interface WriteRequest extends Omit<PlanInput, 'stored' | 'closed' | 'storedReads'> {
  /** false: plan only (a dry run) */
  apply?: boolean;
  hooks?: ApplyHooks;
}

export async function writeSeries(ports: SeriesPorts, req: WriteRequest): Promise<WritePlan> {
  const keys = touchedDays(req.units, req.meters);
  const readKeys = touchedReads(req.units, req.meters);
  if (readKeys.length > 0 && ports.registers === undefined)
    throw new Error('register reads to write but no register read store among the series ports');
  const [stored, closed, storedReads] = await Promise.all([
    ports.series.current(keys),
    ports.bookkeeping.closedDays(keys),
    readKeys.length > 0 ? ports.registers!.current(readKeys) : new Map(),
  ]);
  const plan = planWrite({ ...req, stored, closed, storedReads });
  if (req.apply !== false) await applyPlan(ports, plan, req.now, req.hooks);
  return plan;
}
