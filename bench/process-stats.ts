import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** CPU seconds and RSS of the processes behind each local service, read from /proc. */
export interface ProcStats {
  cpuSeconds: number;
  /** of which the JVM's JIT compiler threads (C1/C2): a fresh JVM's one-off cost, not per request */
  jitCpuSeconds: number;
  rssBytes: number;
  processes: number;
}

const TICKS = 100; // USER_HZ on Linux x86_64

function matcher(service: string): (comm: string, cmdline: string) => boolean {
  switch (service) {
    case 'kafka':
      return (_c, cmd) => cmd.includes('kafka.Kafka');
    case 'cassandra':
      return (_c, cmd) => cmd.includes('CassandraDaemon');
    case 'postgres':
      return (c) => c === 'postgres';
    case 'clickhouse':
      return (c) => c.startsWith('clickhouse');
    default:
      return () => false;
  }
}

/** fields after the command name of /proc/<pid>/stat (field 3 of stat(5) is index 0) */
function statFields(pid: string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * The processes of the stack this bench runs against: the PID `smt stack up` recorded and its
 * descendants (PostgreSQL's backends), so other stacks or services on the machine do not count.
 * Without a PID file (services run elsewhere) every process that looks like the service counts.
 */
function servicePids(service: string): string[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const pidFile = path.join(path.resolve(process.env.SMT_STACK_DIR ?? '.smt'), `${service}.pid`);
  if (existsSync(pidFile)) {
    const root = readFileSync(pidFile, 'utf8').trim();
    const parent = new Map<string, string>();
    for (const pid of all) {
      try {
        parent.set(pid, statFields(pid)[1]!);
      } catch {
        // the process ended while we looked
      }
    }
    const isOurs = (pid: string): boolean => {
      for (let p: string | undefined = pid, hops = 0; p && p !== '0' && hops < 64; p = parent.get(p), hops++)
        if (p === root) return true;
      return false;
    };
    return all.filter(isOurs);
  }
  const match = matcher(service);
  return all.filter((pid) => {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      return match(comm, readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      return false;
    }
  });
}

export function serviceStats(service: string): ProcStats {
  const out: ProcStats = { cpuSeconds: 0, jitCpuSeconds: 0, rssBytes: 0, processes: 0 };
  for (const pid of servicePids(service)) {
    try {
      const fields = statFields(pid);
      // fields[11..14]: utime, stime, and cutime, cstime of children that ended (PostgreSQL's
      // backends of closed connections), fields 14–17 of stat(5)
      out.cpuSeconds +=
        (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      out.rssBytes += rss ? Number(rss[1]) * 1024 : 0;
      out.jitCpuSeconds += jitCpuSeconds(pid);
      out.processes++;
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** CPU seconds of a JVM's compiler threads ("C1 CompilerThre", "C2 CompilerThre"; /proc cuts names at 15). */
function jitCpuSeconds(pid: string): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (!/^\d+ \(C[12] CompilerThre/.test(stat)) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += (Number(f[11]) + Number(f[12])) / TICKS;
    } catch {
      // the thread ended while we looked
    }
  }
  return sum;
}

/** Whether a JVM service of this stack runs with the C1-only JIT (`stack.jit = quick`) or the full one. */
export function jitProfile(service: 'kafka' | 'cassandra'): 'quick' | 'throughput' | 'unknown' {
  const [pid] = servicePids(service);
  if (pid === undefined) return 'unknown';
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  return cmdline.includes('-XX:TieredStopAtLevel=1') ? 'quick' : 'throughput';
}

export const SERVICES = ['kafka', 'cassandra', 'clickhouse', 'postgres'] as const;

export function snapshotAll(): Record<string, ProcStats> {
  return Object.fromEntries(SERVICES.map((s) => [s, serviceStats(s)]));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** CPU seconds (user + system) one process has used so far; 0 once it has ended. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = statFields(String(pid));
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * Waits until the services are idle: less than `idleShare` of one core between them over a window
 * of `windowMs` (or `maxSeconds` pass). A bench calls it after writing its set-up data, so the
 * compactions and merges that data causes are not counted against what it measures next.
 * Returns the seconds waited and whether they went idle.
 */
export async function settle(
  services: readonly string[],
  o: { windowMs?: number; idleShare?: number; maxSeconds?: number } = {},
): Promise<{ seconds: number; idle: boolean }> {
  const windowMs = o.windowMs ?? 3000;
  const idleShare = o.idleShare ?? 0.05;
  const started = performance.now();
  const cpu = () => services.reduce((n, s) => n + serviceStats(s).cpuSeconds, 0);
  for (;;) {
    const before = cpu();
    await new Promise((r) => setTimeout(r, windowMs));
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    if (cpu() - before < (idleShare * windowMs) / 1000) return { seconds, idle: true };
    if (seconds >= (o.maxSeconds ?? 180)) return { seconds, idle: false };
  }
}
