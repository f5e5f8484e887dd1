/**
 * The lines of the carpet view for one state: what InspectApp draws as Ink texts, and what
 * `prepaintFirstFrame` writes before Ink has loaded (the first frame of `smt inspect`, issue 11).
 * One function for both, so the frame Ink then draws over it is the same one.
 */
import type { Inspection } from '../../core/inspect/model.js';
import { carpetLines, energyScale, legendLines, visibleLength } from './carpet.js';
import { type Cursor, cellsBetween } from './nav.js';
import { cursorLine, headerLines } from './text.js';
import type { CharMode } from './theme.js';

export const KEY_HINT =
  'arrows/hjkl move g/G gap e estimate Enter day v select c correct a audit ? help q quit';

export interface CarpetViewState {
  cursor: Cursor;
  /** where a selection started, or null */
  anchor: Cursor | null;
}

export interface CarpetView {
  /** the terminal's width as the view uses it (at least 40 columns) */
  width: number;
  header: string[];
  /** axis, the days shown, legend */
  carpet: string[];
  cursor: string;
  hint: string;
}

/** The cursor starts on the newest day, at its first column. */
export function initialCursor(ins: Inspection): Cursor {
  const last = ins.days.length - 1;
  return { day: Math.max(0, last), column: 0 };
}

export function carpetView(
  ins: Inspection,
  size: { columns: number; rows: number },
  mode: CharMode,
  { cursor, anchor }: CarpetViewState,
): CarpetView {
  const width = Math.max(40, size.columns);
  const header = headerLines(ins, width);
  const legendCount = legendLines(ins, energyScale(ins, mode), mode, width).length;
  // header, axis, legend, cursor line, key hint line, message line
  const dayRows = Math.max(3, size.rows - header.length - 1 - legendCount - 3);
  const firstDay = Math.max(0, Math.min(cursor.day - Math.floor(dayRows / 2), ins.days.length - dayRows));
  const selection = anchor === null ? undefined : { from: anchor, to: cursor };
  const carpet = carpetLines(ins, {
    width,
    mode,
    firstDay,
    rows: dayRows,
    cursor,
    ...(selection ? { selection } : {}),
  });
  const hint = `${anchor !== null ? selectionHint(ins, anchor, cursor) : ''}${KEY_HINT}`;
  return { width, header, carpet, cursor: cursorLine(ins, cursor), hint };
}

function selectionHint(ins: Inspection, anchor: Cursor, cursor: Cursor): string {
  const cells = cellsBetween(ins, anchor, cursor);
  const days = new Set(cells.map((c) => c.start.slice(0, 10))).size;
  return `selected ${cells.length} interval(s) on ${days} day(s): c correct, v/Esc clear  `;
}

/** Ink's `wrap="truncate-end"` for a line without escape codes: what fits, then an ellipsis. */
export function truncateEnd(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * The first frame as text, or undefined where it would not be exactly Ink's: a line with escape
 * codes wider than the terminal (Ink would cut it through its codes; carpetLines never builds one).
 */
export function firstFrameText(
  ins: Inspection,
  size: { columns: number; rows: number },
  mode: CharMode,
): string | undefined {
  const v = carpetView(ins, size, mode, { cursor: initialCursor(ins), anchor: null });
  const wide = [...v.header, ...v.carpet].some((l) => visibleLength(l) > v.width);
  if (wide || v.cursor.includes('\x1b')) return undefined;
  // the key hint dim, as <Text dimColor>; the message line below it is empty at start
  return [
    ...v.header,
    ...v.carpet,
    truncateEnd(v.cursor, v.width),
    `\x1b[2m${truncateEnd(v.hint, v.width)}\x1b[22m`,
  ].join('\n');
}
