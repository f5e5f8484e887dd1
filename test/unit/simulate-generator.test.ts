import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/core/codecs/index.js';
import type { DecodedBlock } from '../../src/core/codecs/types.js';
import { FAULT_PRESETS, type FaultRates, resolveFaults } from '../../src/core/simulate/faults.js';
import {
  type SimFormat,
  type SimMessage,
  type SimulateOptions,
  simulateFleet,
} from '../../src/core/simulate/generator.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';

const ZONE = 'Europe/Stockholm';
const cal = LocalCalendar.for(ZONE);
const base: SimulateOptions = { seed: 42, meters: 30, days: 2, start: '2026-03-28', timezone: ZONE };

function digest(messages: Iterable<SimMessage>): string {
  const h = createHash('sha256');
  for (const m of messages) h.update(`${m.kind}|${m.key}|`).update(m.value);
  return h.digest('hex');
}

function decodeOk(m: SimMessage): DecodedBlock {
  const r = decode(m.format, m.value, { meterId: m.key, intervalMinutes: 15 });
  expect(r.failures, `${m.kind} ${m.key} ${m.day}`).toEqual([]);
  expect(r.blocks).toHaveLength(1);
  return r.blocks[0]!;
}

describe('simulateFleet: determinism', () => {
  it('the same seed gives identical bytes, a different seed different ones', () => {
    const faults = resolveFaults('heavy');
    const a = digest(simulateFleet({ ...base, faults }));
    expect(digest(simulateFleet({ ...base, faults }))).toBe(a);
    expect(digest(simulateFleet({ ...base, faults, seed: 43 }))).not.toBe(a);
    // a simulation can be iterated again and yields the same
    const sim = simulateFleet({ ...base, faults });
    expect(digest(sim)).toBe(digest(sim));
  });

  it('is deterministic in CSV too', () => {
    const opts = { ...base, meters: 5, format: 'csv' as const, faults: resolveFaults('heavy') };
    expect(digest(simulateFleet(opts))).toBe(digest(simulateFleet(opts)));
  });

  it('a meter-day does not depend on the size of the fleet', () => {
    const small = [...simulateFleet({ ...base, meters: 10 })];
    const large = [...simulateFleet({ ...base, meters: 25 })].filter((m) => Number(m.key.slice(4)) <= 10);
    expect(large.map((m) => m.value.toString())).toEqual(small.map((m) => m.value.toString()));
  });

  it('turning a fault on changes no clean reading elsewhere', () => {
    const clean = new Map([...simulateFleet(base)].map((m) => [`${m.key}/${m.day}`, m.value.toString()]));
    let unchanged = 0;
    for (const m of simulateFleet({ ...base, faults: { spike: 0.3 } })) {
      const c = clean.get(`${m.key}/${m.day}`)!;
      if (m.value.toString() === c) unchanged++;
      else {
        const a = decodeOk(m).values;
        const b = JSON.parse(c).values as number[];
        expect(a.filter((v, i) => v !== b[i])).toHaveLength(1);
      }
    }
    expect(unchanged).toBeGreaterThan(0);
    expect(unchanged).toBeLessThan(clean.size);
  });
});

describe('simulateFleet: local days', () => {
  it.each([
    ['2026-03-29', 92, '+01:00'],
    ['2026-03-30', 96, '+02:00'],
    ['2026-10-25', 100, '+02:00'],
    ['2026-10-26', 96, '+01:00'],
  ])('%s in Stockholm has %i quarter-hours, starting at local midnight', (start, n, offset) => {
    const msgs = [...simulateFleet({ ...base, meters: 3, days: 1, start })];
    expect(msgs).toHaveLength(3);
    for (const m of msgs) {
      expect(m.readings).toBe(n);
      const b = decodeOk(m);
      expect(b.values).toHaveLength(n);
      expect(JSON.parse(m.value.toString()).start).toBe(`${start}T00:00:00${offset}`);
      expect(Array.from(b.starts)).toEqual(Array.from(cal.intervalStarts(start, 15)));
      expect(b.values.every((v) => v > 0)).toBe(true);
    }
  });

  it('counts planned readings over DST days', () => {
    const sim = simulateFleet({ ...base, meters: 4, days: 3, start: '2026-03-28' });
    expect(sim.plannedReadings).toBe(4 * (96 + 92 + 96));
    [...sim];
    expect(sim.tally.readings.generated).toBe(sim.plannedReadings);
  });

  it('supports other interval lengths', () => {
    const [m] = [...simulateFleet({ ...base, meters: 1, days: 1, start: '2026-10-25', intervalMinutes: 60 })];
    expect(decodeOk(m!).values).toHaveLength(25);
  });
});

describe('simulateFleet: every message decodes, except the malformed ones', () => {
  const opts: SimulateOptions = {
    ...base,
    meters: 200,
    days: 2,
    faults: resolveFaults('heavy', { malformed: 0.05 }),
  };
  const reference = [...simulateFleet(opts)];

  it.each(['json', 'csv', 'dlms'] as SimFormat[])('%s, with the same readings in every format', (format) => {
    const sim = simulateFleet({ ...opts, format });
    const messages = [...sim];
    expect(messages.map((m) => `${m.kind} ${m.key} ${m.day}`)).toEqual(
      reference.map((m) => `${m.kind} ${m.key} ${m.day}`),
    );
    let malformed = 0;
    let missing = 0;
    messages.forEach((m, i) => {
      expect(m.format).toBe(format);
      const r = decode(format, m.value, { meterId: m.key, intervalMinutes: 15 });
      if (m.kind === 'malformed') {
        malformed++;
        expect(r.failures.length, m.value.toString('latin1').slice(-80)).toBeGreaterThan(0);
        return;
      }
      expect(r.failures).toEqual([]);
      const b = r.blocks.find((x) => x.channel === 'active_import_kwh')!;
      expect(b.meterId).toBe(m.key);
      const ref = decodeOk(reference[i]!);
      expect(Array.from(b.starts)).toEqual(Array.from(ref.starts));
      if (m.kind !== 'duplicate' && m.kind !== 'unknown-meter')
        missing += b.values.filter(Number.isNaN).length;
      const want = Array.from(ref.values);
      // a cumulative register cannot say how much of its jump after a gap was used in the interval after the gap
      if (format === 'dlms')
        for (let k = want.length - 1; k > 0; k--) if (Number.isNaN(want[k - 1]!)) want[k] = Number.NaN;
      expect(Array.from(b.values)).toEqual(want);
    });
    expect(missing).toBe(sim.tally.faults.missing.readings);
    expect(malformed).toBe(sim.tally.messages.malformed);
    expect(malformed).toBeGreaterThan(5);
  });
});

/**
 * The tally against the messages, counted independently: decode every message of a run with faults
 * and compare each reading with the same run without faults (same seed ⇒ same clean readings).
 */
describe('simulateFleet: the ground-truth tally matches the messages', () => {
  const METERS = 1500;
  const DAYS = 3;
  const rates: FaultRates = {
    missing: 0.08,
    missingDay: 0.03,
    late: 0.05,
    duplicate: 0.04,
    outOfOrder: 0.04,
    spike: 0.03,
    negative: 0.02,
    stuck: 0.03,
    tamper: 0.004,
    malformed: 0.02,
    unknownMeter: 0.02,
  };
  const opts: SimulateOptions = {
    seed: 7,
    meters: METERS,
    days: DAYS,
    start: '2026-03-28',
    timezone: ZONE,
    faults: rates,
  };
  const sim = simulateFleet(opts);
  const messages = [...sim];
  const t = sim.tally;
  const clean = new Map<string, Float64Array>();
  for (const m of simulateFleet({ ...opts, faults: {} }))
    clean.set(`${m.key}/${decodeOk(m).starts[0]}`, decodeOk(m).values);
  const fleetIds = new Set([...clean.keys()].map((k) => k.split('/')[0]!));
  const meterDays = METERS * DAYS;

  it('message kinds', () => {
    const kinds: Record<string, number> = {};
    for (const m of messages) kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
    expect(t.messages.total).toBe(messages.length);
    for (const [k, v] of Object.entries(kinds)) expect(t.messages[k as keyof typeof t.messages], k).toBe(v);
    expect(t.bytes).toBe(messages.reduce((s, m) => s + m.value.length, 0));
    expect(t.readings.sent).toBe(messages.reduce((s, m) => s + m.readings, 0));
    expect(t.faults.late.events).toBe(kinds.late);
    expect(t.faults.outOfOrder.events).toBe(kinds['out-of-order']);
    expect(t.faults.duplicate.events).toBe(kinds.duplicate);
    expect(t.faults.malformed.events).toBe(kinds.malformed);
    expect(t.faults.unknownMeter.events).toBe(kinds['unknown-meter']);
  });

  it('duplicates repeat the previous message byte for byte; unknown meters are not in the fleet', () => {
    messages.forEach((m, i) => {
      if (m.kind === 'duplicate') {
        expect(messages[i - 1]!.key).toBe(m.key);
        expect(messages[i - 1]!.value.equals(m.value)).toBe(true);
      }
      if (m.kind === 'unknown-meter') {
        expect(fleetIds.has(m.key)).toBe(false);
        decodeOk(m);
      } else {
        expect(fleetIds.has(m.key)).toBe(true);
      }
    });
  });

  it('late blocks come after the on-time blocks of their day; out-of-order ones after the same meter’s next day', () => {
    const dayOf = (m: SimMessage) => cal.localDateOf(decodeOk(m).starts[0]!);
    const lastOkOfDay = new Map<string, number>();
    const firstOfMeterDay = new Map<string, number>();
    messages.forEach((m, i) => {
      if (m.kind === 'malformed') return;
      const day = dayOf(m);
      if (m.kind === 'ok') lastOkOfDay.set(day, i);
      const k = `${m.key}/${day}`;
      if (!firstOfMeterDay.has(k)) firstOfMeterDay.set(k, i);
    });
    let late = 0;
    let ooo = 0;
    messages.forEach((m, i) => {
      if (m.kind === 'late') {
        late++;
        expect(i).toBeGreaterThan(lastOkOfDay.get(dayOf(m))!);
        expect(m.deliveryDay > m.day).toBe(true);
      }
      if (m.kind === 'out-of-order') {
        ooo++;
        const next = cal.localDateOf(decodeOk(m).starts[0]! + 30 * 3_600_000);
        const nextAt = firstOfMeterDay.get(`${m.key}/${next}`);
        // the next day's block comes first, unless that block was itself lost, late or out of order
        if (nextAt !== undefined && messages[nextAt]!.kind === 'ok') expect(nextAt).toBeLessThan(i);
        expect(lastOkOfDay.get(dayOf(m))!).toBeLessThan(i);
      }
    });
    expect(late).toBeGreaterThan(0);
    expect(ooo).toBeGreaterThan(0);
  });

  it('value faults, reading by reading', () => {
    const seen = { missing: 0, spike: 0, negative: 0, stuck: 0, tamper: 0, blocksMissing: 0, stuckRuns: 0 };
    const delivered = new Set<string>();
    const unexplained: string[] = [];
    for (const m of messages) {
      if (m.kind === 'malformed' || m.kind === 'unknown-meter' || m.kind === 'duplicate') continue;
      const b = decodeOk(m);
      const key = `${m.key}/${b.starts[0]}`;
      expect(delivered.has(key)).toBe(false);
      delivered.add(key);
      const c = clean.get(key)!;
      const v = b.values;
      // stuck first: maximal runs of one repeated value, at least 4 h long, that are not a tampered
      // trickle (a stuck run starts at the clean value; tampered readings are all ≤ 0.2 × clean)
      const stuck = new Uint8Array(v.length);
      for (let i = 0; i < v.length; ) {
        let j = i;
        while (j + 1 < v.length && v[j + 1] === v[i]) j++;
        let aboveTrickle = false;
        for (let k = i; k <= j; k++) if (v[k]! > 0.2 * c[k]!) aboveTrickle = true;
        if (!Number.isNaN(v[i]!) && j - i + 1 >= 16 && aboveTrickle) {
          stuck.fill(1, i, j + 1);
          seen.stuck += j - i + 1;
          seen.stuckRuns++;
        }
        i = j + 1;
      }
      let blockMissing = false;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (stuck[i]) continue;
        if (Number.isNaN(x)) {
          seen.missing++;
          blockMissing = true;
        } else if (x < 0) seen.negative++;
        else if (x >= 10 * c[i]!) seen.spike++;
        else if (x <= 0.2 * c[i]!) seen.tamper++;
        // nothing else may differ from the clean reading
        else if (x !== c[i]) unexplained.push(`${key}[${i}]: ${x} vs clean ${c[i]}`);
      }
      if (blockMissing) seen.blocksMissing++;
    }
    expect(unexplained).toEqual([]);
    expect(seen.missing).toBe(t.faults.missing.readings);
    expect(seen.blocksMissing).toBe(t.faults.missing.events);
    expect(seen.spike).toBe(t.faults.spike.readings);
    expect(seen.spike).toBe(t.faults.spike.events);
    expect(seen.negative).toBe(t.faults.negative.readings);
    expect(seen.stuck).toBe(t.faults.stuck.readings);
    expect(seen.stuckRuns).toBe(t.faults.stuck.events);
    expect(seen.tamper).toBe(t.faults.tamper.readings);
    // whole days: registered meter-days that never arrived in a decodable message
    expect(clean.size - delivered.size).toBe(t.faults.missingDay.events + t.faults.malformed.events);
    expect(t.expected.distinctReadings).toBe([...delivered].reduce((s, k) => s + clean.get(k)!.length, 0));
  });

  it('every fault appears at roughly its rate', () => {
    const within = (observed: number, trials: number, p: number) => {
      const sd = Math.sqrt(trials * p * (1 - p));
      expect(Math.abs(observed - trials * p), `${observed} of ${trials} at ${p}`).toBeLessThanOrEqual(
        5 * sd + 2,
      );
    };
    // the exclusive fates share one draw per meter-day; out-of-order cannot happen on the last day
    within(t.faults.missingDay.events, meterDays, rates.missingDay);
    within(t.faults.malformed.events, meterDays, rates.malformed);
    within(t.faults.late.events, meterDays, rates.late);
    within(t.faults.outOfOrder.events, METERS * (DAYS - 1), rates.outOfOrder);
    within(t.faults.unknownMeter.events, meterDays, rates.unknownMeter);
    const decodable = meterDays - t.faults.missingDay.events - t.faults.malformed.events;
    within(t.faults.duplicate.events, decodable, rates.duplicate);
    within(t.faults.missing.events, decodable, rates.missing);
    within(t.faults.spike.events, decodable, rates.spike);
    within(t.faults.negative.events, decodable, rates.negative);
    // stuck runs are skipped where a tampered stretch is in the way: a few fewer
    within(t.faults.stuck.events, decodable, rates.stuck);
    // tamper: chance of an onset per meter per day until it happens
    within(t.faults.tamper.events, meterDays, rates.tamper);
  });

  it('expected outcome adds up', () => {
    const e = t.expected;
    expect(e.decodeFailures).toBe(t.messages.malformed);
    expect(e.deadLetteredMessages).toBe(t.messages.malformed + t.messages['unknown-meter']);
    expect(e.distinctReadings + t.faults.missingDay.readings + t.faults.malformed.readings).toBe(
      t.readings.generated,
    );
    expect(e.gapReadings).toBe(t.readings.generated - e.values);
    expect(e.failedReadings).toBe(t.faults.spike.readings + t.faults.negative.readings);
  });
});

describe('simulateFleet: presets', () => {
  it('none produces one ok message per meter-day and nothing else', () => {
    const sim = simulateFleet({ ...base, faults: FAULT_PRESETS.none });
    const msgs = [...sim];
    expect(msgs.every((m) => m.kind === 'ok')).toBe(true);
    expect(msgs).toHaveLength(base.meters * base.days);
    expect(sim.tally.expected.gapReadings).toBe(0);
  });
});
