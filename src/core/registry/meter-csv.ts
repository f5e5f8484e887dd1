import { DateTime, IANAZone } from 'luxon';
import { splitCsv } from '../codecs/csv-split.js';
import { isIntervalMinutes } from '../readings/block.js';
import { parseChannel } from '../readings/channel.js';
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
  'channels',
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
const ID_FIELDS = ['meter_id', 'account_id', 'tariff_id', 'region_id'] as const;
/** rated_kw is numeric(10,3) in PostgreSQL: at most 7 integer digits and 3 decimals. */
const RATED_KW_PATTERN = /^\d+(?:\.\d+)?$/;
const RATED_KW_MAX_DECIMALS = 3;
export const RATED_KW_LIMIT = 10_000_000;
/**
 * Installation and removal dates outside [1970, 2100) are typing mistakes (9999-12-31 as "open
 * end"); the same horizon as the readings the daemon accepts.
 */
export const REGISTRY_DATE_FROM = Date.UTC(1970, 0, 1);
export const REGISTRY_DATE_TO = Date.UTC(2100, 0, 1);

/**
 * Ids (meter, account, tariff, region) are kept exactly as written, so an id with whitespace
 * around it is refused rather than trimmed; around enumerations, numbers and dates whitespace
 * carries no meaning and is ignored. Line numbers are where a record starts, also after quoted
 * fields that span lines (csv-parse counts CRLF inside quotes twice, so the project's splitter is
 * used).
 */
export function parseMeterCsv(text: string): ParsedMeterFile {
  const records: { cells: string[]; line: number }[] = [];
  const unterminated = splitCsv(text.replace(/^\ufeff/, ''), ',', (cells, line) => {
    records.push({ cells, line });
    return undefined;
  });
  const out: ParsedMeterFile = { meters: [], problems: [], fatal: [], rows: 0 };
  if (unterminated !== undefined) {
    out.fatal.push({ line: unterminated.line, field: '(row)', message: unterminated.message });
    return out;
  }
  const header = records[0]?.cells.map((h) => h.trim());
  if (!header) {
    out.fatal.push({
      line: 1,
      field: '(header)',
      message: `the file is empty; expected a header with ${[...REQUIRED].join(', ')}`,
    });
    return out;
  }
  const headerLine = records[0]!.line;
  const index = new Map<string, number>();
  for (const [i, h] of header.entries()) index.set(h.toLowerCase(), i);
  const missing = [...REQUIRED].filter((c) => !index.has(c));
  if (missing.length > 0) {
    out.fatal.push({
      line: headerLine,
      field: '(header)',
      message: `missing column(s) ${missing.join(', ')}; found ${header.join(', ')}`,
    });
    return out;
  }
  const unknown = header.filter((h) => !(METER_CSV_COLUMNS as readonly string[]).includes(h.toLowerCase()));
  if (unknown.length > 0) {
    out.fatal.push({
      line: headerLine,
      field: '(header)',
      message: `unknown column(s) ${unknown.join(', ')}; known: ${METER_CSV_COLUMNS.join(', ')}`,
    });
    return out;
  }
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const { cells, line } = records[r]!;
    out.rows++;
    const raw = (c: string) => {
      const i = index.get(c);
      return i === undefined ? '' : (cells[i] ?? '');
    };
    const get = (c: string) => raw(c).trim();
    const problems: RowProblem[] = [];
    const fail = (field: string, message: string) => problems.push({ line, field, message });
    if (cells.length !== header.length)
      fail('(row)', `expected ${header.length} fields, found ${cells.length}`);

    for (const f of ID_FIELDS) {
      const id = raw(f);
      if (id !== id.trim() && ID_PATTERN.test(id.trim()))
        fail(
          f,
          `"${id}" has whitespace around it; ids are kept exactly as written, so remove it in the file`,
        );
      else if (!ID_PATTERN.test(id)) fail(f, `expected 1-64 characters [A-Za-z0-9._:-], found "${id}"`);
    }
    const meterId = raw('meter_id');
    if (ID_PATTERN.test(meterId)) {
      if (seen.has(meterId)) fail('meter_id', `duplicate of line ${seen.get(meterId)}`);
      else seen.set(meterId, line);
    }
    const segment = get('segment').toLowerCase();
    if (!(SEGMENTS as readonly string[]).includes(segment))
      fail('segment', `expected one of ${SEGMENTS.join('|')}, found "${get('segment')}"`);
    const timezone = get('timezone');
    const zoneOk = IANAZone.isValidZone(timezone);
    if (!zoneOk) fail('timezone', `expected an IANA time zone such as Europe/Stockholm, found "${timezone}"`);
    const interval = Number(get('interval_minutes'));
    if (!isIntervalMinutes(interval))
      fail('interval_minutes', `expected 5, 15, 30 or 60, found "${get('interval_minutes')}"`);
    const status = get('status').toLowerCase();
    if (!(METER_STATUSES as readonly string[]).includes(status))
      fail('status', `expected one of ${METER_STATUSES.join('|')}, found "${get('status')}"`);
    let ratedKw: number | null = null;
    if (get('rated_kw') !== '') {
      const problem = ratedKwProblem(get('rated_kw'));
      if (problem) fail('rated_kw', problem);
      else ratedKw = Number(get('rated_kw'));
    }
    const zone = zoneOk ? timezone : 'UTC';
    const installedAt = parseInstant(get('installed_at'), zone);
    if (!installedAt)
      fail('installed_at', `expected an ISO-8601 date or date-time, found "${get('installed_at')}"`);
    else if (!withinHorizon(installedAt)) fail('installed_at', horizonMessage(get('installed_at')));
    let removedAt: Date | null = null;
    if (get('removed_at') !== '') {
      removedAt = parseInstant(get('removed_at'), zone);
      if (!removedAt)
        fail('removed_at', `expected an ISO-8601 date or date-time, found "${get('removed_at')}"`);
      else if (!withinHorizon(removedAt)) fail('removed_at', horizonMessage(get('removed_at')));
      else if (installedAt && removedAt <= installedAt)
        fail('removed_at', `must be after installed_at (${get('installed_at')})`);
    }
    if (status === 'removed' && get('removed_at') === '')
      fail('removed_at', 'required when status is removed');
    const channels = parseChannelList(get('channels'), (message) => fail('channels', message));

    if (problems.length > 0) {
      out.problems.push(...problems);
      continue;
    }
    out.meters.push({
      line,
      meter: {
        meterId,
        accountId: raw('account_id'),
        tariffId: raw('tariff_id'),
        regionId: raw('region_id'),
        segment: segment as Segment,
        timezone,
        intervalMinutes: interval as Meter['intervalMinutes'],
        status: status as MeterStatus,
        ratedKw,
        installedAt: installedAt!,
        removedAt,
        ...(channels ? { channels } : {}),
      },
    });
  }
  return out;
}

/**
 * `a;b;c`: the channels a meter reports, each a channel id or an OBIS code, stored as canonical ids,
 * sorted. Blank: not declared (every channel accepted).
 */
function parseChannelList(text: string, fail: (message: string) => void): string[] | null {
  if (text === '') return null;
  const ids = new Set<string>();
  for (const part of text.split(';')) {
    const spec = parseChannel(part);
    if (spec) ids.add(spec.id);
    else fail(`"${part}" is not a channel id or OBIS code (separate channels with ";")`);
  }
  return [...ids].sort();
}

/** Why a rated_kw text cannot be stored exactly in numeric(10,3), or null if it can. */
function ratedKwProblem(text: string): string | null {
  if (!RATED_KW_PATTERN.test(text)) return `expected a positive decimal number of kW, found "${text}"`;
  const value = Number(text);
  if (value <= 0) return `expected a positive decimal number of kW, found "${text}"`;
  const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  if (decimals > RATED_KW_MAX_DECIMALS)
    return `"${text}" has ${decimals} decimals; the registry keeps rated power to ${RATED_KW_MAX_DECIMALS} decimals (watts) and does not round: round it in the file`;
  if (value >= RATED_KW_LIMIT)
    return `"${text}" kW is 10 GW or more; the registry holds rated power below ${RATED_KW_LIMIT.toLocaleString('en')} kW (a unit mix-up, W for kW?)`;
  return null;
}

function withinHorizon(d: Date): boolean {
  return d.getTime() >= REGISTRY_DATE_FROM && d.getTime() < REGISTRY_DATE_TO;
}

function horizonMessage(text: string): string {
  return `"${text}" is outside 1970-01-01 … 2099-12-31; leave removed_at empty for a meter still in place`;
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
        m.channels ? m.channels.join(';') : '',
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
