import type pg from 'pg';
import type { DailyForecast } from '../forecast/engine.js';
import { postgresCall } from './errors.js';

export type ForecastLevel = 'meter' | 'segment' | 'region' | 'fleet' | 'dataset';

export interface StoredForecast {
  forecastId: number;
  level: ForecastLevel;
  target: string;
  channel: string;
  model: string;
  modelVersion: number;
  issuedAt: Date;
  origin: Date;
  horizon: string;
  timezone: string;
  intervalMinutes: number;
  historyFrom: string;
  values: number[];
  lower: number[];
  upper: number[];
  days: DailyForecast[];
  warnings: string[];
}

export type NewForecast = Omit<StoredForecast, 'forecastId' | 'issuedAt'>;

/** smt.forecasts (PostgreSQL migration 16). NaN is stored as SQL NULL inside the arrays. */
export class ForecastRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(f: NewForecast): Promise<{ forecastId: number; issuedAt: Date }> {
    const nulls = (a: number[]) => a.map((v) => (Number.isFinite(v) ? v : null));
    const r = await postgresCall('storing the forecast', () =>
      this.pool.query<{ forecast_id: string; issued_at: Date }>(
        `INSERT INTO smt.forecasts (level, target, channel, model, model_version, origin, horizon, timezone,
           interval_minutes, history_from, "values", lower, upper, days, warnings)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         RETURNING forecast_id, issued_at`,
        [
          f.level,
          f.target,
          f.channel,
          f.model,
          f.modelVersion,
          f.origin,
          f.horizon,
          f.timezone,
          f.intervalMinutes,
          f.historyFrom,
          nulls(f.values),
          nulls(f.lower),
          nulls(f.upper),
          JSON.stringify(f.days),
          JSON.stringify(f.warnings),
        ],
      ),
    );
    const row = r.rows[0] as { forecast_id: string; issued_at: Date };
    return { forecastId: Number(row.forecast_id), issuedAt: row.issued_at };
  }

  /** Forecasts whose first target interval is before `before`, newest first. */
  async issuedBefore(before: Date, limit: number): Promise<StoredForecast[]> {
    const r = await postgresCall('reading stored forecasts', () =>
      this.pool.query(
        `SELECT forecast_id, level, target, channel, model, model_version, issued_at, origin, horizon, timezone,
                interval_minutes, to_char(history_from, 'YYYY-MM-DD') AS history_from, "values", lower, upper, days, warnings
         FROM smt.forecasts WHERE origin < $1 ORDER BY origin DESC, forecast_id DESC LIMIT $2`,
        [before, limit],
      ),
    );
    const num = (a: (number | null)[]) => a.map((v) => (v === null ? Number.NaN : v));
    return r.rows.map((x) => ({
      forecastId: Number(x.forecast_id),
      level: x.level,
      target: x.target,
      channel: x.channel,
      model: x.model,
      modelVersion: x.model_version,
      issuedAt: x.issued_at,
      origin: x.origin,
      horizon: x.horizon,
      timezone: x.timezone,
      intervalMinutes: x.interval_minutes,
      historyFrom: x.history_from,
      values: num(x.values),
      lower: num(x.lower),
      upper: num(x.upper),
      days: x.days,
      warnings: x.warnings,
    }));
  }
}
