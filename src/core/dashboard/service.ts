/**
 * `smt dashboard`: one snapshot of the platform from the services that already exist (the ingest
 * daemon's /metrics, `smt ingest status`, `smt status`) and the bookkeeping tables and provisional
 * rollups. Every section is read on its own: a store that is down shows as such and the rest stays.
 */
import { createClickHouseClient } from '../clickhouse/client.js';
import { OpsRollups, type RegionLoad } from '../clickhouse/ops-queries.js';
import type { SmtConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import { type IngestScrape, scrapeIngest } from '../ingest/metrics-scrape.js';
import { type IngestGroupStatus, ingestGroupStatus } from '../ingest/status.js';
import { type PlatformStatus, platformStatus } from '../platform-status.js';
import { createPostgresPool } from '../postgres/client.js';
import {
  type LateAlertSummary,
  OpsRepository,
  type QueueDepth,
  type RegionCompleteness,
} from '../postgres/ops-repository.js';
import { LocalCalendar } from '../time/calendar.js';

/** A section's value, or why it is not there. */
export type Section<T> = { ok: true; value: T } | { ok: false; error: string };

export interface IngestRate {
  metricsUrl: string;
  readingsTotal: number;
  /** between the last two scrapes; null on the first */
  readingsPerSecond: number | null;
  rejectsByReason: Record<string, number>;
  deadLettered: number;
}

export interface DashboardSnapshot {
  at: string;
  today: string;
  timezone: string;
  ingest: Section<IngestRate>;
  lag: Section<IngestGroupStatus>;
  completeness: Section<RegionCompleteness[]>;
  estimatedShare: Section<number | null>;
  recalcQueue: Section<QueueDepth>;
  lateAlerts: Section<LateAlertSummary>;
  stores: Section<PlatformStatus>;
  /** last 24 hours per region */
  regionalLoad: Section<RegionLoad[]>;
}

async function section<T>(f: () => Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

/** Keeps the previous scrape between refreshes, for the rate. */
export class DashboardSource {
  private last: IngestScrape | null = null;

  constructor(
    private readonly config: SmtConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.config.int('ingest.metricsPort')}/metrics`;
  }

  private async ingest(): Promise<IngestRate> {
    const s = await scrapeIngest(this.metricsUrl);
    if (typeof s === 'string') throw new Error(s);
    const prev = this.last;
    this.last = s;
    const seconds = prev ? (s.at - prev.at) / 1000 : 0;
    return {
      metricsUrl: this.metricsUrl,
      readingsTotal: s.readings,
      readingsPerSecond: prev && seconds > 0 ? Math.round((s.readings - prev.readings) / seconds) : null,
      rejectsByReason: s.rejectsByReason,
      deadLettered: s.deadLettered,
    };
  }

  async snapshot(): Promise<DashboardSnapshot> {
    const now = this.clock();
    const timezone = this.config.string('timezone');
    const cal = LocalCalendar.for(timezone);
    const today = cal.localDateOf(now);
    const elapsed = Math.floor((now - cal.dayBounds(today).start) / 60_000);
    const pool = createPostgresPool(this.config, { max: 3 });
    const ch = createClickHouseClient(this.config, { requestTimeoutMs: 5_000 });
    try {
      const ops = new OpsRepository(pool);
      const rollups = new OpsRollups(ch, this.config.string('clickhouse.database'));
      const [ingest, lag, completeness, estimatedShare, recalcQueue, lateAlerts, stores, regionalLoad] =
        await Promise.all([
          section(() => this.ingest()),
          section(() => ingestGroupStatus(this.config)),
          section(() => ops.completenessToday(today, elapsed)),
          section(() => rollups.estimatedShare(today)),
          section(() => ops.recalcQueue()),
          section(() => ops.lateAlerts()),
          section(() => platformStatus(this.config, { timeoutMs: 2_000 })),
          section(() => rollups.regionalLoad(now, 24)),
        ]);
      return {
        at: new Date(now).toISOString(),
        today,
        timezone,
        ingest,
        lag,
        completeness,
        estimatedShare,
        recalcQueue,
        lateAlerts,
        stores,
        regionalLoad,
      };
    } finally {
      await Promise.allSettled([pool.end(), ch.close()]);
    }
  }
}
