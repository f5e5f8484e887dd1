/** The dashboard screen as lines: the live view, `--once` and the tests all render through this. */
import type { DashboardSnapshot, Section } from '../../core/dashboard/service.js';
import type { CharMode } from '../inspect/theme.js';

const SPARK = { unicode: '▁▂▃▄▅▆▇█', ascii: '_.-:=+*#' };

export function sparkline(values: readonly number[], mode: CharMode): string {
  const chars = SPARK[mode];
  const max = Math.max(0, ...values);
  if (max === 0) return chars[0]!.repeat(values.length);
  return values
    .map((v) => chars[Math.min(chars.length - 1, Math.floor((v / max) * (chars.length - 1)))]!)
    .join('');
}

function show<T>(s: Section<T>, f: (v: T) => string[]): string[] {
  return s.ok ? f(s.value) : [`  unavailable: ${s.error.replace(/\s+/g, ' ').slice(0, 150)}`];
}

const n = (x: number) => new Intl.NumberFormat('en-US').format(x);

export function dashboardLines(s: DashboardSnapshot, mode: CharMode): string[] {
  return [
    `smt dashboard  ${s.at.replace('T', ' ').slice(0, 19)}Z  today ${s.today} (${s.timezone})`,
    'ingest',
    ...show(s.ingest, (i) => [
      `  ${i.readingsPerSecond === null ? '–' : n(i.readingsPerSecond)} readings/s  ${n(i.readingsTotal)} readings since the daemon started  dead letters ${n(i.deadLettered)}`,
      `  rejects: ${
        Object.entries(i.rejectsByReason)
          .sort((a, b) => b[1] - a[1])
          .map(([r, c]) => `${r} ${n(c)}`)
          .join(', ') || 'none'
      }`,
    ]),
    ...show(s.lag, (l) => [
      `  lag ${l.totalLag} (${l.group} on ${l.topic}, ${l.state}): ${l.partitions.map((p) => `p${p.partition} ${p.lag}`).join('  ')}`,
    ]),
    'completeness today (intervals ended so far)',
    ...show(s.completeness, (rows) =>
      rows.length === 0
        ? ['  no active meters']
        : rows.map(
            (r) =>
              `  ${r.region.padEnd(10)} ${String(r.pct).padStart(5)}%  ${n(r.received)}/${n(r.expected)}  ${n(r.meters)} meters`,
          ),
    ),
    ...show(s.estimatedShare, (e) => [
      `estimated share today ${e === null ? '–' : `${(e * 100).toFixed(1)}%`} (provisional rollups)`,
    ]),
    ...show(s.recalcQueue, (q) => [
      `recalculation queue: ${q.pending} pending, ${q.running} running, ${q.failed} failed`,
    ]),
    ...show(s.lateAlerts, (a) => [
      `late-data alerts open: ${a.open}`,
      ...a.latest.map(
        (x) =>
          `  ${x.raisedAt.slice(0, 16).replace('T', ' ')} ${x.meterId} ${x.localDate} ${x.kind} (${x.readings})`,
      ),
    ]),
    'stores',
    ...show(s.stores, (p) => [
      `  ${p.components.map((c) => `${c.component} ${c.reachable ? (c.problem ? 'degraded' : 'ok') : 'DOWN'} ${c.latencyMs}ms`).join('  ')}`,
    ]),
    'regional load, last 24 h (provisional rollups)',
    ...show(s.regionalLoad, (rows) =>
      rows.length === 0
        ? ['  no readings in the last 24 h']
        : rows.map(
            (r) =>
              `  ${r.region.padEnd(10)} ${sparkline(r.hourly, mode)}  peak ${n(Math.round(Math.max(...r.hourly)))}`,
          ),
    ),
  ];
}
