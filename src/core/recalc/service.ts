/**
 * `smt recalc`: works smt.recalc_queue. Safe as several processes at once (each item is claimed by
 * one), resumable (a killed worker's items come back when their lease expires), idempotent per item
 * (a recalculation re-derives the day from the series).
 */
import { hostname } from 'node:os';
import { openAggregatePorts } from '../aggregate/service.js';
import type { SmtConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import { PostgresRecalcQueue, type QueueCounts } from '../postgres/recalc-queue.js';
import { dayKey } from '../series/day.js';
import { aggregateRecalculator, type DayRecalculator } from './recalculator.js';

export interface RecalcOptions {
  untilEmpty: boolean;
  batch: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** pause per claimed item before its batch is worked (tests of the claim mechanics; 0 in production) */
  itemDelayMs?: number;
  signal?: AbortSignal;
  recalculator?: DayRecalculator;
  onProgress?: (p: { done: number; remaining: number; seconds: number }) => void;
}

export interface RecalcSummary {
  worker: string;
  done: number;
  failed: number;
  seconds: number;
  itemsPerSecond: number;
  queue: QueueCounts;
  stoppedBy: 'empty' | 'signal';
}

export async function runRecalc(config: SmtConfig, o: RecalcOptions): Promise<RecalcSummary> {
  const ports = await openAggregatePorts(config);
  const queue = new PostgresRecalcQueue(ports.pool);
  const recalc = o.recalculator ?? aggregateRecalculator(ports);
  const worker = `${hostname()}:${process.pid}`;
  const t0 = performance.now();
  let done = 0;
  let failed = 0;
  let stoppedBy: RecalcSummary['stoppedBy'] = 'empty';
  try {
    for (;;) {
      if (o.signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
      const items = await queue.claim(worker, o.batch, o.leaseSeconds);
      if (items.length === 0) {
        const c = await queue.counts();
        // items held by live workers may still fail and come back: wait for them when draining
        if (o.untilEmpty && c.running === 0 && c.pending === 0 && c.expired === 0) break;
        await sleep(o.untilEmpty ? 500 : 2_000, o.signal);
        continue;
      }
      if (o.itemDelayMs) await sleep(o.itemDelayMs * items.length, o.signal);
      // one batch, one pass of the aggregation engine: its rollups run once for all the items
      const keys = items.map((it) => ({ meterId: it.meterId, channel: it.channel, day: it.localDate }));
      let skipped: Map<string, string>;
      try {
        skipped = await recalc.recalcDays(keys);
      } catch {
        // one bad item must not use up its batch-mates' attempts: retry each on its own
        skipped = new Map();
        for (const k of keys) {
          try {
            for (const [key, why] of await recalc.recalcDays([k])) skipped.set(key, why);
          } catch (err) {
            skipped.set(dayKey(k.meterId, k.channel, k.day), errorMessage(err));
          }
        }
      }
      const ok: number[] = [];
      for (const it of items) {
        const why = skipped.get(dayKey(it.meterId, it.channel, it.localDate));
        if (why === undefined) ok.push(it.recalcId);
        else {
          failed++;
          await queue.fail(worker, it.recalcId, why, o.maxAttempts);
        }
      }
      done += await queue.complete(worker, ok);
      const c = await queue.counts();
      o.onProgress?.({
        done,
        remaining: c.pending + c.expired + c.running,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      worker,
      done,
      failed,
      seconds: Math.round(seconds * 100) / 100,
      itemsPerSecond: Math.round(done / Math.max(seconds, 0.001)),
      queue: await queue.counts(),
      stoppedBy,
    };
  } finally {
    await ports.close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
