import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../../src/core/dashboard/service.js';
import { scrapeOf } from '../../src/core/ingest/metrics-scrape.js';
import { DashboardApp } from '../../src/ui/dashboard/DashboardApp.js';
import { sparkline } from '../../src/ui/dashboard/text.js';

describe('dashboard pieces', () => {
  it("reads the ingest counters from the daemon's Prometheus text", () => {
    const text = [
      '# HELP smt_ingest_readings_total readings by outcome',
      '# TYPE smt_ingest_readings_total counter',
      'smt_ingest_readings_total{outcome="stored"} 1200',
      'smt_ingest_readings_total{outcome="rejected"} 30',
      'smt_ingest_rejects_total{reason="physical.max_power"} 25',
      'smt_ingest_rejects_total{reason="decode"} 5',
      'smt_ingest_messages_total{outcome="dead_lettered"} 3',
      'smt_ingest_messages_total{outcome="ok"} 97',
    ].join('\n');
    expect(scrapeOf(text, 7)).toEqual({
      at: 7,
      readings: 1230,
      rejectsByReason: { 'physical.max_power': 25, decode: 5 },
      deadLettered: 3,
    });
  });

  it('draws a sparkline scaled to its peak, in both character sets', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 'unicode')).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0, 7, 3.5], 'ascii')).toBe('_#:');
    expect(sparkline([0, 0], 'unicode')).toBe('▁▁');
  });
});

function snap(pending: number): DashboardSnapshot {
  const down = { ok: false as const, error: 'postgres: connection refused' };
  return {
    at: '2026-12-01T12:00:00.000Z',
    today: '2026-12-01',
    timezone: 'Europe/Stockholm',
    ingest: down,
    lag: down,
    completeness: { ok: true, value: [{ region: 'SE3', meters: 2, expected: 100, received: 90, pct: 90 }] },
    estimatedShare: { ok: true, value: 0.125 },
    recalcQueue: { ok: true, value: { pending, running: 0, failed: 0 } },
    lateAlerts: { ok: true, value: { open: 0, latest: [] } },
    stores: down,
    regionalLoad: { ok: true, value: [{ region: 'SE3', hourly: [0, 7, 3.5] }] },
  };
}

describe('dashboard app', () => {
  it('refreshes on its interval, shows what is down, and stops refreshing on q', async () => {
    let calls = 0;
    const a = render(
      <DashboardApp first={snap(1)} refresh={async () => snap(++calls + 1)} intervalMs={100} mode="ascii" />,
    );
    const frame = () => a.lastFrame() ?? '';
    expect(frame()).toContain('recalculation queue: 1 pending');
    expect(frame()).toContain(`  SE3${' '.repeat(11)}90%  90/100  2 meters`);
    expect(frame()).toContain('estimated share today 12.5% (provisional rollups)');
    expect(frame()).toContain('  SE3        _#:  peak 7');
    expect(frame()).toContain('  unavailable: postgres: connection refused');
    for (let i = 0; i < 50 && !frame().includes('recalculation queue: 2 pending'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(frame()).toContain('recalculation queue: 2 pending');
    a.stdin.write('q');
    await new Promise((r) => setTimeout(r, 300));
    const after = calls;
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(after);
    a.unmount();
  });
});
