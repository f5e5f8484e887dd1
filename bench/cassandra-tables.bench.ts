/**
 * npm run bench:cassandra-tables [-- --meters 4000 --rounds 2 --only a,b]
 *
 * What the layout and the table options of `series_days` and `raw_messages` cost Cassandra, all
 * in: each variant is a table of its own in a throwaway keyspace, the same meter-days are written
 * to each (as ingest writes them: prepared single-row inserts, 128 in flight), and the Cassandra
 * process's CPU is counted from the first insert until the server is idle again, so the memtable
 * flushes, compactions and GC the writes cause are part of the figure (minus the idle rate
 * measured before). Each variant first writes 20,000 meter-days to a table that is dropped, so
 * the JIT has compiled its paths. On-disk size is read after settling (system_views.disk_usage,
 * whole MiB; what is still in a memtable is not on disk yet). Variants run in turn, `--rounds` times, so a busy machine shows as spread.
 * Run it against a stack nothing else uses (the CPU of the whole Cassandra process is counted).
 * Prints a table and writes bench/results/cassandra-tables.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { createCassandraClient } from '../src/core/cassandra/client.js';
import { type SeriesDayRow, toRow } from '../src/core/cassandra/series-row.js';
import { encode } from '../src/core/codecs/index.js';
import { forEachBounded } from '../src/core/concurrency.js';
import { loadConfig } from '../src/core/config/config.js';
import { stackUp } from '../src/core/stack/orchestrator.js';
import { LocalCalendar } from '../src/core/time/calendar.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { serviceStats } from './process-stats.js';
import { SYNTHETIC_ZONE, syntheticDay } from './synthetic-day.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const METERS = Number(arg('meters', '4000'));
const ROUNDS = Number(arg('rounds', '2'));
const ONLY = arg('only', '')
  .split(',')
  .filter((s) => s !== '');
const DAYS = METERS * 31;
const WARMUP_DAYS = Math.min(DAYS, 20_000);
const { LocalDate } = cassandra.types;
const unset = cassandra.types.unset;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const day = (i: number, version: number) => syntheticDay(i, version, METERS);

const SERIES_KEY = `supersedes bigint, written_at timestamp, writer text, reason text,
  PRIMARY KEY ((meter_id, month), channel, day, version)) WITH CLUSTERING ORDER BY (channel ASC, day ASC, version DESC)
  AND compaction = {'class': 'SizeTieredCompactionStrategy'}`;
const SERIES_HEAD = `meter_id text, month int, channel text, day date, version bigint, interval_minutes tinyint,
  day_start timestamp, readings smallint, vals blob, quality blob, status blob, write_idx blob, rules blob,`;

function head(r: SeriesDayRow): unknown[] {
  return [
    r.meter_id,
    r.month,
    r.channel,
    LocalDate.fromString(r.day),
    r.version,
    r.interval_minutes,
    r.day_start,
    r.readings,
    r.vals,
    r.quality,
    r.status ?? unset,
    r.write_idx,
    r.rules ?? unset,
  ];
}
const tail = (r: SeriesDayRow) => [r.supersedes ?? unset, r.written_at, r.writer, r.reason];
const HEAD_COLS =
  'meter_id, month, channel, day, version, interval_minutes, day_start, readings, vals, quality, status, write_idx, rules';
const TAIL_COLS = 'supersedes, written_at, writer, reason';

/** versions as int64 LE, then the sources as [u32 length, utf-8] each */
function packWrites(r: SeriesDayRow): Buffer {
  const srcs = r.write_sources.map((s) => Buffer.from(s, 'utf8'));
  const b = Buffer.allocUnsafe(4 + 8 * r.write_versions.length + srcs.reduce((n, s) => n + 4 + s.length, 0));
  let o = b.writeUInt32LE(r.write_versions.length, 0);
  for (const v of r.write_versions) o = b.writeBigInt64LE(BigInt(v), o);
  for (const s of srcs) {
    o = b.writeUInt32LE(s.length, o);
    o += s.copy(b, o);
  }
  return b;
}

interface Variant {
  name: string;
  ddl: (t: string) => string;
  insert: (t: string) => string;
  params: (r: SeriesDayRow, i: number) => unknown[];
}

const lists =
  (opts: string): Variant['ddl'] =>
  (t) =>
    `CREATE TABLE ${t} (${SERIES_HEAD} write_versions list<bigint>, write_sources list<text>, rule_keys list<text>, ${SERIES_KEY}${opts}`;
const frozen =
  (opts: string): Variant['ddl'] =>
  (t) =>
    `CREATE TABLE ${t} (${SERIES_HEAD} write_versions frozen<list<bigint>>, write_sources frozen<list<text>>, rule_keys frozen<list<text>>, ${SERIES_KEY}${opts}`;
const blobs =
  (opts: string): Variant['ddl'] =>
  (t) =>
    `CREATE TABLE ${t} (${SERIES_HEAD} writes blob, rule_keys blob, ${SERIES_KEY}${opts}`;
const listInsert = (t: string) =>
  `INSERT INTO ${t} (${HEAD_COLS}, write_versions, write_sources, rule_keys, ${TAIL_COLS}) VALUES (${Array(20).fill('?').join(', ')})`;
const listParams = (r: SeriesDayRow) => [
  ...head(r),
  r.write_versions,
  r.write_sources,
  r.rule_keys ?? unset,
  ...tail(r),
];
const blobInsert = (t: string) =>
  `INSERT INTO ${t} (${HEAD_COLS}, writes, rule_keys, ${TAIL_COLS}) VALUES (${Array(19).fill('?').join(', ')})`;
const blobParams = (r: SeriesDayRow) => [...head(r), packWrites(r), unset, ...tail(r)];

const RAW_DDL = (opts: string) => (t: string) =>
  `CREATE TABLE ${t} (meter_id text, day date, source text, format text, channel text, readings int,
    first_interval timestamp, payload blob, received_at timestamp, PRIMARY KEY ((meter_id, day), source))
    WITH compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}
    AND gc_grace_seconds = 86400${opts}`;
const RAW_INSERT = (t: string) =>
  `INSERT INTO ${t} (meter_id, day, source, format, channel, readings, first_interval, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const NO_COMPRESSION = ` AND compression = {'enabled': 'false'}`;
const CHUNK_64K = ` AND compression = {'class': 'LZ4Compressor', 'chunk_length_in_kb': 64}`;

async function main() {
  await stackUp(loadConfig(), { onProgress: () => {} });
  const stores = await isolatedStores('bench_ctables', { cassandra: true });
  const ks = stores.config.string('cassandra.keyspace');
  const admin = createCassandraClient(stores.config);
  await admin.execute(
    `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  const client = createCassandraClient(stores.config, { useKeyspace: true });
  const cal = LocalCalendar.for(SYNTHETIC_ZONE);
  const days = Array.from({ length: DAYS }, (_, i) => day(i, 1_790_000_000_000_000 + i));
  const rows = days.map(toRow);
  const indices = rows.map((_, i) => i);
  const payloads = days.map((d) =>
    Buffer.from(
      encode('json', [
        {
          meterId: d.meterId,
          channel: 'active_import_kwh',
          intervalMinutes: 15,
          starts: Float64Array.from(cal.intervalStarts(d.day, 15)),
          values: d.values,
          status: new Uint32Array(d.values.length),
          sequence: new Int32Array(d.values.length).fill(-1),
          commQuality: Number.NaN,
        },
      ]) as string,
    ),
  );
  const rawParams = (r: SeriesDayRow, i: number) => [
    r.meter_id,
    LocalDate.fromString(r.day),
    days[i]!.writes[0]!.source,
    'json',
    r.channel,
    96,
    r.day_start,
    payloads[i]!,
    r.written_at,
  ];
  const all: Variant[] = [
    {
      name: 'series: lists (v2 layout)',

      ddl: lists(''),
      insert: listInsert,
      params: listParams,
    },
    { name: 'series: frozen lists', ddl: frozen(''), insert: listInsert, params: listParams },
    { name: 'series: blobs', ddl: blobs(''), insert: blobInsert, params: blobParams },
    {
      name: 'series: blobs, no compression',

      ddl: blobs(NO_COMPRESSION),
      insert: blobInsert,
      params: blobParams,
    },
    {
      name: 'series: frozen lists, no compression',

      ddl: frozen(NO_COMPRESSION),
      insert: listInsert,
      params: listParams,
    },
    {
      name: 'series: blobs, LZ4 64 KiB chunks',

      ddl: blobs(CHUNK_64K),
      insert: blobInsert,
      params: blobParams,
    },
    { name: 'raw: LZ4 (v1)', ddl: RAW_DDL(''), insert: RAW_INSERT, params: rawParams },
    {
      name: 'raw: no compression',

      ddl: RAW_DDL(NO_COMPRESSION),
      insert: RAW_INSERT,
      params: rawParams,
    },
  ];
  const variants = all.filter((_, i) => ONLY.length === 0 || ONLY.includes(String.fromCharCode(97 + i)));

  const cpu = () => serviceStats('cassandra').cpuSeconds;
  /** CPU seconds per second of an idle server (GC, gossip-less timers, metrics) */
  const idleRate = async () => {
    const c0 = cpu();
    const t0 = performance.now();
    await sleep(5_000);
    return (cpu() - c0) / ((performance.now() - t0) / 1000);
  };
  /** waits until a second passes with no more than idle CPU twice in a row (at most 90 s) */
  const settle = async (idle: number) => {
    let quiet = 0;
    for (let s = 0; s < 90 && quiet < 2; s++) {
      const c0 = cpu();
      await sleep(1_000);
      quiet = cpu() - c0 <= idle + 0.03 ? quiet + 1 : 0;
    }
  };
  const results: Record<string, { cassandraUs: number[]; writeUs: number[]; diskMiB: number[] }> = {};
  const idle = await idleRate();
  log(`idle Cassandra: ${idle.toFixed(3)} CPU s/s; ${DAYS} meter-days per variant`);
  try {
    // the JIT compiles each variant's paths before anything is counted
    for (const [vi, v] of variants.entries()) {
      const t = `${ks}.warm${vi}`;
      await client.execute(v.ddl(t));
      const insert = v.insert(t);
      await forEachBounded(indices.slice(0, WARMUP_DAYS), 128, (i) =>
        client.execute(insert, v.params(rows[i]!, i), { prepare: true }),
      );
      await client.execute(`DROP TABLE ${t}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [vi, v] of variants.entries()) {
        const t = `${ks}.v${vi}_r${round}`;
        await client.execute(v.ddl(t));
        const insert = v.insert(t);
        await settle(idle);
        const readings = DAYS * 96;
        const c0 = cpu();
        const t0 = performance.now();
        await forEachBounded(indices, 128, (i) =>
          client.execute(insert, v.params(rows[i]!, i), { prepare: true }),
        );
        const cWrite = cpu() - c0;
        const tWrite = (performance.now() - t0) / 1000;
        await settle(idle);
        const elapsed = (performance.now() - t0) / 1000;
        const all = cpu() - c0 - idle * elapsed;
        const disk = await client.execute(
          'SELECT mebibytes FROM system_views.disk_usage WHERE keyspace_name = ? AND table_name = ?',
          [ks, `v${vi}_r${round}`],
        );
        const diskMiB = Number(disk.rows[0]?.mebibytes ?? 0);
        results[v.name] ??= { cassandraUs: [], writeUs: [], diskMiB: [] };
        const e = results[v.name]!;
        e.cassandraUs.push(Math.round(((all * 1e6) / readings) * 100) / 100);
        e.writeUs.push(Math.round(((cWrite * 1e6) / readings) * 100) / 100);
        e.diskMiB.push(diskMiB);
        log(
          `${v.name} round ${round + 1}: ${e.cassandraUs.at(-1)} µs/reading all in (${e.writeUs.at(-1)} while writing, ${tWrite.toFixed(1)} s; settled after ${elapsed.toFixed(1)} s)`,
        );
        await client.execute(`DROP TABLE ${t}`);
      }
    }
  } finally {
    await client.shutdown();
    await admin.shutdown();
    await stores.drop();
  }
  const out = path.join(ROOT, 'bench/results/cassandra-tables.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
        meterDays: DAYS,
        readingsPerVariant: DAYS * 96,
        idleCassandraCpuPerSecond: Math.round(idle * 1000) / 1000,
        variants: results,
      },
      null,
      2,
    )}\n`,
  );
  for (const [k, v] of Object.entries(results))
    process.stdout.write(
      `${k.padEnd(44)}all in ${v.cassandraUs.join(' / ')} µs/reading   while writing ${v.writeUs.join(' / ')}\n`,
    );
  log(`wrote ${path.relative(ROOT, out)}`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
