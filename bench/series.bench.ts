/**
 * npm run bench:series [-- --meters 2000]  (2,000 meters × 31 days of January = 62,000 meter-days)
 *
 * The Cassandra side of the series write model, step by step, against the local stack in a
 * throwaway keyspace: Cassandra CPU µs per reading for each thing ingest asks of it (series row
 * writes as blobs, the same rows as CQL lists, reads of the current version of absent and present
 * meter-days, raw payload archiving), then meter-month reads through the read API (p50/p99).
 * Prints a table and writes bench/results/series.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCassandraClient } from '../src/core/cassandra/client.js';
import { CassandraRawArchive } from '../src/core/cassandra/raw-archive.js';
import { monthOf, toRow } from '../src/core/cassandra/series-row.js';
import { CassandraSeriesStore } from '../src/core/cassandra/series-store.js';
import { encode } from '../src/core/codecs/index.js';
import { forEachBounded } from '../src/core/concurrency.js';
import { loadConfig } from '../src/core/config/config.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { stackUp } from '../src/core/stack/orchestrator.js';
import { LocalCalendar } from '../src/core/time/calendar.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { percentile, serviceStats } from './process-stats.js';
import { SYNTHETIC_ZONE, syntheticDay } from './synthetic-day.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const METERS = arg('meters', 2_000);
const DAYS = METERS * 31;
/** the CQL-list variant is slow: measured on the first meter-days only */
const LIST_DAYS = Math.min(DAYS, 20_000);
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

const day = (i: number, version: number) => syntheticDay(i, version, METERS);

async function main() {
  await stackUp(loadConfig(), { onProgress: () => {} });
  const stores = await isolatedStores('bench_series', { cassandra: true });
  const client = createCassandraClient(stores.config, { useKeyspace: true });
  try {
    await migrateStores(stores.config, ['cassandra']);
    const ks = stores.config.string('cassandra.keyspace');
    const store = new CassandraSeriesStore(client, ks);
    const raw = new CassandraRawArchive(client, ks);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${ks}.series_days_lists (
      meter_id text, month int, channel text, day date, version bigint, interval_minutes tinyint,
      day_start timestamp, readings smallint, vals list<double>, quality list<int>, write_idx list<smallint>,
      write_versions list<bigint>, write_sources list<text>, written_at timestamp, writer text, reason text,
      PRIMARY KEY ((meter_id, month), channel, day, version)) WITH CLUSTERING ORDER BY (channel ASC, day ASC, version DESC)`);
    const insertLists = `INSERT INTO ${ks}.series_days_lists (meter_id, month, channel, day, version, interval_minutes, day_start, readings, vals, quality, write_idx, write_versions, write_sources, written_at, writer, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

    const days = Array.from({ length: DAYS }, (_, i) => day(i, 1_790_000_000_000_000 + i));
    const readings = DAYS * 96;
    const rows: Record<string, { cassandraUsPerReading: number; nodeUsPerReading: number; seconds: number }> =
      {};
    const measure = async (name: string, fn: () => Promise<void>) => {
      await new Promise((r) => setTimeout(r, 3_000)); // let flushes of the previous phase settle
      const c0 = serviceStats('cassandra').cpuSeconds;
      const n0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      const seconds = (performance.now() - t0) / 1000;
      const n = process.cpuUsage(n0);
      const c = serviceStats('cassandra').cpuSeconds - c0;
      const readings = (name.includes('lists') ? LIST_DAYS : DAYS) * 96;
      rows[name] = {
        cassandraUsPerReading: Math.round(((c * 1e6) / readings) * 100) / 100,
        nodeUsPerReading: Math.round(((n.user + n.system) / readings) * 100) / 100,
        seconds: Math.round(seconds * 10) / 10,
      };
      log(`${name}: ${JSON.stringify(rows[name])}`);
    };

    const keys = days.map((d) => ({ meterId: d.meterId, channel: d.channel, day: d.day }));
    await measure('read current, day absent', async () => {
      await store.current(keys);
    });
    await measure('write series rows (blobs)', () => store.write(days));
    await measure('write series rows (CQL lists)', () =>
      forEachBounded(days.slice(0, LIST_DAYS), 128, (d) => {
        const r = toRow(d);
        return client.execute(
          insertLists,
          [
            r.meter_id,
            r.month,
            r.channel,
            r.day,
            r.version,
            r.interval_minutes,
            r.day_start,
            r.readings,
            Array.from(d.values),
            Array.from(d.quality),
            Array.from(d.writeIdx),
            r.write_versions,
            r.write_sources,
            r.written_at,
            r.writer,
            r.reason,
          ],
          { prepare: true },
        );
      }),
    );
    await measure('read current, day present', async () => {
      const got = await store.current(keys);
      if (got.size !== DAYS) throw new Error(`read ${got.size} of ${DAYS} days`);
    });
    const cal = LocalCalendar.for(SYNTHETIC_ZONE);
    const payloads = days.map((d) => {
      const starts = cal.intervalStarts(d.day, 15);
      return Buffer.from(
        encode('json', [
          {
            meterId: d.meterId,
            channel: 'active_import_kwh',
            intervalMinutes: 15,
            starts: Float64Array.from(starts),
            values: d.values,
            status: new Uint32Array(starts.length),
            sequence: new Int32Array(starts.length).fill(-1),
            commQuality: Number.NaN,
          },
        ]) as string,
      );
    });
    await measure('archive raw payloads (JSON meter-day)', () =>
      raw.archive(
        days.map((d, i) => ({
          meterId: d.meterId,
          day: d.day,
          source: d.writes[0]!.source,
          format: 'json',
          channel: d.channel,
          readings: 96,
          firstInterval: d.dayStart,
          payload: payloads[i]!,
          receivedAt: d.writtenAt,
        })),
      ),
    );

    // Meter-month reads through the read API: one query per meter and month.
    const monthDays = 31;
    const months = [...new Set(days.map((d) => monthOf(d.day)))];
    const latencies: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const meterId = `S-${String((i * 7919) % METERS).padStart(6, '0')}`;
      const t0 = performance.now();
      const got = await store.days({
        meterId,
        channel: 'active_import_kwh',
        from: '2026-01-01',
        to: '2026-01-31',
      });
      latencies.push(performance.now() - t0);
      if (got.length !== monthDays) throw new Error(`meter-month read returned ${got.length} days`);
    }
    latencies.sort((a, b) => a - b);
    const monthRead = {
      reads: latencies.length,
      daysPerRead: monthDays,
      p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
      p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
      maxMs: Math.round(latencies.at(-1)! * 100) / 100,
    };
    const sizes = await client.execute(
      `SELECT vals, quality, write_idx FROM ${ks}.series_days WHERE meter_id = ? AND month = ? LIMIT 1`,
      [days[0]!.meterId, months[0]],
      { prepare: true },
    );
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      meterDays: DAYS,
      readings,
      steps: rows,
      monthRead,
      blobBytesPerDay: ['vals', 'quality', 'write_idx'].reduce(
        (n, c) => n + (sizes.rows[0]![c] as Buffer).length,
        0,
      ),
    };
    const out = path.join(ROOT, 'bench/results/series.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const table = [
      ...Object.entries(rows).map(
        ([k, v]) =>
          [
            `${k} (Cassandra / Node µs per reading)`,
            `${v.cassandraUsPerReading} / ${v.nodeUsPerReading}`,
          ] as const,
      ),
      [
        'meter-month read p50 / p99 / max (ms)',
        `${monthRead.p50Ms} / ${monthRead.p99Ms} / ${monthRead.maxMs}`,
      ],
    ];
    for (const [k, v] of table) process.stdout.write(`${k.padEnd(62)}${v}\n`);
    log(`wrote ${path.relative(ROOT, out)}`);
  } finally {
    await client.shutdown();
    await stores.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
