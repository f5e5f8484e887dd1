import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { originOf, stateOf } from '../readings/quality.js';
import { intervalStartAt } from '../series/day.js';
import type { AnalyticsStore, DayChange } from '../series/ports.js';
import { RULES_BY_KEY } from '../vee/rules.js';
import { clickhouseCall } from './errors.js';

/**
 * Every column, in the order of the TabSeparated fields. Every column is always sent (18.16 fills
 * omitted fields with type defaults, see docs/stack-recipe §4.5).
 */
const COLUMNS = [
  'meter_id',
  'channel',
  'interval_minutes',
  'region',
  'segment',
  'tariff',
  'ingested_at',
  'version',
  'ts',
  'local_date',
  'value',
  'missing',
  'quality',
  'origin',
  'validation_state',
  'failed_rules',
  'rules',
  'device_status',
] as const;

/**
 * The changed readings of a write plan as one TabSeparated insert into `readings`. Text built
 * here rather than row objects through JSONEachRow: the per-day columns are escaped once per day,
 * and a JSON encoding of named fields per reading was the largest single item of ingest CPU.
 * TabSeparated is read the same way by 18.16 and current ClickHouse.
 */
export function readingsTsv(changes: readonly DayChange[], ingestedAt: number): string {
  const at = chDateTime(ingestedAt);
  const lines: string[] = [];
  for (const { day, positions, meter } of changes) {
    const head = `${tsvString(day.meterId)}\t${tsvString(day.channel)}\t${day.intervalMinutes}\t${tsvString(meter.regionId)}\t${tsvString(meter.segment)}\t${tsvString(meter.tariffId)}\t${at}\t`;
    for (const p of positions) {
      const q = day.quality[p]!;
      const rules = day.rules.get(p);
      lines.push(
        `${head}${day.writes[day.writeIdx[p]!]!.version}\t${chDateTime(intervalStartAt(day, p))}\t${day.day}\t${day.values[p]}\t0\t${q}\t${originOf(q)}\t${stateOf(q)}\t${rules ? legacyMask(rules) : 0}\t${rules ? tsvArray(rules) : '[]'}\t${day.status[p]}\n`,
      );
    }
  }
  return lines.join('');
}

/** The 32-bit rule mask of the `failed_rules` column (rules with a bit only; `rules` has them all). */
function legacyMask(keys: readonly string[]): number {
  let m = 0;
  for (const k of keys) {
    const id = RULES_BY_KEY.get(k)?.id;
    if (id !== undefined && id < 32) m |= 1 << id;
  }
  return m >>> 0;
}

/** `readings` in ClickHouse: the analytics port of the series model. */
export class ClickHouseReadingStore implements AnalyticsStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async insert(changes: readonly DayChange[], ingestedAt: number): Promise<void> {
    if (changes.length === 0) return;
    const text = readingsTsv(changes, ingestedAt);
    await clickhouseCall('inserting readings', () =>
      this.client.insert({
        table: `${this.database}.readings`,
        // Raw formats take a byte stream; one chunk holds the whole batch.
        values: Readable.from([text], { objectMode: false }),
        format: 'TabSeparated',
        columns: [...COLUMNS],
      }),
    );
  }
}

/** TabSeparated Array(String): `['a','b']`, quotes and backslashes escaped. */
function tsvArray(items: readonly string[]): string {
  return `[${items.map((s) => `'${tsvString(s).replace(/'/g, "\\'")}'`).join(',')}]`;
}

/** TabSeparated escaping of a String field: backslash and the control characters the format reserves. */
function tsvString(s: string): string {
  return /[\\\t\n\r\0\b\f]/.test(s) ? s.replace(/[\\\t\n\r\0\b\f]/g, (c) => TSV_ESCAPES[c]!) : s;
}
const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};

const MS_PER_DAY = 86_400_000;
/** Year 10000: beyond it toISOString's format changes, so those (and negative instants) take the slow path. */
const MAX_FAST_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let memoDay = Number.NaN;
let memoDate = '';

/**
 * 'YYYY-MM-DD hh:mm:ss' UTC of an instant, as `toISOString` gives it. Called per reading: the date
 * part is memoised for the last UTC day and the time of day is computed, which avoids a Date and
 * three strings per call.
 */
export function chDateTime(ms: number): string {
  if (!(ms >= 0 && ms < MAX_FAST_MS)) return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== memoDay) {
    memoDate = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    memoDay = day;
  }
  const s = Math.floor((ms - day * MS_PER_DAY) / 1000);
  return `${memoDate} ${TWO_DIGITS[Math.floor(s / 3600)]}:${TWO_DIGITS[Math.floor(s / 60) % 60]}:${TWO_DIGITS[s % 60]}`;
}
