import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds and RSS of the processes behind each local service, read from /proc. */
export interface ProcStats {
  cpuSeconds: number;
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

export function serviceStats(service: string): ProcStats {
  const match = matcher(service);
  const out: ProcStats = { cpuSeconds: 0, rssBytes: 0, processes: 0 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!match(comm, cmdline)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11], [12] are utime and stime (fields 14 and 15 of stat(5))
      out.cpuSeconds += (Number(fields[11]) + Number(fields[12])) / TICKS;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      out.rssBytes += rss ? Number(rss[1]) * 1024 : 0;
      out.processes++;
    } catch {
      // the process ended while we looked
    }
  }
  return out;
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
