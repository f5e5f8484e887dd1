/**
 * The aggregate stage of a backfill, on the aggregate engine (`aggregateDays`): per chunk the daily
 * rows of its meter-days, computed from the day versions the chunk has just read and written (no
 * third read of the series); the weekly, monthly and region × segment × tariff rollups once per
 * job when every chunk is done. Rolled up per chunk they cost a scan of the whole month of every
 * meter each time (50 chunks of a 100,000-meter day: 50 scans of ~3 million daily rows).
 */
import { aggregateDays, widenRange } from '../aggregate/service.js';
import type { MeterScope, UpsertCounts } from '../postgres/aggregate-store.js';
import { PostgresAggregateStore } from '../postgres/aggregate-store.js';
import { keyOf, type SeriesDay, type SeriesDayKey } from '../series/day.js';
import type { SeriesStore } from '../series/ports.js';

type AggregatePorts = Parameters<typeof aggregateDays>[0];

const NONE: UpsertCounts = { inserted: 0, updated: 0 };

/** The daily rows only: the rollups wait for the end of the job (`rollupJob`). */
class DailyRowsOnly extends PostgresAggregateStore {
  override async rollup(): Promise<UpsertCounts> {
    return { ...NONE };
  }
  override async rollupDims(): Promise<UpsertCounts> {
    return { ...NONE };
  }
}

export interface ChunkAggregator {
  /**
   * Daily rows of the chunk's meter-days; `days`: the current version of each of them as the
   * chunk left it (absent: the series is read).
   */
  chunk(keys: readonly SeriesDayKey[], days?: ReadonlyMap<string, SeriesDay>): Promise<number>;
}

export function chunkAggregator(ports: AggregatePorts & { pool: import('pg').Pool }): ChunkAggregator {
  const store = new DailyRowsOnly(ports.pool);
  return {
    async chunk(keys, days) {
      const known: Pick<SeriesStore, 'current'> = days
        ? {
            current: async (ks) => {
              const out = new Map<string, SeriesDay>();
              for (const k of ks) {
                const d = days.get(keyOf(k));
                if (d) out.set(keyOf(k), d);
              }
              return out;
            },
          }
        : ports.series;
      const r = await aggregateDays({ ...ports, series: known, store }, keys);
      return r.daily.inserted + r.daily.updated;
    },
  };
}

export interface RollupCounts {
  weekly: UpsertCounts;
  monthly: UpsertCounts;
  dimsDaily: UpsertCounts;
  dimsMonthly: UpsertCounts;
}

/**
 * The rollups `aggregateDays` does, once for the whole job: existing weekly and monthly rows of
 * the job's meters, and the region rows of its days and months. Idempotent (rows whose values do
 * not change are not touched), so every process of the job may run it.
 */
export async function rollupJob(
  store: PostgresAggregateStore,
  range: { from: string; to: string },
  scope: MeterScope,
  meterIds: readonly string[],
): Promise<RollupCounts> {
  const ids = scope.meterIds || scope.region ? meterIds : undefined;
  const weeks = widenRange('week', range.from, range.to);
  const months = widenRange('month', range.from, range.to);
  return {
    weekly: await store.rollup('week', { ...weeks, ...(ids ? { meterIds: ids } : {}), onlyExisting: true }),
    monthly: await store.rollup('month', {
      ...months,
      ...(ids ? { meterIds: ids } : {}),
      onlyExisting: true,
    }),
    dimsDaily: await store.rollupDims('day', range),
    dimsMonthly: await store.rollupDims('month', months),
  };
}
