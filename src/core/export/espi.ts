/**
 * Green Button: a NAESB ESPI (REQ.21) Atom feed of interval data. Per meter one UsagePoint entry
 * (ServiceCategory 0, electricity), per energy channel one MeterReading with its ReadingType and one
 * IntervalBlock per local day; IntervalReading elements carry `value`, `timePeriod` and the
 * reading's ReadingQuality (quality-espi.ts). Missing intervals are left out (ESPI has no null).
 *
 * Exact values: ESPI values are integers in `uom` × 10^powerOfTenMultiplier. The multiplier is the
 * largest of 3, 0, -3, -6 (kWh, Wh, mWh, µWh) at which every value of the channel is an integer, and
 * the integer is built from the value's decimal digits, never by floating-point multiplication.
 * A value with more than 9 decimals (beyond µWh) is refused rather than rounded.
 *
 * Times are UTC epoch seconds as ESPI requires. LocalTimeParameters (the DST rule bit fields) are
 * not written; consumers place readings by those seconds.
 */
import { createHash } from 'node:crypto';
import { InvalidDataError } from '../errors.js';
import { unpackQuality } from '../readings/quality.js';
import { toEspi } from '../readings/quality-espi.js';
import type { SeriesDay } from '../series/day.js';
import { intervalStartAt } from '../series/day.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const ESPI = 'http://naesb.org/espi';

/** ReadingType per channel (ESPI enumerations): kind 12 energy, uom 72 Wh, flow 1 forward / 19 reverse. */
const READING_TYPES: Readonly<Record<string, { flowDirection: number; title: string }>> = {
  active_import_kwh: { flowDirection: 1, title: 'Energy delivered (kWh)' },
  active_export_kwh: { flowDirection: 19, title: 'Energy received (kWh)' },
};

export function espiChannels(): string[] {
  return Object.keys(READING_TYPES);
}

/** Decimal digits and exponent of a finite number, from its shortest round-trip string. */
function decimalParts(v: number): { digits: bigint; scale: number } {
  const s = String(Math.abs(v));
  const [mant, expPart] = s.split('e') as [string, string | undefined];
  const [int, frac = ''] = mant.split('.') as [string, string | undefined];
  const exp = expPart === undefined ? 0 : Number(expPart);
  const digits = BigInt(`${int}${frac}`) * (v < 0 ? -1n : 1n);
  return { digits, scale: frac.length - exp };
}

/** value × 10^k as an exact integer string (k ≥ scale of the value). */
function scaled(v: number, k: number): string {
  const { digits, scale } = decimalParts(v);
  if (scale > k) throw new Error(`value ${v} has more decimals than 10^-${k}`);
  return (digits * 10n ** BigInt(k - scale)).toString();
}

/** powerOfTenMultiplier for Wh values so that every kWh value is an exact integer. */
export function multiplierFor(values: Iterable<number>): number {
  let decimals = 0;
  for (const v of values) decimals = Math.max(decimals, decimalParts(v).scale);
  for (const p of [3, 0, -3, -6]) if (3 - p >= decimals) return p;
  throw new InvalidDataError(
    `a value has ${decimals} decimals of kWh; ESPI integers reach µWh (9 decimals)`,
    {
      code: 'NOT_EXPRESSIBLE',
      hint: 'Export it as csv, which keeps every digit.',
    },
  );
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function uuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function entry(
  id: string,
  self: string,
  related: string[],
  title: string,
  updated: string,
  content: string,
): string {
  return [
    '  <entry>',
    `    <id>${id}</id>`,
    `    <link rel="self" href="${xml(self)}"/>`,
    ...related.map((r) => `    <link rel="related" href="${xml(r)}"/>`),
    `    <title>${xml(title)}</title>`,
    `    <content>${content}</content>`,
    `    <published>${updated}</published>`,
    `    <updated>${updated}</updated>`,
    '  </entry>',
  ].join('\n');
}

export interface EspiMeter {
  meterId: string;
  /** current days of the export range, any channels */
  days: readonly SeriesDay[];
}

export interface EspiResult {
  xml: string;
  readings: number;
  /** channels left out: not energy, ESPI ReadingType unmapped */
  skippedChannels: string[];
}

export function encodeGreenButton(meters: readonly EspiMeter[]): EspiResult {
  let newest = 0;
  for (const m of meters) for (const d of m.days) newest = Math.max(newest, d.writtenAt);
  const updated = iso(newest);
  const entries: string[] = [];
  const skipped = new Set<string>();
  let readings = 0;
  meters.forEach((m, mi) => {
    const up = `RetailCustomer/1/UsagePoint/${mi + 1}`;
    entries.push(
      entry(
        uuid('UsagePoint', m.meterId),
        up,
        [`${up}/MeterReading`],
        m.meterId,
        updated,
        `<UsagePoint xmlns="${ESPI}"><ServiceCategory><kind>0</kind></ServiceCategory></UsagePoint>`,
      ),
    );
    const channels = [...new Set(m.days.map((d) => d.channel))].sort();
    channels.forEach((channel, ci) => {
      const rt = READING_TYPES[channel];
      if (!rt) {
        skipped.add(channel);
        return;
      }
      const days = m.days.filter((d) => d.channel === channel).sort((a, b) => a.dayStart - b.dayStart);
      const values: number[] = [];
      for (const d of days) for (const v of d.values) if (!Number.isNaN(v)) values.push(v);
      const p = multiplierFor(values);
      const interval = days[0]!.intervalMinutes * 60;
      const mr = `${up}/MeterReading/${ci + 1}`;
      const rtRef = `ReadingType/${mi + 1}-${ci + 1}`;
      entries.push(
        entry(
          uuid('MeterReading', m.meterId, channel),
          mr,
          [`${mr}/IntervalBlock`, rtRef],
          `${m.meterId} ${channel}`,
          updated,
          `<MeterReading xmlns="${ESPI}"/>`,
        ),
      );
      entries.push(
        entry(
          uuid('ReadingType', m.meterId, channel),
          rtRef,
          [],
          rt.title,
          updated,
          `<ReadingType xmlns="${ESPI}"><accumulationBehaviour>4</accumulationBehaviour><commodity>1</commodity>` +
            `<dataQualifier>12</dataQualifier><flowDirection>${rt.flowDirection}</flowDirection>` +
            `<intervalLength>${interval}</intervalLength><kind>12</kind><phase>769</phase>` +
            `<powerOfTenMultiplier>${p}</powerOfTenMultiplier><timeAttribute>0</timeAttribute><uom>72</uom></ReadingType>`,
        ),
      );
      const blocks: string[] = [];
      for (const d of days) {
        const step = d.intervalMinutes * 60;
        const lines: string[] = [];
        for (let i = 0; i < d.values.length; i++) {
          const v = d.values[i]!;
          if (Number.isNaN(v)) continue;
          const q = toEspi(unpackQuality(d.quality[i]!));
          const start = intervalStartAt(d, i) / 1000;
          lines.push(
            `<IntervalReading>${q === undefined ? '' : `<ReadingQuality><quality>${q}</quality></ReadingQuality>`}` +
              `<timePeriod><duration>${step}</duration><start>${start}</start></timePeriod><value>${scaled(v, 3 - p)}</value></IntervalReading>`,
          );
          readings++;
        }
        if (lines.length === 0) continue;
        blocks.push(
          `<IntervalBlock xmlns="${ESPI}"><interval><duration>${d.values.length * step}</duration><start>${d.dayStart / 1000}</start></interval>\n      ${lines.join('\n      ')}\n    </IntervalBlock>`,
        );
      }
      blocks.forEach((b, bi) => {
        entries.push(
          entry(
            uuid('IntervalBlock', m.meterId, channel, String(bi)),
            `${mr}/IntervalBlock/${bi + 1}`,
            [],
            `${m.meterId} ${channel} day ${bi + 1}`,
            updated,
            b,
          ),
        );
      });
    });
  });
  const feedId = uuid('feed', ...meters.map((m) => m.meterId));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<feed xmlns="${ATOM}" xmlns:espi="${ESPI}">`,
    `  <id>${feedId}</id>`,
    '  <title>smt Green Button export</title>',
    `  <updated>${updated}</updated>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
  return { xml: out, readings, skippedChannels: [...skipped].sort() };
}
