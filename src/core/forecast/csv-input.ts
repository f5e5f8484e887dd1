/**
 * The two files the forecast commands read: a series (`smt forecast eval --file`, e.g. the
 * vendored Taylor demand) and a weather file (`--weather`). Both are `timestamp,value` CSV with
 * a header, ISO 8601 instants with an offset or Z. A bad row is an error naming file and line.
 */
import { readFileSync } from 'node:fs';
import { InvalidDataError } from '../errors.js';
import type { UsageSeries } from './series.js';

interface Row {
  at: number;
  value: number;
}

function readRows(path: string, what: string): Row[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidDataError(`cannot read the ${what} file ${path}: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const [ts, v] = line.split(',');
    const at = Date.parse(ts ?? '');
    const value = v === undefined || v.trim() === '' ? Number.NaN : Number(v);
    if (
      !/(Z|[+-]\d\d:?\d\d)$/.test(ts?.trim() ?? '') ||
      Number.isNaN(at) ||
      (v !== undefined && v.trim() !== '' && !Number.isFinite(value))
    ) {
      throw new InvalidDataError(
        `${path} line ${i + 1}: expected "<ISO instant with offset>,<number>", got "${line}"`,
        {
          hint: 'the first column is an instant such as 2000-06-05T00:00:00Z, the second a number (empty = missing)',
        },
      );
    }
    rows.push({ at, value });
  }
  if (rows.length < 2) throw new InvalidDataError(`${path}: fewer than two rows`);
  return rows;
}

/** A regular series: the interval is the spacing of the first two rows; every row must be on the grid. */
export function readSeriesCsv(path: string, timezone: string): UsageSeries {
  const rows = readRows(path, 'series');
  const step = (rows[1] as Row).at - (rows[0] as Row).at;
  const intervalMinutes = step / 60_000;
  if (![5, 15, 30, 60].includes(intervalMinutes)) {
    throw new InvalidDataError(
      `${path}: the first two rows are ${intervalMinutes} minutes apart; 5, 15, 30 or 60 expected`,
    );
  }
  const start = (rows[0] as Row).at;
  const last = (rows[rows.length - 1] as Row).at;
  const values = new Float64Array((last - start) / step + 1).fill(Number.NaN);
  rows.forEach((r, i) => {
    const pos = (r.at - start) / step;
    if (!Number.isInteger(pos) || pos < 0) {
      throw new InvalidDataError(
        `${path} line ${i + 2}: ${new Date(r.at).toISOString()} is not on the ${intervalMinutes}-minute grid from the first row`,
      );
    }
    values[pos] = r.value;
  });
  return { timezone, intervalMinutes, start, values };
}

/** Temperatures for every grid position: the latest reading at or before it, at most 3 hours old. */
export function readWeatherCsv(
  path: string,
  start: number,
  intervalMinutes: number,
  length: number,
): Float64Array {
  const rows = readRows(path, 'weather').sort((a, b) => a.at - b.at);
  const out = new Float64Array(length);
  const step = intervalMinutes * 60_000;
  let j = -1;
  for (let i = 0; i < length; i++) {
    const t = start + i * step;
    while (j + 1 < rows.length && (rows[j + 1] as Row).at <= t) j++;
    const r = rows[j];
    if (r === undefined || t - r.at > 3 * 3_600_000 || Number.isNaN(r.value)) {
      throw new InvalidDataError(
        `${path}: no temperature within 3 hours before ${new Date(t).toISOString()}`,
        {
          hint: 'the weather file must cover the history and the horizon, hourly or finer',
        },
      );
    }
    out[i] = r.value;
  }
  return out;
}
