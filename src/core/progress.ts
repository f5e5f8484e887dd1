/**
 * What a long-running service tells about its progress: the one event model every long command
 * uses (`simulate`, `demo`, `aggregate`, `backfill`, `reconcile`). Services emit counts only; the
 * progress model in src/ui/progress.ts adds time (rate, ETA) and renders them: a live bar on a
 * terminal, plain lines in CI, nothing under --json.
 */
export type ProgressEvent =
  /** a (new) stage of the work: its name, how many units it has (null = unknown) and their name */
  | { kind: 'stage'; label: string; total: number | null; unit: string }
  /** units done so far in the current stage (absolute, not a delta), with figures to show beside them */
  | { kind: 'advance'; done: number; counts?: Record<string, number> }
  /** one line worth keeping (a step finished, a warning) */
  | { kind: 'note'; text: string }
  | { kind: 'done' };

export type ProgressSink = (e: ProgressEvent) => void;

/** A sink that drops everything: what services use when nobody listens. */
export const noProgress: ProgressSink = () => {};
