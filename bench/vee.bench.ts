/**
 * VEE benchmark: `npm run bench:vee`. Prints figures, never asserts them (DESIGN.md).
 *
 * Per payload format (JSON meter-day blocks, CSV, DLMS, NEM12), on one core in this thread:
 *   decode only, technical validation only, and decode + validate exactly as the worker does it
 *   (decodeAndValidate on packed tasks of 100 messages);
 * then JSON through the real worker pool with 1 and 2 workers: throughput, per-task latency
 * p50/p99, process CPU per reading, main-thread busy time per reading, and the pool overhead per
 * reading against the in-thread figure. Also the main-thread business rules (registry + history).
 *
 * Environment: BENCH_METERS (meter-days per format, default 20000), BENCH_REPEAT (default 3; the
 * median run is reported). Writes bench/results/vee.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decode, encode, type WireFormat } from '../src/core/codecs/index.js';
import { DecodeValidatePool } from '../src/core/pool/decode-validate-pool.js';
import { type DecodeValidateTask, serializeRuleSet } from '../src/core/pool/decode-validate-wire.js';
import { packMessages } from '../src/core/pool/messages.js';
import { NO_SEQUENCE, type ReadingBlock } from '../src/core/readings/block.js';
import {
  HISTORY_BUCKETS,
  type HistorySummary,
  type MeterSnapshot,
  type ValidationContext,
} from '../src/core/vee/context.js';
import { ValidationColumns, VeeEngine } from '../src/core/vee/engine.js';
import { loadDefaultRuleSet } from '../src/core/vee/rule-set.js';
import { renderTable } from '../src/ui/output.js';
import { decodeAndValidate } from '../src/workers/decode-validate.js';

const METERS = Number(process.env.BENCH_METERS ?? 20_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const TASK_MESSAGES = 100;
const ZONE = 'Europe/Stockholm';
const DAY_START = Date.UTC(2026, 2, 9, 23); // 2026-03-10 00:00 Stockholm (+01:00): a 96-interval day
/**
 * NEM12 days are market-time (AEST, +10:00) days: a Stockholm meter-day would encode as two NEM12
 * days padded with null intervals. NEM12 meter-days therefore start at AEST midnight.
 */
const NEM12_DAY_START = Date.UTC(2026, 2, 9, 14);
const NOW = DAY_START + 2 * 86_400_000;
const FORMATS: WireFormat[] = ['json', 'csv', 'dlms', 'nem12'];

interface Figure {
  readings: number;
  wallMs: number;
  cpuMs: number;
  /** by wall clock: depends on what else the machine runs */
  readingsPerSec: number;
  /** readings per second of CPU time: the capacity of one core, robust on a shared machine */
  readingsPerCpuSec: number;
  wallUsPerReading: number;
  cpuUsPerReading: number;
}

// ---- data -----------------------------------------------------------------------------------

/** Deterministic PRNG so runs compare. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function meterDays(count: number, dayStart = DAY_START): ReadingBlock[] {
  const r = rng(42);
  const blocks: ReadingBlock[] = [];
  for (let m = 0; m < count; m++) {
    // NEM12 wants a 10-character NMI + 2-character suffix; the same ids serve every format.
    const meterId = `6${String(m).padStart(9, '0')}E1`;
    const base = 0.05 + r() * 0.3;
    const n = 96;
    const b: ReadingBlock = {
      meterId,
      channel: 'active_import_kwh',
      intervalMinutes: 15,
      starts: new Float64Array(n),
      values: new Float64Array(n),
      status: new Uint32Array(n),
      sequence: new Int32Array(n).fill(NO_SEQUENCE),
      commQuality: Number.NaN,
    };
    for (let i = 0; i < n; i++) {
      b.starts[i] = dayStart + i * 900_000;
      const h = i / 4;
      const shape = h >= 7 && h < 9 ? 2.2 : h >= 17 && h < 22 ? 3 : h < 6 ? 0.6 : 1.2;
      b.values[i] = Math.round((base * shape + r() * 0.08) * 1000) / 1000; // 3-decimal kWh, as meters send
    }
    blocks.push(b);
  }
  return blocks;
}

/** Bytes, as a Kafka consumer hands them over (text formats are UTF-8 decoded by the decoder). */
function messagesFor(format: WireFormat, blocks: ReadingBlock[]): Uint8Array[] {
  return blocks.map((b) => {
    const m = encode(format, [b], { timezone: ZONE });
    return typeof m === 'string' ? Buffer.from(m, 'utf8') : m;
  });
}

// ---- measuring ------------------------------------------------------------------------------

/** One unmeasured warm-up run (JIT, caches), then REPEAT runs; the median by wall time is kept. */
function measure(run: () => number): Figure {
  const runs: Figure[] = [];
  run();
  for (let k = 0; k < REPEAT; k++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const readings = run();
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(cpu0);
    runs.push(figure(readings, wallMs, (c.user + c.system) / 1000));
  }
  runs.sort((a, b) => a.wallMs - b.wallMs);
  return runs[Math.floor(runs.length / 2)]!;
}

function figure(readings: number, wallMs: number, cpuMs: number): Figure {
  return {
    readings,
    wallMs: round(wallMs, 1),
    cpuMs: round(cpuMs, 1),
    readingsPerSec: Math.round(readings / (wallMs / 1000)),
    readingsPerCpuSec: Math.round(readings / (cpuMs / 1000)),
    wallUsPerReading: round((wallMs * 1000) / readings, 4),
    cpuUsPerReading: round((cpuMs * 1000) / readings, 4),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function memory(): { rssMb: number; heapUsedMb: number } {
  const m = process.memoryUsage();
  return { rssMb: round(m.rss / 2 ** 20, 1), heapUsedMb: round(m.heapUsed / 2 ** 20, 1) };
}

function tasksOf(
  messages: Uint8Array[],
  format: WireFormat,
): { messages: Uint8Array[]; meterIds: string[] }[] {
  const tasks: { messages: Uint8Array[]; meterIds: string[] }[] = [];
  for (let a = 0; a < messages.length; a += TASK_MESSAGES) {
    const slice = messages.slice(a, a + TASK_MESSAGES);
    // DLMS buffers carry no meter id: the Kafka key supplies it. Other formats name the meter.
    const meterIds = slice.map((_, k) => `6${String(a + k).padStart(9, '0')}E1`);
    tasks.push({ messages: slice, meterIds: format === 'dlms' ? meterIds : [] });
  }
  return tasks;
}

// ---- phases ---------------------------------------------------------------------------------

const ruleSet = loadDefaultRuleSet();
const engine = new VeeEngine(ruleSet);
const technical: ValidationContext = { now: NOW, timezone: ZONE };

function singleCore(format: WireFormat, messages: Uint8Array[]) {
  const decodeOptions = (k: number) => ({
    timezone: ZONE,
    ...(format === 'dlms' ? { meterId: `6${String(k).padStart(9, '0')}E1` } : {}),
  });
  let failures = 0;
  for (let k = 0; k < messages.length; k++)
    failures += decode(format, messages[k]!, decodeOptions(k)).failures.length;
  if (failures > 0) throw new Error(`${format}: ${failures} decode failures in the benchmark data`);

  // Decoded blocks are dropped at once, as in a worker: measured before anything is retained.
  const decodeOnly = measure(() => {
    let n = 0;
    for (let k = 0; k < messages.length; k++)
      for (const b of decode(format, messages[k]!, decodeOptions(k)).blocks) n += b.starts.length;
    return n;
  });

  if (decodeOnly.readings !== 96 * messages.length) {
    process.stderr.write(
      `  warning: ${format} decoded ${decodeOnly.readings} readings from ${messages.length} meter-days (expected ${96 * messages.length})\n`,
    );
  }

  let decoded: ReadingBlock[] = [];
  for (let k = 0; k < messages.length; k++)
    decoded.push(...decode(format, messages[k]!, decodeOptions(k)).blocks);
  const cols = ValidationColumns.allocate(96 * TASK_MESSAGES * 2);
  const validateOnly = measure(() => {
    let n = 0;
    for (let a = 0; a < decoded.length; a += TASK_MESSAGES) {
      const batch = decoded.slice(a, a + TASK_MESSAGES);
      engine.validateBatch(batch, technical, cols);
      for (const b of batch) n += b.starts.length;
    }
    return n;
  });
  decoded = [];

  const serialized = serializeRuleSet(ruleSet);
  const tasks: DecodeValidateTask[] = tasksOf(messages, format).map((t) => ({
    format,
    messages: packMessages(t.messages),
    meterIds: t.meterIds.length > 0 ? t.meterIds : undefined,
    ruleSet: serialized,
    now: NOW,
    timezone: ZONE,
  }));
  const decodeValidate = measure(() => {
    let n = 0;
    for (const t of tasks) n += decodeAndValidate(t).readingCount;
    return n;
  });
  return {
    format,
    messageBytes: avgBytes(messages),
    decodeOnly,
    validateOnly,
    decodeValidate,
    memory: memory(),
  };
}

/**
 * Where the JSON decoder spends its time, per reading: UTF-8 → string, JSON.parse, and the rest of
 * decodeJson (field checks, typed-array allocation and fill, failure bookkeeping).
 */
function jsonBreakdown(messages: Uint8Array[], decodeCpuUs: number) {
  const td = new TextDecoder('utf-8', { fatal: true });
  const texts = messages.map((m) => td.decode(m));
  const utf8 = measure(() => {
    let n = 0;
    for (const m of messages) n += td.decode(m).length > 0 ? 96 : 0;
    return n;
  });
  const parse = measure(() => {
    let n = 0;
    for (const t of texts) n += (JSON.parse(t) as { values: unknown[] }).values.length;
    return n;
  });
  return {
    utf8CpuUsPerReading: utf8.cpuUsPerReading,
    jsonParseCpuUsPerReading: parse.cpuUsPerReading,
    restOfDecoderCpuUsPerReading: round(decodeCpuUs - utf8.cpuUsPerReading - parse.cpuUsPerReading, 4),
  };
}

function avgBytes(messages: Uint8Array[]): number {
  let total = 0;
  for (const m of messages) total += m.byteLength;
  return Math.round(total / messages.length);
}

async function throughPool(threads: number, format: WireFormat, messages: Uint8Array[], inThread: Figure) {
  const pool = new DecodeValidatePool({ ruleSet, timezone: ZONE, threads });
  const tasks = tasksOf(messages, format);
  // Warm-up: start the workers, load and JIT the code.
  await Promise.all(
    tasks
      .slice(0, threads * 4)
      .map((t) =>
        pool.run(t.messages, { format, now: NOW, meterIds: t.meterIds.length > 0 ? t.meterIds : undefined }),
      ),
  );
  const latencies: number[] = [];
  const runs: { fig: Figure; mainBusyUs: number }[] = [];
  for (let rep = 0; rep < REPEAT; rep++) {
    latencies.length = 0;
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let readings = 0;
    const pending: Promise<void>[] = [];
    for (const t of tasks) {
      await pool.waitForCapacity();
      const submitted = performance.now();
      pending.push(
        pool
          .run(t.messages, { format, now: NOW, meterIds: t.meterIds.length > 0 ? t.meterIds : undefined })
          .then((b) => {
            latencies.push(performance.now() - submitted);
            readings += b.readingCount;
          }),
      );
    }
    await Promise.all(pending);
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    runs.push({
      fig: figure(readings, wallMs, (c.user + c.system) / 1000),
      mainBusyUs: (elu.active * 1000) / readings,
    });
  }
  await pool.close();
  runs.sort((a, b) => a.fig.wallMs - b.fig.wallMs);
  const mid = runs[Math.floor(runs.length / 2)]!;
  latencies.sort((a, b) => a - b);
  return {
    threads,
    format,
    ...mid.fig,
    mainThreadBusyUsPerReading: round(mid.mainBusyUs, 4),
    /** CPU of the whole process (workers + main) per reading minus the in-thread decode+validate CPU */
    overheadCpuUsPerReading: round(mid.fig.cpuUsPerReading - inThread.cpuUsPerReading, 4),
    /** with 1 worker: wall per reading through the pool minus in-thread */
    overheadWallUsPerReading:
      threads === 1 ? round(mid.fig.wallUsPerReading - inThread.wallUsPerReading, 4) : null,
    taskLatencyMs: {
      p50: round(percentile(latencies, 50), 2),
      p99: round(percentile(latencies, 99), 2),
      readingsPerTask: 96 * TASK_MESSAGES,
    },
    memory: memory(),
  };
}

function businessRules(blocks: ReadingBlock[]) {
  const registry = new Map<string, MeterSnapshot>();
  const history = new Map<string, HistorySummary>();
  for (const b of blocks) {
    registry.set(b.meterId, {
      meterId: b.meterId,
      status: 'active',
      installedAt: Date.UTC(2020, 0, 1),
      removedAt: null,
      segment: 'residential',
      ratedKw: 17.25,
      timezone: ZONE,
      intervalMinutes: 15,
    });
    const mean = new Float64Array(HISTORY_BUCKETS).fill(0.4);
    const stddev = new Float64Array(HISTORY_BUCKETS).fill(0.15);
    history.set(b.meterId, { channel: 'active_import_kwh', intervalMinutes: 15, mean, stddev });
  }
  const ctx: ValidationContext = { now: NOW, timezone: ZONE, registry, history };
  const cols = ValidationColumns.allocate(96 * blocks.length);
  const offsets = new Uint32Array(blocks.length + 1);
  for (let k = 0; k < blocks.length; k++) offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
  engine.validateBatch(blocks, technical, cols);
  return measure(() => {
    let n = 0;
    for (let k = 0; k < blocks.length; k++) {
      engine.validateContext(blocks[k]!, ctx, cols, offsets[k]!);
      n += blocks[k]!.starts.length;
    }
    return n;
  });
}

// ---- main -----------------------------------------------------------------------------------

const blocks = meterDays(METERS);
const nem12Blocks = meterDays(METERS, NEM12_DAY_START);
process.stderr.write(
  `bench:vee: ${METERS} meter-days × 96 readings per format, ${REPEAT} runs each (median reported)\n`,
);
const load0 = loadavg()[0]!;
const single: ReturnType<typeof singleCore>[] = [];
const messagesByFormat = new Map<WireFormat, Uint8Array[]>();
for (const format of FORMATS) {
  const messages = messagesFor(format, format === 'nem12' ? nem12Blocks : blocks);
  messagesByFormat.set(format, messages);
  process.stderr.write(`  ${format}: single core …\n`);
  single.push(singleCore(format, messages));
}
process.stderr.write('  business rules (registry + history) …\n');
const business = businessRules(blocks);
const jsonSingle = single.find((s) => s.format === 'json')!;
const jsonInThread = jsonSingle.decodeValidate;
process.stderr.write('  json decoder breakdown …\n');
const breakdown = jsonBreakdown(messagesByFormat.get('json')!, jsonSingle.decodeOnly.cpuUsPerReading);
const pool: Awaited<ReturnType<typeof throughPool>>[] = [];
for (const threads of [1, 2]) {
  process.stderr.write(`  json: pool with ${threads} worker(s) …\n`);
  pool.push(await throughPool(threads, 'json', messagesByFormat.get('json')!, jsonInThread));
}

const fmt = (x: number): string => x.toLocaleString('en-US');
const rows: (string | number)[][] = [];
const row = (label: string, f: Figure, latency = '', overhead = ''): void => {
  rows.push([label, fmt(f.readingsPerCpuSec), f.cpuUsPerReading, fmt(f.readingsPerSec), latency, overhead]);
};
for (const s of single) {
  row(`${s.format} decode (${s.messageBytes} B/meter-day)`, s.decodeOnly);
  row(`${s.format} validate (technical rules)`, s.validateOnly);
  row(`${s.format} decode + validate (worker fn)`, s.decodeValidate);
}
row('business rules (registry + history)', business);
for (const p of pool) {
  row(
    `json pool, ${p.threads} worker${p.threads > 1 ? 's' : ''}`,
    p,
    `${p.taskLatencyMs.p50} / ${p.taskLatencyMs.p99}`,
    `cpu ${p.overheadCpuUsPerReading}, main ${p.mainThreadBusyUsPerReading}${p.overheadWallUsPerReading === null ? '' : `, wall ${p.overheadWallUsPerReading}`}`,
  );
}
process.stdout.write(
  `${renderTable(['phase', 'readings per CPU-s', 'CPU µs/reading', 'readings/s (wall)', 'task p50 / p99 ms', 'pool overhead µs/reading'], rows)}\n`,
);
process.stdout.write(
  `json decode, CPU µs/reading: UTF-8 → string ${breakdown.utf8CpuUsPerReading}, JSON.parse ${breakdown.jsonParseCpuUsPerReading}, rest of decodeJson ${breakdown.restOfDecoderCpuUsPerReading}\n`,
);
const mem = memory();
const load1 = loadavg()[0]!;
process.stdout.write(
  `RSS ${mem.rssMb} MB, heap used ${mem.heapUsedMb} MB; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}\n`,
);

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: { model: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
  /** 1-minute load average at start and end: wall-clock figures mean little when it exceeds the cores */
  loadAverage: [round(load0, 2), round(load1, 2)],
  meterDays: METERS,
  repeat: REPEAT,
  readingsPerTask: 96 * TASK_MESSAGES,
  ruleSet: { name: ruleSet.name, version: ruleSet.version, fingerprint: ruleSet.fingerprint },
  singleCore: single,
  jsonDecodeBreakdown: breakdown,
  businessRules: business,
  pool,
  memory: mem,
  targets: { jsonDecodeValidateReadingsPerSec: 5_000_000, poolOverheadUsPerReading: 0.5 },
};
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'vee.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stderr.write(`figures written to ${path.relative(process.cwd(), out)}\n`);
