import { writeInfo } from './output.js';

const fmt = new Intl.NumberFormat('en-US');

/**
 * Progress of a batch job over a known number of items (gaps detect, estimate, recalc): a line at
 * most every `intervalMs` on stderr with done/total, rate and ETA; nothing under --json.
 */
export function jobProgress(
  label: string,
  unit: string,
  enabled: boolean,
  intervalMs = process.stderr.isTTY ? 1_000 : 5_000,
): (done: number, of: number | null, seconds: number, extra?: string) => void {
  let last = 0;
  return (done, of, seconds, extra) => {
    if (!enabled) return;
    const now = Date.now();
    const finished = of !== null && done >= of;
    if (!finished && now - last < intervalMs) return;
    last = now;
    const rate = done / Math.max(seconds, 0.001);
    const eta = of === null || rate === 0 ? '–' : `${Math.round((of - done) / rate)} s`;
    const total = of === null ? '' : ` / ${fmt.format(of)}`;
    writeInfo(
      `${label}: ${fmt.format(done)}${total} ${unit}  ${fmt.format(Math.round(rate))} ${unit}/s  ETA ${eta}${extra ? `  ${extra}` : ''}`,
    );
  };
}
