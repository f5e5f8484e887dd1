import type { ProgressEvent, ProgressSink } from '../../core/progress.js';

/** The state of the current stage as reporters draw it: counts plus rate and ETA. */
export interface ProgressState {
  label: string;
  unit: string;
  done: number;
  total: number | null;
  /** 0..1, null when the total is unknown */
  fraction: number | null;
  /** units per second since the stage started */
  rate: number;
  /** seconds left at the current rate; null until there is a rate, or without a total */
  etaSeconds: number | null;
  elapsedSeconds: number;
  counts: Record<string, number>;
}

export interface ProgressReporter {
  /** redraw (or print) the current stage; `force` for a stage's first and last state */
  update(state: ProgressState, force: boolean): void;
  note(text: string): void;
  close(): void;
}

/**
 * The one progress model: turns the services' events (counts) into states with rate and ETA and
 * hands them to one reporter. `sink` is what a service gets as its `onProgress`.
 */
export class ProgressModel {
  private state: ProgressState | null = null;
  private startedAt = 0;

  constructor(
    private readonly reporter: ProgressReporter,
    private readonly now: () => number = () => performance.now(),
  ) {}

  readonly sink: ProgressSink = (e: ProgressEvent) => this.handle(e);

  handle(e: ProgressEvent): void {
    switch (e.kind) {
      case 'stage':
        this.finishStage();
        this.startedAt = this.now();
        this.state = {
          label: e.label,
          unit: e.unit,
          done: 0,
          total: e.total,
          fraction: e.total === null ? null : e.total === 0 ? 1 : 0,
          rate: 0,
          etaSeconds: null,
          elapsedSeconds: 0,
          counts: {},
        };
        this.reporter.update(this.state, true);
        return;
      case 'advance': {
        const s = this.state;
        if (!s) return;
        s.done = e.done;
        if (e.counts) s.counts = e.counts;
        s.elapsedSeconds = (this.now() - this.startedAt) / 1000;
        s.rate = s.elapsedSeconds > 0 ? s.done / s.elapsedSeconds : 0;
        if (s.total !== null) {
          s.fraction = s.total === 0 ? 1 : Math.min(1, s.done / s.total);
          s.etaSeconds = s.rate > 0 && s.elapsedSeconds > 0.5 ? Math.max(0, s.total - s.done) / s.rate : null;
        }
        this.reporter.update(s, false);
        return;
      }
      case 'note':
        this.reporter.note(e.text);
        return;
      case 'done':
        this.finishStage();
        this.reporter.close();
        return;
    }
  }

  private finishStage(): void {
    if (this.state) this.reporter.update(this.state, true);
    this.state = null;
  }
}

const fmt = new Intl.NumberFormat('en-US');
export const formatCount = (x: number): string => fmt.format(Math.round(x));

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The words after the bar: `1,200 / 5,000 meter-days  2,400 meter-days/s  ETA 0:02  readings 115,200`. */
export function describeState(s: ProgressState): string {
  const of = s.total === null ? '' : ` / ${formatCount(s.total)}`;
  const eta = s.total === null ? '' : `  ETA ${s.etaSeconds === null ? '–' : formatDuration(s.etaSeconds)}`;
  const extra = Object.entries(s.counts)
    .map(([k, v]) => `  ${k} ${formatCount(v)}`)
    .join('');
  return `${formatCount(s.done)}${of} ${s.unit}  ${formatCount(s.rate)} ${s.unit}/s${eta}${extra}`;
}

export function percentOf(s: ProgressState): string {
  return s.fraction === null ? '' : `${Math.floor(s.fraction * 100)}%  `;
}
