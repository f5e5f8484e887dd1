/**
 * Start, probe and stop a second, private stack (PostgreSQL and ClickHouse, the services that start
 * in about a second) in a temporary directory on ports of its own, so the shared stack used by the
 * other test files is never touched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { probeServices } from '../../src/core/stack/health.js';
import { stackDown, stackStatus, stackUp } from '../../src/core/stack/orchestrator.js';
import { isAlive, portInUse, processTree } from '../../src/core/stack/proc.js';

const dir = mkdtempSync(path.join(tmpdir(), 'smt-lifecycle-'));
const env = {
  SMT_STACK_DIR: path.join(dir, 'stack'),
  SMT_POSTGRES_URL: 'postgres://life:cycle@127.0.0.1:56532/lifedb',
  SMT_CLICKHOUSE_URL: 'http://127.0.0.1:28223',
};
const config = loadConfig({ env, cwd: dir });
const services = ['postgres', 'clickhouse'] as const;

function cli(...args: string[]) {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', '--no-warnings', path.resolve('bin/dev.js'), ...args],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, ...env },
    },
  );
}

beforeAll(async () => {
  for (const port of [56532, 28223, 29100, 29109]) {
    if (await portInUse(port)) throw new Error(`port ${port} is taken; this test needs it free`);
  }
});

afterAll(async () => {
  await stackDown(config, { services: [...services], purge: true }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('a private stack from an empty directory', () => {
  const pids: number[] = [];

  it('starts, creates the configured database and answers with the configured credentials', async () => {
    const up = await stackUp(config, { services: [...services] });
    expect(up.alreadyUp).toBe(false);
    expect(up.services.map((s) => [s.service, s.action])).toEqual([
      ['postgres', 'started'],
      ['clickhouse', 'started'],
    ]);
    for (const s of up.services) pids.push(s.pid!);
    const probes = await probeServices(config, [...services]);
    expect(
      probes.every((p) => p.reachable),
      JSON.stringify(probes),
    ).toBe(true);
  });

  it('keeps the PostgreSQL data private: a mkdtemp directory under /var/tmp when the checkout is not reachable, 700, no password file left', () => {
    const link = path.join(env.SMT_STACK_DIR, 'postgres', 'data');
    const real = realpathSync(link);
    const st = lstatSync(real);
    expect(st.isDirectory()).toBe(true);
    expect((st.mode & 0o777).toString(8)).toBe('700');
    // as root the test's temporary directory is root's 0700: the postgres account cannot traverse it
    if (process.getuid?.() === 0) expect(lstatSync(link).isSymbolicLink()).toBe(true);
    if (lstatSync(link).isSymbolicLink()) {
      expect(real).toMatch(/^\/var\/tmp\/smt-postgres-[A-Za-z0-9]{6}$/);
      expect(readdirSync('/var/tmp').filter((n) => n.startsWith('.smt-pw-'))).toEqual([]);
    }
    expect(readdirSync(path.dirname(real)).filter((n) => n.startsWith('.smt-pw-'))).toEqual([]);
  });

  it('refuses a wrong PostgreSQL password (md5 auth, not trust)', async () => {
    const wrong = loadConfig({
      env: { ...env, SMT_POSTGRES_URL: 'postgres://life:nope@127.0.0.1:56532/lifedb' },
      cwd: dir,
    });
    const [p] = await probeServices(wrong, ['postgres']);
    expect(p?.reachable).toBe(false);
    expect(p?.error).toMatch(/password authentication failed/);
  });

  it('stops one service; status then names it down and the CLI exits 4', async () => {
    const down = await stackDown(config, { services: ['clickhouse'] });
    expect(down.services).toEqual([
      { service: 'clickhouse', action: 'stopped', pid: pids[1], purged: false },
    ]);
    expect(isAlive(pids[1]!)).toBe(false);
    const status = await stackStatus(config, { services: [...services] });
    expect(status.allUp).toBe(false);
    expect(status.services.map((s) => [s.service, s.health])).toEqual([
      ['postgres', 'up'],
      ['clickhouse', 'down'],
    ]);
    const r = cli('stack', 'status', '--services', 'postgres,clickhouse', '--json');
    expect(r.status, r.stderr).toBe(4);
    const doc = JSON.parse(r.stdout) as { services: { service: string; health: string }[] };
    expect(doc.services.find((s) => s.service === 'clickhouse')?.health).toBe('down');
  });

  it('starts only what is missing', async () => {
    const up = await stackUp(config, { services: [...services] });
    expect(up.services.map((s) => [s.service, s.action])).toEqual([
      ['postgres', 'alreadyRunning'],
      ['clickhouse', 'started'],
    ]);
    expect(up.services[0]?.pid).toBe(pids[0]);
    pids[1] = up.services[1]!.pid!;
  });

  it('stops everything and leaves no process behind', async () => {
    const trees = pids.map((p) => processTree(p));
    expect(trees[0]!.length).toBeGreaterThan(1); // postmaster and its children
    const r = cli('stack', 'down', '--services', 'postgres,clickhouse', '--purge', '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { services: { service: string; action: string }[] };
    expect(doc.services.map((s) => s.action)).toEqual(['stopped', 'stopped']);
    for (const p of trees.flat()) expect(isAlive(p), `pid ${p}`).toBe(false);
    expect(existsSync(path.join(dir, 'stack', 'postgres'))).toBe(false);
    const probes = await probeServices(config, [...services], { timeoutMs: 2000 });
    expect(probes.map((p) => p.reachable)).toEqual([false, false]);
  });
});
