/**
 * Applies a write plan in the one documented order (docs/architecture.md). Each step is
 * idempotent, so a caller that fails at any step retries the whole plan — or re-plans from the
 * stores, which is what ingest does — without duplicating data:
 *
 *   1. raw archive   one row per delivery, keyed by source: a retry rewrites the same row
 *   2. analytics     the changed readings (ClickHouse `readings` keeps the highest version)
 *   3. series        new meter-day versions; a version row is immutable, rewriting it is a no-op
 *   4. topics        validated / rejected / events, each message with an idempotency key
 *   5. bookkeeping   counts, late-data follow-ups and the caller's watermark, one transaction
 *
 * Analytics goes before the series on purpose: a re-plan after a failure between 2 and 3 sees the
 * readings as not yet stored and inserts them again (collapsed by `readings`, counted again by the
 * provisional rollups until the authoritative aggregates are computed); the other order would lose
 * them from ClickHouse for good.
 */

import type { WritePlan } from './planner.js';
import type { SeriesPorts, Watermark } from './ports.js';

export async function applyPlan(ports: SeriesPorts, plan: WritePlan, watermark?: Watermark): Promise<void> {
  await ports.raw.archive(plan.raw);
  await ports.analytics.insert(plan.changes, plan.days[0]?.writtenAt ?? Date.now());
  await ports.series.write(plan.days);
  await ports.topics.send(ports.topicNames.validated, plan.messages.validated);
  await ports.topics.send(ports.topicNames.rejected, plan.messages.rejected);
  await ports.topics.send(ports.topicNames.events, plan.messages.events);
  await ports.bookkeeping.record({
    counts: plan.counts,
    late: plan.late,
    ...(watermark ? { watermark } : {}),
  });
}
