/** The full-screen app, imported by `smt inspect` only on a terminal: Ink (and yoga's wasm) is the largest import of the start. */
import { createElement } from 'react';
import { runFullScreen } from '../alternate-screen.js';
import { InspectApp, type InspectAppProps } from './InspectApp.js';

/** `entered`: the first frame is on the alternate screen already (prepaint.ts) */
export function runInspectApp(props: InspectAppProps, o: { entered?: boolean } = {}): Promise<void> {
  return runFullScreen(createElement(InspectApp, props), o);
}
