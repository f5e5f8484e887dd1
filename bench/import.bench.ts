/**
 * npm run bench:import [-- --mb 1024]
 *
 * `smt import` of a large generated NEM12 file (30-minute intervals, 48 per 300 record, NMIs ×
 * days until the file reaches --mb MiB), as a dry run: reading, splitting into NMI-day messages
 * and decoding each one (what an import does before producing). Kafka is left out so the figure is
 * the reader's, not the broker's. Measures readings/s, CPU µs per reading and peak RSS (sampled
 * every 50 ms, and the kernel's maxRSS), to show memory stays flat whatever the file size. Prints a
 * table on stderr and writes bench/results/import.json.
 */

import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/core/config/config.js';
import { runImport } from '../src/core/import/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MB = arg('mb', 256);

async function generate(
  file: string,
  bytes: number,
): Promise<{ nmis: number; days: number; readings: number }> {
  const out = createWriteStream(file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('100,NEM12,202601010000,MDP,RETAILER\n');
  const days = 365;
  let written = 40;
  let nmis = 0;
  let readings = 0;
  const values = Array.from({ length: 48 }, (_, i) => ((i * 37) % 1000) / 1000 + 0.1);
  while (written < bytes) {
    const nmi = `QB${String(nmis).padStart(8, '0')}`;
    const l200 = `200,${nmi},E1,1,E1,N1,MTR${nmis},kWh,30,\n`;
    await write(l200);
    written += l200.length;
    for (let d = 0; d < days && written < bytes; d++) {
      const date = new Date(Date.UTC(2025, 0, 1 + d)).toISOString().slice(0, 10).replace(/-/g, '');
      const l300 = `300,${date},${values.map((v) => v.toFixed(3)).join(',')},A,,,20260101000000,\n`;
      await write(l300);
      written += l300.length;
      readings += 48;
    }
    nmis++;
  }
  await write('900\n');
  out.end();
  await once(out, 'close');
  return { nmis, days, readings };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'smt-bench-import-'));
  const file = path.join(dir, 'NEM12#BENCH#MDP#RETAILER.csv');
  try {
    process.stderr.write(`generating a ${MB} MiB NEM12 file…\n`);
    const gen = await generate(file, MB * 2 ** 20);
    const bytes = statSync(file).size;
    const config = loadConfig({ env: {} });
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const rssBefore = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // RSS at every tenth of the file read: flat memory shows as a flat curve, not only a small peak
    const curve: { readMiB: number; rssMiB: number }[] = [];
    const r = await runImport(config, {
      paths: [file],
      dryRun: true,
      timezone: 'Australia/Brisbane',
      progressIntervalMs: 200,
      onProgress: (p) => {
        if (p.bytesDone >= ((curve.length + 1) * bytes) / 10)
          curve.push({
            readMiB: Math.round(p.bytesDone / 2 ** 20),
            rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          });
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    if (r.readings !== gen.readings)
      throw new Error(`imported ${r.readings} readings, generated ${gen.readings}`);
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      note: 'dry run (read, split into NMI-day messages, decode each); shared 2-core machine under load from other work',
      fileBytes: bytes,
      nmis: gen.nmis,
      messages: r.messages,
      readings: r.readings,
      seconds: Math.round(seconds * 100) / 100,
      readingsPerSecond: Math.round(r.readings / seconds),
      mibPerSecond: Math.round((bytes / 2 ** 20 / seconds) * 10) / 10,
      cpuMicrosPerReading: Math.round(((cpu.user + cpu.system) / r.readings) * 100) / 100,
      rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
      peakRssMiB: Math.round(peak / 2 ** 20),
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      rssCurve: curve,
    };
    const rows: [string, string][] = [
      ['file', `${(bytes / 2 ** 20).toFixed(0)} MiB, ${result.nmis} NMIs, ${result.messages} messages`],
      ['readings', String(result.readings)],
      ['seconds', String(result.seconds)],
      ['readings/s', String(result.readingsPerSecond)],
      ['MiB/s', String(result.mibPerSecond)],
      ['CPU µs/reading', String(result.cpuMicrosPerReading)],
      ['RSS before / peak (MiB)', `${result.rssBeforeMiB} / ${result.peakRssMiB}`],
      ['RSS per tenth read (MiB)', curve.map((c) => c.rssMiB).join(' ')],
    ];
    for (const [k, v] of rows) process.stderr.write(`${k.padEnd(26)} ${v}\n`);
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/import.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
