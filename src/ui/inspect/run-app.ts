/** The full-screen app, imported by `smt inspect` only on a terminal: Ink (and yoga's wasm) is the largest import of the start. */
import { createElement } from 'react';
import { runFullScreen } from '../alternate-screen.js';
import { InspectApp, type InspectAppProps } from './InspectApp.js';

export function runInspectApp(props: InspectAppProps): Promise<void> {
  return runFullScreen(createElement(InspectApp, props));
}
