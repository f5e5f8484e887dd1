/** Whether a person is at a terminal: stdin, stdout and stderr all TTYs (not a pipe, not CI). No Ink here: a static or --json run must not load it. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY && process.stderr.isTTY);
}
