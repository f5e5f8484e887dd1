import { UsageError } from '../../core/errors.js';

/** `true` in the bundle of scripts/bundle.mjs (esbuild defines it); undeclared in tsc's output and the sources. */
declare const __SMT_BUNDLE__: boolean | undefined;

export const IN_BUNDLE = typeof __SMT_BUNDLE__ !== 'undefined' && __SMT_BUNDLE__;

/**
 * DEV=true makes Ink connect to React DevTools. The packed smt cannot: its bundle carries React's
 * production build and no react-devtools-core, and Ink would stop with a stack trace reading its
 * own package.json. Refused before Ink loads, with the way that works (the sources).
 */
export function refuseDevtools(env: NodeJS.ProcessEnv = process.env, bundled = IN_BUNDLE): void {
  if (!bundled || env.DEV !== 'true') return;
  throw new UsageError(
    'DEV=true asks Ink for React DevTools, which the packed smt does not include (it bundles the production build of React)',
    'Unset DEV (or DEV=false) to run `smt inspect`; to debug the screen with React DevTools, run it from a source checkout: `npm install --no-save react-devtools-core`, start `npx react-devtools`, then `DEV=true bin/dev.js inspect <meter>`.',
  );
}
