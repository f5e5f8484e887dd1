import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { createStackContext, managedPid } from '../../src/core/stack/orchestrator.js';
import {
  isAlive,
  processTree,
  readPidFile,
  spawnDetached,
  stopGroup,
  tailFile,
} from '../../src/core/stack/proc.js';

const dir = mkdtempSync(path.join(tmpdir(), 'smt-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

describe('pid files', () => {
  it('ignores missing and garbage files', () => {
    expect(readPidFile(path.join(dir, 'none.pid'))).toBeUndefined();
    writeFileSync(path.join(dir, 'bad.pid'), 'hello\n');
    expect(readPidFile(path.join(dir, 'bad.pid'))).toBeUndefined();
    writeFileSync(path.join(dir, 'ok.pid'), '1234\n');
    expect(readPidFile(path.join(dir, 'ok.pid'))).toBe(1234);
  });

  it('treats a PID that now belongs to another process as stale and removes the file', () => {
    const ctx = createStackContext(loadConfig({ env: { SMT_STACK_DIR: path.join(dir, 'stack') }, cwd: dir }));
    const file = ctx.paths.pidFile('clickhouse');
    mkdirSync(ctx.paths.root, { recursive: true });
    // this test's own process is alive but is not a ClickHouse on this stack dir
    writeFileSync(file, `${process.pid}\n`);
    expect(managedPid(ctx, 'clickhouse')).toBeUndefined();
    expect(readPidFile(file)).toBe(process.pid);
    expect(managedPid(ctx, 'clickhouse', true)).toBeUndefined();
    expect(readPidFile(file)).toBeUndefined();
  });
});

describe('stopGroup', () => {
  it('waits for a server that stops its children on SIGTERM', async () => {
    const log = path.join(dir, 'ok.log');
    // A Node server, not `sh -c 'trap … TERM; sleep & sleep & wait'`: dash loses a TERM that lands
    // between starting the last background job and blocking in `wait` (3 of 150 tries here), and then
    // sleeps out the whole timeout. Node installs its handler before it spawns anything.
    const server = [
      "const { spawn } = require('node:child_process');",
      'const kids = [];',
      "process.on('SIGTERM', () => { for (const k of kids) k.kill('SIGTERM'); process.exit(0); });",
      "kids.push(spawn('sleep', ['300']), spawn('sleep', ['300']));",
      'setInterval(() => {}, 60_000);',
    ].join(' ');
    const pid = spawnDetached(process.execPath, ['-e', server], { logFile: log });
    await waitFor(() => processTree(pid).length >= 3);
    const tree = processTree(pid);
    expect(tree.length).toBeGreaterThanOrEqual(3);
    expect(await stopGroup(pid, 'SIGTERM', 10_000)).toBe('stopped');
    for (const p of tree) expect(isAlive(p), `pid ${p}`).toBe(false);
  });

  it('kills what ignores the signal, including children that left the group', async () => {
    const log = path.join(dir, 'stubborn.log');
    // the child moves to a session of its own, like PostgreSQL's backends do
    const pid = spawnDetached(
      'sh',
      ['-c', "trap '' TERM; setsid sh -c \"trap '' TERM; sleep 300\" & sleep 300 & wait"],
      { logFile: log },
    );
    await waitFor(() => processTree(pid).length >= 4);
    const tree = processTree(pid);
    expect(tree.length).toBeGreaterThanOrEqual(4);
    expect(await stopGroup(pid, 'SIGTERM', 500)).toBe('killed');
    for (const p of tree) expect(isAlive(p), `pid ${p}`).toBe(false);
  });
});

describe('tailFile', () => {
  it('returns the last lines without a trailing empty one', () => {
    const f = path.join(dir, 'tail.log');
    writeFileSync(f, `${Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n')}\n`);
    expect(tailFile(f, 3)).toBe('line 98\nline 99\nline 100');
    expect(tailFile(path.join(dir, 'nope.log'), 3)).toMatch(/no log file/);
  });
});
