/**
 * Writes samples/ deterministically from the codecs' own encoders:
 *   npx tsx scripts/make-samples.ts
 * test/unit/codecs-samples.test.ts checks the files on disk are what this script produces and that
 * each decodes (or, under samples/invalid/, fails) as documented in docs/formats.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DLMS_PROFILE, encode } from '../src/core/codecs/index.js';
import type { Channel, IntervalMinutes, ReadingBlock } from '../src/core/readings/block.js';
import { NO_SEQUENCE } from '../src/core/readings/block.js';
import { mdffSamples } from './samples-mdff.js';

const MIN = 60_000;

/** Small deterministic generator (LCG) so samples never change between runs. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A household-like load curve: night base, morning and evening peaks; kWh per interval, 3 decimals. */
function loadCurve(
  startMs: number,
  n: number,
  interval: IntervalMinutes,
  seed: number,
  localOffsetHours: (ms: number) => number,
): number[] {
  const r = rng(seed);
  const perHour = interval / 60;
  return Array.from({ length: n }, (_, i) => {
    const t = startMs + i * interval * MIN;
    const h = (((t / 3_600_000 + localOffsetHours(t)) % 24) + 24) % 24;
    const kw =
      0.25 + 0.9 * Math.exp(-((h - 7.5) ** 2) / 2) + 1.6 * Math.exp(-((h - 19) ** 2) / 4) + 0.2 * r();
    return Math.round(kw * perHour * 1000) / 1000;
  });
}

/** Solar export: zero at night, a midday bell. */
function solarCurve(
  startMs: number,
  n: number,
  interval: IntervalMinutes,
  seed: number,
  localOffsetHours: (ms: number) => number,
): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const t = startMs + i * interval * MIN;
    const h = (((t / 3_600_000 + localOffsetHours(t)) % 24) + 24) % 24;
    const kw = Math.max(0, 3.2 * Math.exp(-((h - 12.5) ** 2) / 6) - 0.15) * (0.85 + 0.15 * r());
    return Math.round(kw * (interval / 60) * 1000) / 1000;
  });
}

function makeBlock(
  meterId: string,
  channel: Channel,
  interval: IntervalMinutes,
  start: number,
  values: Array<number | null>,
  extra: { seq?: number; cq?: number; status?: (i: number) => number } = {},
): ReadingBlock {
  const n = values.length;
  return {
    meterId,
    channel,
    intervalMinutes: interval,
    starts: Float64Array.from({ length: n }, (_, i) => start + i * interval * MIN),
    values: Float64Array.from(values, (v) => (v === null ? Number.NaN : v)),
    status: Uint32Array.from({ length: n }, (_, i) => extra.status?.(i) ?? 0),
    sequence: Int32Array.from({ length: n }, (_, i) =>
      extra.seq === undefined ? NO_SEQUENCE : extra.seq + i,
    ),
    commQuality: extra.cq ?? Number.NaN,
  };
}

/** Europe/Stockholm offset in hours for 2026 (DST 29 Mar 01:00Z – 25 Oct 01:00Z). */
function stockholm(ms: number): number {
  return ms >= Date.UTC(2026, 2, 29, 1) && ms < Date.UTC(2026, 9, 25, 1) ? 2 : 1;
}
const aest = (): number => 10;

export function buildSamples(): Record<string, string | Uint8Array> {
  const out: Record<string, string | Uint8Array> = {};
  const tz = 'Europe/Stockholm';

  // --- JSON: Kafka messages, one meter-day each; local days of 96, 92 (spring) and 100 (autumn) intervals
  const normalStart = Date.UTC(2026, 2, 27, 23); // 2026-03-28T00:00+01:00
  const springStart = Date.UTC(2026, 2, 28, 23); // 2026-03-29T00:00+01:00, 23 hours long
  const autumnStart = Date.UTC(2026, 9, 24, 22); // 2026-10-25T00:00+02:00, 25 hours long
  const normal = loadCurve(normalStart, 96, 15, 1, stockholm);
  const spring: Array<number | null> = loadCurve(springStart, 92, 15, 2, stockholm);
  spring[40] = null; // one missing reading: null, never 0
  const autumn = loadCurve(autumnStart, 100, 15, 3, stockholm);
  const springBlock = makeBlock('M000001', 'active_import_kwh', 15, springStart, spring, {
    seq: 9_700,
    cq: 97,
    status: (i) => (i === 40 ? 0x04 : 0),
  });
  out['json/meter-day-dst-2026-03-29.json'] = encode('json', [springBlock], { timezone: tz }) as string;
  out['json/meter-days.ndjson'] = encode(
    'json',
    [
      makeBlock('M000001', 'active_import_kwh', 15, normalStart, normal, { seq: 9_604, cq: 99 }),
      springBlock,
      makeBlock('M000001', 'active_import_kwh', 15, autumnStart, autumn, { cq: 95 }),
    ],
    { timezone: tz },
  ) as string;

  // --- CSV: a head-end export, two meters × import/export, one local day, local times with offsets
  const day = Date.UTC(2026, 4, 11, 22); // 2026-05-12T00:00+02:00
  const csvBlocks: ReadingBlock[] = [];
  ['M000002', 'M000003'].forEach((m, k) => {
    const imp: Array<number | null> = loadCurve(day, 96, 15, 10 + k, stockholm);
    if (k === 1) imp.splice(60, 3, null, null, null); // a 45-minute communication gap
    csvBlocks.push(
      makeBlock(m, 'active_import_kwh', 15, day, imp, {
        seq: 500 * (k + 1),
        cq: 90 - k * 25,
        status: (i) => (k === 1 && i >= 60 && i < 63 ? 0x04 : 0),
      }),
    );
    csvBlocks.push(
      makeBlock(m, 'active_export_kwh', 15, day, solarCurve(day, 96, 15, 20 + k, stockholm), {
        seq: 500 * (k + 1),
        cq: 90 - k * 25,
      }),
    );
  });
  out['csv/head-end-export.csv'] = encode('csv', csvBlocks, { timezone: tz }) as string;

  // --- DLMS: the default 15-minute energy profile of one meter-day, clock in CET (deviation -60),
  // compact buffer (only the first entry carries a clock), registers in Wh
  const dlmsDay = Date.UTC(2026, 0, 14, 23); // 2026-01-15T00:00+01:00
  const dlmsImp = makeBlock(
    'M000004',
    'active_import_kwh',
    15,
    dlmsDay,
    loadCurve(dlmsDay, 96, 15, 30, stockholm),
    { status: (i) => (i === 30 ? 0x20 : 0) },
  );
  const dlmsExp = makeBlock(
    'M000004',
    'active_export_kwh',
    15,
    dlmsDay,
    solarCurve(dlmsDay, 96, 15, 31, stockholm),
  );
  const buf = encode('dlms', [dlmsImp, dlmsExp], {
    dlms: {
      profile: DEFAULT_DLMS_PROFILE,
      clock: 'null-data',
      deviation: -60,
      baseline: { active_import_kwh: 12_345_678, active_export_kwh: 2_345_678 },
    },
  }) as Uint8Array;
  out['dlms/load-profile-M000004.bin'] = buf;
  out['dlms/load-profile-M000004.hex'] = hexLines(buf);

  // --- NEM12: one NMI, E1 (consumption) and B1 (solar) 30-minute data, two market days (AEST);
  // day 2 of E1 has three null intervals, which the encoder writes as V with 400 records
  const d1 = Date.UTC(2026, 1, 28, 14); // 2026-03-01T00:00+10:00
  const e1: Array<number | null> = loadCurve(d1, 96, 30, 40, aest);
  e1[70] = null;
  e1[71] = null;
  e1[72] = null;
  const b1 = solarCurve(d1, 96, 30, 41, aest);
  out['nem12/NEM12#0000000001#SMTMDP#RETAILER1.csv'] = encode(
    'nem12',
    [
      makeBlock('NCDE001111E1', 'active_import_kwh', 30, d1, e1),
      makeBlock('NCDE001111B1', 'active_export_kwh', 30, d1, b1),
    ],
    {
      nem12: {
        createdAt: '202603030600',
        fromParticipant: 'SMTMDP',
        toParticipant: 'RETAILER1',
        updateDateTime: '20260303060000',
      },
    },
  ) as string;

  mdffSamples(out);

  // --- invalid samples: each fails in one documented way
  const bad = JSON.parse(out['json/meter-day-dst-2026-03-29.json'] as string) as { values: unknown[] };
  bad.values[17] = 'abc';
  out['invalid/json-bad-value.json'] = `${JSON.stringify(bad)}\n`;
  const csvLines = (out['csv/head-end-export.csv'] as string).split('\n');
  csvLines[5] = csvLines[5]!.replace(/,15,[^,]*,/, ',15,12..5,'); // line 6: a value that is not a number
  csvLines[9] = csvLines[9]!.replace(/T(\d\d):(\d\d):00/, 'T$1:07:00'); // line 10: a start off the 15-minute grid
  out['invalid/csv-bad-rows.csv'] = csvLines.join('\n');
  out['invalid/dlms-truncated.hex'] = hexLines(buf.subarray(0, 100));
  const nemLines = (out['nem12/NEM12#0000000001#SMTMDP#RETAILER1.csv'] as string).trimEnd().split('\n');
  const third = nemLines[2]!.split(',');
  third.splice(20, 1); // line 3: 47 interval values for a 30-minute stream
  nemLines[2] = third.join(',');
  nemLines.pop(); // and no 900 end record
  out['invalid/nem12-wrong-count-no-900.csv'] = `${nemLines.join('\n')}\n`;
  return out;
}

function hexLines(b: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 32) {
    lines.push(Array.from(b.subarray(i, i + 32), (x) => x.toString(16).padStart(2, '0')).join(' '));
  }
  return `${lines.join('\n')}\n`;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const SAMPLES_DIR = path.resolve(here, '..', 'samples');

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, content] of Object.entries(buildSamples())) {
    const file = path.join(SAMPLES_DIR, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
