import type pg from 'pg';
import type { Tariff, TariffDefinition, TariffKind } from '../billing/tariff.js';
import { postgresCall } from './errors.js';

export interface TariffSummary {
  tariffId: string;
  name: string;
  kind: TariffKind;
  currency: string;
  /** null: a placeholder created by `meters import`, no price structure yet */
  source: 'yaml' | 'urdb' | null;
  validFrom: string | null;
  validTo: string | null;
  meters: number;
}

export interface TariffUpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

interface Row {
  tariff_id: string;
  name: string;
  kind: TariffKind;
  currency: string;
  source: 'yaml' | 'urdb' | null;
  valid_from: string | null;
  valid_to: string | null;
  definition: TariffDefinition | Record<string, never>;
}

const COLUMNS = `tariff_id, name, kind, currency, source, to_char(valid_from, 'YYYY-MM-DD') AS valid_from,
  to_char(valid_to, 'YYYY-MM-DD') AS valid_to, definition`;

/** smt.tariffs: the price structures billing reads. */
export class TariffRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Insert or replace tariffs by id; a row whose content is the same is left untouched. */
  async upsert(tariffs: readonly Tariff[]): Promise<TariffUpsertCounts> {
    const counts: TariffUpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    await postgresCall('importing tariffs', async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        for (const t of tariffs) {
          const r = await client.query<{ inserted: boolean }>(
            `INSERT INTO smt.tariffs AS t (tariff_id, name, currency, kind, definition, valid_from, valid_to, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tariff_id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency,
               kind = EXCLUDED.kind, definition = EXCLUDED.definition, valid_from = EXCLUDED.valid_from,
               valid_to = EXCLUDED.valid_to, source = EXCLUDED.source, updated_at = now()
             WHERE (t.name, t.currency, t.kind, t.definition, t.valid_from, t.valid_to, t.source)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.currency, EXCLUDED.kind, EXCLUDED.definition,
                                 EXCLUDED.valid_from, EXCLUDED.valid_to, EXCLUDED.source)
             RETURNING (xmax = 0) AS inserted`,
            [
              t.tariffId,
              t.name,
              t.definition.currency,
              t.kind,
              JSON.stringify(t.definition),
              t.validFrom,
              t.validTo,
              t.definition.source.kind,
            ],
          );
          if (r.rows.length === 0) counts.unchanged++;
          else if (r.rows[0]!.inserted) counts.inserted++;
          else counts.updated++;
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
    return counts;
  }

  async list(): Promise<TariffSummary[]> {
    const r = await postgresCall('listing tariffs', () =>
      this.pool.query<Row & { meters: string }>(
        `SELECT ${COLUMNS}, (SELECT count(*) FROM smt.meters m WHERE m.tariff_id = t.tariff_id) AS meters
           FROM smt.tariffs t ORDER BY tariff_id`,
      ),
    );
    return r.rows.map((x) => ({
      tariffId: x.tariff_id,
      name: x.name,
      kind: x.kind,
      currency: x.currency,
      source: x.source,
      validFrom: x.valid_from,
      validTo: x.valid_to,
      meters: Number(x.meters),
    }));
  }

  /** The tariff, or null when the id is unknown; `definition` null for a placeholder row. */
  async get(
    tariffId: string,
  ): Promise<(Omit<Tariff, 'definition'> & { definition: TariffDefinition | null }) | null> {
    const r = await postgresCall('reading a tariff', () =>
      this.pool.query<Row>(`SELECT ${COLUMNS} FROM smt.tariffs t WHERE tariff_id = $1`, [tariffId]),
    );
    const x = r.rows[0];
    if (!x) return null;
    return {
      tariffId: x.tariff_id,
      name: x.name,
      kind: x.kind,
      validFrom: x.valid_from,
      validTo: x.valid_to,
      definition: x.source === null ? null : (x.definition as TariffDefinition),
    };
  }
}
