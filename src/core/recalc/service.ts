/**
 * `smt recalc`: works smt.recalc_queue. Safe as several processes at once (each item is claimed by
 * one), resumable (a killed worker's items come back when their lease expires), idempotent per item
 * (a recalculation re-derives the day from the series).
 */
import { hostname } from 'node:os';
import type { SmtConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import { openQualityStores } from '../gaps/stores.js';
import { PostgresRecalcQueue, type QueueCounts } from '../postgres/recalc-queue.js';
import { type DayRecalculator, seriesDayRecalculator } from './recalculator.js';

export interface RecalcOptions {
  untilEmpty: boolean;
  batch: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** pause between items (tests of the claim mechanics; 0 in production) */
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
  const stores = openQualityStores(config);
  const queue = new PostgresRecalcQueue(stores.pool);
  const recalc = o.recalculator ?? seriesDayRecalculator(stores.reader, stores.pool);
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
      const ok: number[] = [];
      for (const it of items) {
        try {
          await recalc.recalcDay(it.meterId, it.channel, it.localDate);
          ok.push(it.recalcId);
        } catch (err) {
          failed++;
          await queue.fail(worker, it.recalcId, errorMessage(err), o.maxAttempts);
        }
        if (o.itemDelayMs) await sleep(o.itemDelayMs, o.signal);
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
    await stores.close();
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
