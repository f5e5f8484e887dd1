import { describe, expect, it } from 'vitest';
import { offsetAt, ruleLocal } from '../../src/core/codecs/espi.js';
import { decode, detectFormat } from '../../src/core/codecs/index.js';

const BASE = 'https://api.example.com/DataCustodian/espi/1_1/resource/Subscription/5';
/** US Eastern, as Green Button sample feeds carry it: EST -5 h, DST +1 h from the 2nd Sunday of March to the 1st Sunday of November at 02:00. */
const EASTERN = { tzOffset: -18000, dstOffset: 3600, dstStartRule: '360E2000', dstEndRule: 'B40E2000' };

interface Block {
  start: number;
  duration: number;
  readings: Array<{ start: number; value: number; quality?: number }>;
}

/** An Atom feed shaped as the NAESB ESPI / Green Button Alliance samples (namespaces, links, entries). */
function feed(
  blocks: Block[],
  opts: { uom?: number; power?: number; flow?: number; lt?: boolean } = {},
): string {
  const rt = `${BASE.replace('/Subscription/5', '')}/ReadingType/07`;
  const mr = `${BASE}/UsagePoint/UP-1/MeterReading/01`;
  const entries = [
    `<entry><id>urn:uuid:1</id><link rel="self" href="${BASE}/UsagePoint/UP-1"/><title>Home</title>
      <content><espi:UsagePoint><espi:ServiceCategory><espi:kind>0</espi:kind></espi:ServiceCategory></espi:UsagePoint></content></entry>`,
    opts.lt === false
      ? ''
      : `<entry><link rel="self" href="${BASE.replace('/Subscription/5', '')}/LocalTimeParameters/01"/>
      <content><espi:LocalTimeParameters><espi:dstEndRule>${EASTERN.dstEndRule}</espi:dstEndRule><espi:dstOffset>${EASTERN.dstOffset}</espi:dstOffset><espi:dstStartRule>${EASTERN.dstStartRule}</espi:dstStartRule><espi:tzOffset>${EASTERN.tzOffset}</espi:tzOffset></espi:LocalTimeParameters></content></entry>`,
    `<entry><link rel="self" href="${mr}"/><link rel="up" href="${BASE}/UsagePoint/UP-1/MeterReading"/><link rel="related" href="${mr}/IntervalBlock"/><link rel="related" href="${rt}"/>
      <content><espi:MeterReading/></content></entry>`,
    `<entry><link rel="self" href="${rt}"/>
      <content><espi:ReadingType><espi:accumulationBehaviour>4</espi:accumulationBehaviour><espi:commodity>1</espi:commodity><espi:dataQualifier>12</espi:dataQualifier><espi:flowDirection>${opts.flow ?? 1}</espi:flowDirection><espi:intervalLength>900</espi:intervalLength><espi:kind>12</espi:kind><espi:phase>769</espi:phase><espi:powerOfTenMultiplier>${opts.power ?? 0}</espi:powerOfTenMultiplier><espi:timeAttribute>0</espi:timeAttribute><espi:uom>${opts.uom ?? 72}</espi:uom></espi:ReadingType></content></entry>`,
    ...blocks.map(
      (
        b,
        k,
      ) => `<entry><link rel="self" href="${mr}/IntervalBlock/${k + 1}"/><link rel="up" href="${mr}/IntervalBlock"/>
      <content><espi:IntervalBlock><espi:interval><espi:duration>${b.duration}</espi:duration><espi:start>${b.start}</espi:start></espi:interval>
      ${b.readings
        .map(
          (r) =>
            `<espi:IntervalReading>${r.quality === undefined ? '' : `<espi:ReadingQuality><espi:quality>${r.quality}</espi:quality></espi:ReadingQuality>`}<espi:timePeriod><espi:duration>900</espi:duration><espi:start>${r.start}</espi:start></espi:timePeriod><espi:value>${r.value}</espi:value></espi:IntervalReading>`,
        )
        .join('\n')}
      </espi:IntervalBlock></content></entry>`,
    ),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<id>urn:uuid:feed</id><title>Green Button Usage Feed</title><updated>2026-11-03T00:00:00Z</updated>
${entries.join('\n')}
</feed>`;
}

/** A local day of quarter-hours from `start` (UTC s) lasting `hours`, value = index + 100 Wh. */
function day(start: number, hours: number, quality?: (i: number) => number | undefined): Block {
  const n = hours * 4;
  return {
    start,
    duration: hours * 3600,
    readings: Array.from({ length: n }, (_, i) => ({
      start: start + i * 900,
      value: 100 + i,
      quality: quality?.(i),
    })),
  };
}

const MAR8 = Date.UTC(2026, 2, 8, 5) / 1000; // local midnight EST
const NOV1 = Date.UTC(2026, 10, 1, 4) / 1000; // local midnight EDT
const JAN5 = Date.UTC(2026, 0, 5, 5) / 1000;

describe('Green Button / ESPI XML', () => {
  it('the DST rules decode to the US dates (2nd Sunday of March, 1st Sunday of November, 02:00)', () => {
    expect(new Date(ruleLocal(0x360e2000, 2026) * 1000).toISOString()).toBe('2026-03-08T02:00:00.000Z');
    expect(new Date(ruleLocal(0xb40e2000, 2026) * 1000).toISOString()).toBe('2026-11-01T02:00:00.000Z');
    const lt = { tzOffset: -18000, dstOffset: 3600, dstStartRule: 0x360e2000, dstEndRule: 0xb40e2000 };
    expect(offsetAt(Date.UTC(2026, 2, 8, 6, 59) / 1000, lt)).toBe(-18000);
    expect(offsetAt(Date.UTC(2026, 2, 8, 7) / 1000, lt)).toBe(-14400);
    expect(offsetAt(Date.UTC(2026, 10, 1, 5, 59) / 1000, lt)).toBe(-14400);
    expect(offsetAt(Date.UTC(2026, 10, 1, 6) / 1000, lt)).toBe(-18000);
  });

  it('decodes 23-, 24- and 25-hour local days into 92, 96 and 100 quarter-hours, Wh → kWh, UsagePoint id as meter', () => {
    const xml = feed([day(MAR8, 23), day(JAN5, 24), day(NOV1, 25)]);
    expect(detectFormat(xml, 'usage.xml')).toBe('espi');
    const r = decode('espi', xml);
    expect(r.failures).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.blocks.map((b) => [b.meterId, b.channel, b.intervalMinutes, b.starts.length])).toEqual([
      ['UP-1', 'active_import_kwh', 15, 92],
      ['UP-1', 'active_import_kwh', 15, 96],
      ['UP-1', 'active_import_kwh', 15, 100],
    ]);
    const fallBack = r.blocks[2]!;
    expect(fallBack.starts[0]).toBe(NOV1 * 1000);
    expect(fallBack.starts[99]).toBe((NOV1 + 99 * 900) * 1000);
    expect(fallBack.values[0]).toBe(0.1);
    expect(fallBack.values[99]).toBe(0.199);
  });

  it('a block that claims 24 hours on the 23-hour day is kept and warned about; a missing reading is NaN, not 0', () => {
    const wrong = day(MAR8, 24);
    wrong.readings.splice(10, 1);
    const r = decode('espi', feed([wrong]));
    expect(r.failures).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      `IntervalBlock ${BASE}/UsagePoint/UP-1/MeterReading/01/IntervalBlock/1: covers 24 h but local day 2026-03-08 has 23 h by the feed's LocalTimeParameters`,
    ]);
    expect(r.blocks[0]!.starts.length).toBe(96);
    expect(Number.isNaN(r.blocks[0]!.values[10]!)).toBe(true);
  });

  it('powerOfTenMultiplier, reverse flow → export, reactive uom → kvarh; ReadingQuality kept per reading', () => {
    const r = decode('espi', feed([day(JAN5, 24, (i) => (i === 3 ? 8 : 0))], { power: -1, flow: 19 }));
    const b = r.blocks[0]!;
    expect(b.channel).toBe('active_export_kwh');
    expect(b.values[0]).toBe(0.01); // 100 × 10^-1 Wh
    expect(b.espiQuality![3]).toBe(8);
    expect(b.espiQuality![4]).toBe(0);
    expect(r.warnings.map((w) => w.message)).toEqual([
      '1 readings carry an ESPI ReadingQuality other than valid (0): kept per reading (espiQuality), shown by smt validate',
    ]);
    expect(decode('espi', feed([day(JAN5, 24)], { uom: 73 })).blocks[0]!.channel).toBe(
      'reactive_import_kvarh',
    );
    const gas = decode('espi', feed([day(JAN5, 24)], { uom: 169 }));
    expect(gas.blocks).toEqual([]);
    expect(gas.warnings[0]!.message).toMatch(
      /uom 169, flowDirection 1 is not an energy smt stores .*: 96 readings not read/,
    );
  });

  it('bad input: not XML, a bad number, a reading off the grid, a duplicate — failures with lines, never a throw', () => {
    expect(decode('espi', '<feed><entry>').failures[0]!.message).toMatch(/^not well-formed XML/);
    const bad = feed([day(JAN5, 24)]).replace('<espi:value>105</espi:value>', '<espi:value>1O5</espi:value>');
    const f = decode('espi', bad).failures[0]!;
    expect(f.message).toBe('IntervalReading/value: expected an integer, found "1O5"');
    expect(f.location.line).toBeGreaterThan(10);
    const off = day(JAN5, 24);
    off.readings[2]!.start += 60;
    expect(decode('espi', feed([off])).failures[0]!.message).toMatch(
      /is not one 15-minute interval of its block/,
    );
    const dup = day(JAN5, 24);
    dup.readings[3]!.start = dup.readings[2]!.start;
    expect(decode('espi', feed([dup])).failures[0]!.message).toMatch(/appears twice in its block/);
    const xml = feed([day(JAN5, 24)]);
    for (let k = 0; k < xml.length; k += 97) expect(() => decode('espi', xml.slice(0, k))).not.toThrow();
  });
});
