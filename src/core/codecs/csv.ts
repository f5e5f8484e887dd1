/**
 * Head-end CSV exports: a header row, then one reading per row. Rows are grouped into one block
 * per (meter, channel, interval length) in order of first appearance; within a block readings are
 * ordered by interval start. See docs/formats.md "CSV".
 */
import {
  type Channel,
  channelIdOf,
  type IntervalMinutes,
  isIntervalMinutes,
  NO_SEQUENCE,
  type ReadingBlock,
} from '../readings/block.js';
import { csvField, parseDecimal, splitCsv } from './csv-split.js';
import { CHANNEL_EXPECTED, describe, type FailureSink } from './failures.js';
import { textOrFail } from './text.js';
import { formatInstant, isAligned, MINUTE_MS, parseIsoInstant } from './time.js';
import type { DecodedBlock, DecodeOptions, EncodeOptions } from './types.js';

/** Canonical column names and the header spellings accepted for them (compared lower-case, `_` for space/-). */
export const CSV_COLUMNS = {
  meter_id: ['meter_id', 'meter', 'meterid', 'meter_no', 'meter_number', 'device_id'],
  channel: ['channel', 'register', 'measurement'],
  interval_start: ['interval_start', 'start', 'period_start', 'start_time', 'interval_start_utc', 'from'],
  interval_end: ['interval_end', 'end', 'period_end', 'end_time', 'interval_end_utc', 'to'],
  interval_minutes: ['interval_minutes', 'interval', 'interval_length', 'resolution', 'period_minutes'],
  value: ['value', 'reading', 'kwh', 'value_kwh', 'consumption', 'quantity'],
  status: ['status', 'status_bits', 'flags', 'amr_status'],
  sequence: ['sequence', 'seq', 'sequence_number', 'seq_no'],
  comm_quality: ['comm_quality', 'cq', 'signal_quality', 'link_quality'],
} as const;
export type CsvColumn = keyof typeof CSV_COLUMNS;

const ALIAS = new Map<string, CsvColumn>();
for (const [col, names] of Object.entries(CSV_COLUMNS) as Array<[CsvColumn, readonly string[]]>) {
  for (const n of names) ALIAS.set(n, col);
}

function normaliseHeader(h: string): string {
  return h
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

interface Acc {
  meterId: string;
  channel: Channel;
  interval: IntervalMinutes;
  starts: number[];
  values: number[];
  status: number[];
  seq: number[];
  lines: number[];
  cq: number;
}

const MAX_SEQ = 0x7fffffff;
const INT_RE = /^\d+$/;
const HEX_RE = /^0[xX][0-9a-fA-F]{1,8}$/;

export function decodeCsv(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  const text = textOrFail(input, sink);
  if (text === null) return [];

  // The delimiter is whatever the header uses; `;` exports (European locales) also use decimal commas.
  const firstNl = text.indexOf('\n');
  const headerLine = firstNl === -1 ? text : text.slice(0, firstNl);
  const delimiter = !headerLine.includes(',') && headerLine.includes(';') ? ';' : ',';
  const decimalComma = delimiter === ';';

  let col: Partial<Record<CsvColumn, number>> | undefined;
  let headerNames: string[] = [];
  let width = 0;
  let headerOk = true;
  const groups = new Map<string, Acc>();
  const order: Acc[] = [];
  let last: Acc | undefined;

  const problem = splitCsv(text, delimiter, (fields, line) => {
    if (col === undefined) {
      col = {};
      headerNames = fields.map((f) => f.trim());
      width = fields.length;
      headerOk = readHeader(fields, line, col, options, sink);
      return headerOk;
    }
    decodeRow(fields, line);
    return undefined;
  });
  if (problem !== undefined)
    sink.fail(problem.message, { line: problem.line }, 'a closing "', 'end of input');
  if (col === undefined) {
    sink.fail('empty CSV: no header row', { line: 1 }, 'a header row', 'nothing');
    return [];
  }
  if (!headerOk) return [];
  return order.map((a) => finish(a, sink)).filter((b): b is DecodedBlock => b !== undefined);

  function decodeRow(f: string[], line: number): void {
    const c = col!;
    if (f.length !== width) {
      sink.fail(
        `expected ${width} fields as in the header, found ${f.length}`,
        { line },
        `${width} fields`,
        `${f.length}`,
      );
      return;
    }
    let bad = false;
    // not a closure: per-row closures showed up in profiles
    function failField(k: CsvColumn, expected: string, found: string): void {
      bad = true;
      const name = headerNames[c[k]!] ?? k;
      sink.fail(`${name}: expected ${expected}, found ${found}`, { line, field: name }, expected, found);
    }

    let meterId = options.meterId ?? '';
    if (c.meter_id !== undefined) {
      const m = f[c.meter_id]!.trim();
      if (m.length === 0 || m.length > 64)
        failField('meter_id', 'a meter id of 1 to 64 characters', describe(m));
      else if (options.meterId !== undefined && options.meterId !== '' && m !== options.meterId) {
        bad = true;
        const name = headerNames[c.meter_id] ?? 'meter_id';
        sink.meterMismatch(name, describe(m), { line, field: name });
      } else meterId = m;
    }

    let channel: Channel = options.channel ?? 'active_import_kwh';
    if (c.channel !== undefined) {
      const id = channelIdOf(f[c.channel]!.trim());
      if (id) channel = id;
      else failField('channel', CHANNEL_EXPECTED, describe(f[c.channel]));
    }

    let interval: IntervalMinutes = options.intervalMinutes ?? 15;
    if (c.interval_minutes !== undefined) {
      const s = f[c.interval_minutes]!.trim();
      const n = INT_RE.test(s) ? Number(s) : Number.NaN;
      if (isIntervalMinutes(n)) interval = n;
      else failField('interval_minutes', '5, 15, 30 or 60', describe(s));
    }

    let start = Number.NaN;
    const timeCol: CsvColumn = c.interval_start !== undefined ? 'interval_start' : 'interval_end';
    const ts = f[c[timeCol]!]!.trim();
    let offset: number | undefined;
    if (INT_RE.test(ts) && ts.length >= 10) {
      start = Number(ts);
    } else {
      const p = parseIsoInstant(ts);
      if (p.ok) {
        start = p.ms;
        offset = p.offsetMinutes;
      } else failField(timeCol, p.reason, describe(ts));
    }
    if (!Number.isNaN(start)) {
      if (timeCol === 'interval_end') start -= interval * MINUTE_MS;
      if (!bad && !isAligned(start, interval, offset))
        failField(timeCol, `a time aligned to ${interval} minutes`, describe(ts));
    }

    const vs = f[c.value!]!.trim();
    let value = Number.NaN;
    if (vs !== '') {
      value = parseDecimal(vs, decimalComma);
      if (Number.isNaN(value)) failField('value', 'a decimal number or empty (missing)', describe(vs));
      else if (!Number.isFinite(value))
        // 1e999 is a valid decimal that overflows a double to ±Infinity: refused, never stored.
        failField('value', 'a finite decimal number or empty (missing)', `${describe(vs)} (${value})`);
    }

    let status = 0;
    if (c.status !== undefined) {
      const s = f[c.status]!.trim();
      if (s !== '') {
        status = INT_RE.test(s) || HEX_RE.test(s) ? Number(s) : Number.NaN;
        if (!(status >= 0 && status <= 0xffffffff))
          failField('status', 'an integer 0..4294967295 (decimal or 0x hex)', describe(s));
      }
    }

    let seq = NO_SEQUENCE;
    if (c.sequence !== undefined) {
      const s = f[c.sequence]!.trim();
      if (s !== '') {
        seq = INT_RE.test(s) ? Number(s) : Number.NaN;
        if (!(seq >= 0 && seq <= MAX_SEQ))
          failField('sequence', `an integer 0..${MAX_SEQ} or empty`, describe(s));
      }
    }

    let cq = Number.NaN;
    if (c.comm_quality !== undefined) {
      const s = f[c.comm_quality]!.trim();
      if (s !== '') {
        cq = parseDecimal(s, decimalComma);
        if (!(cq >= 0 && cq <= 100)) failField('comm_quality', 'a number 0..100 or empty', describe(s));
      }
    }

    if (bad) return;
    // Exports are usually sorted by meter: reuse the previous row's group without building a key.
    let a = last;
    if (a === undefined || a.meterId !== meterId || a.channel !== channel || a.interval !== interval) {
      const key = `${meterId}\u0000${channel}\u0000${interval}`;
      a = groups.get(key);
    }
    if (a === undefined) {
      const key = `${meterId}\u0000${channel}\u0000${interval}`;
      a = {
        meterId,
        channel,
        interval,
        starts: [],
        values: [],
        status: [],
        seq: [],
        lines: [],
        cq: Number.NaN,
      };
      groups.set(key, a);
      order.push(a);
    }
    last = a;
    a.starts.push(start);
    a.values.push(value);
    a.status.push(status);
    a.seq.push(seq);
    a.lines.push(line);
    // A block has one communication quality: the worst its rows report.
    if (!Number.isNaN(cq) && !(cq >= a.cq)) a.cq = cq;
  }
}

function readHeader(
  fields: string[],
  line: number,
  col: Partial<Record<CsvColumn, number>>,
  options: DecodeOptions,
  sink: FailureSink,
): boolean {
  let ok = true;
  fields.forEach((raw, i) => {
    const c = ALIAS.get(normaliseHeader(raw.replace(/^\ufeff/, '')));
    if (c === undefined) return; // unknown columns are ignored: exports carry extra fields
    if (col[c] !== undefined) {
      ok = false;
      sink.fail(
        `column ${c} appears twice (${fields[col[c]!]!.trim()} and ${raw.trim()})`,
        { line, field: raw.trim() },
        'one column',
        'two',
      );
    } else col[c] = i;
  });
  const need = (c: CsvColumn, alt: boolean, expected: string): void => {
    if (col[c] === undefined && !alt) {
      ok = false;
      sink.fail(
        `missing column ${c} (${expected})`,
        { line, field: c },
        CSV_COLUMNS[c].join(' | '),
        'no such column',
      );
    }
  };
  need('meter_id', options.meterId !== undefined && options.meterId !== '', 'or give the meter id');
  need('channel', options.channel !== undefined, 'or give the channel');
  need('interval_start', col.interval_end !== undefined, 'or interval_end');
  need('interval_minutes', options.intervalMinutes !== undefined, 'or give the interval length');
  need('value', false, 'required');
  if (col.interval_start !== undefined && col.interval_end !== undefined) {
    ok = false;
    sink.fail(
      'both interval_start and interval_end columns: keep one',
      { line, field: 'interval_end' },
      'one time column',
      'two',
    );
  }
  return ok;
}

function finish(a: Acc, sink: FailureSink): DecodedBlock | undefined {
  const n = a.starts.length;
  let idx: number[] | undefined;
  for (let i = 1; i < n; i++) {
    if (!(a.starts[i]! > a.starts[i - 1]!)) {
      idx = Array.from({ length: n }, (_, k) => k).sort((x, y) => a.starts[x]! - a.starts[y]! || x - y);
      break;
    }
  }
  const keep: number[] = [];
  const order = idx ?? Array.from({ length: n }, (_, k) => k);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const prev = keep.length > 0 ? keep[keep.length - 1]! : -1;
    if (prev >= 0 && a.starts[prev] === a.starts[i]) {
      sink.fail(
        `duplicate reading for ${a.meterId} ${a.channel} at ${new Date(a.starts[i]!).toISOString()} (first at line ${a.lines[prev]})`,
        { line: a.lines[i]! },
        'one row per meter, channel and interval start',
        'a second row',
      );
      continue;
    }
    keep.push(i);
  }
  const m = keep.length;
  const b: DecodedBlock = {
    meterId: a.meterId,
    channel: a.channel,
    intervalMinutes: a.interval,
    starts: new Float64Array(m),
    values: new Float64Array(m),
    status: new Uint32Array(m),
    sequence: new Int32Array(m),
    commQuality: a.cq,
  };
  for (let k = 0; k < m; k++) {
    const i = keep[k]!;
    b.starts[k] = a.starts[i]!;
    b.values[k] = a.values[i]!;
    b.status[k] = a.status[i]!;
    b.sequence[k] = a.seq[i]!;
  }
  return b;
}

export const CSV_HEADER = [
  'meter_id',
  'channel',
  'interval_start',
  'interval_minutes',
  'value',
  'status',
  'sequence',
  'comm_quality',
] as const;

export function encodeCsv(blocks: readonly ReadingBlock[], options: EncodeOptions = {}): string {
  const d = options.csvDelimiter ?? ',';
  const num = (v: number): string => (d === ';' ? String(v).replace('.', ',') : String(v));
  const rows: string[] = [CSV_HEADER.join(d)];
  for (const b of blocks) {
    const meter = csvField(b.meterId, d);
    const cq = Number.isNaN(b.commQuality) ? '' : num(b.commQuality);
    for (let i = 0; i < b.values.length; i++) {
      const v = b.values[i]!;
      const s = b.sequence[i]!;
      rows.push(
        [
          meter,
          b.channel,
          formatInstant(b.starts[i]!, options.timezone),
          b.intervalMinutes,
          Number.isNaN(v) ? '' : num(v),
          b.status[i]!,
          s === NO_SEQUENCE ? '' : s,
          cq,
        ].join(d),
      );
    }
  }
  return `${rows.join('\n')}\n`;
}
