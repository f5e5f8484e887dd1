import { describe, expect, it } from 'vitest';
import { fromRow, toRow } from '../../src/core/cassandra/series-row.js';
import type { ReadingBlock } from '../../src/core/readings/block.js';
import { Origin, originOf, stateOf, ValidationState } from '../../src/core/readings/quality.js';
import { isLateDataEvent, isRejectedLetter, isValidatedMessage } from '../../src/core/series/contracts.js';
import { dayKey, emptyDay, positionOf, type SeriesDay, writeAt } from '../../src/core/series/day.js';
import {
  ingestWriter,
  type PlanInput,
  planWrite,
  touchedDays,
  type WritePlan,
  type WriteUnit,
} from '../../src/core/series/planner.js';
import type { ClosedDay, RegisteredMeter } from '../../src/core/series/ports.js';
import { ValidationColumns } from '../../src/core/vee/engine.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { meterDay } from '../helpers/blocks.js';

const ZONE = 'Europe/Stockholm';
const NOW = Date.UTC(2026, 9, 30, 12);
const meters = new Map<string, RegisteredMeter>(
  ['M1', 'M2', 'M3'].map((id) => [
    id,
    {
      meterId: id,
      timezone: ZONE,
      intervalMinutes: 15,
      regionId: 'SE3',
      segment: 'residential',
      tariffId: 'T1',
      // M3's registry entry declares its channels
      ...(id === 'M3' ? { channelSet: new Set(['active_import_kwh', 'reactive_q1_kvarh']) } : {}),
    },
  ]),
);

/** A unit of blocks, every reading Passed unless `failed` says otherwise. */
function unit(source: string, blocks: ReadingBlock[], failed: Record<number, number> = {}): WriteUnit {
  const offsets = new Uint32Array(blocks.length + 1);
  for (let k = 0; k < blocks.length; k++) offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
  const columns = ValidationColumns.allocate(offsets[blocks.length]!);
  columns.states.fill(ValidationState.Passed);
  for (const [i, mask] of Object.entries(failed)) {
    columns.states[Number(i)] = ValidationState.Failed;
    columns.ruleMask[Number(i)] = mask;
  }
  return {
    source,
    sourceRef: null,
    key: blocks[0]?.meterId ?? null,
    format: 'json',
    payload: Buffer.from(source),
    receivedAt: NOW,
    reject: null,
    blocks,
    columns,
    offsets,
  };
}

function plan(units: WriteUnit[], stored: SeriesDay[] = [], closed: [string, ClosedDay[]][] = []): WritePlan {
  const input: PlanInput = {
    writer: ingestWriter('g'),
    units,
    meters,
    fallbackZone: ZONE,
    stored: new Map(stored.map((d) => [dayKey(d.meterId, d.channel, d.day), d])),
    closed: new Map(closed),
    now: NOW,
    lastVersion: 0,
  };
  return planWrite(input);
}

describe('series planner', () => {
  it('rejects readings of a channel the registry does not declare for the meter, as registry.channel', () => {
    const own = { ...meterDay('M3', '2026-10-20', ZONE, () => 0.5), channel: 'reactive_q1_kvarh' };
    const other = { ...meterDay('M3', '2026-10-20', ZONE, () => 0.5), channel: 'reactive_q2_kvarh' };
    const undeclaredElsewhere = {
      ...meterDay('M1', '2026-10-20', ZONE, () => 0.5),
      channel: 'reactive_q2_kvarh',
    };
    const p = plan([unit('t/0/1', [own, other]), unit('t/0/2', [undeclaredElsewhere])]);
    expect(p.outcome.stored).toBe(96 + 96);
    expect(p.outcome.rejected).toBe(96);
    expect(p.outcome.rejectsByReason).toEqual({ 'registry.channel': 96 });
    expect(p.days.map((d) => [d.meterId, d.channel])).toEqual([
      ['M3', 'reactive_q1_kvarh'],
      ['M1', 'reactive_q2_kvarh'],
    ]);
    const letter = p.messages.rejected[0]!.value as { channel: string; readings: { rules: string[] }[] };
    expect(letter.channel).toBe('reactive_q2_kvarh');
    expect(letter.readings[0]!.rules).toEqual(['registry.channel']);
  });

  it('lays a DST day out in 92 and 100 positions and stores every reading once', () => {
    const spring = meterDay('M1', '2026-03-29', ZONE, (i) => i / 100);
    const fall = meterDay('M1', '2026-10-25', ZONE, (i) => i / 100);
    const p = plan([unit('t/0/1', [spring]), unit('t/0/2', [fall])]);
    expect(p.days.map((d) => [d.day, d.values.length])).toEqual([
      ['2026-03-29', 92],
      ['2026-10-25', 100],
    ]);
    expect(p.outcome.stored).toBe(192);
    expect(p.changes.map((c) => c.positions.length)).toEqual([92, 100]);
    expect(p.days[1]!.values[99]).toBe(0.99);
    expect(p.counts).toEqual([
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        localDate: '2026-03-29',
        received: 92,
        rejected: 0,
        late: 0,
      },
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        localDate: '2026-10-25',
        received: 100,
        rejected: 0,
        late: 0,
      },
    ]);
    expect(p.raw.map((r) => [r.source, r.day, r.readings])).toEqual([
      ['t/0/1', '2026-03-29', 92],
      ['t/0/2', '2026-10-25', 100],
    ]);
    for (const m of p.messages.validated) expect(isValidatedMessage(m.value)).toBe(true);
  });

  it('buckets every reading: missing, rejected, duplicate, new version', () => {
    const first = meterDay('M1', '2026-03-28', ZONE, () => 0.25);
    const stored = plan([unit('t/0/1', [first])]).days[0]!;
    const again = meterDay('M1', '2026-03-28', ZONE, (i) => (i === 0 ? Number.NaN : i === 1 ? 0.5 : 0.25));
    const p = plan([unit('t/0/9', [again], { 2: 1 << RuleId.LimitsNegative })], [stored]);
    expect(p.outcome).toMatchObject({
      readings: 96,
      missing: 1,
      rejected: 1,
      duplicates: 93,
      newVersions: 1,
      stored: 1,
    });
    expect(p.outcome.rejectsByReason).toEqual({ 'limits.negative': 1 });
    // received: the rejected and the new value; the 93 re-delivered values are not received again
    expect(p.counts.map((c) => [c.received, c.rejected])).toEqual([[2, 1]]);
    const day = p.days[0]!;
    expect(day.supersedes).toBe(stored.version);
    expect(day.version).toBeGreaterThan(stored.version);
    expect(day.values[1]).toBe(0.5);
    expect(writeAt(day, 1)).toEqual({ version: day.version, source: 't/0/9' });
    expect(writeAt(day, 3)).toEqual({ version: stored.version, source: 't/0/1' });
    // the stored state given to the planner is not changed
    expect(stored.values[1]).toBe(0.25);
    const [letter] = p.messages.rejected;
    expect(isRejectedLetter(letter!.value)).toBe(true);
    expect(letter!.value).toMatchObject({
      kind: 'readings',
      readings: [{ start: again.starts[2], value: 0.25, rules: ['limits.negative'] }],
    });
  });

  it('a retry of the unit that wrote the day is stored, not duplicated, and writes nothing new', () => {
    const b = meterDay('M1', '2026-03-28', ZONE, () => 0.25);
    const stored = plan([unit('t/0/1', [b])]).days[0]!;
    const p = plan([unit('t/0/1', [b])], [stored]);
    expect(p.outcome).toMatchObject({ stored: 96, duplicates: 0, newVersions: 0 });
    expect(p.days).toEqual([]);
    expect(p.changes).toEqual([]);
    expect(p.counts[0]!.received).toBe(96);
  });

  it('of two versions in one plan the later wins, as one row per reading for analytics', () => {
    const v1 = meterDay('M2', '2026-03-28', ZONE, (i) => (i === 7 ? 0.55 : 0.1));
    const v2 = meterDay('M2', '2026-03-28', ZONE, (i) => (i === 7 ? 0.44 : 0.1));
    const p = plan([unit('t/0/1', [v1]), unit('t/0/2', [v2])]);
    expect(p.outcome).toMatchObject({ stored: 97, duplicates: 95, newVersions: 1 });
    expect(p.days).toHaveLength(1);
    expect(p.days[0]!.values[7]).toBe(0.44);
    expect(p.changes[0]!.positions).toHaveLength(96);
  });

  it('versions rise above the stored version even when the clock is behind it', () => {
    const b = meterDay('M1', '2026-03-28', ZONE, () => 0.25);
    const ahead = { ...plan([unit('t/0/1', [b])]).days[0]! };
    ahead.version = NOW * 1000 + 5_000_000_000; // written by a clock far ahead
    const p = plan([unit('t/0/2', [meterDay('M1', '2026-03-28', ZONE, () => 0.3)])], [ahead]);
    expect(p.days[0]!.version).toBe(ahead.version + 1);
    expect(p.lastVersion).toBe(ahead.version + 1);
  });

  it('dead-letters a unit for an unregistered meter and archives it', () => {
    const p = plan([unit('t/0/1', [meterDay('NOPE', '2026-03-28', ZONE, () => 0.1)])]);
    expect(p.outcome).toMatchObject({ deadLetteredMessages: 1, deadLetteredReadings: 96, stored: 0 });
    expect(p.outcome.rejectsByReason).toEqual({ 'registry.unknown': 96 });
    expect(p.raw).toHaveLength(1);
    expect(p.messages.rejected[0]!.value).toMatchObject({ kind: 'message', rule: 'registry.unknown' });
    expect(touchedDays([unit('t/0/1', [meterDay('NOPE', '2026-03-28', ZONE, () => 0.1)])], meters)).toEqual(
      [],
    );
  });

  it('rejects readings off the day grid instead of storing them elsewhere', () => {
    const b = meterDay('M1', '2026-03-28', ZONE, () => 0.1);
    b.starts[3] = b.starts[3]! + 60_000;
    const p = plan([unit('t/0/1', [b])]);
    expect(p.outcome).toMatchObject({ stored: 95, rejected: 1 });
    expect(p.outcome.rejectsByReason).toEqual({ 'series.alignment': 1 });
  });

  it('raises late data for stored readings on a billed day', () => {
    const b = meterDay('M1', '2026-03-20', ZONE, () => 0.1);
    const p = plan(
      [unit('t/0/1', [b])],
      [],
      [[dayKey('M1', 'active_import_kwh', '2026-03-20'), [{ kind: 'billed_period', periodId: 7 }]]],
    );
    expect(p.late).toEqual([
      {
        meterId: 'M1',
        channel: 'active_import_kwh',
        localDate: '2026-03-20',
        kind: 'billed_period',
        periodId: 7,
        readings: 96,
      },
    ]);
    expect(p.messages.events).toHaveLength(1);
    expect(isLateDataEvent(p.messages.events[0]!.value)).toBe(true);
  });

  it('stores any number of rules per reading by key, and quality with origin and state', () => {
    const b = meterDay('M1', '2026-03-28', ZONE, () => 0.1);
    const u = unit('t/0/1', [b]);
    u.columns!.states[4] = ValidationState.Accepted;
    u.columns!.ruleMask[4] = (1 << RuleId.StatusClockAdjusted) | (1 << RuleId.LimitsMaxEnergy);
    const day = plan([u]).days[0]!;
    expect([...day.rules.get(4)!].sort()).toEqual(['limits.max_energy', 'status.clock_adjusted']);
    expect(stateOf(day.quality[4]!)).toBe(ValidationState.Accepted);
    expect(originOf(day.quality[4]!)).toBe(Origin.Actual);
    // 40 rules on one reading survive the row layout
    const many = Array.from({ length: 40 }, (_, i) => `rule.custom_${i}`);
    day.rules.set(5, many);
    expect(fromRow(toRow(day)).rules.get(5)).toEqual(many);
  });
});

describe('series row layout', () => {
  it('round-trips a day through the Cassandra row, dropping writes no position uses', () => {
    const d = emptyDay({ meterId: 'M1', channel: 'active_import_kwh', day: '2026-10-25' }, ZONE, 15);
    d.values[0] = 1.5;
    d.values[99] = 5e-324; // the smallest denormal survives bit for bit
    d.status[99] = 0x80000001;
    d.writes.push({ version: 1, source: 'gone' }, { version: 2, source: 'a' });
    d.writeIdx[0] = 1;
    d.writeIdx[99] = 1;
    d.version = 2;
    const back = fromRow(toRow(d));
    expect(back.values.length).toBe(100);
    expect(back.values[0]).toBe(1.5);
    expect(back.values[99]).toBe(5e-324);
    expect(Number.isNaN(back.values[50]!)).toBe(true);
    expect(back.status[99]).toBe(0x80000001);
    expect(back.writes).toEqual([{ version: 2, source: 'a' }]);
    expect(writeAt(back, 99)).toEqual({ version: 2, source: 'a' });
    expect(toRow(emptyDay(d, ZONE, 15)).status).toBe(null);
    expect(positionOf(back, back.dayStart + 15 * 60_000)).toBe(1);
  });
});
