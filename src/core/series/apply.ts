/**
 * Applies a write plan in the one documented order (docs/architecture.md). Each step is
 * idempotent, so a caller that fails or dies at any step re-plans from the stores and applies
 * again without losing or duplicating anything:
 *
 *   1. raw archive   one row per delivery, keyed by source: a retry rewrites the same row
 *   2. series        new meter-day versions and register read versions; a version row is
 *                    immutable, rewriting it is a no-op
 *   3. analytics     the changed readings, plus those a failed earlier attempt stored in the series
 *                    that the analytics store does not hold yet (`rechecks`): each reading reaches
 *                    ClickHouse exactly once, so the provisional rollups fed by it stay exact
 *   4. topics        validated / rejected / events, each message with an idempotency key
 *   5. bookkeeping   counts, late-data follow-ups (and a Kafka caller's watermark), one transaction
 *
 * The series goes before analytics: after a crash between the two, the re-plan finds the readings
 * stored by the same source and asks ClickHouse which of them it holds.
 */
import type { WritePlan } from './planner.js';
import type { SeriesPorts } from './ports.js';

export const APPLY_STEPS = [
  'raw',
  'series',
  'analytics',
  'validated',
  'rejected',
  'events',
  'bookkeeping',
] as const;
export type ApplyStep = (typeof APPLY_STEPS)[number];

export interface ApplyHooks {
  /** before each step (a Kafka caller that lost its partition aborts the slice here) */
  beforeStep?: (step: ApplyStep) => void | Promise<void>;
  /** after each step has been acknowledged (the fault harness kills the process here) */
  afterStep?: (step: ApplyStep) => void | Promise<void>;
}

export async function applyPlan(
  ports: SeriesPorts,
  plan: WritePlan,
  now: number,
  hooks: ApplyHooks = {},
): Promise<void> {
  const step = async (s: ApplyStep, write: () => Promise<void>) => {
    await hooks.beforeStep?.(s);
    await write();
    await hooks.afterStep?.(s);
  };
  await step('raw', () => ports.raw.archive(plan.raw));
  await step('series', async () => {
    await ports.series.write(plan.days);
    if (plan.registerReads.length > 0) await ports.registers!.write(plan.registerReads);
  });
  await step('analytics', async () => {
    const lacking = plan.rechecks.length > 0 ? await ports.analytics.missing(plan.rechecks) : [];
    await ports.analytics.insert([...plan.changes, ...lacking], now);
  });
  await step('validated', () => ports.topics.send(ports.topicNames.validated, plan.messages.validated));
  await step('rejected', () => ports.topics.send(ports.topicNames.rejected, plan.messages.rejected));
  await step('events', () => ports.topics.send(ports.topicNames.events, plan.messages.events));
  await step('bookkeeping', () =>
    ports.bookkeeping.record({
      counts: plan.counts,
      late: plan.late,
      gaps: plan.gapStates,
      rejects: plan.rejects,
    }),
  );
}
