/**
 * Two renderings of the carpet. `unicode`: half-block characters carrying two intervals each in
 * 256-colour ANSI (SGR 38;5 / 48;5, understood by xterm, tmux, screen, PuTTY: nothing beyond ANSI).
 * `ascii`: one character per interval or per group, energy as a density ramp, no colour: chosen with
 * NO_COLOR or a locale that is not UTF-8. Marks use the same letters in both.
 */
import type { Mark } from '../../core/inspect/marks.js';

export type CharMode = 'unicode' | 'ascii';

export function detectMode(env: NodeJS.ProcessEnv = process.env): CharMode {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 'ascii';
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale) ? 'unicode' : 'ascii';
}

export const MARK_GLYPH: Record<Exclude<Mark, 'actual'>, string> = {
  missing: '_',
  estimated: 'e',
  corrected: 'c',
  rejected: 'x',
  suspect: '!',
  late: 'l',
};

/** SGR of each mark in unicode mode: foreground and background. */
export const MARK_SGR: Record<Exclude<Mark, 'actual'>, string> = {
  missing: '38;5;231;48;5;88',
  estimated: '38;5;16;48;5;220',
  corrected: '38;5;231;48;5;127',
  rejected: '38;5;231;48;5;196',
  suspect: '38;5;16;48;5;208',
  late: '38;5;16;48;5;51',
};

export const MARK_WORD: Record<Exclude<Mark, 'actual'>, string> = {
  missing: 'missing',
  estimated: 'estimated',
  corrected: 'corrected',
  rejected: 'rejected',
  suspect: 'suspect',
  late: 'late',
};

/** Energy levels, low to high. */
export const ASCII_RAMP = '.:-=+*#%@';
export const COLOR_RAMP = [236, 238, 24, 31, 37, 72, 142, 178, 214, 226];

export const RESET = '\x1b[0m';
export const sgr = (codes: string) => `\x1b[${codes}m`;
/** SGR parameters of the cursor (reverse video) and of a selection (underline) */
export const REVERSE_SGR = '7';
export const UNDERLINE_SGR = '4';
