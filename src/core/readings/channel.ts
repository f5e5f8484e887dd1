/**
 * Channels as an open, typed identity. A channel id is a string every store and rollup keys by;
 * what it measures (quantity, direction, phase, unit, interval or register) comes from its spec.
 *
 * Ids:
 * - the catalogue names below (`active_import_kwh`, `reactive_q1_kvarh`, `voltage_l2_v`, …): the
 *   channels smt knows by name, each with its OBIS code;
 * - `obis:A-B:C.D.E` for any other OBIS code (IEC 62056-61), typed from its C and D groups;
 * - `nem12:XY` for a NEM12 NMI suffix the catalogue does not map, typed from its first letter.
 * An OBIS code or NEM12 suffix of a catalogue channel always resolves to the catalogue name, so one
 * quantity never gets two ids.
 */

export type ChannelId = string;

export type Quantity =
  | 'active_energy'
  | 'reactive_energy'
  | 'apparent_energy'
  | 'active_power'
  | 'reactive_power'
  | 'apparent_power'
  | 'voltage'
  | 'current'
  | 'power_factor'
  | 'frequency'
  | 'other';

export type Direction = 'import' | 'export' | 'q1' | 'q2' | 'q3' | 'q4';
export type Phase = 'L1' | 'L2' | 'L3';
/** interval: a quantity per interval (energy in the interval, average voltage); register: a meter reading that accumulates */
export type ChannelKind = 'interval' | 'register';

export interface ChannelSpec {
  id: ChannelId;
  quantity: Quantity;
  direction: Direction | null;
  phase: Phase | null;
  /** the unit values are stored in (normalised: kWh, kvarh, kVAh, kW, kvar, kVA, V, A, Hz, '' for ratios) */
  unit: string;
  kind: ChannelKind;
  /** A-B:C.D.E, or null when the channel has no OBIS code */
  obis: string | null;
  /** NEM12 NMI suffix, where one is conventional */
  nem12: string | null;
  title: string;
}

const spec = (
  id: string,
  quantity: Quantity,
  direction: Direction | null,
  phase: Phase | null,
  unit: string,
  kind: ChannelKind,
  obis: string | null,
  nem12: string | null,
  title: string,
): ChannelSpec => ({ id, quantity, direction, phase, unit, kind, obis, nem12, title });

/** The channels smt knows by name. The first four are the ids stored before channels were open. */
export const CATALOGUE: readonly ChannelSpec[] = [
  spec(
    'active_import_kwh',
    'active_energy',
    'import',
    null,
    'kWh',
    'interval',
    '1-0:1.29.0',
    'E1',
    'active energy imported',
  ),
  spec(
    'active_export_kwh',
    'active_energy',
    'export',
    null,
    'kWh',
    'interval',
    '1-0:2.29.0',
    'B1',
    'active energy exported',
  ),
  spec('voltage_v', 'voltage', null, null, 'V', 'interval', '1-0:12.7.0', null, 'voltage (any phase)'),
  spec('power_factor', 'power_factor', null, null, '', 'interval', '1-0:13.7.0', null, 'power factor'),
  spec(
    'reactive_import_kvarh',
    'reactive_energy',
    'import',
    null,
    'kvarh',
    'interval',
    '1-0:3.29.0',
    'Q1',
    'reactive energy imported',
  ),
  spec(
    'reactive_export_kvarh',
    'reactive_energy',
    'export',
    null,
    'kvarh',
    'interval',
    '1-0:4.29.0',
    'K1',
    'reactive energy exported',
  ),
  spec(
    'reactive_q1_kvarh',
    'reactive_energy',
    'q1',
    null,
    'kvarh',
    'interval',
    '1-0:5.29.0',
    null,
    'reactive energy, quadrant I',
  ),
  spec(
    'reactive_q2_kvarh',
    'reactive_energy',
    'q2',
    null,
    'kvarh',
    'interval',
    '1-0:6.29.0',
    null,
    'reactive energy, quadrant II',
  ),
  spec(
    'reactive_q3_kvarh',
    'reactive_energy',
    'q3',
    null,
    'kvarh',
    'interval',
    '1-0:7.29.0',
    null,
    'reactive energy, quadrant III',
  ),
  spec(
    'reactive_q4_kvarh',
    'reactive_energy',
    'q4',
    null,
    'kvarh',
    'interval',
    '1-0:8.29.0',
    null,
    'reactive energy, quadrant IV',
  ),
  spec(
    'apparent_import_kvah',
    'apparent_energy',
    'import',
    null,
    'kVAh',
    'interval',
    '1-0:9.29.0',
    null,
    'apparent energy imported',
  ),
  spec(
    'apparent_export_kvah',
    'apparent_energy',
    'export',
    null,
    'kVAh',
    'interval',
    '1-0:10.29.0',
    null,
    'apparent energy exported',
  ),
  spec(
    'demand_import_kw',
    'active_power',
    'import',
    null,
    'kW',
    'interval',
    '1-0:1.4.0',
    null,
    'average active power imported (demand)',
  ),
  spec(
    'demand_export_kw',
    'active_power',
    'export',
    null,
    'kW',
    'interval',
    '1-0:2.4.0',
    null,
    'average active power exported (demand)',
  ),
  spec('voltage_l1_v', 'voltage', null, 'L1', 'V', 'interval', '1-0:32.7.0', null, 'voltage L1'),
  spec('voltage_l2_v', 'voltage', null, 'L2', 'V', 'interval', '1-0:52.7.0', null, 'voltage L2'),
  spec('voltage_l3_v', 'voltage', null, 'L3', 'V', 'interval', '1-0:72.7.0', null, 'voltage L3'),
  spec('current_l1_a', 'current', null, 'L1', 'A', 'interval', '1-0:31.7.0', null, 'current L1'),
  spec('current_l2_a', 'current', null, 'L2', 'A', 'interval', '1-0:51.7.0', null, 'current L2'),
  spec('current_l3_a', 'current', null, 'L3', 'A', 'interval', '1-0:71.7.0', null, 'current L3'),
  spec(
    'register_import_kwh',
    'active_energy',
    'import',
    null,
    'kWh',
    'register',
    '1-0:1.8.0',
    null,
    'active energy import register, total',
  ),
  spec(
    'register_import_t1_kwh',
    'active_energy',
    'import',
    null,
    'kWh',
    'register',
    '1-0:1.8.1',
    null,
    'active energy import register, tariff 1',
  ),
  spec(
    'register_import_t2_kwh',
    'active_energy',
    'import',
    null,
    'kWh',
    'register',
    '1-0:1.8.2',
    null,
    'active energy import register, tariff 2',
  ),
  spec(
    'register_export_kwh',
    'active_energy',
    'export',
    null,
    'kWh',
    'register',
    '1-0:2.8.0',
    null,
    'active energy export register, total',
  ),
];

const BY_ID = new Map(CATALOGUE.map((c) => [c.id, c]));
const BY_OBIS = new Map(CATALOGUE.filter((c) => c.obis).map((c) => [c.obis!, c]));
const BY_NEM12 = new Map(CATALOGUE.filter((c) => c.nem12).map((c) => [c.nem12!, c]));
const derived = new Map<string, ChannelSpec | null>();

type ObisBase = 'active' | 'reactive' | 'apparent' | 'voltage' | 'current' | 'power_factor' | 'frequency';

/** OBIS C group → what it measures (IEC 62056-61 / DLMS Blue Book, electricity). */
const OBIS_C: Record<number, [ObisBase, Direction | null, Phase | null]> = {
  1: ['active', 'import', null],
  2: ['active', 'export', null],
  3: ['reactive', 'import', null],
  4: ['reactive', 'export', null],
  5: ['reactive', 'q1', null],
  6: ['reactive', 'q2', null],
  7: ['reactive', 'q3', null],
  8: ['reactive', 'q4', null],
  9: ['apparent', 'import', null],
  10: ['apparent', 'export', null],
  11: ['current', null, null],
  12: ['voltage', null, null],
  13: ['power_factor', null, null],
  14: ['frequency', null, null],
  31: ['current', null, 'L1'],
  32: ['voltage', null, 'L1'],
  51: ['current', null, 'L2'],
  52: ['voltage', null, 'L2'],
  71: ['current', null, 'L3'],
  72: ['voltage', null, 'L3'],
};

const ENERGY_UNITS: Record<'active' | 'reactive' | 'apparent', [energy: string, power: string]> = {
  active: ['kWh', 'kW'],
  reactive: ['kvarh', 'kvar'],
  apparent: ['kVAh', 'kVA'],
};
const OTHER_UNITS: Record<'voltage' | 'current' | 'power_factor' | 'frequency', string> = {
  voltage: 'V',
  current: 'A',
  power_factor: '',
  frequency: 'Hz',
};

const OBIS_RE = /^(?:(\d{1,3})[-.](\d{1,3})[:.])?(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[.*](\d{1,3}))?$/;

/** `A-B:C.D.E` of an OBIS code in any of its usual notations, or null when it is not one. */
export function normaliseObis(text: string): string | null {
  const m = OBIS_RE.exec(text.trim());
  if (!m) return null;
  return `${m[1] ?? '1'}-${m[2] ?? '0'}:${Number(m[3])}.${Number(m[4])}.${Number(m[5])}`;
}

function fromObis(obis: string): ChannelSpec | null {
  const known = BY_OBIS.get(obis);
  if (known) return known;
  const [ab, cde] = obis.split(':') as [string, string];
  if (!ab.startsWith('1-')) return null; // electricity only
  const [c, d] = cde.split('.').map(Number) as [number, number, number];
  const group = OBIS_C[c];
  if (!group) return null;
  const [base, direction, phase] = group;
  // D group: 8 register (cumulative), 29 energy per interval, 4–7 demand or instantaneous values
  const register = d === 8;
  const power = d >= 4 && d <= 7;
  let quantity: Quantity;
  let unit: string;
  if (base === 'active' || base === 'reactive' || base === 'apparent') {
    quantity = `${base}_${power ? 'power' : 'energy'}`;
    unit = ENERGY_UNITS[base][power ? 1 : 0];
  } else {
    quantity = base;
    unit = OTHER_UNITS[base];
  }
  return spec(
    `obis:${obis}`,
    quantity,
    direction,
    phase,
    unit,
    register ? 'register' : 'interval',
    obis,
    null,
    `OBIS ${obis}`,
  );
}

/** NEM12 suffix first letter → quantity (AEMO NMI suffix conventions for interval data streams). */
const NEM12_LETTER: Record<string, { quantity: Quantity; direction: Direction; unit: string }> = {
  E: { quantity: 'active_energy', direction: 'import', unit: 'kWh' },
  B: { quantity: 'active_energy', direction: 'export', unit: 'kWh' },
  Q: { quantity: 'reactive_energy', direction: 'import', unit: 'kvarh' },
  K: { quantity: 'reactive_energy', direction: 'export', unit: 'kvarh' },
};

function fromNem12(suffix: string): ChannelSpec | null {
  const s = suffix.toUpperCase();
  const known = BY_NEM12.get(s);
  if (known) return known;
  const l = NEM12_LETTER[s[0]!];
  if (!/^[A-Z][0-9A-Z]$/.test(s)) return null;
  return l
    ? spec(`nem12:${s}`, l.quantity, l.direction, null, l.unit, 'interval', null, s, `NEM12 data stream ${s}`)
    : spec(`nem12:${s}`, 'other', null, null, '', 'interval', null, s, `NEM12 data stream ${s}`);
}

/**
 * The spec of a channel written as a catalogue name (any case), an OBIS code in any notation
 * (`1-0:1.8.0`, `1.0.1.8.0.255`, `obis:1-0:1.8.0`), or `nem12:E2`; null when it is none of these.
 */
export function parseChannel(text: string): ChannelSpec | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  const hit = BY_ID.get(text) ?? derived.get(text);
  if (hit !== undefined) return hit;
  const lower = text.toLowerCase();
  let out: ChannelSpec | null = BY_ID.get(lower) ?? null;
  if (!out && lower.startsWith('nem12:')) out = fromNem12(text.slice(6));
  if (!out) {
    const obis = normaliseObis(lower.startsWith('obis:') ? text.slice(5) : text);
    if (obis) out = fromObis(obis);
  }
  if (derived.size < 10_000) derived.set(text, out);
  return out;
}

/** The spec of a channel id smt stored or emitted (always parseable). */
export function channelSpec(id: ChannelId): ChannelSpec {
  const s = parseChannel(id);
  if (!s) throw new RangeError(`not a channel id: ${id}`);
  return s;
}

/** The spec of a NEM12 data stream (NMI suffix), or null when the suffix is malformed. */
export function nem12ChannelSpec(suffix: string): ChannelSpec | null {
  return fromNem12(suffix);
}
