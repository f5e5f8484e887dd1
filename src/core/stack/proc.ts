import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** PID from a pid file, or undefined when the file is missing or garbage. */
export function readPidFile(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** clock ticks after boot; with the PID it identifies a process even if the PID is reused */
  startTime: string;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: parse after the last ')'
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (a zombie would look alive to kill(pid, 0) until its parent reaps it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

function liveProcesses(): { pid: number; ppid: number; pgrp: number }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: { pid: number; ppid: number; pgrp: number }[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(Number(e));
    if (st && st.state !== 'Z' && st.state !== 'X')
      out.push({ pid: Number(e), ppid: st.ppid, pgrp: st.pgrp });
  }
  return out;
}

/**
 * A server and everything it spawned: its process group (services start as group leaders) plus
 * its descendants, because PostgreSQL's children move into groups of their own.
 */
export function processTree(root: number): number[] {
  const procs = liveProcesses();
  const found = new Set<number>();
  for (const p of procs) if (p.pid === root || p.pgrp === root) found.add(p.pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Resident memory from /proc/<pid>/status (VmRSS), in bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function tailFile(file: string, lines: number): string {
  if (!existsSync(file)) return `(no log file at ${file})`;
  const text = readFileSync(file, 'utf8');
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).join('\n');
}

export interface SpawnDetachedOptions {
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/**
 * Start a server in its own session (so it outlives the CLI and its whole process tree can be
 * signalled as one group), with stdout and stderr appended to logFile and stdin closed.
 */
export function spawnDetached(command: string, args: string[], options: SpawnDetachedOptions): number {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    // spawn errors (ENOENT) surface asynchronously; the missing pid is enough to report it
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a helper to completion (mvn, apt-get, initdb), capturing output. */
export function run(
  command: string,
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    uid?: number;
    gid?: number;
    timeoutMs?: number;
    input?: string;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + err.message });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

export type StopOutcome = 'stopped' | 'killed';

/**
 * Graceful stop: `signal` to the server (it tells its own children to exit), wait until the server
 * and every process it had spawned are gone, then SIGKILL whatever is left.
 */
export async function stopGroup(
  pid: number,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<StopOutcome> {
  // Taken up front (children orphaned by a dying server are re-parented and would be missed later),
  // keyed by start time so a PID reused meanwhile by an unrelated process is never signalled.
  const tree = new Map<number, string>();
  const remember = () => {
    for (const p of processTree(pid)) {
      const st = procStat(p);
      if (st && !tree.has(p)) tree.set(p, st.startTime);
    }
  };
  const remaining = () => {
    remember();
    return [...tree]
      .filter(([p, start]) => {
        const st = procStat(p);
        return st !== undefined && st.startTime === start && st.state !== 'Z' && st.state !== 'X';
      })
      .map(([p]) => p);
  };
  remember();
  try {
    process.kill(pid, signal);
  } catch {
    // already gone; still sweep what it left below
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (remaining().length === 0) return 'stopped';
    await sleep(100);
  }
  for (const p of remaining()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  const killDeadline = Date.now() + 5000;
  while (remaining().length > 0 && Date.now() < killDeadline) await sleep(50);
  return 'killed';
}

/** True when something already listens on host:port (we try to bind it ourselves). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'EADDRINUSE' || err.code === 'EACCES'),
    );
    srv.once('listening', () => srv.close(() => resolve(false)));
    srv.listen({ port, host, exclusive: true });
  });
}

/** Resolve to `fallback` when `promise` takes longer than ms (the promise keeps running). */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => T | Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'__timeout'>((resolve) => {
    timer = setTimeout(() => resolve('__timeout'), ms);
  });
  try {
    const r = await Promise.race([promise, timeout]);
    return r === '__timeout' ? await onTimeout() : (r as T);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
