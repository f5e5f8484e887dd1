/**
 * The first frame of `smt inspect` on the terminal before Ink has loaded (issue 11: first frame
 * within 500 ms): Ink's modules and its first render were ~140 ms of CPU after the data was there.
 * The frame is carpet-view.ts's, the same lines InspectApp then draws over it, cursor home, so
 * Ink's first render (a full-height frame clears and redraws; a shorter one writes from the top)
 * changes nothing on screen. No Ink here: this module is on the start's path.
 */
import type { Inspection } from '../../core/inspect/model.js';
import { firstFrameText } from './carpet-view.js';
import type { CharMode } from './theme.js';

/** alternate screen (as src/ui/alternate-screen.ts enters it), cursor hidden (as Ink hides it) */
const ENTER = '\x1b[?1049h\x1b[H\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export interface Prepainted {
  /** back to the shell's screen and tty modes, for a start that ends before Ink takes over */
  leave(): void;
}

export function prepaintFirstFrame(
  ins: Inspection,
  mode: CharMode,
  out: NodeJS.WriteStream = process.stderr,
  stdin: NodeJS.ReadStream = process.stdin,
): Prepainted | undefined {
  const text = firstFrameText(ins, { columns: out.columns || 80, rows: out.rows || 24 }, mode);
  if (text === undefined) return undefined;
  // raw at once, as Ink will set it: keys typed meanwhile wait unechoed for Ink to read them
  stdin.setRawMode?.(true);
  out.write(`${ENTER}${text}\x1b[H`);
  return {
    leave() {
      stdin.setRawMode?.(false);
      out.write(LEAVE);
    },
  };
}
