import { describe, expect, it } from 'vitest';
import { DayFold, dailyAggregate, factsOfDay, foldInto } from '../../src/core/aggregate/daily.js';
import {
  type DailyRowBatch,
  dailyRowSource,
  encodeDailyRows,
  type StoredRow,
} from '../../src/core/postgres/aggregate-store.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import { emptyDay, type SeriesDay } from '../../src/core/series/day.js';

const ACTUAL = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);
const RAW = packFields(Origin.Actual, ValidationState.NotValidated, Method.None, Reason.None);
const FAILED = packFields(Origin.Actual, ValidationState.Failed, Method.None, Reason.None);
const EST = packFields(Origin.Estimated, ValidationState.Passed, Method.LinearInterpolation, Reason.None);
const ZONE = 'Europe/Stockholm';

/** Days that cover every branch of a row: DST days, gaps, estimates, failures, a day of NaN only, none. */
function days(): (SeriesDay | { meterId: string; channel: string; day: string; none: true })[] {
  const out: (SeriesDay | { meterId: string; channel: string; day: string; none: true })[] = [];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (const [i, day] of ['2026-03-29', '2026-10-25', '2026-06-01', '2026-06-02', '2026-06-03'].entries())
    for (const minutes of [15, 60] as const) {
      const d = emptyDay({ meterId: `M${i}-${minutes}`, channel: 'active_import_kwh', day }, ZONE, minutes);
      for (let p = 0; p < d.values.length; p++) {
        if (i === 3 && p % 3 === 0) continue; // gaps
        if (i === 4) continue; // read, but no value
        // values around the 6th decimal's halves and large ones (beyond 2^32 micro-kWh an hour)
        d.values[p] = p === 5 ? 5000.0000005 : Math.round(rnd() * 1e7) / 1e6 - (p === 7 ? 3 : 0);
        // day 2 all actual and validated; the others with estimates, unvalidated and failed values
        d.quality[p] =
          i === 2 ? ACTUAL : p % 11 === 0 ? EST : p % 13 === 0 ? RAW : p % 17 === 0 ? FAILED : ACTUAL;
      }
      d.version = 1_780_000_000_000_000 + i;
      out.push(d);
    }
  out.push({ meterId: 'M9', channel: 'active_import_kwh', day: '2026-03-29', none: true });
  return out;
}

describe('daily rows encoded for COPY', () => {
  it('a row written from its fold is byte for byte the row written from its DailyAggregate', () => {
    const all = days();
    const objects = all.map((d) =>
      'none' in d
        ? dailyAggregate(d, 92, 15, undefined)
        : dailyAggregate(d, d.values.length, d.intervalMinutes, factsOfDay(d)),
    );
    const fold = new DayFold(2); // grown on the first day
    const batch: DailyRowBatch = {
      keys: all.map((d) => ({ meterId: d.meterId, channel: d.channel, day: d.day })),
      fill(i, out) {
        const d = all[i]!;
        if ('none' in d) {
          Object.assign(out, {
            expected: 92,
            intervalMinutes: 15,
            read: false,
            fold,
            dayStart: 0,
            seriesVersion: 0,
          });
          return;
        }
        foldInto(fold, d.intervalMinutes, d.values, d.quality, 0, d.values.length);
        Object.assign(out, {
          expected: d.values.length,
          intervalMinutes: d.intervalMinutes,
          read: true,
          fold,
          dayStart: d.dayStart,
          seriesVersion: d.version,
        });
      },
    };
    const a = Buffer.concat(encodeDailyRows(dailyRowSource(objects), null).pieces);
    const b = Buffer.concat(encodeDailyRows(dailyRowSource(batch), null).pieces);
    expect(objects.map((o) => o.status)).toContain('validated');
    expect(objects.map((o) => o.status)).toContain('provisional');
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(true);
  });

  it('leaves out exactly the rows whose stored hash and status are those of the row now', () => {
    const all = days().filter((d): d is SeriesDay => !('none' in d));
    const rows = all.map((d) => dailyAggregate(d, d.values.length, d.intervalMinutes, factsOfDay(d)));
    const first = encodeDailyRows(dailyRowSource(rows), null);
    expect(first.rows).toBe(rows.length);
    // the hash of each row: the 8 bytes before the next row (or the trailer), as COPY sent it
    const bytes = Buffer.concat(first.pieces);
    const hashes: number[] = [];
    let at = 19;
    for (;;) {
      const fields = bytes.readInt16BE(at);
      if (fields === -1) break;
      at += 2;
      for (let f = 0; f < fields; f++) {
        const n = bytes.readInt32BE(at);
        at += 4;
        if (f === fields - 1) hashes.push(Number(bytes.readBigInt64BE(at)));
        if (n > 0) at += n;
      }
    }
    expect(hashes.length).toBe(rows.length);
    expect(new Set(hashes).size).toBe(rows.length);
    const key = (i: number) =>
      `${rows[i]!.meterId}|${rows[i]!.channel}|${Date.parse(rows[i]!.localDate) / 86_400_000}`;
    const stored = new Map<string, StoredRow>(
      rows.map((r, i) => [key(i), { h: String(hashes[i]), status: r.status }]),
    );
    expect(encodeDailyRows(dailyRowSource(rows), stored).rows).toBe(0);
    // another hash, a cleared hash (an UPDATE elsewhere), another status (billed): sent again
    stored.set(key(0), { h: String(hashes[0]! + 1), status: rows[0]!.status });
    stored.set(key(1), { h: null, status: rows[1]!.status });
    stored.set(key(2), { h: String(hashes[2]), status: 'billed' });
    stored.delete(key(3));
    expect(encodeDailyRows(dailyRowSource(rows), stored).rows).toBe(4);
  });
});
