import type { ImportProgress } from '../core/import/service.js';
import { writeInfo } from './output.js';

const fmt = new Intl.NumberFormat('en-US');
const n = (x: number) => fmt.format(Math.round(x));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Import progress on stderr: redrawn in place on a terminal, a plain line every few seconds elsewhere. */
export function importProgressReporter(tty: boolean): {
  update: (p: ImportProgress) => void;
  clear: () => void;
  intervalMs: number;
} {
  let drawn = false;
  return {
    intervalMs: tty ? 200 : 5_000,
    update(p) {
      const pct = p.bytesTotal > 0 ? Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100)) : 0;
      const line = `import ${p.fileIndex + 1}/${p.files} ${p.file}: ${pct}% (${mib(p.bytesDone)} of ${mib(p.bytesTotal)})  ${n(p.messages)} messages  ${n(p.readings)} readings  ${n(p.readingsPerSecond)} readings/s`;
      if (tty) {
        const columns = process.stderr.columns ?? 0;
        process.stderr.write(`\r\x1b[2K${columns > 1 ? line.slice(0, columns - 1) : line}`);
        drawn = true;
      } else writeInfo(line);
    },
    clear() {
      if (drawn) process.stderr.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
