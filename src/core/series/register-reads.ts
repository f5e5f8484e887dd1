/**
 * Register (accumulation) reads in the series: what basic and manually read meters report (NEM13
 * 250 records), a register's value at an instant rather than an interval's consumption. Identity:
 * (meter, register channel, read instant). A re-delivery of the same read is a duplicate; a read
 * whose value or quality differs is a new version (the earlier ones stay readable, as for days).
 * Pure: `writer.ts` reads the stored reads, calls `planRegisterReads`, `apply.ts` writes the rows.
 */
import type { RegisterRead, RegisterReadValue } from '../codecs/types.js';

export interface RegisterReadKey {
  meterId: string;
  channel: string;
  /** read instant, UTC epoch ms */
  at: number;
}

/** One version of one register read as stored. */
export interface StoredRegisterRead extends RegisterReadKey {
  /** in `unit` (the channel's unit: kWh, kvarh, kW …) */
  value: number;
  unit: string;
  /** quality as the source gave it: NEM12/NEM13 flag letter (A, E, F, N, S), method and reason (-1 none) */
  quality: string;
  method: number;
  reason: number;
  description: string;
  /** for the read that closes a read period: its start (the previous read) and the consumption the file states */
  periodStart: number | null;
  quantity: number | null;
  /** µs, monotonic per read like the series' day versions */
  version: number;
  source: string;
  writtenAt: number;
}

export function registerReadKey(k: RegisterReadKey): string {
  return `${k.meterId}\u0000${k.channel}\u0000${k.at}`;
}

/** Both reads of each period, the current one carrying the period; one row per read instant. */
export function readsOf(
  periods: readonly RegisterRead[],
): Omit<StoredRegisterRead, 'version' | 'source' | 'writtenAt'>[] {
  const row = (p: RegisterRead, r: RegisterReadValue, period: RegisterRead | null) => ({
    meterId: p.meterId,
    channel: p.channel,
    at: r.at,
    value: r.value,
    unit: p.unit,
    quality: String.fromCharCode(r.flag),
    method: r.method,
    reason: r.reason,
    description: r.description,
    periodStart: period === null ? null : period.previous.at,
    quantity: period === null ? null : period.quantity,
  });
  // the current read of a period, with its period, wins over the same instant as another period's previous read
  const out = new Map<string, ReturnType<typeof row>>();
  for (const p of periods) {
    const prev = row(p, p.previous, null);
    if (!out.has(registerReadKey(prev))) out.set(registerReadKey(prev), prev);
    const cur = row(p, p.current, p);
    out.set(registerReadKey(cur), cur);
  }
  return [...out.values()];
}

/** Equal to the stored version: the same value and quality, and no period the stored one lacks. */
function same(
  a: Omit<StoredRegisterRead, 'version' | 'source' | 'writtenAt'>,
  b: StoredRegisterRead,
): boolean {
  return (
    a.value === b.value &&
    a.quality === b.quality &&
    a.method === b.method &&
    a.reason === b.reason &&
    a.description === b.description &&
    (a.quantity === null || (a.quantity === b.quantity && a.periodStart === b.periodStart))
  );
}

export interface RegisterReadPlan {
  rows: StoredRegisterRead[];
  /** reads received (both reads of every period, each instant once) */
  received: number;
  duplicates: number;
  newVersions: number;
  lastVersion: number;
}

/**
 * The rows to write for the reads of one unit: `version` above the stored version it replaces
 * and above `lastVersion`, so versions stay monotonic whatever the clock does.
 */
export function planRegisterReads(
  periods: readonly RegisterRead[],
  stored: ReadonlyMap<string, StoredRegisterRead>,
  source: string,
  version: number,
  now: number,
): RegisterReadPlan {
  const rows: StoredRegisterRead[] = [];
  let duplicates = 0;
  let newVersions = 0;
  let last = version;
  const reads = readsOf(periods);
  for (const r of reads) {
    const s = stored.get(registerReadKey(r));
    if (s !== undefined && (same(r, s) || s.source === source)) {
      // the same read, or this very source's write from an attempt that failed later
      duplicates++;
      continue;
    }
    if (s !== undefined) newVersions++;
    const v = s !== undefined && s.version >= version ? s.version + 1 : version;
    if (v > last) last = v;
    rows.push({ ...r, version: v, source, writtenAt: now });
  }
  return { rows, received: reads.length, duplicates, newVersions, lastVersion: last };
}
