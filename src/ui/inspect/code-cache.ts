/**
 * Tells bin/bundle-loader.js that this start got to its output (the first frame, the static
 * rendering, --json), so the V8 code cache it writes at exit holds the code of a real start. A
 * no-op where the command is not loaded by it (tsc's output, the sources, tests).
 */
export function keepCodeCache(): void {
  const hook = (globalThis as Record<symbol, { keep(): void } | undefined>)[Symbol.for('smt.codeCache')];
  hook?.keep();
}
