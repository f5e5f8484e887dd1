import type pg from 'pg';
import { postgresCall } from './errors.js';

export interface RegionCompleteness {
  region: string;
  meters: number;
  /** intervals of today that have ended so far, over the region's active meters */
  expected: number;
  /** readings received and not rejected today */
  received: number;
  pct: number;
}

export interface QueueDepth {
  pending: number;
  running: number;
  failed: number;
}

export interface LateAlertSummary {
  open: number;
  latest: { meterId: string; localDate: string; kind: string; readings: number; raisedAt: string }[];
}

/** The PostgreSQL figures of `smt dashboard`: one round trip each, all over existing tables. */
export class OpsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** `elapsedMinutes`: minutes of today (in the configured zone) that have passed. */
  async completenessToday(today: string, elapsedMinutes: number): Promise<RegionCompleteness[]> {
    const r = await postgresCall("reading today's completeness", () =>
      this.pool.query<{ region: string; meters: string; expected: string; received: string }>(
        `SELECT m.region_id AS region, count(*) AS meters,
                sum(floor($2::int / m.interval_minutes)) AS expected,
                coalesce(sum(d.readings_received - d.readings_rejected), 0) AS received
           FROM smt.meters m
           LEFT JOIN smt.ingest_meter_days d
             ON d.meter_id = m.meter_id AND d.local_date = $1::date AND d.channel = 'active_import_kwh'
          WHERE m.status = 'active'
          GROUP BY m.region_id ORDER BY m.region_id`,
        [today, elapsedMinutes],
      ),
    );
    return r.rows.map((x) => {
      const expected = Number(x.expected);
      const received = Number(x.received);
      return {
        region: x.region,
        meters: Number(x.meters),
        expected,
        received,
        pct: expected === 0 ? 0 : Math.round((Math.min(received, expected) / expected) * 1000) / 10,
      };
    });
  }

  async recalcQueue(): Promise<QueueDepth> {
    const r = await postgresCall('reading the recalculation queue', () =>
      this.pool.query<{ status: string; n: string }>(
        `SELECT status, count(*) AS n FROM smt.recalc_queue WHERE status <> 'done' GROUP BY status`,
      ),
    );
    const by = new Map(r.rows.map((x) => [x.status, Number(x.n)]));
    return {
      pending: by.get('pending') ?? 0,
      running: by.get('running') ?? 0,
      failed: by.get('failed') ?? 0,
    };
  }

  async lateAlerts(limit = 5): Promise<LateAlertSummary> {
    const r = await postgresCall('reading late-data alerts', () =>
      this.pool.query<{ open: string; latest: LateAlertSummary['latest'] }>(
        `SELECT (SELECT count(*) FROM smt.late_data_alerts WHERE acknowledged_at IS NULL) AS open,
                (SELECT coalesce(json_agg(a), '[]'::json) FROM (
                   SELECT meter_id AS "meterId", to_char(local_date, 'YYYY-MM-DD') AS "localDate", kind, readings,
                          raised_at AS "raisedAt"
                     FROM smt.late_data_alerts WHERE acknowledged_at IS NULL ORDER BY raised_at DESC LIMIT $1) a) AS latest`,
        [limit],
      ),
    );
    const row = r.rows[0]!;
    return {
      open: Number(row.open),
      latest: row.latest.map((a) => ({ ...a, raisedAt: new Date(a.raisedAt).toISOString() })),
    };
  }
}
