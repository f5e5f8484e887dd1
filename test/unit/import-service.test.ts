import { once } from 'node:events';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { crc16Arc, encode } from '../../src/core/codecs/index.js';
import { loadConfig } from '../../src/core/config/config.js';
import { runImport } from '../../src/core/import/service.js';
import { emptyBlock, type ReadingBlock } from '../../src/core/readings/block.js';

const config = loadConfig({ env: {} });
const dir = mkdtempSync(path.join(tmpdir(), 'smt-import-'));

function nem12Days(nmi: string, days: number): ReadingBlock[] {
  return Array.from({ length: days }, (_, d) => {
    const b = emptyBlock(`${nmi}E1`, 'active_import_kwh', 30, 48);
    const start = Date.UTC(2026, 0, 10 + d) - 10 * 3_600_000; // NEM12 days are UTC+10
    for (let i = 0; i < 48; i++) {
      b.starts[i] = start + i * 1_800_000;
      b.values[i] = (i % 7) / 10 + 0.125;
    }
    return b;
  });
}

function dsmrTelegram(stamp: string, kwh: string): string {
  const body = [
    '/ISK5\\2M550T-1012',
    '',
    `0-0:1.0.0(${stamp})`,
    '0-0:96.1.1(4530303034303031)',
    `1-0:1.8.1(${kwh}*kWh)`,
    '!',
  ].join('\r\n');
  return `${body}${crc16Arc(Array.from(Buffer.from(body, 'latin1')))
    .toString(16)
    .toUpperCase()
    .padStart(4, '0')}\r\n`;
}

async function zip(file: string, entries: Record<string, string | Uint8Array>): Promise<string> {
  const z = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) z.addBuffer(Buffer.from(content), name);
  z.end();
  const out = createWriteStream(file);
  z.outputStream.pipe(out);
  await once(out, 'close');
  return file;
}

describe('smt import (service, no services touched in a dry run)', () => {
  it('a zip of NEM12 and DSMR: one message per NMI-day (NEM12 native), others as JSON local days', async () => {
    const nem12 = encode('nem12', [...nem12Days('NCDE001111', 2), ...nem12Days('NCDE002222', 2)]) as string;
    // DSMR: 23:00Z → 01:00Z across a UTC midnight, quarter-hour telegrams (Stockholm local days 00:00 at 23:00Z)
    const dsmr = [
      '260110000000W',
      '260110001500W',
      '260110003000W',
      '260110004500W',
      '260110010000W',
      '260110011500W',
    ]
      .map((s, i) => dsmrTelegram(s, (1000 + i * 0.25).toFixed(3)))
      .join('');
    const file = await zip(path.join(dir, 'delivery.zip'), { 'a/NEM12#1#A#B.csv': nem12, 'b/p1.log': dsmr });
    const r = await runImport(config, { paths: [file], dryRun: true, timezone: 'Europe/Stockholm' });
    expect(r.topic).toBeNull();
    expect(r.files).toHaveLength(1);
    const f = r.files[0]!;
    expect(f.status).toBe('dry-run');
    expect(f.entries).toEqual([
      { name: 'delivery.zip!a/NEM12#1#A#B.csv', format: 'nem12', messages: 4, readings: 4 * 48 },
      // 23:00Z..00:15Z: the local day 2026-01-10 starts at 2026-01-09T23:00Z, so all 5 quarter-hours are one local day
      { name: 'delivery.zip!b/p1.log', format: 'dsmr', messages: 1, readings: 5 },
    ]);
    expect(f.failures.count).toBe(0);
    expect(r.readings).toBe(4 * 48 + 5);
  });

  it('a bad 300 line fails that day at its line in the file; the other days still count; the file is "failed"', async () => {
    const text = (encode('nem12', nem12Days('NCDE004444', 3)) as string).split('\n');
    text[3] = text[3]!.replace(',0.225,', ',abc,'); // second 300 record (file line 4)
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, text.join('\n'));
    const r = await runImport(config, { paths: [file], dryRun: true, timezone: 'UTC' });
    const f = r.files[0]!;
    expect(f.status).toBe('failed');
    expect(f.messages).toBe(2);
    expect(f.failures.count).toBeGreaterThan(0);
    expect(f.failures.items[0]).toMatch(/^bad\.csv, line 4, /);
  });

  it('a DLMS buffer without --interval is refused with the reason; with it, imported', async () => {
    const b = emptyBlock('M-DLMS', 'active_import_kwh', 15, 4);
    for (let i = 0; i < 4; i++) {
      b.starts[i] = Date.UTC(2026, 0, 10, 10, 15 * i);
      b.values[i] = 0.25;
    }
    const file = path.join(dir, 'profile.bin');
    writeFileSync(file, encode('dlms', [b]) as Uint8Array);
    const without = await runImport(config, {
      paths: [file],
      dryRun: true,
      timezone: 'UTC',
      meterId: 'M-DLMS',
    });
    expect(without.files[0]!.failures.items[0]).toMatch(/the capture period is not in the payload/);
    const withIt = await runImport(config, {
      paths: [file],
      dryRun: true,
      timezone: 'UTC',
      meterId: 'M-DLMS',
      intervalMinutes: 15,
    });
    expect(withIt.files[0]!.entries[0]).toMatchObject({ format: 'dlms', messages: 1, readings: 4 });
  });

  it('directories and globs expand to files once each; a path that matches nothing is a usage error (exit 2)', async () => {
    const sub = mkdtempSync(path.join(dir, 'glob-'));
    writeFileSync(path.join(sub, 'x.nem12'), encode('nem12', nem12Days('NCDE005555', 1)) as string);
    writeFileSync(path.join(sub, 'y.nem12'), encode('nem12', nem12Days('NCDE006666', 1)) as string);
    const r = await runImport(config, {
      paths: [sub, path.join(sub, '*.nem12')],
      dryRun: true,
      timezone: 'UTC',
    });
    expect(r.files.map((f) => path.basename(f.file))).toEqual(['x.nem12', 'y.nem12']);
    await expect(
      runImport(config, { paths: [path.join(dir, 'nope-*.csv')], dryRun: true, timezone: 'UTC' }),
    ).rejects.toMatchObject({ exitCode: 2 });
  });

  it('a truncated zip is a data error naming the file, not a crash', async () => {
    const good = await zip(path.join(dir, 'ok.zip'), { 'x.csv': 'meter,channel,interval_start,value\n' });
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(good);
    const cut = path.join(dir, 'cut.zip');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    await expect(runImport(config, { paths: [cut], dryRun: true, timezone: 'UTC' })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/cut\.zip: not a readable zip archive/),
    });
  });
});
