import type { AccuracyRow, EvalRow, ForecastReport } from '../core/forecast/service.js';
import { renderKeyValues, renderTable } from './output.js';

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)} %`);
const num = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

export function renderForecast(r: ForecastReport): string {
  const head = renderKeyValues([
    ['target', `${r.level} ${r.target} (${r.meters} meter${r.meters === 1 ? '' : 's'})`],
    ['model', `${r.model} v${r.modelVersion}`],
    ['horizon', `${r.horizon} from ${r.origin} (${r.timezone}, ${r.intervalMinutes} min)`],
    [
      'history',
      `from ${r.historyFrom}: ${r.sufficiency.historyDays.toFixed(1)} days, ${(r.sufficiency.missingFraction * 100).toFixed(1)} % missing`,
    ],
    ['scaled slots', r.scaledSlots],
    ['warnings', r.sufficiency.warnings.map((w) => w.message).join('; ') || '-'],
    ['stored', r.forecastId === null ? 'no (--no-store)' : `smt.forecasts #${r.forecastId}`],
  ]);
  const days = renderTable(
    ['local date', 'forecast', 'lower 5 %', 'upper 95 %'],
    r.days.map((d) => [d.date, num(d.value), num(d.lower), num(d.upper)]),
  );
  return `${head}\n${days}`;
}

export function renderAccuracy(rows: AccuracyRow[]): string {
  return renderTable(
    ['id', 'level', 'target', 'model', 'horizon', 'origin', 'compared', 'MAPE', 'WAPE', 'daily MAPE'],
    rows.map((r) => [
      r.forecastId,
      r.level,
      r.target,
      r.model,
      r.horizon,
      r.origin,
      `${r.compared}/${r.forecast}`,
      pct(r.mape),
      pct(r.wape),
      pct(r.dailyMape),
    ]),
  );
}

export function renderEval(rows: EvalRow[]): string {
  return renderTable(
    [
      'level',
      'targets',
      'horizon',
      'model',
      'origins',
      'interval MAPE',
      'interval WAPE',
      'daily MAPE',
      'daily WAPE',
      'vs naive (daily MAPE)',
    ],
    rows.map((r) => [
      r.level,
      r.targets,
      r.horizon,
      r.model,
      r.origins,
      pct(r.intervalMape),
      pct(r.intervalWape),
      pct(r.dailyMape),
      pct(r.dailyWape),
      r.model === 'seasonal-naive' ? '-' : pct(r.skillVsNaive),
    ]),
  );
}
