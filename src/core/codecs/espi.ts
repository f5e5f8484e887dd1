/**
 * Green Button / NAESB ESPI (REQ.21) XML: an Atom feed whose entries hold UsagePoint, MeterReading,
 * ReadingType, IntervalBlock and LocalTimeParameters resources, linked by their Atom `self`, `up`
 * and `related` hrefs. See docs/formats.md "Green Button / ESPI XML".
 *
 * Read with saxes (a streaming, well-formedness-checking SAX parser): no DOM of the feed is built.
 *
 * - a MeterReading's ReadingType (its `related` link) gives the unit (`uom` 72 Wh, 73 varh, 71 VAh),
 *   `powerOfTenMultiplier` and `flowDirection` (1 forward = import, 19 reverse = export) and so the
 *   channel; value in the channel's unit = value × 10^powerOfTenMultiplier / 1000;
 * - every IntervalBlock becomes a block over its `interval` (start, duration in UTC epoch seconds):
 *   an interval of the block without an IntervalReading is missing (NaN), never zero;
 * - ESPI times are UTC; LocalTimeParameters (tzOffset, dstOffset and the DST rules) give the feed's
 *   local time, used to check that a block meant as a local day has that day's length (23, 24 or 25
 *   hours); a block that disagrees is kept, with a warning;
 * - ReadingQuality codes are kept per reading (DecodedBlock.espiQuality).
 * The meter id is the UsagePoint's id from its href, or DecodeOptions.meterId for a feed with one
 * UsagePoint.
 */
import { SaxesParser } from 'saxes';
import { type IntervalMinutes, isIntervalMinutes, NO_SEQUENCE } from '../readings/block.js';
import type { FailureSink } from './failures.js';
import { textOrFail } from './text.js';
import type { DecodedBlock, DecodeLocation, DecodeOptions } from './types.js';

/** ESPI UnitSymbolKind → channel unit and the channel for each flow direction. */
const UOM: Record<number, { name: string; import: string; export: string }> = {
  72: { name: 'Wh', import: 'active_import_kwh', export: 'active_export_kwh' },
  73: { name: 'varh', import: 'reactive_import_kvarh', export: 'reactive_export_kvarh' },
  71: { name: 'VAh', import: 'apparent_import_kvah', export: 'apparent_export_kvah' },
};
const FLOW_FORWARD = 1;
const FLOW_REVERSE = 19;
/** AccumulationKind deltaData: a quantity per interval. */
const ACCUMULATION_DELTA = 4;
/** No quality given for the reading. */
export const ESPI_NO_QUALITY = 255;
const MAX_READINGS = 31 * 1_440;

interface Entry {
  self?: string;
  up?: string;
  related: string[];
  kind?: string;
  line: number;
}

interface ReadingType {
  uom?: number;
  power?: number;
  flow?: number;
  intervalLength?: number;
  accumulation?: number;
}

interface Reading {
  start: number;
  duration: number;
  value: number;
  quality: number;
  line: number;
}

interface IntervalBlockData {
  entry: Entry;
  start?: number;
  duration?: number;
  readings: Reading[];
}

interface LocalTime {
  tzOffset: number;
  dstOffset: number;
  dstStartRule: number;
  dstEndRule: number;
}

/** Fields read as text, by the element that holds them and its parent. */
const READING_TYPE_FIELDS: Record<string, keyof ReadingType> = {
  uom: 'uom',
  powerOfTenMultiplier: 'power',
  flowDirection: 'flow',
  intervalLength: 'intervalLength',
  accumulationBehaviour: 'accumulation',
};

const localName = (n: string) => n.slice(n.indexOf(':') + 1);

export function decodeEspi(
  input: Uint8Array | string,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  const text = textOrFail(input, sink);
  if (text === null) return [];
  const parser = new SaxesParser({ position: true });
  const stack: string[] = [];
  const entries: Entry[] = [];
  const readingTypes = new Map<string, ReadingType>();
  const blocks: IntervalBlockData[] = [];
  let localTime: Partial<LocalTime> | undefined;
  let entry: Entry | undefined;
  let readingType: ReadingType | undefined;
  let block: IntervalBlockData | undefined;
  let reading: Partial<Reading> | undefined;
  let chars = '';
  let failed = false;
  const at = (): DecodeLocation => ({ line: parser.line, field: stack.slice(-2).join('/') });

  parser.on('error', (err) => {
    failed = true;
    sink.fail(
      `not well-formed XML: ${err.message.replace(/^[^:]*:\d+:\d+: /, '')}`,
      { line: parser.line, field: 'xml' },
      'well-formed XML',
      'a syntax error',
    );
    throw err; // stop parsing: nothing after a syntax error can be trusted
  });
  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    const parent = stack[stack.length - 1];
    stack.push(name);
    chars = '';
    if (name === 'entry') entry = { related: [], line: parser.line };
    else if (name === 'link' && entry !== undefined && parent === 'entry') {
      const rel = String(tag.attributes.rel ?? '');
      const href = String(tag.attributes.href ?? '');
      if (rel === 'self') entry.self = href;
      else if (rel === 'up') entry.up = href;
      else if (rel === 'related') entry.related.push(href);
    } else if (parent === 'content' && entry !== undefined) {
      entry.kind = name;
      if (name === 'ReadingType') readingType = {};
      else if (name === 'LocalTimeParameters') localTime = {};
      else if (name === 'IntervalBlock') {
        block = { entry, readings: [] };
        blocks.push(block);
      }
    } else if (name === 'IntervalReading' && block !== undefined)
      reading = { quality: ESPI_NO_QUALITY, line: parser.line };
  });
  parser.on('text', (t) => {
    chars += t;
  });
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    stack.pop();
    const parent = stack[stack.length - 1];
    const value = chars.trim();
    chars = '';
    const num = (): number | undefined => {
      const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isSafeInteger(n)) return n;
      failed = true;
      sink.fail(
        `${parent}/${name}: expected an integer, found ${JSON.stringify(value.slice(0, 40))}`,
        at(),
        'an integer',
        JSON.stringify(value.slice(0, 40)),
      );
      return undefined;
    };
    if (name === 'entry') {
      if (entry !== undefined) entries.push(entry);
      if (entry?.kind === 'ReadingType' && entry.self !== undefined && readingType !== undefined)
        readingTypes.set(entry.self, readingType);
      entry = undefined;
      readingType = undefined;
    } else if (
      readingType !== undefined &&
      parent === 'ReadingType' &&
      READING_TYPE_FIELDS[name] !== undefined
    ) {
      const n = num();
      if (n !== undefined) readingType[READING_TYPE_FIELDS[name]] = n;
    } else if (localTime !== undefined && parent === 'LocalTimeParameters') {
      if (name === 'tzOffset' || name === 'dstOffset') localTime[name] = num();
      else if (name === 'dstStartRule' || name === 'dstEndRule') {
        if (/^[0-9A-Fa-f]{8}$/.test(value)) localTime[name] = Number.parseInt(value, 16);
        else
          sink.fail(
            `LocalTimeParameters/${name}: expected 8 hex digits, found ${JSON.stringify(value)}`,
            at(),
          );
      }
    } else if (reading !== undefined) {
      if (name === 'IntervalReading') {
        if (reading.start === undefined || reading.duration === undefined || reading.value === undefined) {
          failed = true;
          sink.fail(
            'IntervalReading without timePeriod start, duration and value',
            { line: reading.line, field: 'IntervalReading' },
            'timePeriod/start, timePeriod/duration, value',
            'missing',
          );
        } else block!.readings.push(reading as Reading);
        reading = undefined;
      } else if (parent === 'timePeriod' && (name === 'start' || name === 'duration')) reading[name] = num();
      else if (parent === 'IntervalReading' && name === 'value') reading.value = num();
      else if (parent === 'ReadingQuality' && name === 'quality' && reading.quality === ESPI_NO_QUALITY) {
        const q = num();
        if (q !== undefined) reading.quality = q;
      }
    } else if (block !== undefined && parent === 'interval' && (name === 'start' || name === 'duration')) {
      const n = num();
      if (n !== undefined) block[name] = n;
    } else if (name === 'IntervalBlock') block = undefined;
  });
  try {
    parser.write(text).close();
  } catch {
    return [];
  }
  if (failed) return [];
  if (blocks.length === 0) {
    sink.warn('the feed holds no IntervalBlock', { line: 1 });
    return [];
  }
  const lt = completeLocalTime(localTime, sink);
  return toBlocks(entries, readingTypes, blocks, lt, options, sink);
}

function completeLocalTime(lt: Partial<LocalTime> | undefined, sink: FailureSink): LocalTime | undefined {
  if (lt === undefined) {
    sink.warn('no LocalTimeParameters: local-day lengths of the blocks are not checked', {});
    return undefined;
  }
  if (lt.tzOffset === undefined) {
    sink.warn('LocalTimeParameters without tzOffset: local-day lengths are not checked', {});
    return undefined;
  }
  return {
    tzOffset: lt.tzOffset,
    dstOffset: lt.dstOffset ?? 0,
    dstStartRule: lt.dstStartRule ?? 0xffffffff,
    dstEndRule: lt.dstEndRule ?? 0xffffffff,
  };
}

const USAGE_POINT_RE = /\/UsagePoint\/([^/]+)(?:\/MeterReading\/([^/]+))?/;

function toBlocks(
  entries: Entry[],
  readingTypes: Map<string, ReadingType>,
  raw: IntervalBlockData[],
  lt: LocalTime | undefined,
  options: DecodeOptions,
  sink: FailureSink,
): DecodedBlock[] {
  // MeterReading href → its ReadingType
  const meterReadings = new Map<string, ReadingType | undefined>();
  for (const e of entries) {
    if (e.kind !== 'MeterReading' || e.self === undefined) continue;
    const rt = e.related.map((h) => readingTypes.get(h)).find((x) => x !== undefined);
    meterReadings.set(e.self.replace(/\/$/, ''), rt);
  }
  const onlyType = readingTypes.size === 1 ? [...readingTypes.values()][0] : undefined;
  const usagePoints = new Set(
    raw.map((b) => USAGE_POINT_RE.exec(b.entry.self ?? b.entry.up ?? '')?.[1]).filter((x) => x !== undefined),
  );
  const key = options.meterId !== undefined && options.meterId !== '' ? options.meterId : undefined;
  if (key !== undefined && usagePoints.size > 1) {
    sink.fail(
      `the feed holds ${usagePoints.size} UsagePoints; a meter id (${key}) can name only one`,
      { field: 'UsagePoint' },
      'one UsagePoint',
      String(usagePoints.size),
    );
    return [];
  }
  const out: DecodedBlock[] = [];
  let otherQuality = 0;
  for (const b of raw) {
    const href = b.entry.self ?? b.entry.up ?? '';
    const m = USAGE_POINT_RE.exec(href);
    const loc: DecodeLocation = { line: b.entry.line, record: 'IntervalBlock' };
    const meterReading = m === null ? undefined : href.slice(0, m.index + m[0].length);
    const rt = (meterReading === undefined ? undefined : meterReadings.get(meterReading)) ?? onlyType;
    if (rt === undefined) {
      sink.fail(
        `IntervalBlock ${href || '(no self link)'}: no ReadingType for its MeterReading (a related link to a ReadingType entry)`,
        loc,
        'a linked ReadingType',
        'none',
      );
      continue;
    }
    const uom = UOM[rt.uom ?? -1];
    if (uom === undefined || (rt.flow !== FLOW_FORWARD && rt.flow !== FLOW_REVERSE)) {
      sink.warn(
        `IntervalBlock ${href}: ReadingType uom ${rt.uom}, flowDirection ${rt.flow} is not an energy smt stores (uom 72 Wh, 73 varh, 71 VAh; flow 1 or 19): ${b.readings.length} readings not read`,
        loc,
      );
      continue;
    }
    if (rt.accumulation !== undefined && rt.accumulation !== ACCUMULATION_DELTA) {
      sink.warn(
        `IntervalBlock ${href}: accumulationBehaviour ${rt.accumulation} is not deltaData (4): ${b.readings.length} readings not read`,
        loc,
      );
      continue;
    }
    const meterId = key ?? m?.[1];
    if (meterId === undefined) {
      sink.fail(
        `IntervalBlock ${href || '(no self link)'}: no UsagePoint in its href and no meter id given (--meter)`,
        loc,
        'a UsagePoint href or a meter id',
        'none',
      );
      continue;
    }
    const lengthS = rt.intervalLength ?? b.readings[0]?.duration;
    const minutes = lengthS === undefined ? Number.NaN : lengthS / 60;
    if (!isIntervalMinutes(minutes)) {
      sink.fail(
        `IntervalBlock ${href}: interval length ${lengthS} s is not 300, 900, 1800 or 3600`,
        loc,
        '300, 900, 1800 or 3600',
        String(lengthS),
      );
      continue;
    }
    const block = fill(
      b,
      minutes,
      meterId,
      rt.flow === FLOW_FORWARD ? uom.import : uom.export,
      rt.power ?? 0,
      loc,
      sink,
    );
    if (block === undefined) continue;
    if (lt !== undefined) checkLocalDay(block, b, lt, href, loc, sink);
    otherQuality += block.espiQuality!.filter((q) => q !== 0 && q !== ESPI_NO_QUALITY).length;
    out.push(block);
  }
  if (otherQuality > 0)
    sink.warn(
      `${otherQuality} readings carry an ESPI ReadingQuality other than valid (0): kept per reading (espiQuality), shown by smt validate`,
      {},
    );
  return out;
}

function fill(
  b: IntervalBlockData,
  minutes: IntervalMinutes,
  meterId: string,
  channel: string,
  power: number,
  loc: DecodeLocation,
  sink: FailureSink,
): (DecodedBlock & { espiQuality: Uint8Array }) | undefined {
  const period = minutes * 60;
  const first = b.start ?? b.readings[0]?.start;
  const duration =
    b.duration ?? (b.readings.length === 0 ? 0 : b.readings[b.readings.length - 1]!.start + period - first!);
  if (first === undefined || duration % period !== 0 || duration <= 0 || duration / period > MAX_READINGS) {
    sink.fail(
      `IntervalBlock interval (start ${first}, duration ${duration} s) is not a whole number of ${minutes}-minute intervals (at most ${MAX_READINGS})`,
      loc,
      `a multiple of ${period} s`,
      String(duration),
    );
    return undefined;
  }
  const n = duration / period;
  const values = new Float64Array(n).fill(Number.NaN);
  const quality = new Uint8Array(n).fill(ESPI_NO_QUALITY);
  const starts = new Float64Array(n);
  for (let i = 0; i < n; i++) starts[i] = (first + i * period) * 1000;
  let ok = true;
  for (const r of b.readings) {
    const i = (r.start - first) / period;
    const where = { line: r.line, record: 'IntervalReading', field: 'timePeriod' };
    if (r.duration !== period || !Number.isInteger(i) || i < 0 || i >= n) {
      sink.fail(
        `IntervalReading at ${new Date(r.start * 1000).toISOString()} (${r.duration} s) is not one ${minutes}-minute interval of its block`,
        where,
        `a ${period} s interval inside the block`,
        `${r.start}+${r.duration}`,
      );
      ok = false;
      continue;
    }
    if (!Number.isNaN(values[i]!)) {
      sink.fail(
        `IntervalReading at ${new Date(r.start * 1000).toISOString()} appears twice in its block`,
        where,
        'one reading per interval',
        'two',
      );
      ok = false;
      continue;
    }
    // × 10^power in Wh → kWh: divide by an exact power of ten so a decimal value rounds once
    const exp = power - 3;
    values[i] = exp < 0 ? r.value / 10 ** -exp : r.value * 10 ** exp;
    quality[i] = r.quality > 254 ? ESPI_NO_QUALITY : r.quality;
  }
  if (!ok) return undefined;
  return {
    meterId,
    channel,
    intervalMinutes: minutes,
    starts,
    values,
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(NO_SEQUENCE),
    commQuality: Number.NaN,
    espiQuality: quality,
  };
}

/** A block that starts at a local midnight and lasts about a day must last exactly that local day. */
function checkLocalDay(
  block: DecodedBlock,
  b: IntervalBlockData,
  lt: LocalTime,
  href: string,
  loc: DecodeLocation,
  sink: FailureSink,
): void {
  const start = b.start ?? block.starts[0]! / 1000;
  const duration = block.starts.length * block.intervalMinutes * 60;
  if (duration < 82_800 || duration > 90_000) return;
  const local = start + offsetAt(start, lt);
  if (local % 86_400 !== 0) return;
  const nextMidnightLocal = local + 86_400;
  // the UTC instant of the next local midnight: try both offsets of the day
  const candidates = [lt.tzOffset, lt.tzOffset + lt.dstOffset]
    .map((o) => nextMidnightLocal - o)
    .filter((u) => u + offsetAt(u, lt) === nextMidnightLocal);
  const end = candidates[0];
  if (end !== undefined && end - start !== duration) {
    const day = new Date(local * 1000).toISOString().slice(0, 10);
    sink.warn(
      `IntervalBlock ${href}: covers ${duration / 3600} h but local day ${day} has ${(end - start) / 3600} h by the feed's LocalTimeParameters`,
      loc,
    );
  }
}

/** Local offset (s) at a UTC instant (s) by the feed's LocalTimeParameters. */
export function offsetAt(utc: number, lt: LocalTime): number {
  if (lt.dstStartRule === 0xffffffff || lt.dstEndRule === 0xffffffff || lt.dstOffset === 0)
    return lt.tzOffset;
  const year = new Date((utc + lt.tzOffset) * 1000).getUTCFullYear();
  // the start rule is in local standard time, the end rule in local daylight time
  const start = ruleLocal(lt.dstStartRule, year) - lt.tzOffset;
  const end = ruleLocal(lt.dstEndRule, year) - lt.tzOffset - lt.dstOffset;
  const inDst = start < end ? utc >= start && utc < end : utc >= start || utc < end;
  return lt.tzOffset + (inDst ? lt.dstOffset : 0);
}

/**
 * An ESPI DstRuleType (REQ.21): bits 0-11 seconds, 12-16 hours, 17-19 day of week (1 Monday …
 * 7 Sunday), 20-24 day of month, 25-27 operator, 28-31 month → the local wall time (s, as if UTC)
 * of the transition in `year`.
 */
export function ruleLocal(rule: number, year: number): number {
  const seconds = rule & 0xfff;
  const hours = (rule >>> 12) & 0x1f;
  const dow = (rule >>> 17) & 0x7;
  const dom = (rule >>> 20) & 0x1f;
  const op = (rule >>> 25) & 0x7;
  const month = (rule >>> 28) & 0xf;
  const isoDow = (d: number) => ((new Date(Date.UTC(year, month - 1, d)).getUTCDay() + 6) % 7) + 1;
  const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
  let day: number;
  if (op === 0) day = dom;
  else if (op === 1) {
    day = dom;
    while (isoDow(day) !== dow) day++;
  } else if (op >= 2 && op <= 6) {
    day = 1;
    while (isoDow(day) !== dow) day++;
    day += (op - 2) * 7;
  } else {
    day = daysIn;
    while (isoDow(day) !== dow) day--;
  }
  return Date.UTC(year, month - 1, day) / 1000 + hours * 3600 + seconds;
}
