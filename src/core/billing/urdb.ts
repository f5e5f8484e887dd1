/**
 * The OpenEI Utility Rate Database (URDB) JSON export → smt's tariff model. Accepts one rate object
 * or an API response `{ "items": [ … ] }`. Field meanings follow the URDB API (version 7/8) and the
 * reading NREL's PySAM gives them (`UtilityRateTools.URDBv8_to_ElectricityRates`):
 *
 * - `energyweekdayschedule` / `energyweekendschedule`: 12 × 24, 0-based period per month and hour;
 * - `energyratestructure[period][tier]`: `{ max?, rate, adj?, unit? }`, price = rate + adj, `max`
 *   the upper bound of the tier (absent = unbounded); unit `kWh` (per month) or `kWh daily`
 *   (max × days billed);
 * - `demandratestructure` + `demandweekdayschedule` / `demandweekendschedule`: time-of-use demand;
 * - `flatdemandstructure` + `flatdemandmonths`: one demand charge per billing period;
 * - `fixedchargefirstmeter` + `fixedchargeunits` ($/month, $/day, $/year), older `fixedmonthlycharge`;
 * - `mincharge` + `minchargeunits`.
 *
 * What smt cannot bill exactly is refused with the field named, never dropped: tier units per kW
 * (`kWh/kW`), demand in kVA or hp, demand ratchets (`lookbackpercent`), a yearly minimum.
 */
import { errorMessage, InvalidDataError } from '../errors.js';
import {
  assertDefinition,
  constantMatrix,
  type HolidayCalendar,
  type MonthHourMatrix,
  numberField,
  type RatePeriod,
  type Tariff,
  type TariffDefinition,
  type Tier,
  tariffFieldError,
  tariffKind,
} from './tariff.js';

type Json = Record<string, unknown>;

/** URDB's "no upper bound" sentinel (1e38 in SAM, 9.9999996802856925e+37 as a float32). */
const UNBOUNDED = 1e37;

const HINT =
  'The URDB export format is described at the URDB API documentation (version 7/8); docs/billing.md lists what smt supports.';

function fail(source: string, field: string, message: string): never {
  throw tariffFieldError(source, field, message, HINT);
}

function num(v: unknown, source: string, field: string): number {
  return numberField(v, source, field, HINT);
}

function matrix(v: unknown, source: string, field: string): MonthHourMatrix {
  if (!Array.isArray(v) || v.length !== 12 || v.some((r) => !Array.isArray(r) || r.length !== 24))
    fail(source, field, 'expected 12 rows (January..December) of 24 hourly period numbers');
  return (v as unknown[][]).map((row, m) => row.map((p, h) => num(p, source, `${field}[${m}][${h}]`)));
}

function tiers(period: unknown, source: string, field: string, kind: 'energy' | 'demand'): Tier[] {
  if (!Array.isArray(period) || period.length === 0)
    fail(source, field, 'expected a non-empty list of tiers');
  return period.map((t: Json, j) => {
    const at = `${field}[${j}]`;
    if (typeof t !== 'object' || t === null)
      fail(source, at, 'expected an object { max?, rate, adj?, unit? }');
    const rate = num(t.rate ?? 0, source, `${at}.rate`) + num(t.adj ?? 0, source, `${at}.adj`);
    const unit = t.unit === undefined ? (kind === 'energy' ? 'kwh' : 'kw') : String(t.unit).toLowerCase();
    const max = t.max === undefined || t.max === null ? null : num(t.max, source, `${at}.max`);
    if (kind === 'demand' && unit !== 'kw')
      fail(source, `${at}.unit`, `demand in ${t.unit} is not supported (only kW)`);
    if (kind === 'energy' && unit !== 'kwh' && unit !== 'kwh daily')
      fail(source, `${at}.unit`, `tier unit ${t.unit} is not supported (kWh and kWh daily are)`);
    return {
      max: max === null || max >= UNBOUNDED ? null : max,
      rate,
      ...(unit === 'kwh daily' ? { daily: true } : {}),
    };
  });
}

function structure(v: unknown, source: string, field: string, kind: 'energy' | 'demand'): RatePeriod[] {
  if (!Array.isArray(v) || v.length === 0) fail(source, field, 'expected a non-empty list of periods');
  return v.map((p, i) => ({ name: `period ${i}`, tiers: tiers(p, source, `${field}[${i}]`, kind) }));
}

/** Charges in $/day or $/year: kept per day or per month of 1/12 year exactly as URDB states them. */
function fixedCharges(r: Json, source: string): { monthly: number; daily: number } {
  if (r.fixedchargefirstmeter !== undefined) {
    const v = num(r.fixedchargefirstmeter, source, 'fixedchargefirstmeter');
    const units = String(r.fixedchargeunits ?? '$/month');
    if (units === '$/month') return { monthly: v, daily: 0 };
    if (units === '$/day') return { monthly: 0, daily: v };
    if (units === '$/year') return { monthly: v / 12, daily: 0 };
    fail(source, 'fixedchargeunits', `expected $/month, $/day or $/year, found ${JSON.stringify(units)}`);
  }
  if (r.fixedmonthlycharge !== undefined)
    return { monthly: num(r.fixedmonthlycharge, source, 'fixedmonthlycharge'), daily: 0 };
  return { monthly: 0, daily: 0 };
}

function minimumMonthly(r: Json, source: string): number {
  if (r.mincharge === undefined) return 0;
  const v = num(r.mincharge, source, 'mincharge');
  const units = String(r.minchargeunits ?? '$/month');
  if (units === '$/month') return v;
  if (units === '$/day') fail(source, 'minchargeunits', 'a daily minimum is not supported');
  fail(source, 'minchargeunits', `${units} minimum is not supported (only $/month)`);
}

function dateOf(v: unknown): string | null {
  return typeof v === 'number' && Number.isFinite(v) ? new Date(v * 1000).toISOString().slice(0, 10) : null;
}

/** One URDB rate object → a tariff (id: `tariffId` when given, else the URDB `label`). */
export function tariffFromUrdb(
  r: Json,
  source: string,
  options: { tariffId?: string; currency?: string; holidays?: HolidayCalendar | null } = {},
): Tariff {
  if (r.lookbackpercent !== undefined && Number(r.lookbackpercent) > 0)
    fail(source, 'lookbackpercent', 'demand ratchets are not supported');
  const tariffId = options.tariffId ?? (typeof r.label === 'string' ? r.label : undefined);
  if (!tariffId) fail(source, 'label', 'the rate has no label; give one with --id');
  let energy: TariffDefinition['energy'];
  if (r.energyratestructure !== undefined) {
    const periods = structure(r.energyratestructure, source, 'energyratestructure', 'energy');
    const weekday = matrix(r.energyweekdayschedule, source, 'energyweekdayschedule');
    const weekend = matrix(
      r.energyweekendschedule ?? r.energyweekdayschedule,
      source,
      'energyweekendschedule',
    );
    energy = { periods, schedule: { weekday, weekend, holiday: weekend } };
  } else {
    energy = { periods: [{ name: 'period 0', tiers: [{ max: null, rate: 0 }] }], schedule: flatSchedule() };
  }
  let demand: TariffDefinition['demand'] = null;
  if (r.demandratestructure !== undefined) {
    const periods = structure(r.demandratestructure, source, 'demandratestructure', 'demand');
    const weekday = matrix(r.demandweekdayschedule, source, 'demandweekdayschedule');
    const weekend = matrix(
      r.demandweekendschedule ?? r.demandweekdayschedule,
      source,
      'demandweekendschedule',
    );
    demand = { periods, schedule: { weekday, weekend, holiday: weekend } };
  }
  let flatDemand: TariffDefinition['flatDemand'] = null;
  if (r.flatdemandstructure !== undefined) {
    const periods = structure(r.flatdemandstructure, source, 'flatdemandstructure', 'demand');
    const months =
      r.flatdemandmonths === undefined ? new Array<number>(12).fill(0) : (r.flatdemandmonths as unknown[]);
    if (!Array.isArray(months) || months.length !== 12)
      fail(source, 'flatdemandmonths', 'expected 12 period numbers');
    flatDemand = { periods, months: months.map((p, i) => num(p, source, `flatdemandmonths[${i}]`)) };
  }
  const definition: TariffDefinition = {
    version: 1,
    currency: options.currency ?? 'USD',
    holidays: options.holidays ?? null,
    fixed: fixedCharges(r, source),
    minimumMonthly: minimumMonthly(r, source),
    energy,
    demand,
    flatDemand,
    source: {
      kind: 'urdb',
      ...(typeof r.label === 'string' ? { label: r.label } : {}),
      ...(typeof r.uri === 'string' ? { uri: r.uri } : {}),
      ...(typeof r.utility === 'string' ? { utility: r.utility } : {}),
      ...(typeof r.name === 'string' ? { name: r.name } : {}),
    },
  };
  assertDefinition(definition, source);
  return {
    tariffId,
    name: [r.utility, r.name].filter((x) => typeof x === 'string').join(' — ') || tariffId,
    kind: tariffKind(definition),
    validFrom: dateOf(r.startdate),
    validTo: dateOf(r.enddate),
    definition,
  };
}

function flatSchedule(): TariffDefinition['energy']['schedule'] {
  return { weekday: constantMatrix(), weekend: constantMatrix(), holiday: constantMatrix() };
}

/** A URDB export file's text: one rate, an array of rates, or `{ items: [...] }`. */
export function tariffsFromUrdbJson(
  text: string,
  source: string,
  options: { tariffId?: string; currency?: string; holidays?: HolidayCalendar | null } = {},
): Tariff[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidDataError(`${source}: not JSON: ${errorMessage(err)}`, { code: 'INVALID_TARIFF' });
  }
  const items = Array.isArray(doc)
    ? doc
    : Array.isArray((doc as Json)?.items)
      ? ((doc as Json).items as unknown[])
      : [doc];
  if (items.length === 0) fail(source, 'items', 'no rates in the file');
  if (options.tariffId !== undefined && items.length > 1)
    fail(source, 'items', `${items.length} rates in the file; --id names one tariff`);
  return items.map((r, i) =>
    tariffFromUrdb(r as Json, items.length > 1 ? `${source} items[${i}]` : source, options),
  );
}
