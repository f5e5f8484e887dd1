/**
 * The forecast use cases behind `smt forecast`, `smt forecast accuracy` and `smt forecast eval`:
 * resolve the target's meters in the registry, read its series through the read API, run the
 * models (engine.ts, backtest.ts), store and compare (smt.forecasts).
 */

import type pg from 'pg';
import { createCassandraClient } from '../cassandra/client.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import type { SmtConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { createPostgresPool } from '../postgres/client.js';
import { postgresCall } from '../postgres/errors.js';
import { type ForecastLevel, ForecastRepository } from '../postgres/forecast-repository.js';
import type { IntervalMinutes } from '../readings/block.js';
import type { SeriesReader } from '../series/ports.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { backtestSums } from './accuracy.js';
import { type BacktestCell, backtest, ErrorSums, HORIZON_DAYS, type Horizon } from './backtest.js';
import { publicHolidays } from './calendar-features.js';
import { readSeriesCsv, readWeatherCsv } from './csv-input.js';
import { type DailyForecast, type ForecastPoint, runForecast } from './engine.js';
import { type LevelMeter, readLevelSeries } from './level-series.js';
import type { ModelName } from './models/model.js';
import type { UsageSeries } from './series.js';
import { simulatedLevels } from './simulated-levels.js';
import type { Sufficiency } from './sufficiency.js';

export const DEFAULT_CHANNEL = 'active_import_kwh';
/** history simulated before the first origin: the 8 weeks the sufficiency rules ask for */
const SIMULATED_HISTORY_DAYS = 56;

export type Selector =
  | { level: 'meter'; target: string }
  | { level: 'segment'; target: string }
  | { level: 'region'; target: string }
  | { level: 'fleet'; target: 'fleet' };

interface Target {
  level: Exclude<ForecastLevel, 'dataset'>;
  target: string;
  meters: LevelMeter[];
}

async function withStores<T>(
  config: SmtConfig,
  fn: (pg: pg.Pool, reader: SeriesReader) => Promise<T>,
): Promise<T> {
  const pool = createPostgresPool(config, { max: 2 });
  const cassandra = createCassandraClient(config, { useKeyspace: true });
  try {
    return await fn(pool, new CassandraSeriesStore(cassandra, config.string('cassandra.keyspace')));
  } finally {
    await Promise.allSettled([pool.end(), cassandra.shutdown()]);
  }
}

/** Targets of the levels asked for, each with its meters (active or not: history counts). */
async function targets(
  pool: pg.Pool,
  levels: readonly Selector[] | readonly Target['level'][],
): Promise<Target[]> {
  const r = await postgresCall('reading the registry', () =>
    pool.query<{
      meter_id: string;
      region_id: string;
      segment: string;
      timezone: string;
      interval_minutes: number;
    }>('SELECT meter_id, region_id, segment, timezone, interval_minutes FROM smt.meters ORDER BY meter_id'),
  );
  const all = r.rows;
  const lm = (x: (typeof all)[number]): LevelMeter => ({
    meterId: x.meter_id,
    timezone: x.timezone,
    intervalMinutes: x.interval_minutes,
  });
  const group = (
    level: 'segment' | 'region',
    key: (x: (typeof all)[number]) => string,
    only?: string,
  ): Target[] => {
    const by = new Map<string, LevelMeter[]>();
    for (const x of all) {
      const k = key(x);
      if (only !== undefined && k !== only) continue;
      by.set(k, [...(by.get(k) ?? []), lm(x)]);
    }
    return [...by.entries()].map(([target, meters]) => ({ level, target, meters }));
  };
  const out: Target[] = [];
  for (const l of levels) {
    const sel: Selector =
      typeof l === 'string' ? ({ level: l, target: l === 'fleet' ? 'fleet' : '' } as Selector) : l;
    if (sel.level === 'fleet') out.push({ level: 'fleet', target: 'fleet', meters: all.map(lm) });
    else if (sel.level === 'region')
      out.push(...group('region', (x) => x.region_id, sel.target || undefined));
    else if (sel.level === 'segment')
      out.push(...group('segment', (x) => x.segment, sel.target || undefined));
    else
      out.push(
        ...all
          .filter((x) => !sel.target || x.meter_id === sel.target)
          .map((x) => ({ level: 'meter' as const, target: x.meter_id, meters: [lm(x)] })),
      );
  }
  const empty =
    levels.length === 1 && typeof levels[0] !== 'string' && out.every((t) => t.meters.length === 0);
  if (out.length === 0 || empty) {
    const sel = levels[0] as Selector;
    throw new UsageError(
      `no meters in the registry for ${sel.level} ${sel.target}`,
      'check the id with `smt meters list`',
    );
  }
  return out;
}

export interface ForecastOptions {
  selector: Selector;
  horizon: Horizon;
  /** first local date forecast; history is the historyDays before it */
  from: string;
  historyDays: number;
  model: ModelName;
  channel: string;
  /** ISO country for public holidays (date-holidays), e.g. DE or GB-ENG */
  holidays?: string;
  weather?: string;
  store: boolean;
}

export interface ForecastReport {
  forecastId: number | null;
  level: string;
  target: string;
  meters: number;
  model: ModelName;
  modelVersion: number;
  horizon: Horizon;
  origin: string;
  timezone: string;
  intervalMinutes: number;
  historyFrom: string;
  scaledSlots: number;
  sufficiency: Sufficiency;
  days: DailyForecast[];
  intervals: ForecastPoint[];
}

/** Public holidays over the local days of the series and `extraPositions` after it. */
function holidaysFor(country: string | undefined, series: UsageSeries, extraPositions: number): Set<number> {
  const cal = LocalCalendar.for(series.timezone);
  const step = series.intervalMinutes * 60_000;
  const last = series.start + (series.values.length + extraPositions - 1) * step;
  return publicHolidays(country, cal.localDayOf(series.start), cal.localDayOf(last));
}

export async function forecast(config: SmtConfig, o: ForecastOptions): Promise<ForecastReport> {
  return withStores(config, async (pool, reader) => {
    const [t] = await targets(pool, [o.selector]);
    const target = t as Target;
    const fromDay = parseLocalDate(o.from);
    const historyFrom = formatLocalDate(fromDay - o.historyDays);
    const level = await readLevelSeries(
      reader,
      target.meters,
      o.channel,
      historyFrom,
      formatLocalDate(fromDay - 1),
    );
    const s = level.series;
    const cal = LocalCalendar.for(s.timezone);
    const step = s.intervalMinutes * 60_000;
    const horizon = Math.round(
      (cal.dayBoundsOf(fromDay + HORIZON_DAYS[o.horizon]).start - cal.dayBoundsOf(fromDay).start) / step,
    );
    const temperature = o.weather
      ? readWeatherCsv(o.weather, s.start, s.intervalMinutes, s.values.length + horizon)
      : undefined;
    const res = runForecast({
      series: s,
      horizon,
      model: o.model,
      holidays: holidaysFor(o.holidays, s, horizon),
      ...(temperature ? { temperature } : {}),
    });
    const origin = cal.dayBoundsOf(fromDay).start;
    let forecastId: number | null = null;
    if (o.store) {
      forecastId = (
        await new ForecastRepository(pool).insert({
          level: target.level,
          target: target.target,
          channel: o.channel,
          model: res.model,
          modelVersion: res.modelVersion,
          origin: new Date(origin),
          horizon: o.horizon,
          timezone: s.timezone,
          intervalMinutes: s.intervalMinutes,
          historyFrom,
          values: res.intervals.map((p) => p.value),
          lower: res.intervals.map((p) => p.lower),
          upper: res.intervals.map((p) => p.upper),
          days: res.days,
          warnings: res.sufficiency.warnings.map((w) => w.message),
        })
      ).forecastId;
    }
    return {
      forecastId,
      level: target.level,
      target: target.target,
      meters: level.meters,
      model: res.model,
      modelVersion: res.modelVersion,
      horizon: o.horizon,
      origin: new Date(origin).toISOString(),
      timezone: s.timezone,
      intervalMinutes: s.intervalMinutes,
      historyFrom,
      scaledSlots: level.scaledSlots,
      sufficiency: res.sufficiency,
      days: res.days,
      intervals: res.intervals,
    };
  });
}

export interface AccuracyRow {
  forecastId: number;
  level: string;
  target: string;
  model: string;
  horizon: string;
  origin: string;
  issuedAt: string;
  /** interval points with an actual so far / forecast */
  compared: number;
  forecast: number;
  mape: number | null;
  wape: number | null;
  dailyMape: number | null;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** Stored forecasts whose target has begun, against the actuals in the series now. */
export async function forecastAccuracy(
  config: SmtConfig,
  opts: { now: number; limit: number },
): Promise<AccuracyRow[]> {
  return withStores(config, async (pool, reader) => {
    const stored = await new ForecastRepository(pool).issuedBefore(new Date(opts.now), opts.limit);
    const all = await targets(pool, ['fleet', 'region', 'segment', 'meter']);
    const rows: AccuracyRow[] = [];
    for (const f of stored) {
      const t = all.find((x) => x.level === f.level && x.target === f.target);
      if (!t) continue;
      const cal = LocalCalendar.for(f.timezone);
      const fromDay = cal.localDayOf(f.origin.getTime());
      const lastDay = fromDay + HORIZON_DAYS[f.horizon as Horizon] - 1;
      const lv = await readLevelSeries(
        reader,
        t.meters,
        f.channel,
        formatLocalDate(fromDay),
        formatLocalDate(lastDay),
      );
      const sums = backtestSums(lv.series, Float64Array.from(f.values), opts.now);
      rows.push({
        forecastId: f.forecastId,
        level: f.level,
        target: f.target,
        model: f.model,
        horizon: f.horizon,
        origin: f.origin.toISOString(),
        issuedAt: f.issuedAt.toISOString(),
        compared: sums.interval.points,
        forecast: f.values.length,
        mape: finite(sums.interval.mape),
        wape: finite(sums.interval.wape),
        dailyMape: finite(sums.daily.mape),
      });
    }
    return rows;
  });
}

export interface EvalRow {
  level: string;
  targets: number;
  model: ModelName;
  horizon: Horizon;
  origins: number;
  intervalMape: number | null;
  intervalWape: number | null;
  dailyMape: number | null;
  dailyWape: number | null;
  /** 1 - model daily MAPE / seasonal naive daily MAPE at the same level and horizon */
  skillVsNaive: number | null;
}

export interface EvalOptions {
  from: string;
  to: string;
  horizons: Horizon[];
  models: ModelName[];
  holidays?: string;
  /** evaluate a CSV series instead of the stores */
  file?: string;
  /** evaluate a fleet simulated in memory instead of the stores (see simulated-levels.ts) */
  simulate?: { meters: number; seed: number; intervalMinutes: IntervalMinutes };
  timezone: string;
  levels: Target['level'][];
  maxMeters: number;
  channel: string;
  onProgress?: (done: number, total: number, what: string) => void;
}

function summarise(level: string, targetsN: number, cells: BacktestCell[][]): EvalRow[] {
  const merged = new Map<string, BacktestCell>();
  for (const list of cells) {
    for (const c of list) {
      const k = `${c.model}|${c.horizon}`;
      const m = merged.get(k) ?? {
        model: c.model,
        horizon: c.horizon,
        interval: new ErrorSums(),
        daily: new ErrorSums(),
        origins: 0,
      };
      m.interval.merge(c.interval);
      m.daily.merge(c.daily);
      m.origins += c.origins;
      merged.set(k, m);
    }
  }
  const rows = [...merged.values()];
  return rows.map((c) => {
    const naive = rows.find((x) => x.model === 'seasonal-naive' && x.horizon === c.horizon);
    return {
      level,
      targets: targetsN,
      model: c.model,
      horizon: c.horizon,
      origins: c.origins,
      intervalMape: finite(c.interval.mape),
      intervalWape: finite(c.interval.wape),
      dailyMape: finite(c.daily.mape),
      dailyWape: finite(c.daily.wape),
      skillVsNaive: naive ? finite(1 - c.daily.mape / naive.daily.mape) : null,
    };
  });
}

export async function forecastEval(config: SmtConfig, o: EvalOptions): Promise<EvalRow[]> {
  const maxH = Math.max(...o.horizons.map((h) => HORIZON_DAYS[h]));
  const fromDay = parseLocalDate(o.from);
  const toDay = parseLocalDate(o.to);
  if (toDay < fromDay) throw new UsageError(`--to ${o.to} is before --from ${o.from}`);
  const run = (series: UsageSeries) =>
    backtest({
      series,
      fromDay,
      toDay,
      horizons: o.horizons,
      models: o.models,
      holidays: holidaysFor(o.holidays, series, 0),
    }).cells;
  if (o.file) {
    const series = readSeriesCsv(o.file, o.timezone);
    o.onProgress?.(0, 1, o.file);
    const cells = run(series);
    o.onProgress?.(1, 1, o.file);
    return summarise('dataset', 1, [cells]);
  }
  if (o.simulate) {
    const all = simulatedLevels(
      {
        ...o.simulate,
        timezone: o.timezone,
        from: formatLocalDate(fromDay - SIMULATED_HISTORY_DAYS),
        to: formatLocalDate(toDay + maxH - 1),
        keepMeters: o.levels.includes('meter') ? o.maxMeters : 0,
      },
      (done, total) => o.onProgress?.(done, total, 'simulated days'),
    );
    const out: EvalRow[] = [];
    for (const level of o.levels) {
      const ts = all.filter((t) => t.level === level).slice(0, o.maxMeters);
      const cells = ts.map((t, i) => {
        const c = run(t.series);
        o.onProgress?.(i + 1, ts.length, `${level} ${t.target} (${t.meters} meters)`);
        return c;
      });
      out.push(...summarise(level, ts.length, cells));
    }
    return out;
  }
  return withStores(config, async (pool, reader) => {
    const all = await targets(pool, o.levels);
    const byLevel = o.levels.map((level) => all.filter((t) => t.level === level).slice(0, o.maxMeters));
    const total = byLevel.reduce((n, ts) => n + ts.length, 0);
    const out: EvalRow[] = [];
    let done = 0;
    const historyFrom = formatLocalDate(fromDay - 91);
    const readTo = formatLocalDate(toDay + maxH);
    for (const [i, level] of o.levels.entries()) {
      const ts = byLevel[i] as Target[];
      const cells: BacktestCell[][] = [];
      for (const t of ts) {
        const lv = await readLevelSeries(reader, t.meters, o.channel, historyFrom, readTo);
        cells.push(run(lv.series));
        o.onProgress?.(++done, total, `${t.level} ${t.target}`);
      }
      out.push(...summarise(level, ts.length, cells));
    }
    return out;
  });
}
