import type pg from 'pg';
import type { DeterminantValue, PeriodBill } from '../billing/bill.js';
import { postgresCall } from './errors.js';

export type PeriodStatus = 'open' | 'closed' | 'billed' | 'rebill_required';

export interface StoredPeriod {
  periodId: number;
  accountId: string;
  meterId: string;
  from: string;
  /** inclusive */
  to: string;
  status: PeriodStatus;
  tariffId: string | null;
  closedAt: string | null;
  /** the bill as it was closed; null while open */
  bill: PeriodBill | null;
}

/** One row of smt.billing_determinants: a named quantity of a closed period. */
export type DeterminantRow = DeterminantValue;

interface PeriodRow {
  period_id: string;
  account_id: string;
  meter_id: string;
  period_start: string;
  period_last: string;
  status: PeriodStatus;
  tariff_id: string | null;
  closed_at: Date | null;
  bill: PeriodBill | null;
}

const PERIOD_COLUMNS = `period_id, account_id, meter_id, to_char(period_start, 'YYYY-MM-DD') AS period_start,
  to_char(period_end - 1, 'YYYY-MM-DD') AS period_last, status, tariff_id, closed_at, bill`;

function toPeriod(x: PeriodRow): StoredPeriod {
  return {
    periodId: Number(x.period_id),
    accountId: x.account_id,
    meterId: x.meter_id,
    from: x.period_start,
    to: x.period_last,
    status: x.status,
    tariffId: x.tariff_id,
    closedAt: x.closed_at ? x.closed_at.toISOString() : null,
    bill: x.bill,
  };
}

/** smt.billing_cycles, smt.billing_periods, smt.billing_determinants. Periods are stored end-exclusive. */
export class BillingRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Cycle day per account (1 when the account has none recorded). */
  async cycleDays(accountIds: readonly string[]): Promise<Map<string, number>> {
    const r = await postgresCall('reading billing cycles', () =>
      this.pool.query<{ account_id: string; cycle_day: number }>(
        'SELECT account_id, cycle_day FROM smt.billing_cycles WHERE account_id = ANY($1::text[])',
        [accountIds],
      ),
    );
    const out = new Map(accountIds.map((a) => [a, 1]));
    for (const x of r.rows) out.set(x.account_id, x.cycle_day);
    return out;
  }

  async setCycleDay(accountId: string, cycleDay: number): Promise<void> {
    await postgresCall('setting a billing cycle', () =>
      this.pool.query(
        `INSERT INTO smt.billing_cycles (account_id, cycle_day) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET cycle_day = EXCLUDED.cycle_day, updated_at = now()`,
        [accountId, cycleDay],
      ),
    );
  }

  /** Stored periods of these meters that start on one of the given dates (keyed `meter|from`). */
  async periods(keys: readonly { meterId: string; from: string }[]): Promise<Map<string, StoredPeriod>> {
    const r = await postgresCall('reading billing periods', () =>
      this.pool.query<PeriodRow>(
        `SELECT ${PERIOD_COLUMNS} FROM smt.billing_periods
          WHERE (meter_id, period_start) IN (SELECT * FROM unnest($1::text[], $2::date[]))`,
        [keys.map((k) => k.meterId), keys.map((k) => k.from)],
      ),
    );
    return new Map(r.rows.map((x) => [`${x.meter_id}|${x.period_start}`, toPeriod(x)]));
  }

  /**
   * Freeze periods: the period row becomes `closed` with its bill, and its determinants are
   * written as rows. A period that is already closed, billed or waiting for a rebill is left as it
   * is and reported; nothing is overwritten.
   */
  async close(
    closes: readonly { accountId: string; bill: PeriodBill; determinants: DeterminantRow[] }[],
  ): Promise<{ closed: StoredPeriod[]; alreadyClosed: StoredPeriod[] }> {
    return postgresCall('closing billing periods', async () => {
      const client = await this.pool.connect();
      const closed: StoredPeriod[] = [];
      const alreadyClosed: StoredPeriod[] = [];
      try {
        await client.query('BEGIN');
        for (const c of closes) {
          const b = c.bill;
          const r = await client.query<PeriodRow>(
            `INSERT INTO smt.billing_periods AS p (account_id, meter_id, period_start, period_end, status, closed_at,
                tariff_id, channel, series_versions, bill, total, currency, basis, aggregate_versions)
             VALUES ($1, $2, $3::date, $4::date + 1, 'closed', now(), $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (meter_id, period_start) DO UPDATE SET status = 'closed', closed_at = now(),
               account_id = EXCLUDED.account_id, period_end = EXCLUDED.period_end, tariff_id = EXCLUDED.tariff_id,
               channel = EXCLUDED.channel, series_versions = EXCLUDED.series_versions, bill = EXCLUDED.bill,
               total = EXCLUDED.total, currency = EXCLUDED.currency, basis = EXCLUDED.basis,
               aggregate_versions = EXCLUDED.aggregate_versions
             WHERE p.status = 'open'
             RETURNING ${PERIOD_COLUMNS}`,
            [
              c.accountId,
              b.determinants.meterId,
              b.determinants.from,
              b.determinants.to,
              b.determinants.tariffId,
              b.determinants.channel,
              JSON.stringify(b.determinants.seriesVersions),
              JSON.stringify(b),
              b.total,
              b.currency,
              b.basis.source,
              b.basis.source === 'aggregates' ? JSON.stringify(b.determinants.aggregateVersions) : null,
            ],
          );
          const row = r.rows[0];
          if (!row) {
            const existing = await client.query<PeriodRow>(
              `SELECT ${PERIOD_COLUMNS} FROM smt.billing_periods WHERE meter_id = $1 AND period_start = $2`,
              [b.determinants.meterId, b.determinants.from],
            );
            alreadyClosed.push(toPeriod(existing.rows[0]!));
            continue;
          }
          const period = toPeriod(row);
          await client.query('DELETE FROM smt.billing_determinants WHERE period_id = $1', [period.periodId]);
          await client.query(
            `INSERT INTO smt.billing_determinants (period_id, meter_id, tariff_id, determinant, value, unit)
             SELECT $1, $2, $3, d, v, u FROM unnest($4::text[], $5::numeric[], $6::text[]) AS x(d, v, u)`,
            [
              period.periodId,
              period.meterId,
              b.determinants.tariffId,
              c.determinants.map((d) => d.determinant),
              c.determinants.map((d) => d.value),
              c.determinants.map((d) => d.unit),
            ],
          );
          closed.push(period);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
      return { closed, alreadyClosed };
    });
  }

  /**
   * Hands closed periods that start in a month (YYYY-MM; of these meters, or all) over to invoicing:
   * each becomes `billed` with the invoice reference, and the daily aggregates of its days take
   * the status `billed` (and their existing monthly rows, when every day of the month is billed).
   * Periods in any other state are left alone. One transaction.
   */
  async markBilled(q: {
    month: string;
    meterIds?: readonly string[];
    invoiceRef: string;
  }): Promise<{ periods: StoredPeriod[]; dailyRows: number }> {
    return postgresCall('marking billing periods billed', async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const r = await client.query<PeriodRow & { channel: string | null }>(
          `UPDATE smt.billing_periods SET status = 'billed', billed_at = now(), invoice_ref = $3
            WHERE status = 'closed' AND period_start >= $1::date AND period_start < ($1::date + interval '1 month')
              AND ($2::text[] IS NULL OR meter_id = ANY($2))
          RETURNING ${PERIOD_COLUMNS}, channel`,
          [`${q.month}-01`, q.meterIds ? [...q.meterIds] : null, q.invoiceRef],
        );
        const ids = r.rows.map((x) => x.period_id);
        const days = await client.query(
          `UPDATE smt.daily_aggregates d SET status = 'billed', version = d.version + 1, computed_at = now()
             FROM smt.billing_periods b
            WHERE b.period_id = ANY($1::bigint[]) AND d.meter_id = b.meter_id AND d.channel = coalesce(b.channel, d.channel)
              AND d.local_date >= b.period_start AND d.local_date < b.period_end AND d.status <> 'billed'`,
          [ids],
        );
        await client.query(
          `UPDATE smt.monthly_aggregates m SET status = 'billed', version = m.version + 1, computed_at = now()
            WHERE m.status <> 'billed' AND (m.meter_id, m.channel) IN (
                SELECT b.meter_id, coalesce(b.channel, m.channel) FROM smt.billing_periods b WHERE b.period_id = ANY($1::bigint[]))
              AND m.days_aggregated = m.days_expected
              AND NOT EXISTS (SELECT 1 FROM smt.daily_aggregates d WHERE d.meter_id = m.meter_id AND d.channel = m.channel
                AND d.local_date >= m.month AND d.local_date < (m.month + interval '1 month')::date AND d.status <> 'billed')`,
          [ids],
        );
        await client.query('COMMIT');
        return { periods: r.rows.map(toPeriod), dailyRows: days.rowCount ?? 0 };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  }

  /** The determinant rows of a stored period, by name. */
  async determinants(periodId: number): Promise<DeterminantRow[]> {
    const r = await postgresCall('reading billed determinants', () =>
      this.pool.query<{ determinant: string; value: string; unit: string }>(
        'SELECT determinant, value::text AS value, unit FROM smt.billing_determinants WHERE period_id = $1 ORDER BY determinant',
        [periodId],
      ),
    );
    return r.rows.map((x) => ({ determinant: x.determinant, value: Number(x.value), unit: x.unit }));
  }
}
