import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/core/codecs/index.js';
import type { SmtConfig } from '../../src/core/config/config.js';
import type { ImportSummary } from '../../src/core/import/service.js';
import { runIngest } from '../../src/core/ingest/daemon.js';
import { silentLogger } from '../../src/core/log.js';
import { emptyBlock, type ReadingBlock } from '../../src/core/readings/block.js';
import type { Meter } from '../../src/core/registry/meter.js';
import { json, runCli } from '../helpers/cli.js';
import { ingestTestStores } from '../helpers/ingest-stores.js';
import type { IsolatedStores } from '../helpers/isolated-stores.js';
import { seriesDays, seriesReadingCount } from '../helpers/series.js';

// NEM12 market time is UTC+10 all year; Brisbane keeps it, so a NEM12 day is one local day
const ZONE = 'Australia/Brisbane';
const NMIS = ['NCDE001111', 'NCDE002222'];
const id = randomBytes(3).toString('hex');
let stores: IsolatedStores;
let config: SmtConfig;
let env: Record<string, string>;
const dir = mkdtempSync(path.join(tmpdir(), 'smt-import-it-'));

function meter(meterId: string): Meter {
  return {
    meterId,
    accountId: `A-${meterId}`,
    tariffId: 'T-FLAT',
    regionId: 'QLD',
    segment: 'residential',
    timezone: ZONE,
    intervalMinutes: 30,
    status: 'active',
    ratedKw: 10,
    installedAt: new Date('2025-01-01T00:00:00Z'),
    removedAt: null,
  };
}

/** value of NMI n, day d, interval i: distinct and exactly representable as written */
const readingValue = (n: number, d: number, i: number) =>
  Number(((n + 1) * 0.1 + d * 0.01 + i * 0.001).toFixed(3));

function blocks(): ReadingBlock[] {
  return NMIS.flatMap((nmi, n) =>
    [0, 1].map((d) => {
      const b = emptyBlock(`${nmi}E1`, 'active_import_kwh', 30, 48);
      const start = Date.UTC(2026, 0, 10 + d) - 10 * 3_600_000;
      for (let i = 0; i < 48; i++) {
        b.starts[i] = start + i * 1_800_000;
        b.values[i] = readingValue(n, d, i);
      }
      return b;
    }),
  );
}

beforeAll(async () => {
  const t = await ingestTestStores(
    'import',
    id,
    NMIS.map((n) => meter(`${n}E1`)),
    { SMT_KAFKA_PARTITIONS: '2', SMT_TIMEZONE: ZONE },
  );
  stores = t.stores;
  config = t.config;
  env = t.env;
}, 180_000);

afterAll(async () => {
  await stores?.drop();
});

describe('smt import → smt ingest against the real stack', () => {
  const file = path.join(dir, 'NEM12#0001#MDP#RETAILER.csv');

  it('imports a NEM12 file (4 NMI-days), skips it the second time, and ingest stores exactly its readings', async () => {
    writeFileSync(file, encode('nem12', blocks()) as string);
    const dry = json<ImportSummary>(runCli(['import', file, '--dry-run', '--json'], env));
    expect(dry.files[0]!.status).toBe('dry-run');
    expect([dry.messages, dry.readings]).toEqual([4, 192]);

    const first = runCli(['import', file, '--json'], env);
    expect(first.status, first.stderr).toBe(0);
    const s1 = json<ImportSummary>(first);
    expect(s1.topic).toBe(`it.${id}.raw`);
    expect(s1.files.map((f) => [f.status, f.messages, f.readings])).toEqual([['imported', 4, 192]]);

    const again = json<ImportSummary>(runCli(['import', file, '--json'], env));
    expect(again.files[0]!.status).toBe('skipped');
    expect(again.files[0]!.previous).toMatchObject({
      sha256: s1.files[0]!.sha256,
      messages: 4,
      readings: 192,
    });
    expect(again.messages).toBe(0);

    const ingest = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(ingest.stoppedBy).toBe('idle');
    expect(ingest.deadLetteredMessages).toBe(0);
    expect(ingest.stored).toBe(192);
    expect(await seriesReadingCount(config)).toBe(192);
    for (const [n, nmi] of NMIS.entries()) {
      const days = await seriesDays(config, `${nmi}E1`, '2026-01-10', '2026-01-11');
      expect(days.map((d) => d.day)).toEqual(['2026-01-10', '2026-01-11']);
      for (const [d, day] of days.entries())
        expect(Array.from(day.values)).toEqual(Array.from({ length: 48 }, (_, i) => readingValue(n, d, i)));
    }
  }, 240_000);

  it('--force imports the same file again; ingest counts the days as duplicates, not twice', async () => {
    const forced = json<ImportSummary>(runCli(['import', file, '--force', '--json'], env));
    expect(forced.files[0]!.status).toBe('imported');
    const ingest = await runIngest(config, { untilIdle: true, logger: silentLogger });
    expect(ingest.stored).toBe(0);
    expect(ingest.duplicates).toBe(192);
    expect(await seriesReadingCount(config)).toBe(192);
  }, 240_000);
});
