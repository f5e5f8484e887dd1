/**
 * One decode + validate path: the same messages through the in-thread stage and the pool stage
 * (real piscina workers, started from the .ts source with --import tsx) give identical results,
 * and each VEE rule is evaluated once per reading from the raw message to the stored reading.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { encode, type WireFormat } from '../../src/core/codecs/index.js';
import {
  type DecodedMessage,
  type DecodeStage,
  inThreadDecodeStage,
} from '../../src/core/ingest/decode-stage.js';
import { type IngestPorts, processPartitionBatch } from '../../src/core/ingest/pipeline.js';
import { poolDecodeStage } from '../../src/core/ingest/pool-decode-stage.js';
import type { ConsumedMessage } from '../../src/core/kafka/messages.js';
import { serializeRuleSet } from '../../src/core/pool/decode-validate-wire.js';
import { packMessages } from '../../src/core/pool/messages.js';
import type { ReadingBlock } from '../../src/core/readings/block.js';
import { ValidationState } from '../../src/core/readings/quality.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { readingsIn, type SeriesDay } from '../../src/core/series/day.js';
import { CONTEXT_RULES } from '../../src/core/vee/compile.js';
import { type MeterSnapshot, registrySnapshot, type ValidationContext } from '../../src/core/vee/context.js';
import { VeeEngine } from '../../src/core/vee/engine.js';
import { loadDefaultRuleSet } from '../../src/core/vee/rule-set.js';
import { RULE_SLOTS, RuleId, ruleKey, rulesInMask } from '../../src/core/vee/rules.js';
import { decodeAndValidate } from '../../src/workers/decode-validate.js';
import { meterDay } from '../helpers/blocks.js';

const ZONE = 'Europe/Stockholm';
const DATE = '2026-03-10';
/** 2026-03-10 00:00 in market time (AEST, +10:00): a NEM12 day */
const NEM12_DAY = Date.UTC(2026, 2, 9, 14);
const NOW = Date.UTC(2026, 2, 12, 12);
const NMI = 'NCDE001111E1';

const ruleSet = loadDefaultRuleSet();

function meter(meterId: string, over: Partial<Meter> = {}): Meter {
  return {
    meterId,
    accountId: `A-${meterId}`,
    tariffId: 'T-FLAT',
    regionId: 'SE3',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 15,
    status: 'active',
    ratedKw: null,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
    ...over,
  };
}

const METERS: Meter[] = [
  meter('DP-1'),
  meter('DP-2'),
  meter('DP-3'),
  meter(NMI, { timezone: 'Australia/Brisbane' }),
  meter('DP-INACT', { status: 'inactive' }),
  // 10 kWh a quarter-hour fails limits.max_energy at the base rating (17.25 kW), passes at commercial's 100 kW
  meter('DP-COM', { segment: 'commercial' }),
  meter('DP-30', { intervalMinutes: 30 }),
  meter('DP-DLMS-TZ', { timezone: 'Asia/Kolkata' }),
];
const registry = registrySnapshot(METERS);
const ctx: ValidationContext = { now: NOW, timezone: ZONE, registry };

const day = (id: string, value: (i: number) => number = (i) => 0.1 + (i % 7) / 100): ReadingBlock =>
  meterDay(id, DATE, ZONE, value);

function nem12Day(id: string): ReadingBlock {
  const n = 96;
  return {
    meterId: id,
    channel: 'active_import_kwh',
    intervalMinutes: 15,
    starts: Float64Array.from({ length: n }, (_, i) => NEM12_DAY + i * 900_000),
    values: Float64Array.from({ length: n }, (_, i) => 0.2 + (i % 5) / 100),
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(-1),
    commQuality: Number.NaN,
  };
}

function bytes(format: WireFormat, block: ReadingBlock): Buffer {
  const m = encode(format, [block], { timezone: ZONE });
  return typeof m === 'string' ? Buffer.from(m, 'utf8') : Buffer.from(m);
}

/** A DLMS buffer whose only clock (compact clocks after it) has its deviation "not specified". */
function dlmsWithoutDeviation(block: ReadingBlock): Buffer {
  const b = Buffer.from(encode('dlms', [block], { dlms: { clock: 'null-data' } }) as Uint8Array);
  const clock = b.indexOf(Buffer.from([0x09, 0x0c]));
  b[clock + 2 + 9] = 0x80; // deviation (i16) = 0x8000
  b[clock + 2 + 10] = 0x00;
  return b;
}

let offset = 0;
function msg(key: string | null, value: Buffer | null, format: string | null): ConsumedMessage {
  return {
    topic: 'smt.readings.raw',
    partition: 0,
    offset: String(offset++),
    key,
    value,
    format,
    timestamp: NOW - 3_600_000,
  };
}

interface Case {
  name: string;
  message: ConsumedMessage;
  /** expected reject rule, null = accepted */
  rule: string | null;
  /** accepted: rules that must have fired on some reading */
  fires?: RuleId[];
  /** accepted: meter id of the blocks */
  meterId?: string;
}

const csvMismatch = bytes('csv', day('DP-2'));
const cases: Case[] = [
  {
    name: 'valid JSON',
    message: msg('DP-1', bytes('json', day('DP-1')), 'json'),
    rule: null,
    meterId: 'DP-1',
  },
  { name: 'valid CSV', message: msg('DP-2', bytes('csv', day('DP-2')), 'csv'), rule: null, meterId: 'DP-2' },
  {
    name: 'valid DLMS',
    message: msg('DP-3', bytes('dlms', day('DP-3')), 'dlms'),
    rule: null,
    meterId: 'DP-3',
  },
  {
    name: 'valid NEM12',
    message: msg(NMI, bytes('nem12', nem12Day(NMI)), 'nem12'),
    rule: null,
    meterId: NMI,
  },
  {
    name: 'DLMS clock without deviation: decoded in the meter’s zone',
    message: msg('DP-DLMS-TZ', dlmsWithoutDeviation(day('DP-DLMS-TZ')), 'dlms'),
    rule: null,
    meterId: 'DP-DLMS-TZ',
  },
  {
    name: 'JSON with failed readings (limits.negative)',
    message: msg(
      'DP-1',
      bytes(
        'json',
        day('DP-1', (i) => (i < 3 ? -1 : 0.2)),
      ),
      'json',
    ),
    rule: null,
    fires: [RuleId.LimitsNegative],
  },
  {
    name: 'inactive meter (registry.inactive per reading)',
    message: msg('DP-INACT', bytes('json', day('DP-INACT')), 'json'),
    rule: null,
    fires: [RuleId.RegistryInactive],
  },
  {
    name: 'interval length differs from the registry',
    message: msg('DP-30', bytes('json', day('DP-30')), 'json'),
    rule: null,
    fires: [RuleId.IntervalLength],
  },
  { name: 'empty payload', message: msg('DP-1', Buffer.alloc(0), 'json'), rule: 'message.empty' },
  { name: 'no payload (null value)', message: msg('DP-1', null, 'json'), rule: 'message.empty' },
  {
    name: 'missing format header',
    message: msg('DP-1', bytes('json', day('DP-1')), null),
    rule: 'message.format',
  },
  { name: 'unknown format', message: msg('DP-1', Buffer.from('<xml/>'), 'xml'), rule: 'message.format' },
  {
    name: 'undecodable JSON',
    message: msg('DP-1', Buffer.from('{"v":1,"meter":"DP-1","channel":'), 'json'),
    rule: 'decode',
  },
  { name: 'undecodable DLMS', message: msg('DP-3', Buffer.from([1, 2, 3]), 'dlms'), rule: 'decode' },
  { name: 'undecodable NEM12', message: msg(NMI, Buffer.from('100,NEM12\n'), 'nem12'), rule: 'decode' },
  {
    name: 'key ≠ payload meter (JSON)',
    message: msg('DP-1', bytes('json', day('DP-2')), 'json'),
    rule: 'message.key',
  },
  { name: 'key ≠ payload meter (CSV)', message: msg('DP-1', csvMismatch, 'csv'), rule: 'message.key' },
  {
    name: 'key ≠ payload meter (NEM12)',
    message: msg('NCDE001111E2', bytes('nem12', nem12Day(NMI)), 'nem12'),
    rule: 'message.key',
  },
  {
    name: 'unknown meter',
    message: msg('NOPE', bytes('json', day('NOPE')), 'json'),
    rule: 'registry.unknown',
  },
  {
    name: 'null key: the payload’s meter, with its registry entry (segment)',
    message: msg(
      null,
      bytes(
        'json',
        day('DP-COM', (i) => 10 + (i % 5) / 10),
      ),
      'json',
    ),
    rule: null,
    meterId: 'DP-COM',
  },
  {
    name: 'null key: inactive meter looked up by the payload’s meter id',
    message: msg(null, bytes('json', day('DP-INACT')), 'json'),
    rule: null,
    fires: [RuleId.RegistryInactive],
  },
  {
    name: 'empty key: the payload’s meter (CSV)',
    message: msg('', bytes('csv', day('DP-2')), 'csv'),
    rule: null,
    meterId: 'DP-2',
  },
  { name: 'null key NEM12', message: msg(null, bytes('nem12', nem12Day(NMI)), 'nem12'), rule: null },
  {
    name: 'null key, unknown meter',
    message: msg(null, bytes('json', day('NOPE')), 'json'),
    rule: 'registry.unknown',
  },
  {
    name: 'null key DLMS (the buffer names no meter)',
    message: msg(null, bytes('dlms', day('DP-3')), 'dlms'),
    rule: 'decode',
  },
  { name: 'empty key, empty payload', message: msg('', Buffer.alloc(0), 'json'), rule: 'message.empty' },
];

/** Everything the pipeline reads of a DecodedMessage, per block, as plain data. */
function normalise(d: DecodedMessage) {
  return {
    reject: d.reject,
    validated: d.columns !== null,
    blocks: d.blocks.map((b, k) => {
      const a = d.offsets[k]!;
      const z = d.offsets[k + 1]!;
      return {
        meterId: b.meterId,
        channel: b.channel,
        intervalMinutes: b.intervalMinutes,
        starts: Array.from(b.starts),
        values: Array.from(b.values),
        status: Array.from(b.status),
        sequence: Array.from(b.sequence),
        commQuality: b.commQuality,
        ...(d.columns === null
          ? {}
          : {
              states: Array.from(d.columns.states.subarray(a, z)),
              ruleMask: Array.from(d.columns.ruleMask.subarray(a, z)),
              late: Array.from(d.columns.late.subarray(a, z)),
            }),
      };
    }),
  };
}

const firedRules = (d: DecodedMessage): Set<number> => {
  const s = new Set<number>();
  for (const m of d.columns?.ruleMask ?? []) for (const r of rulesInMask(m)) s.add(r);
  return s;
};

describe('in-thread and pool stages: one decode + validate path', () => {
  const pooled = poolDecodeStage(ruleSet, 1, ZONE);
  const inThread = inThreadDecodeStage(new VeeEngine(ruleSet));
  const messages = cases.map((c) => c.message);
  let here: DecodedMessage[];
  let there: DecodedMessage[];
  let single: DecodedMessage[];

  beforeAll(async () => {
    here = await inThread(messages, ctx);
    there = await pooled.stage(messages, ctx);
    // one message per call too: no result depends on its neighbours in a task
    single = [];
    for (const m of messages) single.push(...(await pooled.stage([m], ctx)));
  });
  afterAll(() => pooled.close());

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const a = here[i]!;
    expect(normalise(there[i]!)).toEqual(normalise(a));
    expect(normalise(single[i]!)).toEqual(normalise(a));
    expect(a.reject?.rule ?? null).toBe(c.rule);
    if (c.rule === null) {
      expect(a.blocks.length).toBeGreaterThan(0);
      expect(a.columns).not.toBeNull();
      for (const b of a.blocks) expect(registry.has(b.meterId)).toBe(true);
      if (c.meterId !== undefined) expect(a.blocks.map((b) => b.meterId)).toContain(c.meterId);
      for (const r of c.fires ?? []) expect([...firedRules(a)].map(ruleKey)).toContain(ruleKey(r));
      // a registered meter is never failed as unknown
      expect(firedRules(a).has(RuleId.RegistryUnknown)).toBe(false);
    }
  });

  it('says why, with the decoder’s message and location', () => {
    const reason = (name: string) => here[cases.findIndex((c) => c.name === name)]!.reject!.reason;
    expect(reason('undecodable JSON')).toMatch(/^JSON syntax error: .*\(line 1, byte \d+\)$/);
    expect(reason('key ≠ payload meter (JSON)')).toBe('message key "DP-1" but payload is for meter "DP-2"');
    expect(reason('key ≠ payload meter (NEM12)')).toBe(
      `message key "NCDE001111E2" but payload is for meter "${NMI}"`,
    );
    expect(reason('unknown meter')).toBe('meter NOPE is not registered');
    expect(reason('null key, unknown meter')).toBe('meter NOPE is not registered');
    expect(reason('null key DLMS (the buffer names no meter)')).toMatch(/carries no meter id/);
    expect(reason('missing format header')).toMatch(/smt-format is missing/);
  });

  it('validates with the meter’s registry entry whether or not the message has a key', () => {
    const com = here[cases.findIndex((c) => c.name.startsWith('null key: the payload'))]!;
    expect(firedRules(com).has(RuleId.LimitsMaxEnergy)).toBe(false); // commercial rating, not the base one
    expect(
      Array.from(com.columns!.states).every(
        (s) => s === ValidationState.Accepted || s === ValidationState.Passed,
      ),
    ).toBe(true);
    const dlms = here[cases.findIndex((c) => c.name.startsWith('DLMS clock without deviation'))]!;
    // wall clock 23:00 of the 9th (UTC wall) read in Asia/Kolkata (+05:30)
    expect(dlms.blocks[0]!.starts[0]).toBe(Date.UTC(2026, 2, 9, 23) - 330 * 60_000);
  });

  it('keeps the decoded blocks of a registry.unknown message (their readings are counted as dead-lettered)', () => {
    const i = cases.findIndex((c) => c.name === 'unknown meter');
    expect(here[i]!.blocks.map((b) => b.meterId)).toEqual(['NOPE']);
    expect(there[i]!.blocks.map((b) => b.meterId)).toEqual(['NOPE']);
  });
});

// ---- each rule once per reading --------------------------------------------------------------

/**
 * Every engine entry point, counted per block and rule: validateBlock evaluates every rule,
 * validateContext the registry and history rules again. Blocks are told apart by identity.
 */
function countEvaluations(): Map<ReadingBlock, Uint32Array> {
  const counts = new Map<ReadingBlock, Uint32Array>();
  const add = (b: ReadingBlock, mask: number) => {
    let c = counts.get(b);
    if (!c) {
      c = new Uint32Array(RULE_SLOTS);
      counts.set(b, c);
    }
    for (let r = 0; r < RULE_SLOTS; r++) if ((mask >>> r) & 1) c[r]!++;
  };
  const block = VeeEngine.prototype.validateBlock;
  const context = VeeEngine.prototype.validateContext;
  vi.spyOn(VeeEngine.prototype, 'validateBlock').mockImplementation(function (this: VeeEngine, b, c, o, off) {
    add(b, 0xffffffff);
    return block.call(this, b, c, o, off);
  });
  vi.spyOn(VeeEngine.prototype, 'validateContext').mockImplementation(function (
    this: VeeEngine,
    b,
    c,
    o,
    off,
  ) {
    add(b, CONTEXT_RULES);
    return context.call(this, b, c, o, off);
  });
  return counts;
}

/** The ports processPartitionBatch needs, in memory; records the meter of every stored reading. */
function memoryPorts(decode: DecodeStage) {
  const series: { meterId: string }[] = [];
  const ports: IngestPorts = {
    decode,
    series: {
      series: {
        current: async () => new Map(),
        write: async (days: readonly SeriesDay[]) => {
          for (const d of days) for (let i = 0; i < readingsIn(d); i++) series.push({ meterId: d.meterId });
        },
      },
      raw: { archive: async () => undefined },
      analytics: { insert: async () => undefined, missing: async () => [] },
      bookkeeping: { closedDays: async () => new Map(), record: async () => undefined },
      topics: { send: async () => undefined },
      topicNames: { validated: 'validated', rejected: 'rejected', events: 'events' },
    },
    lease: async () => ({
      nextOffset: -1n,
      advanceTo: null,
      closedDays: async () => new Map(),
      record: async () => undefined,
      release: async () => undefined,
    }),
    incarnation: 'test',
    group: 'test',
    registry: () => ({ meters: new Map(METERS.map((m) => [m.meterId, m])), snapshot: registry }),
    timezone: ZONE,
    now: () => NOW,
    versionClock: { last: 0 },
  };
  return { ports, series };
}

describe('each VEE rule is evaluated once per reading', () => {
  afterEach(() => vi.restoreAllMocks());
  // keyed and unkeyed, registry rules firing and not
  const batch = () => [
    msg(
      'DP-1',
      bytes(
        'json',
        day('DP-1', (i) => (i < 3 ? -1 : 0.2)),
      ),
      'json',
    ),
    msg('DP-INACT', bytes('json', day('DP-INACT')), 'json'),
    msg('DP-30', bytes('csv', day('DP-30')), 'csv'),
    msg(
      null,
      bytes(
        'json',
        day('DP-COM', (i) => 10 + (i % 5) / 10),
      ),
      'json',
    ),
    msg('', bytes('json', day('DP-INACT')), 'json'),
  ];

  it('in-thread: from the raw message to the stored reading', async () => {
    const counts = countEvaluations();
    const { ports, series } = memoryPorts(inThreadDecodeStage(new VeeEngine(ruleSet)));
    const out = await processPartitionBatch(ports, 'raw', 0, batch());
    expect(out.deadLetteredMessages).toBe(0);
    expect(counts.size).toBe(5);
    for (const c of counts.values()) expect(Array.from(c)).toEqual(new Array(RULE_SLOTS).fill(1));
    // what is stored and rejected is the stage's verdict, registry rules included
    expect(out.rejectsByReason).toEqual({
      'limits.negative': 3,
      'registry.inactive': 2 * 96,
      'interval.length': 96,
    });
    expect(series.filter((r) => r.meterId === 'DP-COM')).toHaveLength(96);
  });

  it('pool: the main thread evaluates nothing for keyed messages, and the worker each rule once', async () => {
    const pooled = poolDecodeStage(ruleSet, 1, ZONE);
    try {
      const counts = countEvaluations();
      const { ports, series } = memoryPorts(pooled.stage);
      const messages = batch();
      const out = await processPartitionBatch(ports, 'raw', 0, messages);
      expect(out.deadLetteredMessages).toBe(0);
      // only the two messages without a key ran here (through the same function), once each
      expect(counts.size).toBe(2);
      for (const [b, c] of counts) {
        expect(['DP-COM', 'DP-INACT']).toContain(b.meterId);
        expect(Array.from(c)).toEqual(new Array(RULE_SLOTS).fill(1));
      }
      expect(out.rejectsByReason).toEqual({
        'limits.negative': 3,
        'registry.inactive': 2 * 96,
        'interval.length': 96,
      });
      expect(series.filter((r) => r.meterId === 'DP-COM')).toHaveLength(96);
    } finally {
      await pooled.close();
    }
  });

  it('the worker function: one engine pass per block', () => {
    const counts = countEvaluations();
    const messages = batch().filter((m) => m.key);
    const r = decodeAndValidate({
      formats: messages.map((m) => m.format),
      messages: packMessages(messages.map((m) => m.value!)),
      meterIds: messages.map((m) => m.key),
      ruleSet: serializeRuleSet(ruleSet),
      now: NOW,
      timezone: ZONE,
      registry: messages.map((m) => registry.get(m.key!)).filter((m): m is MeterSnapshot => !!m),
      crossBlockDuplicates: false,
    });
    expect(r.rejects).toEqual([]);
    expect(counts.size).toBe(3);
    for (const c of counts.values()) expect(Array.from(c)).toEqual(new Array(RULE_SLOTS).fill(1));
  });
});
