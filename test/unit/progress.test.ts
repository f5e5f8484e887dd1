import { describe, expect, it } from 'vitest';
import { LineReporter, ProgressModel } from '../../src/ui/progress/index.js';

function harness(everyMs = 5_000) {
  let t = 0;
  const lines: string[] = [];
  const model = new ProgressModel(
    new LineReporter(
      everyMs,
      (l) => lines.push(l),
      () => t,
    ),
    () => t,
  );
  return { model, lines, at: (ms: number) => (t = ms) };
}

describe('the progress model with the plain-line reporter', () => {
  it('prints a stage when it starts and ends, at most one line per interval between, with rate and ETA', () => {
    const h = harness();
    h.model.handle({ kind: 'stage', label: 'aggregate', total: 1_000, unit: 'meter-days' });
    h.at(1_000);
    h.model.handle({ kind: 'advance', done: 100 });
    h.at(2_000);
    h.model.handle({ kind: 'advance', done: 200 }); // within 5 s of the last line: not printed
    h.at(6_000);
    h.model.handle({ kind: 'advance', done: 600, counts: { changed: 12 } });
    h.at(10_000);
    h.model.handle({ kind: 'advance', done: 1_000 });
    h.model.handle({ kind: 'done' });
    expect(h.lines).toEqual([
      'aggregate: 0%  0 / 1,000 meter-days  0 meter-days/s  ETA –',
      'aggregate: 60%  600 / 1,000 meter-days  100 meter-days/s  ETA 0:04  changed 12',
      'aggregate: 100%  1,000 / 1,000 meter-days  100 meter-days/s  ETA 0:00  changed 12',
    ]);
  });

  it('a stage without a total shows count and rate only; notes are printed as they come', () => {
    const h = harness(0);
    h.model.handle({ kind: 'note', text: 'stack: up' });
    h.model.handle({ kind: 'stage', label: 'ingest', total: null, unit: 'readings' });
    h.at(2_000);
    h.model.handle({ kind: 'advance', done: 5_000 });
    h.model.handle({ kind: 'done' });
    expect(h.lines).toEqual([
      'stack: up',
      'ingest: 0 readings  0 readings/s',
      'ingest: 5,000 readings  2,500 readings/s',
      'ingest: 5,000 readings  2,500 readings/s',
    ]);
  });
});
