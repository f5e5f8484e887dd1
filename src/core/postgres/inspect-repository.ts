import type pg from 'pg';
import type { DayIngest, GapRecord } from '../inspect/model.js';
import { postgresCall } from './errors.js';

/** What PostgreSQL knows about one meter's range of days: read once when `smt inspect` starts. */
export interface MeterRangeFacts {
  ingest: Map<string, DayIngest>;
  validated: Set<string>;
  lateAlerts: Map<string, string[]>;
  gaps: GapRecord[];
  lastReceivedAt: string | null;
}

const DATE = `to_char(local_date, 'YYYY-MM-DD')`;

/**
 * The bookkeeping tables inspect reads (migrations 3 and 4): ingest counts, validated aggregates,
 * late-data alerts and gaps.
 */
export class InspectRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** One round trip: the range's facts as a single JSON document. */
  async rangeFacts(
    meterId: string,
    channel: string,
    from: string,
    to: string,
    dayStartFrom: Date,
    dayEndTo: Date,
  ): Promise<MeterRangeFacts> {
    const r = await postgresCall('reading the meter bookkeeping', () =>
      this.pool.query<{ facts: RangeFactsJson }>(
        `SELECT json_build_object(
           'ingest', (SELECT coalesce(json_agg(json_build_object('d', ${DATE}, 'received', readings_received,
                        'rejected', readings_rejected, 'late', readings_late, 'last', last_received_at)), '[]'::json)
                      FROM smt.ingest_meter_days WHERE meter_id = $1 AND channel = $2 AND local_date BETWEEN $3 AND $4),
           'validated', (SELECT coalesce(json_agg(${DATE}), '[]'::json) FROM smt.daily_aggregates
                      WHERE meter_id = $1 AND channel = $2 AND local_date BETWEEN $3 AND $4),
           'alerts', (SELECT coalesce(json_agg(json_build_object('d', ${DATE}, 'kind', kind)), '[]'::json)
                      FROM smt.late_data_alerts WHERE meter_id = $1 AND channel = $2 AND local_date BETWEEN $3 AND $4
                        AND acknowledged_at IS NULL),
           'gaps', (SELECT coalesce(json_agg(json_build_object('start', gap_start, 'end', gap_end,
                        'intervals', intervals, 'status', status) ORDER BY gap_start), '[]'::json)
                      FROM smt.gaps WHERE meter_id = $1 AND channel = $2 AND gap_start < $6 AND gap_end > $5),
           'last', (SELECT max(last_received_at) FROM smt.ingest_meter_days WHERE meter_id = $1)
         ) AS facts`,
        [meterId, channel, from, to, dayStartFrom, dayEndTo],
      ),
    );
    const f = r.rows[0]!.facts;
    const iso = (s: string | null) => (s === null ? null : new Date(s).toISOString());
    const lateAlerts = new Map<string, string[]>();
    for (const a of f.alerts) lateAlerts.set(a.d, [...(lateAlerts.get(a.d) ?? []), a.kind]);
    return {
      ingest: new Map(
        f.ingest.map((x) => [
          x.d,
          { received: x.received, rejected: x.rejected, late: x.late, lastReceivedAt: iso(x.last) },
        ]),
      ),
      validated: new Set(f.validated),
      lateAlerts,
      gaps: f.gaps.map((g) => ({
        start: iso(g.start)!,
        end: iso(g.end)!,
        intervals: g.intervals,
        status: g.status,
      })),
      lastReceivedAt: iso(f.last),
    };
  }
}

interface RangeFactsJson {
  ingest: { d: string; received: number; rejected: number; late: number; last: string | null }[];
  validated: string[];
  alerts: { d: string; kind: string }[];
  gaps: { start: string; end: string; intervals: number; status: string }[];
  last: string | null;
}
