import { parse } from 'csv-parse/sync';
import { DateTime, IANAZone } from 'luxon';
import { isIntervalMinutes } from '../readings/block.js';

const REGISTRY_INTERVALS: readonly number[] = [5, 15, 30, 60];

import { METER_STATUSES, type Meter, type MeterStatus, SEGMENTS, type Segment } from './meter.js';

/**
 * The registry CSV as utilities export it from their CIS: one meter per row, header names as below
 * (case-insensitive). Dates without a time are midnight in the meter's own time zone.
 */
export const METER_CSV_COLUMNS = [
  'meter_id',
  'account_id',
  'tariff_id',
  'region_id',
  'segment',
  'timezone',
  'interval_minutes',
  'status',
  'rated_kw',
  'installed_at',
  'removed_at',
] as const;
const REQUIRED = new Set([
  'meter_id',
  'account_id',
  'tariff_id',
  'region_id',
  'segment',
  'timezone',
  'interval_minutes',
  'status',
  'installed_at',
]);

export interface RowProblem {
  line: number;
  field: string;
  message: string;
}

export interface ParsedMeterFile {
  meters: { line: number; meter: Meter }[];
  problems: RowProblem[];
  /** problems that make the whole file unusable (header) */
  fatal: RowProblem[];
  rows: number;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function parseMeterCsv(text: string): ParsedMeterFile {
  const records = parse(text, {
    relax_column_count: true,
    skip_empty_lines: true,
    bom: true,
    trim: true,
  }) as string[][];
  const out: ParsedMeterFile = { meters: [], problems: [], fatal: [], rows: 0 };
  const header = records[0];
  if (!header) {
    out.fatal.push({
      line: 1,
      field: '(header)',
      message: `the file is empty; expected a header with ${[...REQUIRED].join(', ')}`,
    });
    return out;
  }
  const index = new Map<string, number>();
  for (const [i, h] of header.entries()) index.set(h.toLowerCase(), i);
  const missing = [...REQUIRED].filter((c) => !index.has(c));
  if (missing.length > 0) {
    out.fatal.push({
      line: 1,
      field: '(header)',
      message: `missing column(s) ${missing.join(', ')}; found ${header.join(', ')}`,
    });
    return out;
  }
  const unknown = header.filter((h) => !(METER_CSV_COLUMNS as readonly string[]).includes(h.toLowerCase()));
  if (unknown.length > 0) {
    out.fatal.push({
      line: 1,
      field: '(header)',
      message: `unknown column(s) ${unknown.join(', ')}; known: ${METER_CSV_COLUMNS.join(', ')}`,
    });
    return out;
  }
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const line = r + 1;
    out.rows++;
    const cells = records[r]!;
    const get = (c: string) => {
      const i = index.get(c);
      return i === undefined ? '' : (cells[i] ?? '');
    };
    const problems: RowProblem[] = [];
    const fail = (field: string, message: string) => problems.push({ line, field, message });
    if (cells.length !== header.length)
      fail('(row)', `expected ${header.length} fields, found ${cells.length}`);

    const meterId = get('meter_id');
    if (!ID_PATTERN.test(meterId))
      fail('meter_id', `expected 1-64 characters [A-Za-z0-9._:-], found "${meterId}"`);
    else if (seen.has(meterId)) fail('meter_id', `duplicate of line ${seen.get(meterId)}`);
    else seen.set(meterId, line);
    for (const f of ['account_id', 'tariff_id', 'region_id'] as const) {
      if (!ID_PATTERN.test(get(f))) fail(f, `expected 1-64 characters [A-Za-z0-9._:-], found "${get(f)}"`);
    }
    const segment = get('segment').toLowerCase();
    if (!(SEGMENTS as readonly string[]).includes(segment))
      fail('segment', `expected one of ${SEGMENTS.join('|')}, found "${get('segment')}"`);
    const timezone = get('timezone');
    const zoneOk = IANAZone.isValidZone(timezone);
    if (!zoneOk) fail('timezone', `expected an IANA time zone such as Europe/Stockholm, found "${timezone}"`);
    const interval = Number(get('interval_minutes'));
    // the registry (and its PostgreSQL CHECK) holds the lengths meters are provisioned with
    if (!isIntervalMinutes(interval) || !REGISTRY_INTERVALS.includes(interval))
      fail('interval_minutes', `expected 5, 15, 30 or 60, found "${get('interval_minutes')}"`);
    const status = get('status').toLowerCase();
    if (!(METER_STATUSES as readonly string[]).includes(status))
      fail('status', `expected one of ${METER_STATUSES.join('|')}, found "${get('status')}"`);
    let ratedKw: number | null = null;
    if (get('rated_kw') !== '') {
      ratedKw = Number(get('rated_kw'));
      if (!Number.isFinite(ratedKw) || ratedKw <= 0)
        fail('rated_kw', `expected a positive number of kW, found "${get('rated_kw')}"`);
    }
    const zone = zoneOk ? timezone : 'UTC';
    const installedAt = parseInstant(get('installed_at'), zone);
    if (!installedAt)
      fail('installed_at', `expected an ISO-8601 date or date-time, found "${get('installed_at')}"`);
    let removedAt: Date | null = null;
    if (get('removed_at') !== '') {
      removedAt = parseInstant(get('removed_at'), zone);
      if (!removedAt)
        fail('removed_at', `expected an ISO-8601 date or date-time, found "${get('removed_at')}"`);
      else if (installedAt && removedAt <= installedAt)
        fail('removed_at', `must be after installed_at (${get('installed_at')})`);
    }
    if (status === 'removed' && get('removed_at') === '')
      fail('removed_at', 'required when status is removed');

    if (problems.length > 0) {
      out.problems.push(...problems);
      continue;
    }
    out.meters.push({
      line,
      meter: {
        meterId,
        accountId: get('account_id'),
        tariffId: get('tariff_id'),
        regionId: get('region_id'),
        segment: segment as Segment,
        timezone,
        intervalMinutes: interval as Meter['intervalMinutes'],
        status: status as MeterStatus,
        ratedKw,
        installedAt: installedAt!,
        removedAt,
      },
    });
  }
  return out;
}

function parseInstant(text: string, zone: string): Date | null {
  if (text === '') return null;
  const dt = DateTime.fromISO(text, { zone, setZone: false });
  return dt.isValid ? dt.toJSDate() : null;
}

/** The inverse, for the simulator and tests: the same file `parseMeterCsv` reads. */
export function formatMeterCsv(meters: Meter[]): string {
  const lines = [METER_CSV_COLUMNS.join(',')];
  for (const m of meters) {
    lines.push(
      [
        m.meterId,
        m.accountId,
        m.tariffId,
        m.regionId,
        m.segment,
        m.timezone,
        m.intervalMinutes,
        m.status,
        m.ratedKw ?? '',
        m.installedAt.toISOString(),
        m.removedAt ? m.removedAt.toISOString() : '',
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
