import { describe, expect, it } from 'vitest';
import { decode } from '../../src/core/codecs/index.js';
import { isRejectedLetter } from '../../src/core/series/contracts.js';
import { ingestWriter, planWrite, type WriteUnit } from '../../src/core/series/planner.js';
import type { RegisteredMeter } from '../../src/core/series/ports.js';
import { planRegisterReads, registerReadKey } from '../../src/core/series/register-reads.js';
import { ValidationColumns } from '../../src/core/vee/engine.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { meterDay } from '../helpers/blocks.js';

const ZONE = 'Europe/Stockholm';
const NOW = Date.UTC(2026, 10, 1, 12);
const meters = new Map<string, RegisteredMeter>([
  [
    'M1',
    {
      meterId: 'M1',
      timezone: ZONE,
      intervalMinutes: 15,
      regionId: 'SE3',
      segment: 'residential',
      tariffId: 'T1',
    },
  ],
]);
const values48 = Array.from({ length: 48 }, () => '0.1').join(',');
const aest = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) - 10 * 3_600_000;

function unit(extra: Partial<WriteUnit>, blocks = extra.blocks ?? []): WriteUnit {
  const n = blocks.reduce((s, b) => s + b.starts.length, 0);
  const offsets = new Uint32Array(blocks.length + 1);
  for (let k = 0; k < blocks.length; k++) offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
  const columns = ValidationColumns.allocate(n);
  columns.states.fill(1);
  return {
    source: 't/0/1',
    sourceRef: { topic: 't', partition: 0, offset: '1' },
    key: 'M1',
    format: 'nem12',
    payload: Buffer.from('x'),
    receivedAt: NOW,
    reject: null,
    blocks,
    columns,
    offsets,
    ...extra,
  };
}

const plan = (units: WriteUnit[]) =>
  planWrite({
    writer: ingestWriter('g'),
    units,
    meters,
    fallbackZone: ZONE,
    stored: new Map(),
    closed: new Map(),
    now: NOW,
    lastVersion: 0,
  });

describe('NEM12 drops carry where and which intervals', () => {
  it('each dropped record: reason, line, record, meter, channel, market-day range and the failure', () => {
    const text = [
      '100,NEM12,202601150000,MDP,RET',
      '200,NCDE001111,E1,1,E1,N1,,kWh,30,',
      `300,20260110,${values48},A,,,20260115000000,`,
      `300,20260111,${values48.replace('0.1,', 'x,')},A,,,20260115000000,`,
      '200,NCDE001111,E1Q1,1,Q1,N2,,,30,',
      `300,20260110,${values48},A,,,20260115000000,`,
      '900',
    ].join('\n');
    const r = decode('nem12', text);
    expect(r.dropped).toEqual({
      'invalid 300 record': 48,
      'blank unit of measure on a stream that is not active energy': 48,
    });
    expect(r.drops).toEqual([
      {
        reason: 'invalid 300 record',
        readings: 48,
        location: { line: 4, record: '300' },
        message: 'IntervalValue1: expected a decimal number, found "x"',
        meterId: 'NCDE001111E1',
        channel: 'active_import_kwh',
        intervalMinutes: 30,
        from: aest(2026, 1, 11),
        to: aest(2026, 1, 12),
      },
      {
        reason: 'blank unit of measure on a stream that is not active energy',
        readings: 48,
        location: { line: 6, record: '300' },
        message: 'its 200 record: UOM is blank on data stream Q1, whose unit cannot be told',
        meterId: 'NCDE001111Q1',
        intervalMinutes: 30,
        from: aest(2026, 1, 10),
        to: aest(2026, 1, 11),
      },
    ]);
  });
});

describe('planner: readings not stored, per meter-day and reason', () => {
  it('rule rejects on the 100-interval fall-back day, decoder drops and a dead-lettered message', () => {
    const fallBack = meterDay('M1', '2026-10-25', ZONE, (i) => (i < 3 ? -1 : 0.2));
    expect(fallBack.starts.length).toBe(100);
    const ok = unit({ blocks: [fallBack] });
    ok.columns!.states.fill(2, 0, 3); // Failed
    ok.columns!.ruleMask.fill(1 << RuleId.LimitsNegative, 0, 3);
    const drop = {
      reason: 'no channel for the data stream',
      readings: 96,
      location: { line: 3, record: '300' },
      message: 'its 200 record: …',
      meterId: 'M1N1',
      from: Date.UTC(2026, 9, 26, 23),
    };
    const withDrop = unit({ source: 't/0/2', key: 'M1N1', drops: [drop] });
    const dead = unit({
      source: 't/0/3',
      reject: { rule: 'decode', reason: 'bad' },
      columns: null,
      blocks: [meterDay('M1', '2026-10-24', ZONE, () => 0.1)],
    });
    const p = plan([ok, withDrop, dead]);
    expect(p.outcome).toMatchObject({ stored: 97, rejected: 3, dropped: 96, deadLetteredReadings: 96 });
    expect(p.outcome.rejectsByReason).toEqual({ 'limits.negative': 3, 'decode.dropped': 96, decode: 96 });
    expect(p.rejects).toEqual([
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        localDate: '2026-10-25',
        rule: 'limits.negative',
        detail: '',
        readings: 3,
      },
      {
        meterId: 'M1N1',
        channel: '',
        localDate: '2026-10-27',
        rule: 'decode.dropped',
        detail: 'no channel for the data stream',
        readings: 96,
      },
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        localDate: '2026-10-24',
        rule: 'decode',
        detail: '',
        readings: 96,
      },
    ]);
    const letters = p.messages.rejected.map((m) => m.value);
    for (const l of letters) expect(isRejectedLetter(l)).toBe(true);
    expect(letters.map((l) => l.kind)).toEqual(['readings', 'dropped', 'message']);
  });
});

describe('register read plan', () => {
  const read = (at: number, value: number) => ({
    value,
    at,
    flag: 65,
    method: -1,
    reason: -1,
    description: '',
  });
  const period = (a: number, z: number, q: number) => ({
    meterId: 'M1',
    channel: 'register_import_kwh',
    unit: 'kWh',
    previous: read(a, 100),
    current: read(z, 100 + q),
    quantity: q,
    derived: q,
    line: 2,
  });
  it('a read is new, a duplicate, or a new version above the stored one', () => {
    const first = planRegisterReads([period(1000, 2000, 5)], new Map(), 's1', 10, NOW);
    expect(first.rows.map((r) => [r.at, r.value, r.periodStart, r.quantity, r.version])).toEqual([
      [1000, 100, null, null, 10],
      [2000, 105, 1000, 5, 10],
    ]);
    const stored = new Map(first.rows.map((r) => [registerReadKey(r), { ...r, version: 50 }]));
    const same = planRegisterReads([period(1000, 2000, 5)], stored, 's2', 20, NOW);
    expect([same.rows.length, same.duplicates]).toEqual([0, 2]);
    const corrected = planRegisterReads([period(1000, 2000, 6)], stored, 's3', 20, NOW);
    expect(corrected.rows.map((r) => [r.at, r.value, r.version])).toEqual([[2000, 106, 51]]);
    expect([corrected.newVersions, corrected.duplicates]).toEqual([1, 1]);
  });
});
