/**
 * Against the shared local stack that `npm test` brings up (scripts/test.mjs). Nothing here stops
 * or restarts a shared service: other test files use them concurrently.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { probeServices } from '../../src/core/stack/health.js';
import { stackStatus, stackUp } from '../../src/core/stack/orchestrator.js';

const config = loadConfig();

describe('probeServices on the running stack', () => {
  it('reaches all four with their real versions', async () => {
    const probes = await probeServices(config);
    expect(probes.map((p) => p.service).sort()).toEqual(['cassandra', 'clickhouse', 'kafka', 'postgres']);
    for (const p of probes) expect(p, JSON.stringify(p)).toMatchObject({ reachable: true });
    const version = Object.fromEntries(probes.map((p) => [p.service, p.version]));
    expect(version.postgres).toMatch(/^15\.\d+/);
    expect(version.clickhouse).toMatch(/^18\.16\./);
    expect(version.cassandra).toMatch(/^5\.0\.\d+$/);
    expect(version.kafka).toMatch(/^3\.9 \(1 broker/);
  });

  it('reports an unreachable service without throwing', async () => {
    const elsewhere = loadConfig({ env: { ...process.env, SMT_CLICKHOUSE_URL: 'http://127.0.0.1:1' } });
    const [probe] = await probeServices(elsewhere, ['clickhouse'], { timeoutMs: 2000 });
    expect(probe).toMatchObject({ service: 'clickhouse', reachable: false, version: null });
    expect(probe?.error).toMatch(/ECONNREFUSED/);
  });
});

describe('stack up on a running stack', () => {
  it('is a no-op that reports every service as already running', async () => {
    const before = await stackStatus(config);
    const result = await stackUp(config);
    expect(result.alreadyUp).toBe(true);
    expect(result.services.map((s) => [s.service, s.action])).toEqual([
      ['cassandra', 'alreadyRunning'],
      ['kafka', 'alreadyRunning'],
      ['postgres', 'alreadyRunning'],
      ['clickhouse', 'alreadyRunning'],
    ]);
    const after = await stackStatus(config);
    // the same processes, nothing restarted
    expect(after.services.map((s) => s.pid)).toEqual(before.services.map((s) => s.pid));
  });
});

describe('stack status', () => {
  it('shows a PID and resident memory for every service the stack started', async () => {
    const status = await stackStatus(config);
    expect(status.allUp).toBe(true);
    for (const s of status.services) {
      expect(s.health, s.service).toBe('up');
      expect(s.pid, s.service).toBeGreaterThan(1);
      expect(s.rssBytes, s.service).toBeGreaterThan(1024 * 1024);
    }
    expect(status.services.find((s) => s.service === 'kafka')?.version).toMatch(/^3\.9\.\d+$/);
  });

  it('exits 0 with the status document under --json', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--no-warnings', 'bin/dev.js', 'stack', 'status', '--json'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { allUp: boolean; services: { service: string; health: string }[] };
    expect(doc.allUp).toBe(true);
    expect(doc.services).toHaveLength(4);
  });
});
