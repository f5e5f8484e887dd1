import type { SimulateProgress } from '../core/simulate/service.js';
import { writeInfo } from './output.js';

const fmt = new Intl.NumberFormat('en-US');
const n = (x: number) => fmt.format(Math.round(x));

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One progress model, two renderings: a live bar redrawn in place on a terminal, and a plain line
 * every few seconds elsewhere (CI logs must not fill with carriage returns).
 */
export function simulateProgressReporter(tty: boolean): {
  update: (p: SimulateProgress) => void;
  clear: () => void;
  intervalMs: number;
} {
  let drawn = false;
  let lastRegistryLine = 0;
  return {
    intervalMs: tty ? 200 : 5_000,
    update(p) {
      if (p.phase === 'registry') {
        // registry writes are chunked; a line per 10 % is plenty
        const step = Math.floor(p.fraction * 10);
        if (step > lastRegistryLine || p.fraction === 1) {
          lastRegistryLine = step;
          if (p.fraction === 1 || !tty) writeInfo(`registry: ${n(p.done)} meters written`);
        }
        return;
      }
      const pct = Math.min(100, Math.floor(p.fraction * 100));
      const eta = p.etaSeconds === null ? '–' : duration(p.etaSeconds);
      const counts = `${n(p.messages)} messages  ${n(p.readings)} readings  ${n(p.readingsPerSecond)} readings/s  ETA ${eta}`;
      if (tty) {
        const width = 24;
        const full = Math.round((pct / 100) * width);
        const line = `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(pct).padStart(3)}%  ${counts}`;
        // a line longer than the terminal wraps, and \r would then redraw only its last part
        const columns = process.stderr.columns ?? 0;
        process.stderr.write(`\r\x1b[2K${columns > 1 ? line.slice(0, columns - 1) : line}`);
        drawn = true;
      } else {
        writeInfo(`simulate: ${pct}%  ${counts}`);
      }
    },
    clear() {
      if (drawn) process.stderr.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
