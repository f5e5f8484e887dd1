/**
 * The project's own tariff file (YAML): the same model as URDB, written the way a tariff sheet
 * reads. Periods by name, seasons by month, hours as `HH-HH` ranges (end exclusive, wrapping past
 * midnight allowed), holidays from a `date-holidays` calendar. Every hour of every month must be
 * covered exactly once. docs/billing.md has a full example.
 *
 * ```yaml
 * id: SE-TOU-2026
 * name: Time-of-use, two seasons
 * currency: SEK
 * holidays: { country: SE }
 * fixed: { monthly: 39 }
 * energy:
 *   periods:
 *     offpeak: 0.45
 *     peak: [{ upTo: 300, rate: 1.10 }, { rate: 1.35 }]
 *   seasons:
 *     - months: [11, 12, 1, 2, 3]
 *       weekday: { "06-22": peak, "22-06": offpeak }
 *       weekend: offpeak
 *     - months: [4, 5, 6, 7, 8, 9, 10]
 *       weekday: offpeak
 *       weekend: offpeak
 * ```
 */
import YAML from 'yaml';
import { errorMessage, InvalidDataError } from '../errors.js';
import { assertHolidayCalendar } from './holidays.js';
import {
  assertDefinition,
  type HolidayCalendar,
  type MonthHourMatrix,
  numberField,
  type RatePeriod,
  type Schedule,
  type Tariff,
  type TariffDefinition,
  type Tier,
  tariffFieldError,
  tariffKind,
} from './tariff.js';

type Json = Record<string, unknown>;

const HINT = 'docs/billing.md describes the tariff YAML format, with an example.';

function fail(source: string, field: string, message: string): never {
  throw tariffFieldError(source, field, message, HINT);
}

function num(v: unknown, source: string, field: string): number {
  return numberField(v, source, field, HINT);
}

function obj(v: unknown, source: string, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(source, field, 'expected a mapping');
  return v as Json;
}

function periodsOf(v: unknown, source: string, field: string): RatePeriod[] {
  const m = obj(v, source, field);
  const names = Object.keys(m);
  if (names.length === 0) fail(source, field, 'at least one period is needed');
  return names.map((name) => {
    const at = `${field}.${name}`;
    const p = m[name];
    if (typeof p === 'number') return { name, tiers: [{ max: null, rate: num(p, source, at) }] };
    if (!Array.isArray(p) || p.length === 0)
      fail(source, at, 'expected a rate or a list of tiers { upTo?, rate }');
    const tiers: Tier[] = p.map((t, j) => {
      const x = obj(t, source, `${at}[${j}]`);
      return {
        max: x.upTo === undefined || x.upTo === null ? null : num(x.upTo, source, `${at}[${j}].upTo`),
        rate: num(x.rate, source, `${at}[${j}].rate`),
      };
    });
    return { name, tiers };
  });
}

/** `peak` (all day) or `{ "06-22": peak, "22-06": offpeak }` → 24 period indexes. */
function dayHours(v: unknown, index: Map<string, number>, source: string, field: string): number[] {
  const out = new Array<number>(24).fill(-1);
  const periodIndex = (name: unknown, at: string): number => {
    const i = typeof name === 'string' ? index.get(name) : undefined;
    if (i === undefined)
      fail(source, at, `unknown period ${JSON.stringify(name)} (known: ${[...index.keys()].join(', ')})`);
    return i;
  };
  if (typeof v === 'string') return out.fill(periodIndex(v, field));
  for (const [range, name] of Object.entries(obj(v, source, field))) {
    const at = `${field}."${range}"`;
    const m = /^(\d{1,2})-(\d{1,2})$/.exec(range);
    if (!m) fail(source, at, 'expected an hour range HH-HH (end exclusive), e.g. "06-22"');
    const from = Number(m[1]);
    const to = Number(m[2]);
    if (from > 23 || to > 24 || from === to) fail(source, at, 'hours are 0..24 and the range is not empty');
    const p = periodIndex(name, at);
    const length = (to - from + 24) % 24 || 24;
    for (let k = 0; k < length; k++) {
      const h = (from + k) % 24;
      if (out[h] !== -1) fail(source, at, `hour ${h} is already covered by another range`);
      out[h] = p;
    }
  }
  const gap = out.indexOf(-1);
  if (gap >= 0) fail(source, field, `hour ${gap} is not covered`);
  return out;
}

function scheduleOf(v: unknown, periods: RatePeriod[], source: string, field: string): Schedule {
  const index = new Map(periods.map((p, i) => [p.name, i]));
  const seasons = v;
  if (!Array.isArray(seasons) || seasons.length === 0) fail(source, field, 'expected a list of seasons');
  const grid = (): (number[] | null)[] => new Array(12).fill(null);
  const weekday = grid();
  const weekend = grid();
  const holiday = grid();
  seasons.forEach((s, i) => {
    const at = `${field}[${i}]`;
    const x = obj(s, source, at);
    const months = x.months === 'all' ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : x.months;
    if (!Array.isArray(months) || months.length === 0)
      fail(source, `${at}.months`, 'expected month numbers 1..12 or "all"');
    const wd = dayHours(x.weekday, index, source, `${at}.weekday`);
    const we = x.weekend === undefined ? wd : dayHours(x.weekend, index, source, `${at}.weekend`);
    const ho = x.holiday === undefined ? we : dayHours(x.holiday, index, source, `${at}.holiday`);
    for (const m of months) {
      if (!Number.isInteger(m) || m < 1 || m > 12)
        fail(source, `${at}.months`, `expected 1..12, found ${JSON.stringify(m)}`);
      if (weekday[m - 1] !== null) fail(source, `${at}.months`, `month ${m} is in two seasons`);
      weekday[m - 1] = wd;
      weekend[m - 1] = we;
      holiday[m - 1] = ho;
    }
  });
  const missing = weekday.indexOf(null);
  if (missing >= 0) fail(source, field, `month ${missing + 1} is in no season`);
  return {
    weekday: weekday as MonthHourMatrix,
    weekend: weekend as MonthHourMatrix,
    holiday: holiday as MonthHourMatrix,
  };
}

function allDay(periods: RatePeriod[], source: string, field: string): Schedule {
  if (periods.length !== 1)
    fail(source, `${field}.seasons`, 'more than one period needs seasons saying when each applies');
  const m = (): MonthHourMatrix => Array.from({ length: 12 }, () => new Array<number>(24).fill(0));
  return { weekday: m(), weekend: m(), holiday: m() };
}

function timeOfUse(v: unknown, source: string, field: string): { periods: RatePeriod[]; schedule: Schedule } {
  const x = obj(v, source, field);
  const periods = periodsOf(x.periods, source, `${field}.periods`);
  const schedule =
    x.seasons === undefined
      ? allDay(periods, source, field)
      : scheduleOf(x.seasons, periods, source, `${field}.seasons`);
  return { periods, schedule };
}

function localDate(v: unknown, source: string, field: string): string | null {
  if (v === undefined || v === null) return null;
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) fail(source, field, `expected YYYY-MM-DD, found ${JSON.stringify(v)}`);
  return s;
}

export function tariffFromYaml(text: string, source: string): Tariff {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new InvalidDataError(`${source}: not valid YAML: ${errorMessage(err)}`, { code: 'INVALID_TARIFF' });
  }
  const x = obj(doc, source, '(top level)');
  if (typeof x.id !== 'string' || x.id === '') fail(source, 'id', 'a tariff id is required');
  const fixed = x.fixed === undefined ? {} : obj(x.fixed, source, 'fixed');
  let holidays: HolidayCalendar | null = null;
  if (x.holidays !== undefined) {
    const h = obj(x.holidays, source, 'holidays');
    holidays = {
      country: String(h.country ?? ''),
      ...(h.state !== undefined ? { state: String(h.state) } : {}),
      ...(h.region !== undefined ? { region: String(h.region) } : {}),
    };
    assertHolidayCalendar(holidays, `${source}: holidays`);
  }
  let flatDemand: TariffDefinition['flatDemand'] = null;
  if (x.flatDemand !== undefined) {
    const f = obj(x.flatDemand, source, 'flatDemand');
    const periods = periodsOf(f.periods, source, 'flatDemand.periods');
    const index = new Map(periods.map((p, i) => [p.name, i]));
    let months: number[];
    if (f.months === undefined || f.months === 'all') {
      if (periods.length !== 1) fail(source, 'flatDemand.months', 'name the period of each month (12 names)');
      months = new Array<number>(12).fill(0);
    } else {
      if (!Array.isArray(f.months) || f.months.length !== 12)
        fail(source, 'flatDemand.months', 'expected 12 period names (January..December)');
      months = f.months.map((n, i) => {
        const p = index.get(String(n));
        if (p === undefined) fail(source, `flatDemand.months[${i}]`, `unknown period ${JSON.stringify(n)}`);
        return p;
      });
    }
    flatDemand = { periods, months };
  }
  if (x.energy === undefined) fail(source, 'energy', 'an energy rate is required (0 for none)');
  const definition: TariffDefinition = {
    version: 1,
    currency: String(x.currency ?? 'EUR'),
    holidays,
    fixed: {
      monthly: fixed.monthly === undefined ? 0 : num(fixed.monthly, source, 'fixed.monthly'),
      daily: fixed.daily === undefined ? 0 : num(fixed.daily, source, 'fixed.daily'),
    },
    minimumMonthly: x.minimumMonthly === undefined ? 0 : num(x.minimumMonthly, source, 'minimumMonthly'),
    energy:
      typeof x.energy === 'number'
        ? {
            periods: [{ name: 'energy', tiers: [{ max: null, rate: x.energy }] }],
            schedule: allDay([{ name: 'energy', tiers: [] }], source, 'energy'),
          }
        : timeOfUse(x.energy, source, 'energy'),
    demand: x.demand === undefined ? null : timeOfUse(x.demand, source, 'demand'),
    flatDemand,
    source: { kind: 'yaml' },
  };
  assertDefinition(definition, source);
  return {
    tariffId: x.id,
    name: typeof x.name === 'string' ? x.name : x.id,
    kind: tariffKind(definition),
    validFrom: localDate(x.validFrom, source, 'validFrom'),
    validTo: localDate(x.validTo, source, 'validTo'),
    definition,
  };
}
