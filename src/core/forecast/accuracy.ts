import { ErrorSums } from './backtest.js';
import { dailyTotals, dayLengths, slotCalendar, type UsageSeries } from './series.js';

/** Errors of a stored forecast against the actuals (positions starting before `now` only). */
export function backtestSums(actual: UsageSeries, forecast: Float64Array, now: number) {
  const step = actual.intervalMinutes * 60_000;
  const n = Math.min(
    forecast.length,
    actual.values.length,
    Math.max(0, Math.floor((now - actual.start) / step)),
  );
  const interval = new ErrorSums();
  for (let i = 0; i < n; i++) interval.add(actual.values[i] as number, forecast[i] as number);
  const cal = slotCalendar(actual.timezone, actual.intervalMinutes, actual.start, n);
  const lengths = dayLengths(actual.timezone, actual.intervalMinutes, cal.day);
  const a = dailyTotals(actual.values.subarray(0, n), cal, lengths);
  const f = dailyTotals(forecast.subarray(0, n), cal, lengths);
  const daily = new ErrorSums();
  for (let d = 0; d < a.values.length; d++) daily.add(a.values[d] as number, f.values[d] as number);
  return { interval, daily };
}
