import { BarReporter } from './bar-reporter.js';
import { LineReporter, SilentReporter } from './line-reporter.js';
import { ProgressModel, type ProgressReporter } from './model.js';

export { LineReporter, SilentReporter } from './line-reporter.js';
export { describeState, formatCount, formatDuration, ProgressModel, type ProgressState } from './model.js';

/**
 * The reporter for this process: nothing under --json, a live bar when stderr is a terminal (and
 * not CI), plain lines otherwise. Call `sink` from services and `handle({ kind: 'done' })` at the end.
 */
export function createProgress(options: { json: boolean; env?: NodeJS.ProcessEnv }): ProgressModel {
  const env = options.env ?? process.env;
  let reporter: ProgressReporter;
  if (options.json) reporter = new SilentReporter();
  else if (process.stderr.isTTY === true && !env.CI) reporter = new BarReporter();
  else reporter = new LineReporter();
  return new ProgressModel(reporter);
}
