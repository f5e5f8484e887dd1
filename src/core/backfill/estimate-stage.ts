/**
 * The estimate stage of a backfill: gap detection and the estimation chain of `smt estimate`
 * (src/core/estimation) over the chunk's meter-days, after they were re-validated. Each chunk
 * writes under a source named by the job and the chunk, so a chunk done again after a crash is
 * recognised by the planner instead of estimating on top of its own estimates.
 */
import { forEachBounded } from '../concurrency.js';
import { estimateMeter, type MeterEstimates, readHistory, writeEstimates } from '../estimation/service.js';
import type { EstimationSettings } from '../estimation/settings.js';
import type { MeterFacts } from '../gaps/expected.js';
import type { SeriesReader } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';
import type { Stage, StageContext, StageOutcome } from './stages.js';

export interface EstimateStageDeps {
  meterFacts(meterIds: readonly string[]): Promise<MeterFacts[]>;
  reader: SeriesReader;
  settings: EstimationSettings;
  fallbackZone: string;
  /** meters whose history is read at once */
  concurrency?: number;
}

export function estimateStage(deps: EstimateStageDeps): Stage {
  return {
    name: 'estimate',
    async run(ctx: StageContext): Promise<StageOutcome> {
      const counts = { gaps: 0, missing: 0, filled: 0, unfilled: 0, keptActuals: 0 };
      // meter → channel → dates of the chunk
      const wanted = new Map<string, Map<string, string[]>>();
      for (const k of ctx.keys) {
        let channels = wanted.get(k.meterId);
        if (!channels) {
          channels = new Map();
          wanted.set(k.meterId, channels);
        }
        const dates = channels.get(k.channel) ?? [];
        dates.push(k.day);
        channels.set(k.channel, dates);
      }
      const meters = await deps.meterFacts([...wanted.keys()]);
      const work: { meter: MeterFacts; channel: string; estimates: MeterEstimates }[] = [];
      const jobs = meters.flatMap((meter) =>
        [...wanted.get(meter.meterId)!].map(([channel, dates]) => ({ meter, channel, dates: dates.sort() })),
      );
      await forEachBounded(jobs, deps.concurrency ?? 16, async ({ meter, channel, dates }) => {
        const chain = deps.settings.segments[meter.segment] ?? deps.settings.base;
        const stored = await readHistory(
          deps.reader,
          meter,
          channel,
          dates[0]!,
          dates[dates.length - 1]!,
          chain.likeDay.lookbackDays,
        );
        work.push({ meter, channel, estimates: estimateMeter(meter, channel, dates, stored, deps.settings) });
      });
      const estimatedDays = new Set<string>();
      for (const { meter, channel, estimates: e } of work) {
        counts.gaps += e.gaps;
        counts.missing += e.missing;
        counts.filled += e.filled;
        counts.unfilled += e.unfilled;
        const cal = LocalCalendar.for(meter.timezone);
        for (const blocks of e.blocks.values())
          for (const b of blocks)
            estimatedDays.add(`${meter.meterId}|${channel}|${cal.localDateOf(b.starts[0]!)}`);
      }
      if (!ctx.apply || estimatedDays.size === 0) return { changedDays: estimatedDays.size, counts };
      // one write per channel: estimateMeter's blocks are of one channel each
      let changedDays = 0;
      for (const channel of new Set(work.map((w) => w.channel))) {
        const of = work.filter((w) => w.channel === channel);
        const w = await writeEstimates(
          ctx.series,
          `backfill-${ctx.jobId}-${channel}`,
          ctx.chunk,
          of.map((x) => x.meter),
          of.map((x) => x.estimates),
          ctx.clock,
          deps.fallbackZone,
        );
        counts.keptActuals += w.keptActuals;
        changedDays += w.versions;
      }
      return { changedDays, counts };
    },
  };
}
