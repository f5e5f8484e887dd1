/**
 * Whether Ink believes it runs in CI: it then writes only the last frame, at exit, so a full-screen
 * view on a terminal would show nothing until it quits. The rule of Ink's `is-in-ci`, read at call
 * time.
 */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['CI', 'CONTINUOUS_INTEGRATION'].some((k) => k in env && env[k] !== '0' && env[k] !== 'false');
}

/** Whether a person is at a terminal: stdin, stdout and stderr all TTYs (not a pipe, not CI). No Ink here: a static or --json run must not load it. */
export function isInteractive(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY && process.stderr.isTTY) && !inCi(env);
}
