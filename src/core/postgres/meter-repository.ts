import type pg from 'pg';
import type { Meter, MeterStatus, Segment } from '../registry/meter.js';

export interface MeterFilter {
  region?: string;
  segment?: Segment;
  tariff?: string;
  status?: MeterStatus;
  account?: string;
  /** meter ids starting with this prefix */
  prefix?: string;
}

export interface MeterPage {
  meters: Meter[];
  total: number;
  limit: number;
  offset: number;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

interface MeterRow {
  meter_id: string;
  account_id: string;
  tariff_id: string;
  region_id: string;
  segment: Segment;
  timezone: string;
  interval_minutes: number;
  status: MeterStatus;
  rated_kw: string | null;
  installed_at: Date;
  removed_at: Date | null;
}

const COLUMNS =
  'meter_id, account_id, tariff_id, region_id, segment, timezone, interval_minutes, status, rated_kw, installed_at, removed_at';
const BATCH = 5_000;

function toMeter(r: MeterRow): Meter {
  return {
    meterId: r.meter_id,
    accountId: r.account_id,
    tariffId: r.tariff_id,
    regionId: r.region_id,
    segment: r.segment,
    timezone: r.timezone,
    intervalMinutes: r.interval_minutes as Meter['intervalMinutes'],
    status: r.status,
    ratedKw: r.rated_kw === null ? null : Number(r.rated_kw),
    installedAt: r.installed_at,
    removedAt: r.removed_at,
  };
}

export class MeterRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Insert or update meters in one transaction, batch-wise with arrays (no statement per row).
   * Rows whose content is unchanged are not touched, so re-importing a file changes nothing,
   * not even updated_at. Regions, tariffs and customers referenced for the first time are created
   * with placeholder names.
   */
  async upsert(meters: Meter[]): Promise<UpsertCounts> {
    const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (let i = 0; i < meters.length; i += BATCH) {
        const batch = meters.slice(i, i + BATCH);
        const col = <T>(f: (m: Meter) => T) => batch.map(f);
        await client.query(
          `INSERT INTO smt.regions (region_id, name, timezone)
           SELECT DISTINCT ON (r) r, r, tz FROM unnest($1::text[], $2::text[]) AS t(r, tz)
           ON CONFLICT (region_id) DO NOTHING`,
          [col((m) => m.regionId), col((m) => m.timezone)],
        );
        await client.query(
          `INSERT INTO smt.tariffs (tariff_id, name) SELECT DISTINCT t, t FROM unnest($1::text[]) AS x(t)
           ON CONFLICT (tariff_id) DO NOTHING`,
          [col((m) => m.tariffId)],
        );
        await client.query(
          `INSERT INTO smt.customers (account_id, segment, region_id)
           SELECT DISTINCT ON (a) a, s, r FROM unnest($1::text[], $2::text[], $3::text[]) AS x(a, s, r)
           ON CONFLICT (account_id) DO NOTHING`,
          [col((m) => m.accountId), col((m) => m.segment), col((m) => m.regionId)],
        );
        const r = await client.query<{ inserted: boolean }>(
          `INSERT INTO smt.meters (${COLUMNS})
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[],
                                $8::text[], $9::numeric[], $10::timestamptz[], $11::timestamptz[])
           ON CONFLICT (meter_id) DO UPDATE SET
             account_id = EXCLUDED.account_id, tariff_id = EXCLUDED.tariff_id, region_id = EXCLUDED.region_id,
             segment = EXCLUDED.segment, timezone = EXCLUDED.timezone, interval_minutes = EXCLUDED.interval_minutes,
             status = EXCLUDED.status, rated_kw = EXCLUDED.rated_kw, installed_at = EXCLUDED.installed_at,
             removed_at = EXCLUDED.removed_at, updated_at = now()
           WHERE (smt.meters.account_id, smt.meters.tariff_id, smt.meters.region_id, smt.meters.segment, smt.meters.timezone,
                  smt.meters.interval_minutes, smt.meters.status, smt.meters.rated_kw, smt.meters.installed_at, smt.meters.removed_at)
             IS DISTINCT FROM
                 (EXCLUDED.account_id, EXCLUDED.tariff_id, EXCLUDED.region_id, EXCLUDED.segment, EXCLUDED.timezone,
                  EXCLUDED.interval_minutes, EXCLUDED.status, EXCLUDED.rated_kw, EXCLUDED.installed_at, EXCLUDED.removed_at)
           RETURNING (xmax = 0) AS inserted`,
          [
            col((m) => m.meterId),
            col((m) => m.accountId),
            col((m) => m.tariffId),
            col((m) => m.regionId),
            col((m) => m.segment),
            col((m) => m.timezone),
            col((m) => m.intervalMinutes),
            col((m) => m.status),
            col((m) => m.ratedKw),
            col((m) => m.installedAt),
            col((m) => m.removedAt),
          ],
        );
        const inserted = r.rows.filter((x) => x.inserted).length;
        counts.inserted += inserted;
        counts.updated += r.rows.length - inserted;
        counts.unchanged += batch.length - r.rows.length;
      }
      await client.query('COMMIT');
      return counts;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async list(filter: MeterFilter, limit: number, offset: number): Promise<MeterPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.region) add('region_id = ?', filter.region);
    if (filter.segment) add('segment = ?', filter.segment);
    if (filter.tariff) add('tariff_id = ?', filter.tariff);
    if (filter.status) add('status = ?', filter.status);
    if (filter.account) add('account_id = ?', filter.account);
    if (filter.prefix)
      add(
        "meter_id LIKE ? || '%'",
        filter.prefix.replace(/[\\%_]/g, (c) => `\\${c}`),
      );
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM smt.meters ${clause}`,
      params,
    );
    const rows = await this.pool.query<MeterRow>(
      `SELECT ${COLUMNS} FROM smt.meters ${clause} ORDER BY meter_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { meters: rows.rows.map(toMeter), total: Number(total.rows[0]?.n ?? 0), limit, offset };
  }

  async get(meterId: string): Promise<Meter | null> {
    const r = await this.pool.query<MeterRow>(`SELECT ${COLUMNS} FROM smt.meters WHERE meter_id = $1`, [
      meterId,
    ]);
    return r.rows[0] ? toMeter(r.rows[0]) : null;
  }

  /** The whole registry, for the ingest daemon's cache (streamed in pages to bound memory per query). */
  async all(pageSize = 50_000): Promise<Meter[]> {
    const out: Meter[] = [];
    let after = '';
    for (;;) {
      const r = await this.pool.query<MeterRow>(
        `SELECT ${COLUMNS} FROM smt.meters WHERE meter_id > $1 ORDER BY meter_id LIMIT $2`,
        [after, pageSize],
      );
      for (const row of r.rows) out.push(toMeter(row));
      if (r.rows.length < pageSize) return out;
      after = r.rows.at(-1)!.meter_id;
    }
  }
}
