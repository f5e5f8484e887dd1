import { type Instance, render } from 'ink';
import type { ReactElement } from 'react';

/** Alternate screen and cursor: entered before the first frame, left on every way out. */
const ENTER_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

/**
 * Run a full-screen Ink app on stderr (results stay on stdout) until it exits, in the terminal's
 * alternate screen, so quitting leaves the shell exactly as it was.
 */
export async function runFullScreen(
  element: ReactElement,
  /** `entered`: the caller is on the alternate screen already (smt inspect's pre-painted first frame) */
  o: { entered?: boolean } = {},
): Promise<void> {
  const out = process.stderr;
  // entering again would clear the alternate screen
  if (!o.entered) out.write(ENTER_SCREEN);
  const leave = () => out.write(LEAVE_SCREEN);
  process.once('exit', leave);
  let app: Instance | undefined;
  try {
    app = render(element, { stdout: out, stdin: process.stdin, patchConsole: false });
    await app.waitUntilExit();
  } finally {
    app?.cleanup();
    process.off('exit', leave);
    leave();
  }
}

export { isInteractive } from './terminal.js';
