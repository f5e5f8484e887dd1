/**
 * The worker contract (packing, the columnar result) and the worker function in-thread; one test
 * through the real piscina pool (worker started from the .ts source with --import tsx).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/core/codecs/index.js';
import { DecodeValidatePool } from '../../src/core/pool/decode-validate-pool.js';
import {
  type DecodeValidateTask,
  resultLayout,
  serializeRuleSet,
  unpackResult,
} from '../../src/core/pool/decode-validate-wire.js';
import { packMessages, unpackMessages } from '../../src/core/pool/messages.js';
import { resolveWorkerEntry } from '../../src/core/pool/worker-pool.js';
import type { ReadingBlock } from '../../src/core/readings/block.js';
import { ValidationState } from '../../src/core/readings/quality.js';
import { VeeEngine } from '../../src/core/vee/engine.js';
import { loadDefaultRuleSet } from '../../src/core/vee/rule-set.js';
import { RuleId } from '../../src/core/vee/rules.js';
import { decodeAndValidate } from '../../src/workers/decode-validate.js';
import { DAY, mk, MONDAY as T } from './vee-helpers.js';

const ruleSet = loadDefaultRuleSet();
const NOW = T + 2 * DAY;

function meterDay(meterId: string, tweak?: (values: number[]) => void): ReadingBlock {
  const values = Array.from({ length: 96 }, (_, i) => 0.1 + (i % 9) / 50);
  tweak?.(values);
  return mk({ meterId, values });
}

const plain = (b: ReadingBlock) => ({
  meterId: b.meterId,
  channel: b.channel,
  intervalMinutes: b.intervalMinutes,
  starts: Array.from(b.starts),
  values: Array.from(b.values),
  status: Array.from(b.status),
  sequence: Array.from(b.sequence),
  commQuality: b.commQuality,
});

describe('packed messages', () => {
  it('round-trips strings (UTF-8) and bytes in one buffer', () => {
    const msgs = ['{"a":1}', new Uint8Array([1, 2, 3]), '', 'Malmö ⚡', new Uint8Array(0)];
    const out = unpackMessages(packMessages(msgs)).map((u) => Buffer.from(u));
    expect(out.map((b, k) => (typeof msgs[k] === 'string' ? b.toString('utf8') : Array.from(b)))).toEqual([
      '{"a":1}',
      [1, 2, 3],
      '',
      'Malmö ⚡',
      [],
    ]);
    expect(unpackMessages(packMessages([]))).toEqual([]);
  });

  it('refuses a buffer whose offsets do not match', () => {
    const buf = packMessages(['abc']);
    expect(() => unpackMessages(buf.slice(0, buf.byteLength - 1))).toThrow(RangeError);
  });
});

describe('result layout', () => {
  it('aligns every column to 8 bytes without overlap', () => {
    const l = resultLayout(97, 3);
    const { byteLength, ...cols } = l;
    const sorted = Object.values(cols).sort((a, b) => a - b);
    for (const off of sorted) expect(off % 8).toBe(0);
    expect(l.values - l.starts).toBe(97 * 8);
    expect(l.status - l.commQuality).toBe(3 * 8);
    expect(byteLength).toBeGreaterThan(sorted[sorted.length - 1]!);
  });
});

describe('decodeAndValidate (in-thread)', () => {
  const blocks = [meterDay('M1'), meterDay('M2', (v) => (v[5] = -1)), meterDay('M3')];
  const messages = [
    ...blocks.map((b) => encode('json', [b]) as string),
    '{"v":1,"meter":"M4","values":[1,"x"]}',
  ];
  const task = (over: Partial<DecodeValidateTask> = {}): DecodeValidateTask => ({
    format: 'json',
    messages: packMessages(messages),
    ruleSet: serializeRuleSet(ruleSet),
    now: NOW,
    timezone: 'UTC',
    ...over,
  });

  it('decodes every message, reports rejects with their message index, validates as the engine does', () => {
    const r = decodeAndValidate(task());
    expect(r.blockCount).toBe(3);
    expect(r.validatedBlockCount).toBe(3);
    expect(r.readingCount).toBe(288);
    expect(r.meterIds).toEqual(['M1', 'M2', 'M3']);
    // the decoder's first failure of message 3 (channel, interval, start and values[1] are all wrong)
    expect(r.rejects).toEqual([
      {
        message: 3,
        rule: 'decode',
        reason: expect.stringMatching(/^channel: expected a channel: .*, found nothing \(channel\)$/),
      },
    ]);

    const batch = unpackResult(r);
    expect(batch.blocks.map(plain)).toEqual(blocks.map(plain));
    expect(Array.from(batch.messageIndex)).toEqual([0, 1, 2]);
    expect(Array.from(batch.blockOffsets)).toEqual([0, 96, 192, 288]);

    const expected = new VeeEngine(ruleSet).validateBatch(blocks, { now: NOW, timezone: 'UTC' });
    expect(Array.from(batch.columns.states)).toEqual(Array.from(expected.columns.states));
    expect(Array.from(batch.columns.ruleMask)).toEqual(Array.from(expected.columns.ruleMask));
    expect(Array.from(batch.columns.late)).toEqual(Array.from(expected.columns.late));
    expect(Array.from(batch.columns.ruleCounts)).toEqual(Array.from(expected.columns.ruleCounts));
    expect(batch.columns.lateCount).toBe(expected.columns.lateCount);
    expect(batch.columns.states[96 + 5]).toBe(ValidationState.Failed);
    expect(batch.columns.ruleCounts[RuleId.LimitsNegative]).toBe(1);
  });

  it('with registry entries: rejects meters not listed, runs the registry rules on the rest', () => {
    const entry = {
      meterId: 'M1',
      status: 'inactive' as const,
      installedAt: 0,
      removedAt: null,
      segment: 'residential' as const,
      ratedKw: null,
      timezone: 'UTC',
      intervalMinutes: 15 as const,
    };
    const r = decodeAndValidate(task({ registry: [entry] }));
    expect(r.rejects.map((x) => [x.message, x.rule, x.reason])).toEqual([
      [1, 'registry.unknown', 'meter M2 is not registered'],
      [2, 'registry.unknown', 'meter M3 is not registered'],
      [3, 'decode', expect.any(String)],
    ]);
    const batch = unpackResult(r);
    // validated blocks first, then the blocks rejected messages keep
    expect(batch.validatedBlockCount).toBe(1);
    expect(batch.blocks.map((b) => b.meterId)).toEqual(['M1', 'M2', 'M3']);
    expect(Array.from(batch.messageIndex)).toEqual([0, 1, 2]);
    expect(batch.columns.ruleCounts[RuleId.RegistryUnknown]).toBe(0);
    expect(batch.columns.ruleCounts[RuleId.RegistryInactive]).toBe(96);
    expect(batch.columns.stateCounts[ValidationState.Failed]).toBe(96);
  });

  it('checks each message like the in-thread stage: payload, format header, key', () => {
    const r = decodeAndValidate(
      task({
        messages: packMessages([messages[0]!, '', messages[1]!, messages[2]!]),
        formats: ['json', 'json', null, 'xml'],
        meterIds: ['M9', null, null, null],
      }),
    );
    expect(r.rejects.map((x) => [x.message, x.rule])).toEqual([
      [0, 'message.key'],
      [1, 'message.empty'],
      [2, 'message.format'],
      [3, 'message.format'],
    ]);
    expect(r.blockCount).toBe(0);
  });

  it('flags an interval repeated in two messages of a task unless crossBlockDuplicates is false', () => {
    const again = [encode('json', [blocks[0]!]) as string, encode('json', [blocks[0]!]) as string];
    const flagged = unpackResult(decodeAndValidate(task({ messages: packMessages(again) })));
    expect(flagged.columns.ruleCounts[RuleId.IntervalDuplicate]).toBe(96); // the second copy, same values
    const ingest = unpackResult(
      decodeAndValidate(task({ messages: packMessages(again), crossBlockDuplicates: false })),
    );
    expect(ingest.columns.ruleCounts[RuleId.IntervalDuplicate]).toBe(0);
  });

  it('takes meter ids from the task for DLMS buffers', () => {
    const dlms = [encode('dlms', [meterDay('D1')]), encode('dlms', [meterDay('D2')])];
    const r = decodeAndValidate(
      task({
        formats: ['dlms; interval=15', 'dlms; interval=15'],
        messages: packMessages(dlms),
        meterIds: ['D1', 'D2'],
      }),
    );
    expect(r.rejects).toEqual([]);
    expect(r.meterIds).toEqual(['D1', 'D2']);
    const batch = unpackResult(r);
    const direct = decode('dlms', dlms[1]!, { meterId: 'D2', intervalMinutes: 15 }).blocks[0]!;
    expect(plain(batch.blocks[1]!)).toEqual(plain(direct));
  });
});

describe('worker entry resolution', () => {
  it('uses the .ts source with tsx when running from source', () => {
    const e = resolveWorkerEntry(
      'decode-validate',
      pathToFileURL(path.resolve('src/core/pool/worker-pool.ts')).href,
    );
    expect(e.filename).toBe(path.resolve('src/workers/decode-validate.ts'));
    expect(e.execArgv).toEqual(['--import', 'tsx']);
  });

  it('uses the compiled .js next to the compiled module, and says to build when it is missing', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'smt-dist-'));
    mkdirSync(path.join(root, 'core/pool'), { recursive: true });
    mkdirSync(path.join(root, 'workers'));
    const moduleUrl = pathToFileURL(path.join(root, 'core/pool/worker-pool.js')).href;
    expect(() => resolveWorkerEntry('decode-validate', moduleUrl)).toThrow(/npm run build/);
    writeFileSync(path.join(root, 'workers/decode-validate.js'), 'export default () => 1;\n');
    expect(resolveWorkerEntry('decode-validate', moduleUrl)).toEqual({
      filename: path.join(root, 'workers/decode-validate.js'),
      execArgv: undefined,
    });
  });
});

describe('DecodeValidatePool (real piscina workers)', () => {
  it('bounds tasks in flight, transfers results back, drains on close', async () => {
    const pool = new DecodeValidatePool({ ruleSet, timezone: 'UTC', threads: 1, maxInFlight: 1 });
    const tasks = [0, 1, 2].map((t) =>
      [meterDay(`P${t}a`), meterDay(`P${t}b`, (v) => (v[7] = -2))].map((b) =>
        Buffer.from(encode('json', [b]) as string),
      ),
    );
    const inFlightSeen: number[] = [];
    const runs = tasks.map((msgs) => pool.run(msgs, { format: 'json', now: NOW }));
    inFlightSeen.push(pool.inFlight);
    const results = await Promise.all(
      runs.map(async (p) => {
        const r = await p;
        inFlightSeen.push(pool.inFlight);
        return r;
      }),
    );
    expect(Math.max(...inFlightSeen)).toBe(1);

    expect(results.map((r) => r.blocks.map((b) => b.meterId))).toEqual([
      ['P0a', 'P0b'],
      ['P1a', 'P1b'],
      ['P2a', 'P2b'],
    ]);
    for (const r of results) {
      expect(r.readingCount).toBe(192);
      expect(r.columns.states[96 + 7]).toBe(ValidationState.Failed);
      expect(r.columns.ruleCounts[RuleId.LimitsNegative]).toBe(1);
      expect(r.columns.stateCounts[ValidationState.Failed]).toBe(1);
    }

    const last = pool.run(tasks[0]!, { format: 'json', now: NOW });
    await pool.close();
    expect((await last).readingCount).toBe(192); // accepted before close: finished, not dropped
    await expect(pool.run(tasks[0]!, { format: 'json', now: NOW })).rejects.toThrow(/closed/);
  });
});
