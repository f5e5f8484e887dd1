/**
 * Every writer of the series (ingest, estimation, corrections, backfill) calls `writeSeries`: read
 * the stored state of the touched meter-days, plan, apply. Only the planner decides what changes.
 */
import { applyPlan } from './apply.js';
import { type PlanInput, planWrite, touchedDays, type WritePlan } from './planner.js';
import type { SeriesPorts, Watermark } from './ports.js';

export interface WriteRequest extends Omit<PlanInput, 'stored' | 'closed'> {
  /** Kafka callers: stored with the counts, in the same transaction */
  watermark?: Watermark;
  /** called between planning and applying (a dry run can stop here by throwing nothing and returning false) */
  apply?: boolean;
}

export async function writeSeries(ports: SeriesPorts, req: WriteRequest): Promise<WritePlan> {
  const keys = touchedDays(req.units, req.meters);
  const [stored, closed] = await Promise.all([
    ports.series.current(keys),
    ports.bookkeeping.closedDays(keys),
  ]);
  const plan = planWrite({ ...req, stored, closed });
  if (req.apply !== false) await applyPlan(ports, plan, req.watermark);
  return plan;
}
