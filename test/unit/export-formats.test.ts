/**
 * Exports round-trip through smt's own decoders (CSV, NEM12), through the third-party NEM12 parser
 * `nemreader` (PyPI, MIT; skipped with a message when python3 cannot import it) and, for Green
 * Button, through a generic XML parser (fast-xml-parser) checked against the series value by value.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/core/codecs/index.js';
import { encodeExportCsv } from '../../src/core/export/csv.js';
import { encodeGreenButton, multiplierFor } from '../../src/core/export/espi.js';
import { encodeNem12Export } from '../../src/core/export/nem12.js';
import {
  Method,
  Origin,
  packFields,
  packQuality,
  Reason,
  unpackQuality,
  ValidationState,
} from '../../src/core/readings/quality.js';
import { toEspi } from '../../src/core/readings/quality-espi.js';
import { fromNem12 } from '../../src/core/readings/quality-nem12.js';
import { emptyDay, intervalStartAt, type SeriesDay } from '../../src/core/series/day.js';

const CH = 'active_import_kwh';
const EST = packFields(
  Origin.Estimated,
  ValidationState.Passed,
  Method.LinearInterpolation,
  Reason.CommunicationFailure,
);
const SUB = packFields(Origin.Substituted, ValidationState.Passed, Method.LikeDay, Reason.FailedValidation);
const PASSED = packFields(Origin.Actual, ValidationState.Passed, Method.None, Reason.None);

/** A day with varied exact values, an estimated run, a substituted run, two missing intervals. */
function day(meterId: string, date: string, zone: string, minutes: 15 | 30 | 60 = 15): SeriesDay {
  const d = emptyDay({ meterId, channel: CH, day: date }, zone, minutes);
  for (let i = 0; i < d.values.length; i++) {
    d.values[i] = (((i * 37) % 1000) * 10 + (i % 7 === 0 ? 5 : 0)) / 10_000;
    d.quality[i] = PASSED;
  }
  for (let i = 10; i < 14; i++) d.quality[i] = EST;
  for (let i = 20; i < 22; i++) d.quality[i] = SUB;
  d.values[30] = Number.NaN;
  d.quality[30] = packFields(
    Origin.Missing,
    ValidationState.NotValidated,
    Method.None,
    Reason.NoDataReceived,
  );
  d.values[31] = Number.NaN;
  d.quality[31] = d.quality[30]!;
  d.writes.push({ version: 1_780_000_000_000_000, source: 'test' });
  d.writeIdx.fill(0);
  d.version = 1_780_000_000_000_000;
  d.writtenAt = 1_780_000_000_000;
  return d;
}

describe('CSV export', () => {
  it('round-trips through smt’s CSV decoder: every start and value exact, a DST day of 100 intervals', () => {
    const days = [day('M1', '2026-10-24', 'Europe/Stockholm'), day('M1', '2026-10-25', 'Europe/Stockholm')];
    const { text, readings } = encodeExportCsv(days, 'Europe/Stockholm');
    expect(readings).toBe(96 + 100);
    const r = decode('csv', text);
    expect(r.failures).toEqual([]);
    const starts = r.blocks.flatMap((b) => [...b.starts]);
    const values = r.blocks.flatMap((b) => [...b.values]);
    expect(starts).toEqual(days.flatMap((d) => [...d.values].map((_v, i) => intervalStartAt(d, i))));
    expect(values.map(String)).toEqual(days.flatMap((d) => [...d.values].map(String)));
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe(
      'meter_id,channel,interval_start,interval_minutes,value,status,sequence,comm_quality,quality,origin,validation,method,reason,version',
    );
    expect(lines[1]).toBe(
      'M1,active_import_kwh,2026-10-24T00:00:00+02:00,15,0.0005,0,,,8,Actual,Passed,None,None,1780000000000000',
    );
    const qualities = lines.slice(1).map((l) => Number(l.split(',')[8]));
    expect(qualities).toEqual(days.flatMap((d) => [...d.quality]));
  });
});

function nem12Days(): SeriesDay[] {
  // Brisbane keeps UTC+10 all year, so local days are NEM12 market days
  return ['2026-03-01', '2026-03-02'].map((date) => day('NMI0000042E1', date, 'Australia/Brisbane'));
}

describe('NEM12 export', () => {
  it('round-trips through smt’s NEM12 decoder: values, nulls and quality (flag, method, reason)', () => {
    const days = nem12Days();
    const { text, readings } = encodeNem12Export(
      [{ meterId: 'NMI0000042E1', intervalMinutes: 15 }],
      new Map([['NMI0000042E1', days]]),
    );
    expect(readings).toBe(192);
    expect(text.split('\n')[0]).toBe('100,NEM12,202605290626,SMT,SMT');
    expect(text).toContain('\n400,11,14,E17,76,\n');
    expect(text).toContain('\n400,21,22,S14,45,\n');
    expect(text).toContain('\n400,31,32,N,78,\n');
    const r = decode('nem12', text);
    expect(r.failures).toEqual([]);
    expect(r.blocks.map((b) => b.meterId)).toEqual(['NMI0000042E1', 'NMI0000042E1']);
    r.blocks.forEach((b, k) => {
      const d = days[k]!;
      expect([...b.starts]).toEqual([...d.values].map((_v, i) => intervalStartAt(d, i)));
      expect([...b.values].map(String)).toEqual([...d.values].map(String));
      const q = b.quality!;
      for (let i = 0; i < b.values.length; i++) {
        const back = fromNem12({
          qualityMethod:
            String.fromCharCode(q.flag[i]!) + (q.method[i]! >= 0 ? String(q.method[i]).padStart(2, '0') : ''),
          ...(q.reason[i]! >= 0 ? { reasonCode: q.reason[i]! } : {}),
        });
        const want = unpackQuality(d.quality[i]!);
        // NEM12 carries origin, method and reason; the validation state comes back NotValidated
        expect([back.origin, back.method, back.reason]).toEqual([want.origin, want.method, want.reason]);
      }
    });
  });

  it('refuses a meter id that is not an NMI and 60-minute meters, saying why', () => {
    const d = day('SIM-000042', '2026-03-01', 'Australia/Brisbane');
    expect(() =>
      encodeNem12Export([{ meterId: 'SIM-000042', intervalMinutes: 15 }], new Map([['SIM-000042', [d]]])),
    ).toThrow('meter SIM-000042 is not an NMI');
    expect(() => encodeNem12Export([{ meterId: 'NMI0000042E1', intervalMinutes: 60 }], new Map())).toThrow(
      '60-minute intervals',
    );
  });

  const python = spawnSync('python3', ['-c', 'import nemreader'], { encoding: 'utf8' });
  const haveNemreader = python.status === 0;
  if (!haveNemreader)
    console.warn(
      'nemreader (PyPI) not importable by python3: skipping the third-party NEM12 check; `python3 -m pip install nemreader==0.9.2` enables it',
    );
  it.skipIf(!haveNemreader)(
    'is read by the third-party parser nemreader: same values and quality flags',
    () => {
      const days = nem12Days();
      const { text } = encodeNem12Export(
        [{ meterId: 'NMI0000042E1', intervalMinutes: 15 }],
        new Map([['NMI0000042E1', days]]),
      );
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'smt-nem12-')), 'export.csv');
      writeFileSync(file, text);
      const out = execFileSync(
        'python3',
        [
          '-c',
          `import json, sys
from nemreader import read_nem_file
m = read_nem_file(sys.argv[1])
rows = [[r.t_start.isoformat(), r.read_value, r.quality_method, r.event_code] for r in m.readings["NMI0000042"]["E1"]]
print(json.dumps({"header": m.header.version_header, "rows": rows}))`,
          file,
        ],
        { encoding: 'utf8' },
      );
      const parsed = JSON.parse(out) as { header: string; rows: [string, number, string, string][] };
      expect(parsed.header).toBe('NEM12');
      expect(parsed.rows).toHaveLength(192);
      const local = (ms: number) => new Date(ms + 10 * 3_600_000).toISOString().slice(0, 19);
      const want = days.flatMap((d) =>
        [...d.values].map((v, i) => {
          const o = unpackQuality(d.quality[i]!).origin;
          return [
            local(intervalStartAt(d, i)),
            Number.isNaN(v) ? 0 : v,
            o === Origin.Missing
              ? 'N'
              : o === Origin.Estimated
                ? 'E17'
                : o === Origin.Substituted
                  ? 'S14'
                  : 'A',
          ];
        }),
      );
      expect(parsed.rows.map((r) => [r[0], r[1], r[2]])).toEqual(want);
    },
  );
});

describe('Green Button (ESPI) export', () => {
  it('writes UsagePoint, MeterReading, ReadingType and IntervalBlocks with exact integer values and quality', () => {
    const days = [day('M1', '2026-10-25', 'Europe/Stockholm')];
    const { xml, readings } = encodeGreenButton([{ meterId: 'M1', days }]);
    expect(readings).toBe(98);
    const doc = new XMLParser({
      ignoreAttributes: false,
      removeNSPrefix: true,
      isArray: (n) => n === 'entry' || n === 'IntervalReading' || n === 'link',
    }).parse(xml);
    const entries = doc.feed.entry as {
      content: Record<string, unknown>;
      link: { '@_rel': string; '@_href': string }[];
    }[];
    const kinds = entries.map((e) => Object.keys(e.content).find((k) => !k.startsWith('@_')));
    expect(kinds).toEqual(['UsagePoint', 'MeterReading', 'ReadingType', 'IntervalBlock']);
    const rt = entries[2]!.content.ReadingType as Record<string, number>;
    // 0.0005 kWh needs 4 decimals → mWh (10^-3 Wh)
    expect(rt).toMatchObject({
      accumulationBehaviour: 4,
      commodity: 1,
      flowDirection: 1,
      intervalLength: 900,
      kind: 12,
      uom: 72,
      powerOfTenMultiplier: -3,
    });
    const block = entries[3]!.content.IntervalBlock as {
      interval: { duration: number; start: number };
      IntervalReading: {
        value: number;
        timePeriod: { start: number };
        ReadingQuality?: { quality: number };
      }[];
    };
    expect(block.interval).toEqual({ duration: 90_000, start: days[0]!.dayStart / 1000 });
    const d = days[0]!;
    const want = [...d.values]
      .map((v, i) => ({ v, i }))
      .filter((x) => !Number.isNaN(x.v))
      .map(({ v, i }) => ({
        start: intervalStartAt(d, i) / 1000,
        value: Math.round(v * 1e6),
        quality: toEspi(unpackQuality(d.quality[i]!)),
      }));
    expect(
      block.IntervalReading.map((r) => ({
        start: r.timePeriod.start,
        value: r.value,
        quality: r.ReadingQuality?.quality,
      })),
    ).toEqual(want);
    expect(new Set(want.map((w) => w.quality))).toEqual(new Set([0, 9, 8]));
  });

  it('chooses the coarsest exact multiplier and refuses values finer than µWh', () => {
    expect(multiplierFor([1, 2, 30])).toBe(3);
    expect(multiplierFor([0.25, 1.125])).toBe(0);
    expect(multiplierFor([0.0005])).toBe(-3);
    expect(multiplierFor([1e-7])).toBe(-6);
    expect(() => multiplierFor([1e-10])).toThrow('ESPI integers reach µWh');
    expect(packQuality(unpackQuality(EST))).toBe(EST);
  });
});
