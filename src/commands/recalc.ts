import { Flags } from '@oclif/core';
import { type RecalcSummary, runRecalc } from '../core/recalc/service.js';
import { BaseCommand } from '../ui/base-command.js';
import { jobProgress } from '../ui/job-progress.js';
import { renderKeyValues, writeResult } from '../ui/output.js';

export default class Recalc extends BaseCommand {
  static override summary =
    'Work the recalculation queue: re-derive the daily aggregates of meter-days that changed';
  static override description =
    `Late data on an aggregated day, corrections and estimates put the meter-day on smt.recalc_queue. Each item is claimed by one process (FOR UPDATE SKIP LOCKED): run as many as you like at once. A claim holds a lease; when a process dies its items are claimed again once the lease expires, so a run can be killed and restarted at any time. Progress (rate, ETA) on stderr. Without --until-empty it keeps polling until SIGINT/SIGTERM.

Exit codes: 0 done; 2 usage; 3 some items failed (see smt.recalc_queue.last_error); 4 PostgreSQL or Cassandra unreachable.`;
  static override examples = [
    '<%= config.bin %> recalc --until-empty',
    '<%= config.bin %> recalc --batch 500 --json',
  ];
  static override flags = {
    'until-empty': Flags.boolean({ description: 'exit when the queue is empty (batch runs)' }),
    batch: Flags.integer({ description: 'items claimed at a time', default: 100, min: 1, max: 10_000 }),
    'lease-seconds': Flags.integer({
      description: 'a claim expires after this long without completion',
      default: 300,
      min: 1,
    }),
    'max-attempts': Flags.integer({
      description: 'attempts before an item is marked failed',
      default: 5,
      min: 1,
    }),
    'item-delay-ms': Flags.integer({
      description: 'pause after each item (testing the claim mechanics)',
      default: 0,
      min: 0,
      hidden: true,
    }),
  };

  async run(): Promise<RecalcSummary> {
    const { flags } = await this.parse(Recalc);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const progress = jobProgress('recalc', 'items', !this.jsonEnabled());
    try {
      const s = await runRecalc(await this.smtConfig(), {
        untilEmpty: flags['until-empty'],
        batch: flags.batch,
        leaseSeconds: flags['lease-seconds'],
        maxAttempts: flags['max-attempts'],
        itemDelayMs: flags['item-delay-ms'],
        signal: ac.signal,
        onProgress: (p) => progress(p.done, p.done + p.remaining, p.seconds),
      });
      if (!this.jsonEnabled())
        writeResult(
          renderKeyValues([
            ['worker', s.worker],
            ['recalculated', s.done],
            ['failed', s.failed],
            ['items/s', `${s.itemsPerSecond} (${s.seconds} s)`],
            [
              'queue',
              `pending ${s.queue.pending}, running ${s.queue.running}, expired ${s.queue.expired}, done ${s.queue.done}, failed ${s.queue.failed}`,
            ],
            ['stopped by', s.stoppedBy],
          ]),
        );
      if (s.failed > 0) process.exitCode = 3;
      return s;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}
