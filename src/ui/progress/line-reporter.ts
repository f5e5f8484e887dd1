import { writeInfo } from '../output.js';
import { describeState, type ProgressReporter, type ProgressState, percentOf } from './model.js';

/**
 * Plain lines for logs (no TTY, CI): one when a stage starts and ends, and at most one every
 * `everyMs` in between — a CI log must not fill with carriage returns.
 */
export class LineReporter implements ProgressReporter {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly everyMs = 5_000,
    private readonly write: (line: string) => void = writeInfo,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(s: ProgressState, force: boolean): void {
    const t = this.now();
    if (!force && t - this.last < this.everyMs) return;
    this.last = t;
    this.write(`${s.label}: ${percentOf(s)}${describeState(s)}`);
  }

  note(text: string): void {
    this.write(text);
  }

  close(): void {}
}

/** Under --json: nothing at all on stderr. */
export class SilentReporter implements ProgressReporter {
  update(): void {}
  note(): void {}
  close(): void {}
}
