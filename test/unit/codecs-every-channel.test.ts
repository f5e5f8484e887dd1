/**
 * Every decoder emits every channel it finds (reactive energy in the four quadrants, apparent
 * energy, demand, several registers, voltage and current per phase) instead of skipping it.
 * NEM12 has its own cases in codecs-nem12-tolerant.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type DlmsCaptureObject, decode, encode } from '../../src/core/codecs/index.js';
import { channelSpec } from '../../src/core/readings/channel.js';
import { block } from './codecs-fixtures.js';

const START = Date.UTC(2026, 2, 10);
/** written as a payload might name them → canonical id */
const CHANNELS: Array<[string, string]> = [
  ['active_import_kwh', 'active_import_kwh'],
  ['1-0:2.29.0', 'active_export_kwh'],
  ['reactive_q1_kvarh', 'reactive_q1_kvarh'],
  ['reactive_q2_kvarh', 'reactive_q2_kvarh'],
  ['1-0:7.29.0', 'reactive_q3_kvarh'],
  ['1.0.8.29.0.255', 'reactive_q4_kvarh'],
  ['apparent_import_kvah', 'apparent_import_kvah'],
  ['demand_import_kw', 'demand_import_kw'],
  ['register_import_t1_kwh', 'register_import_t1_kwh'],
  ['register_import_t2_kwh', 'register_import_t2_kwh'],
  ['1-0:3.8.1', 'obis:1-0:3.8.1'],
  ['voltage_l1_v', 'voltage_l1_v'],
  ['1-0:52.7.0', 'voltage_l2_v'],
  ['voltage_l3_v', 'voltage_l3_v'],
  ['current_l1_a', 'current_l1_a'],
  ['1-0:51.7.0', 'current_l2_a'],
  ['nem12:E2', 'nem12:E2'],
];

describe('JSON and CSV: a block or row per channel, any channel the catalogue or OBIS types', () => {
  it('JSON: one block per channel, none skipped', () => {
    const text = CHANNELS.map(
      ([written], i) =>
        `{"v":1,"meter":"M1","channel":"${written}","interval":15,"start":"2026-03-10T00:00:00Z","values":[${i},${i + 0.5}]}`,
    ).join('\n');
    const r = decode('json', text);
    expect(r.failures).toEqual([]);
    expect(r.warnings).toEqual([]);
    // (interval columns also carry the encoder's baseline entry: one missing reading before the first)
    expect(r.blocks.map((b) => [b.channel, Array.from(b.values).slice(-4)])).toEqual(
      CHANNELS.map(([, id], i) => [id, [i, i + 0.5]]),
    );
  });

  it('CSV: one block per channel column value, none skipped', () => {
    const rows = CHANNELS.map(([written], i) => `M1,${written},2026-03-10T00:00:00Z,15,${i}`);
    const r = decode('csv', `meter_id,channel,interval_start,interval_minutes,value\n${rows.join('\n')}\n`);
    expect(r.failures).toEqual([]);
    expect(r.blocks.map((b) => [b.channel, b.values[0]])).toEqual(CHANNELS.map(([, id], i) => [id, i]));
  });
});

describe('DLMS: capture objects without a configured channel feed the channel their OBIS code names', () => {
  const objects: DlmsCaptureObject[] = [
    { obis: '0.0.1.0.0.255', classId: 8, attribute: 2 },
    { obis: '1.0.1.8.0.255', classId: 3, attribute: 2, unit: 30 }, // Wh register → active import per interval
    { obis: '1.0.3.8.0.255', classId: 3, attribute: 2, unit: 32 }, // varh register → reactive import
    { obis: '1.0.1.8.1.255', classId: 3, attribute: 2, unit: 30 }, // tariff 1 register
    { obis: '1.0.32.7.0.255', classId: 3, attribute: 2, unit: 35 }, // voltage L1
    { obis: '1.0.31.7.0.255', classId: 3, attribute: 2, unit: 33 }, // current L1
    { obis: '1.0.72.7.0.255', classId: 3, attribute: 2 }, // voltage L3 without a unit
  ];
  const channels = [
    'active_import_kwh',
    'reactive_import_kvarh',
    'obis:1-0:1.29.1',
    'voltage_l1_v',
    'current_l1_a',
    'voltage_l3_v',
  ];
  const withChannels = objects.map((o, i) =>
    i === 0 ? o : { ...o, channel: channels[i - 1]!, unit: o.unit ?? 35 },
  );
  const blocks = channels.map((c, i) =>
    block({ meterId: 'M9', channel: c, start: START, values: [i + 1, i + 2, i + 3, i + 4] }),
  );
  const profile = { capturePeriodSeconds: 900, captureObjects: withChannels };
  const buf = encode('dlms', blocks, { dlms: { profile } }) as Uint8Array;

  it('decodes every column with a unit, in its channel unit; a column without one is skipped with a warning', () => {
    const r = decode('dlms', buf, {
      meterId: 'M9',
      dlms: { capturePeriodSeconds: 900, captureObjects: objects },
    });
    expect(r.failures).toEqual([]);
    // (interval columns also carry the encoder's baseline entry: one missing reading before the first)
    expect(r.blocks.map((b) => [b.channel, Array.from(b.values).slice(-4)])).toEqual(
      channels.slice(0, 5).map((c, i) => [c, [i + 1, i + 2, i + 3, i + 4]]),
    );
    expect(r.blocks.map((b) => channelSpec(b.channel).unit)).toEqual(['kWh', 'kvarh', 'kWh', 'V', 'A']);
    expect(r.warnings.map((w) => [w.code, w.location.field])).toEqual([
      ['DLMS_NO_UNIT', 'dlms.captureObjects[6].unit'],
    ]);
  });
});
