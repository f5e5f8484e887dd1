import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { cmdline } from './proc.js';

export interface PortOwner {
  pid: number;
  uid: number;
  command: string;
}

const LISTEN = '0A';

/** Socket inodes listening on the port, from /proc/net/tcp and tcp6 (local address hex ip:port). */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== LISTEN) continue;
      if (f[1]!.split(':')[1] === hexPort) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/**
 * The process listening on a TCP port, found through /proc (as root every process is visible;
 * otherwise only one's own). Undefined when nothing listens or the owner cannot be seen.
 */
export function portOwner(port: number): PortOwner | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${name}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!wanted.has(target)) continue;
      const pid = Number(name);
      let uid = -1;
      try {
        uid = statSync(`/proc/${name}`).uid;
      } catch {
        // gone meanwhile
      }
      return { pid, uid, command: cmdline(pid).slice(0, 200) };
    }
  }
  return undefined;
}

/** "pid 123 (uid 1001): /usr/bin/foo --bar", or a fallback when /proc does not tell. */
export function describePortOwner(port: number): string {
  const o = portOwner(port);
  return o === undefined
    ? 'a process this user cannot see'
    : `pid ${o.pid} (uid ${o.uid}): ${o.command || '(no command line)'}`;
}
