import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/core/codecs/index.js';
import { UsageError } from '../../src/core/errors.js';
import { emptyBlock } from '../../src/core/readings/block.js';
import {
  applyValueFaults,
  FAULT_NAMES,
  FAULT_PRESETS,
  FAULTS,
  malform,
  parseFaultOverrides,
  resolveFaults,
  Tag,
} from '../../src/core/simulate/faults.js';
import { hash32, Rng } from '../../src/core/simulate/rng.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';

describe('fault rates', () => {
  it('parses name=rate lists, percentages and camelCase names', () => {
    expect(parseFaultOverrides(['missing=0.02,late=1%', 'missing-day=0', 'unknownMeter=0.5'])).toEqual({
      missing: 0.02,
      late: 0.01,
      missingDay: 0,
      unknownMeter: 0.5,
    });
    expect(parseFaultOverrides([])).toEqual({});
  });

  it.each([['bogus=0.1'], ['missing'], ['missing=abc'], ['missing=1.5'], ['late=-1%'], ['=0.1']])(
    'rejects %s with a usage error',
    (spec) => {
      expect(() => parseFaultOverrides([spec])).toThrow(UsageError);
    },
  );

  it('applies overrides to a preset and checks the exclusive fates', () => {
    const r = resolveFaults('default', { spike: 0.5 });
    expect(r.spike).toBe(0.5);
    expect(r.late).toBe(FAULT_PRESETS.default.late);
    expect(() => resolveFaults('none', { late: 0.6, missingDay: 0.5 })).toThrow(/cannot exceed 1/);
    expect(Object.keys(resolveFaults('none')).sort()).toEqual([...FAULT_NAMES].sort());
  });

  it('every fault is documented with a command-line name', () => {
    for (const n of FAULT_NAMES) {
      expect(FAULTS[n].flag).toMatch(/^[a-z-]+$/);
      expect(FAULTS[n].description.length).toBeGreaterThan(20);
    }
  });
});

describe('rng', () => {
  it('streams are reproducible and independent', () => {
    const a = new Rng(hash32(1, 2, 3, 4));
    const b = new Rng(hash32(1, 2, 3, 4));
    const c = new Rng(hash32(1, 2, 3, 5));
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(hash32(2 ** 40)).not.toBe(hash32(0));
  });

  it('normal() has mean ~0 and sd ~1', () => {
    const r = new Rng(9);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 20_000; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / 20_000)).toBeLessThan(0.03);
    expect(Math.sqrt(s2 / 20_000)).toBeGreaterThan(0.97);
    expect(Math.sqrt(s2 / 20_000)).toBeLessThan(1.03);
  });
});

describe('applyValueFaults', () => {
  const all = resolveFaults('none', { missing: 1, spike: 1, negative: 1, stuck: 1 });
  it('claims disjoint intervals and reports exactly what it changed', () => {
    for (let seed = 0; seed < 200; seed++) {
      const values = Float64Array.from({ length: 96 }, (_, i) => 0.1 + (i % 7) * 0.011);
      const before = values.slice();
      const tags = new Uint8Array(96);
      const rng = new Rng();
      const r = applyValueFaults({
        values,
        tags,
        cleanMean: 0.13,
        intervalMinutes: 15,
        tamper: seed % 5 === 0 ? { from: 50, factor: 0.05 } : undefined,
        rates: all,
        stream: (f) => rng.reseed(hash32(seed, FAULT_NAMES.indexOf(f))),
        cumulativeRegister: seed % 2 === 1,
      });
      const count = (t: number) => tags.filter((x) => x === t).length;
      expect(count(Tag.missing)).toBe(r.missing);
      expect(count(Tag.spike)).toBe(r.spike);
      expect(count(Tag.negative)).toBe(r.negative);
      expect(count(Tag.stuck)).toBe(r.stuck);
      expect(count(Tag.tamper)).toBe(r.tamper);
      for (let i = 0; i < 96; i++) {
        if (tags[i] === Tag.none) expect(values[i]).toBe(before[i]);
        // with a cumulative register the interval after a gap is lost too, though its value stays
        // (unless the gap reaches the end of the block)
        const lastOfRun = tags[i] === Tag.missing && (i + 1 === 96 || tags[i + 1] !== Tag.missing);
        if (tags[i] === Tag.missing) {
          if (seed % 2 === 1 && lastOfRun) expect([Number.NaN, before[i]]).toContain(values[i]);
          else expect(values[i]).toBeNaN();
        }
        if (tags[i] === Tag.reserved) expect(tags[i - 1]).toBe(Tag.missing);
        if (tags[i] === Tag.negative) expect(values[i]).toBeLessThan(0);
        if (tags[i] === Tag.spike)
          expect(values[i]).toBeGreaterThanOrEqual(20 * Math.max(before[i]!, 0.13) - 0.001);
      }
      if (r.stuck > 0) {
        const first = tags.indexOf(Tag.stuck);
        expect(r.stuck).toBeGreaterThanOrEqual(16);
        expect(new Set(values.subarray(first, first + r.stuck)).size).toBe(1);
        // the run does not merge with its neighbours
        if (first > 0) expect(values[first - 1]).not.toBe(values[first]);
        if (first + r.stuck < 96) expect(values[first + r.stuck]).not.toBe(values[first]);
      }
    }
  });
});

describe('malform', () => {
  const cal = LocalCalendar.for('Europe/Stockholm');
  const block = emptyBlock('SIM-000001', 'active_import_kwh', 15, 96);
  block.starts.set(cal.intervalStarts('2026-03-28', 15));
  block.values.set(Array.from({ length: 96 }, (_, i) => 0.05 + i / 1000));
  block.values[10] = Number.NaN;

  it.each(['json', 'csv'] as const)('a %s payload never decodes after malform', (format) => {
    const payload = Buffer.from(
      encode(format, [block], format === 'json' ? { timezone: 'Europe/Stockholm' } : {}) as string,
    );
    expect(decode(format, payload, { meterId: block.meterId }).failures).toEqual([]);
    const modes = new Set<string>();
    for (let seed = 0; seed < 400; seed++) {
      const broken = malform(payload, format, new Rng(hash32(seed)));
      modes.add(broken.mode);
      const r = decode(format, broken.value, { meterId: block.meterId });
      expect(
        r.failures.length,
        `seed ${seed}: ${broken.mode} ${broken.value.toString().slice(-60)}`,
      ).toBeGreaterThan(0);
    }
    expect(modes).toEqual(new Set(['truncated', 'garbled']));
  });
});
