import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../src/core/errors.js';
import { readSeriesCsv, readWeatherCsv } from '../../src/core/forecast/csv-input.js';
import { modelInput } from '../../src/core/forecast/engine.js';
import { calendarRegression } from '../../src/core/forecast/models/calendar-regression.js';
import { slotCalendar } from '../../src/core/forecast/series.js';

const dir = mkdtempSync(path.join(tmpdir(), 'smt-forecast-inputs-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('forecast CSV inputs', () => {
  it('reads a regular series, empty values as missing', () => {
    const s = readSeriesCsv(
      file('s.csv', 'at,v\n2026-01-01T00:00:00Z,1\n2026-01-01T00:30:00Z,\n2026-01-01T01:30:00Z,4\n'),
      'UTC',
    );
    expect(s.intervalMinutes).toBe(30);
    expect([...s.values]).toEqual([1, Number.NaN, Number.NaN, 4]);
  });

  it('names the file and line of a bad row', () => {
    const p = file('bad.csv', 'at,v\n2026-01-01T00:00:00Z,1\n2026-01-01 00:30,2\n');
    expect(() => readSeriesCsv(p, 'UTC')).toThrow(InvalidDataError);
    expect(() => readSeriesCsv(p, 'UTC')).toThrow(
      `${p} line 3: expected "<ISO instant with offset>,<number>", got "2026-01-01 00:30,2"`,
    );
  });

  it('refuses weather that does not cover the horizon', () => {
    const p = file('w.csv', 'at,t\n2026-01-01T00:00:00Z,5\n2026-01-01T01:00:00Z,6\n');
    expect([...readWeatherCsv(p, Date.UTC(2026, 0, 1), 60, 4)]).toEqual([5, 6, 6, 6]);
    expect(() => readWeatherCsv(p, Date.UTC(2026, 0, 1), 60, 6)).toThrow(
      'no temperature within 3 hours before 2026-01-01T05:00:00.000Z',
    );
  });
});

describe('calendar regression with temperature', () => {
  it('recovers a heating effect of 2 per degree below 18 °C exactly', () => {
    const days = 70;
    const n = days * 24;
    const horizon = 24;
    const start = Date.UTC(2026, 0, 5);
    const temp = Float64Array.from(
      { length: n + horizon },
      (_, i) => 5 + 10 * Math.sin(i / 37) + (i % 24) / 4,
    );
    const base = (i: number) => 50 + 20 * Math.sin(((i % 24) / 24) * 2 * Math.PI);
    const values = Float64Array.from(
      { length: n },
      (_, i) => base(i) + 2 * Math.max(0, 18 - (temp[i] as number)),
    );
    const cal = slotCalendar('UTC', 60, start, n + horizon);
    const req = {
      series: { timezone: 'UTC', intervalMinutes: 60, start, values },
      horizon,
      model: 'calendar-regression' as const,
      holidays: new Set<number>(),
      temperature: temp,
    };
    const p = calendarRegression.predict(modelInput(req, cal, n, horizon));
    for (let h = 0; h < horizon; h++)
      expect(p[h]).toBeCloseTo(base(n + h) + 2 * Math.max(0, 18 - (temp[n + h] as number)), 6);
    const { temperature: _t, ...noWeather } = req;
    const without = calendarRegression.predict(modelInput(noWeather, cal, n, horizon));
    expect(Math.abs((without[0] as number) - (p[0] as number))).toBeGreaterThan(0.5);
  });
});
