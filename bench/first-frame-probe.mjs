/**
 * Preloaded into the CLI by bench/inspect.bench.ts (`node --import`): on the first write to stdout
 * or stderr that contains SMT_BENCH_FRAME_MARK, appends "<CPU ms> <ms since process start>" to
 * SMT_BENCH_FRAME_OUT. The CPU figure is the one a loaded machine changes least; the wall figure
 * leaves out the shell's fork and exec that the tmux figure includes.
 */
import { appendFileSync } from 'node:fs';

const mark = process.env.SMT_BENCH_FRAME_MARK;
const out = process.env.SMT_BENCH_FRAME_OUT;
let seen = false;
if (mark && out) {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => {
      if (!seen && String(chunk).includes(mark)) {
        seen = true;
        const c = process.cpuUsage();
        appendFileSync(out, `${(c.user + c.system) / 1000} ${performance.now()}\n`);
      }
      return write(chunk, ...rest);
    };
  }
}
