import type { SeriesDayKey } from '../series/day.js';
import type { SeriesPorts } from '../series/ports.js';

export const BACKFILL_STAGES = ['revalidate', 'estimate', 'aggregate'] as const;
export type BackfillStageName = (typeof BACKFILL_STAGES)[number];

/** What a stage gets for one chunk: the meter-days, the series ports, and whether to write. */
export interface StageContext {
  jobId: string;
  keys: readonly SeriesDayKey[];
  series: SeriesPorts;
  apply: boolean;
  now: number;
}

export interface StageOutcome {
  /** meter-days that got a new series version */
  changedDays: number;
  /** stage-specific counts for the report */
  counts: Record<string, number>;
}

/**
 * A backfill stage that is not the backfill's own. The estimate stage is provided by the
 * estimation module (issue "data quality"): it registers itself with `registerStage('estimate', …)`
 * and writes its estimates through writeSeries with its own Writer. Until then the stage is
 * reported as not available and skipped.
 */
export interface Stage {
  name: BackfillStageName;
  run(ctx: StageContext): Promise<StageOutcome>;
}

const registered = new Map<BackfillStageName, Stage>();

export function registerStage(stage: Stage): void {
  registered.set(stage.name, stage);
}

export function registeredStage(name: BackfillStageName): Stage | undefined {
  return registered.get(name);
}
