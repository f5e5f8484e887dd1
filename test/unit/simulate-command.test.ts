import { describe, expect, it } from 'vitest';
import type { SimulateSummary } from '../../src/core/simulate/service.js';
import { json, runCli } from '../helpers/cli.js';

/** The real CLI in a child process; --dry-run needs no stack. */
describe('smt simulate (CLI)', () => {
  it('--dry-run --json prints the typed summary and nothing else', () => {
    const r = runCli([
      'simulate',
      '--meters',
      '40',
      '--days',
      '2',
      '--start',
      '2026-03-28',
      '--faults',
      'heavy',
      '--dry-run',
      '--json',
    ]);
    expect(r.status).toBe(0);
    const s = json<SimulateSummary>(r);
    expect(s).toMatchObject({
      meters: 40,
      days: 2,
      start: '2026-03-28',
      end: '2026-03-29',
      dryRun: true,
      topic: null,
      format: 'json',
      seed: 42,
    });
    expect(s.tally.readings.generated).toBe(40 * (96 + 92));
    expect(s.messages).toBe(s.tally.messages.total);
    expect(s.faultRates.late).toBe(0.05);
    // no progress or info lines under --json
    expect(r.stderr.trim()).toBe('');
  });

  it('prints tables on stdout and progress on stderr without --json', () => {
    const r = runCli([
      'simulate',
      '--meters',
      '20',
      '--days',
      '1',
      '--start',
      '2026-10-25',
      '--fault',
      'late=0,spike=10%',
      '--dry-run',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Faults \(ground truth\)/);
    expect(r.stdout).toMatch(/spike\s+│ 0\.1/);
    expect(r.stderr).toMatch(/simulating 20 meters × 1 days from 2026-10-25/);
    expect(r.stderr).toMatch(/simulate: 100%/);
  });

  it.each([
    [['--fault', 'bogus=1'], /unknown fault "bogus"/],
    [['--fault', 'late=2'], /not a rate/],
    [['--start', '2026-02-30'], /--start 2026-02-30: not a real local date/],
    [['--interval', '20'], /expected 5, 15, 30 or 60/],
    [['--timezone', 'Europe/Stockhol'], /Unknown time zone/],
    [['--registry-csv', 'x.csv', '--no-register'], /cannot also be provided/],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = runCli(['simulate', '--meters', '2', '--days', '1', '--dry-run', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--help shows examples', () => {
    const r = runCli(['simulate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/EXAMPLES[\s\S]*simulate --meters/);
  });
});
