/**
 * The ingest daemon's /metrics (metrics.ts) read back by `smt dashboard`. Only the counters it
 * shows are parsed from the Prometheus text format; a daemon that is not running is a state the
 * dashboard reports, not an error.
 */
import { errorMessage } from '../errors.js';

export interface IngestScrape {
  at: number;
  readings: number;
  rejectsByReason: Record<string, number>;
  deadLettered: number;
}

const SAMPLE = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/;

/** Samples of one metric as [labels, value]. */
export function parsePrometheus(
  text: string,
): Map<string, { labels: Record<string, string>; value: number }[]> {
  const out = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const kv of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]!] = kv[2]!;
    const list = out.get(m[1]!) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1]!, list);
  }
  return out;
}

export function scrapeOf(text: string, at: number): IngestScrape {
  const p = parsePrometheus(text);
  const rejectsByReason: Record<string, number> = {};
  for (const s of p.get('smt_ingest_rejects_total') ?? []) rejectsByReason[s.labels.reason ?? '?'] = s.value;
  return {
    at,
    readings: (p.get('smt_ingest_readings_total') ?? []).reduce((n, s) => n + s.value, 0),
    rejectsByReason,
    deadLettered: (p.get('smt_ingest_messages_total') ?? [])
      .filter((s) => s.labels.outcome === 'dead_lettered')
      .reduce((n, s) => n + s.value, 0),
  };
}

/** One scrape, or the reason there is none (daemon not running, port off). */
export async function scrapeIngest(url: string, timeoutMs = 2_000): Promise<IngestScrape | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return `${url} answered ${res.status}`;
    return scrapeOf(await res.text(), Date.now());
  } catch (err) {
    return `no ingest daemon at ${url} (${errorMessage(err)})`;
  }
}
