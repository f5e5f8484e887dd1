import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailableError } from '../errors.js';
import { isAlive } from './proc.js';

export interface StackLockOptions {
  /** how long to wait for another holder (a first `stack up` downloads for minutes) */
  timeoutMs?: number;
  pollMs?: number;
  /** told once, with the holder's PID, when it has to wait */
  onWait?: (holder: number) => void;
}

/**
 * Two `smt stack up` (or `down`) on one stack directory run one after the other: the lock is a
 * file created with O_EXCL holding the PID; a file whose PID is no longer alive (a killed run) is
 * taken over. O_EXCL also refuses a symlink planted at the path.
 */
export async function withStackLock<T>(
  stackDir: string,
  fn: () => Promise<T>,
  options: StackLockOptions = {},
): Promise<T> {
  const file = path.join(stackDir, 'stack.lock');
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let told = false;
  for (;;) {
    const holder = tryAcquire(file);
    if (holder === null) break;
    if (holder === 0 ? ageMs(file) > 5_000 : !isAlive(holder)) {
      // the holder died without releasing: remove its file, unless a live one replaced it meanwhile
      if ((readHolder(file) ?? 0) === holder) rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline)
      throw new ServiceUnavailableError('stack', `another smt (pid ${holder}) holds ${file}`, {
        retriable: true,
        code: 'STACK_LOCKED',
        hint: `Wait for it to finish, or stop pid ${holder}; a lock of a dead process is taken over by itself.`,
      });
    if (!told) options.onWait?.(holder);
    told = true;
    await sleep(options.pollMs ?? 250);
  }
  try {
    return await fn();
  } finally {
    if (readHolder(file) === process.pid) rmSync(file, { force: true });
  }
}

/** An empty lock file (its writer between open and write, or killed there) counts as stale after 5 s. */
function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** null when acquired; else the PID written by the holder (0 if unreadable or being written). */
function tryAcquire(file: string): number | null {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readHolder(file) ?? 0;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return null;
}

function readHolder(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
