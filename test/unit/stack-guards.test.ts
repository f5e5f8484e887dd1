import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError, SmtError } from '../../src/core/errors.js';
import { describePortOwner, portOwner } from '../../src/core/stack/port-owner.js';
import { checkPrivateDir } from '../../src/core/stack/postgres.js';
import { withStackLock } from '../../src/core/stack/stack-lock.js';

const temp = () => mkdtempSync(path.join(tmpdir(), 'smt-guards-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the stack lock serialises stack commands on one directory', () => {
  it('a second command waits until the first is done', async () => {
    const dir = temp();
    const events: string[] = [];
    const waitedFor: number[] = [];
    const first = withStackLock(dir, async () => {
      events.push('first in');
      await sleep(400);
      events.push('first out');
    });
    await sleep(50);
    const second = withStackLock(
      dir,
      async () => {
        events.push('second in');
      },
      { pollMs: 20, onWait: (pid) => waitedFor.push(pid) },
    );
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
    expect(waitedFor).toEqual([process.pid]);
    expect(existsSync(path.join(dir, 'stack.lock'))).toBe(false);
  });

  it('serialises two processes', async () => {
    const dir = temp();
    const lockModule = path.resolve('src/core/stack/stack-lock.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { withStackLock } = await import(${JSON.stringify(lockModule)});
         await withStackLock(${JSON.stringify(dir)}, async () => { process.stdout.write('held'); await new Promise((r) => setTimeout(r, 800)); (await import('node:fs')).writeFileSync(${JSON.stringify(path.join(dir, 'done'))}, ''); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('held')) resolve();
      }),
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const waitedFor: number[] = [];
    const seen = await withStackLock(dir, async () => existsSync(path.join(dir, 'done')), {
      pollMs: 20,
      onWait: (pid) => waitedFor.push(pid),
    });
    await exited;
    expect(waitedFor).toEqual([child.pid]);
    // the second holder ran only after the first had finished its work
    expect(seen).toBe(true);
  });

  it('takes over the lock of a process that died holding it', async () => {
    const dir = temp();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(dir, 'stack.lock'), `${dead.stdout}\n`);
    expect(await withStackLock(dir, async () => readFileSync(path.join(dir, 'stack.lock'), 'utf8'))).toBe(
      `${process.pid}\n`,
    );
  });

  it('never writes through a symlink planted at the lock path', async () => {
    const dir = temp();
    const victim = path.join(temp(), 'victim');
    symlinkSync(victim, path.join(dir, 'stack.lock'));
    await withStackLock(dir, async () => {});
    expect(existsSync(victim)).toBe(false);
  });

  it('gives up after its timeout, naming the holder (exit 4)', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'stack.lock'), `${process.ppid}\n`); // alive: the test runner's parent
    const err = await withStackLock(dir, async () => {}, { timeoutMs: 100, pollMs: 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe(
      `stack: another smt (pid ${process.ppid}) holds ${path.join(dir, 'stack.lock')}`,
    );
  });
});

describe('the PostgreSQL data directory must be private to the server account', () => {
  const uid = process.getuid!();
  it('accepts a 700 directory owned by the account', () => {
    const d = temp();
    chmodSync(d, 0o700);
    expect(() => checkPrivateDir(d, uid)).not.toThrow();
  });

  it('refuses one others can enter, one owned by another uid, and a symlink', () => {
    const d = temp();
    chmodSync(d, 0o755);
    expect(() => checkPrivateDir(d, uid)).toThrow(
      `postgres: refusing the data directory ${d}: its mode 755 lets other users in (expected 700)`,
    );
    const owned = temp();
    chmodSync(owned, 0o700);
    expect(() => checkPrivateDir(owned, uid + 1)).toThrow(
      `it is owned by uid ${uid}, not by uid ${uid + 1} that runs the server`,
    );
    const target = temp();
    chmodSync(target, 0o700);
    const link = path.join(temp(), 'data');
    symlinkSync(target, link);
    expect(() => checkPrivateDir(link, uid)).toThrow('it is not a directory');
    try {
      checkPrivateDir(link, uid);
    } catch (e) {
      expect(e).toBeInstanceOf(SmtError);
      expect((e as SmtError).exitCode).toBe(4);
    }
  });
});

describe('the program on a port is named', () => {
  it('finds the listening process through /proc', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(portOwner(port)).toMatchObject({ pid: process.pid, uid: process.getuid!() });
      expect(describePortOwner(port)).toMatch(new RegExp(`^pid ${process.pid} \\(uid \\d+\\): .*node`));
    } finally {
      server.close();
    }
    expect(portOwner(port)).toBeUndefined();
  });
});
