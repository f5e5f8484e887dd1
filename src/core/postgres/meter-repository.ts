import type pg from 'pg';
import type { Meter, MeterStatus, Segment } from '../registry/meter.js';
import type { RegistryEntry } from '../registry/meter-table.js';
import type { RegistryCursor, RegistrySource } from '../registry/registry-cache.js';

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
  channels: string[] | null;
}

const COLUMNS =
  'meter_id, account_id, tariff_id, region_id, segment, timezone, interval_minutes, status, rated_kw, installed_at, removed_at, channels';
const BATCH = 5_000;

/**
 * Registry rows already shaped as RegistryEntry by the SQL (no per-row remapping, no Date objects):
 * instants as epoch ms, numeric as float8 (rated_kw is numeric(10,3): exact in a double).
 */
const ENTRY_COLUMNS = `meter_id AS "meterId", status, segment, timezone, interval_minutes AS "intervalMinutes",
  region_id AS "regionId", tariff_id AS "tariffId", rated_kw::float8 AS "ratedKw",
  floor(extract(epoch FROM installed_at) * 1000)::float8 AS "installedAt",
  floor(extract(epoch FROM removed_at) * 1000)::float8 AS "removedAt",
  array_to_string(channels, ',') AS "channelList"`;

/**
 * Rows written by transactions that were not visible in snapshot $1, in pages ordered by
 * (change_xid, meter_id). Every transaction older than the snapshot's xmin was visible, so the
 * first page's index range starts there; later pages continue after the last key ($2, $3), which
 * is past xmin already. Only one of the two bounds per query: given both, PostgreSQL starts the
 * index scan at the row comparison and reads the whole index (measured at 2.5 M rows).
 */
function changedSince(after: { xid: string; meterId: string } | null): { where: string; params: string[] } {
  const invisible = 'NOT pg_visible_in_snapshot(change_xid, $1::pg_snapshot)';
  return after === null
    ? { where: `change_xid >= pg_snapshot_xmin($1::pg_snapshot) AND ${invisible}`, params: [] }
    : {
        where: `(change_xid, meter_id) > ($2::xid8, $3) AND ${invisible}`,
        params: [after.xid, after.meterId],
      };
}

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
    channels: r.channels,
  };
}

export class MeterRepository implements RegistrySource {
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
           SELECT m, a, t, r, s, tz, im, st, kw, ia, ra, string_to_array(ch, ',')
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[],
                       $8::text[], $9::numeric[], $10::timestamptz[], $11::timestamptz[], $12::text[])
                AS x(m, a, t, r, s, tz, im, st, kw, ia, ra, ch)
           ON CONFLICT (meter_id) DO UPDATE SET
             account_id = EXCLUDED.account_id, tariff_id = EXCLUDED.tariff_id, region_id = EXCLUDED.region_id,
             segment = EXCLUDED.segment, timezone = EXCLUDED.timezone, interval_minutes = EXCLUDED.interval_minutes,
             status = EXCLUDED.status, rated_kw = EXCLUDED.rated_kw, installed_at = EXCLUDED.installed_at,
             removed_at = EXCLUDED.removed_at, channels = EXCLUDED.channels, updated_at = now()
           WHERE (smt.meters.account_id, smt.meters.tariff_id, smt.meters.region_id, smt.meters.segment, smt.meters.timezone,
                  smt.meters.interval_minutes, smt.meters.status, smt.meters.rated_kw, smt.meters.installed_at, smt.meters.removed_at, smt.meters.channels)
             IS DISTINCT FROM
                 (EXCLUDED.account_id, EXCLUDED.tariff_id, EXCLUDED.region_id, EXCLUDED.segment, EXCLUDED.timezone,
                  EXCLUDED.interval_minutes, EXCLUDED.status, EXCLUDED.rated_kw, EXCLUDED.installed_at, EXCLUDED.removed_at, EXCLUDED.channels)
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
            // text[][] cannot be ragged: one comma-joined string per meter, split in SQL
            col((m) => (m.channels ? m.channels.join(',') : null)),
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

  /** Which of these tariff and region ids the reference tables already hold. */
  async knownReferences(
    tariffIds: readonly string[],
    regionIds: readonly string[],
  ): Promise<{ tariffs: Set<string>; regions: Set<string> }> {
    const [t, r] = await Promise.all([
      this.pool.query<{ id: string }>(
        'SELECT tariff_id AS id FROM smt.tariffs WHERE tariff_id = ANY($1::text[])',
        [[...new Set(tariffIds)]],
      ),
      this.pool.query<{ id: string }>(
        'SELECT region_id AS id FROM smt.regions WHERE region_id = ANY($1::text[])',
        [[...new Set(regionIds)]],
      ),
    ]);
    return { tariffs: new Set(t.rows.map((x) => x.id)), regions: new Set(r.rows.map((x) => x.id)) };
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

  /**
   * Where the registry's change history stands: a snapshot (`pg_current_snapshot()`) taken before a
   * load or refresh reads anything. Whatever that read misses commits in a transaction invisible
   * in the snapshot, and `changedSince` returns exactly those rows. Not `continuous` when the
   * server's transaction counter is behind `previous` (a restored or replaced database).
   */
  async registryCursor(
    previous: RegistryCursor | null,
  ): Promise<{ cursor: RegistryCursor; continuous: boolean }> {
    const r = await this.pool.query<{ cursor: string; continuous: boolean }>(
      `SELECT pg_current_snapshot()::text AS cursor,
              $1::pg_snapshot IS NULL OR pg_snapshot_xmax(pg_current_snapshot()) >= pg_snapshot_xmax($1::pg_snapshot) AS continuous`,
      [previous],
    );
    return r.rows[0]!;
  }

  /** Meters registered (sizes the registry cache before a full load). */
  async count(): Promise<number> {
    const r = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM smt.meters');
    return Number(r.rows[0]!.n);
  }

  /** The whole registry in pages of `pageSize`, keyset over meter_id (one short query per page, no long transaction). */
  async *entries(pageSize: number): AsyncGenerator<RegistryEntry[]> {
    for (let after = ''; ; ) {
      const r = await this.pool.query<RegistryEntry>(
        `SELECT ${ENTRY_COLUMNS} FROM smt.meters WHERE meter_id > $1 ORDER BY meter_id LIMIT $2`,
        [after, pageSize],
      );
      if (r.rows.length > 0) yield r.rows;
      if (r.rows.length < pageSize) return;
      after = r.rows.at(-1)!.meterId;
    }
  }

  /** Meters inserted or updated after `cursor` was taken, in pages (see changedSince above). */
  async *changedSince(cursor: RegistryCursor, pageSize: number): AsyncGenerator<RegistryEntry[]> {
    for (let after: { xid: string; meterId: string } | null = null; ; ) {
      const { where, params } = changedSince(after);
      const r = await this.pool.query<RegistryEntry & { xid: string }>(
        `SELECT change_xid::text AS xid, ${ENTRY_COLUMNS} FROM smt.meters WHERE ${where}
         ORDER BY change_xid, meter_id LIMIT $${params.length + 2}`,
        [cursor, ...params, pageSize],
      );
      if (r.rows.length > 0) yield r.rows;
      if (r.rows.length < pageSize) return;
      after = r.rows.at(-1)!;
    }
  }

  /** Ids of meters deleted after `cursor` was taken, in pages; a meter may have been inserted again since. */
  async *deletedSince(cursor: RegistryCursor, pageSize: number): AsyncGenerator<string[]> {
    for (let after: { xid: string; meterId: string } | null = null; ; ) {
      const { where, params } = changedSince(after);
      const r = await this.pool.query<{ xid: string; meterId: string }>(
        `SELECT change_xid::text AS xid, meter_id AS "meterId" FROM smt.meter_deletions WHERE ${where}
         ORDER BY change_xid, meter_id LIMIT $${params.length + 2}`,
        [cursor, ...params, pageSize],
      );
      if (r.rows.length > 0) yield r.rows.map((x) => x.meterId);
      if (r.rows.length < pageSize) return;
      after = r.rows.at(-1)!;
    }
  }

  async entriesByIds(meterIds: readonly string[]): Promise<RegistryEntry[]> {
    if (meterIds.length === 0) return [];
    const r = await this.pool.query<RegistryEntry>(
      `SELECT ${ENTRY_COLUMNS} FROM smt.meters WHERE meter_id = ANY($1::text[])`,
      [meterIds],
    );
    return r.rows;
  }

  /** The whole registry as Meter records, in pages (the ingest daemon's RegistryCache reads `entries` instead). */
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
