import type { SeriesDayKey } from '../series/day.js';
import type { SeriesPorts } from '../series/ports.js';

export const BACKFILL_STAGES = ['revalidate', 'estimate', 'aggregate'] as const;
export type BackfillStageName = (typeof BACKFILL_STAGES)[number];

/** What a stage gets for one chunk: the meter-days, the series ports, and whether to write. */
export interface StageContext {
  jobId: string;
  /** index of the chunk in the job (the same arguments always give the same chunks) */
  chunk: number;
  keys: readonly SeriesDayKey[];
  series: SeriesPorts;
  apply: boolean;
  now: number;
  /** the last series version this process issued (µs), shared by its writers */
  clock: { last: number };
}

export interface StageOutcome {
  /** meter-days that got a new series version (would get, in a dry run) */
  changedDays: number;
  /** stage-specific counts for the report */
  counts: Record<string, number>;
}

/** A backfill stage that another module provides (the estimate stage: estimate-stage.ts). */
export interface Stage {
  name: BackfillStageName;
  run(ctx: StageContext): Promise<StageOutcome>;
}
