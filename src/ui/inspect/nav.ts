/** Cursor movement over the carpet, pure: (inspection, cursor, key) → cursor. */
import type { Mark } from '../../core/inspect/marks.js';
import { columnsOf, type InspectCell, type Inspection } from '../../core/inspect/model.js';

export interface Cursor {
  day: number;
  column: number;
}

const columnCache = new WeakMap<Inspection, { toPos: Int32Array[]; toCol: number[][] }>();

function maps(ins: Inspection) {
  let m = columnCache.get(ins);
  if (!m) {
    const toCol = ins.days.map((d) => columnsOf(ins, d));
    const toPos = toCol.map((cols) => {
      const a = new Int32Array(ins.slots.length).fill(-1);
      cols.forEach((c, pos) => {
        a[c] = pos;
      });
      return a;
    });
    m = { toPos, toCol };
    columnCache.set(ins, m);
  }
  return m;
}

/** The cell under the cursor, or undefined where the day has no such local time (spring-forward). */
export function cellAt(ins: Inspection, c: Cursor): InspectCell | undefined {
  const pos = maps(ins).toPos[c.day]?.[c.column] ?? -1;
  return pos < 0 ? undefined : ins.days[c.day]!.cells[pos];
}

export function clampCursor(ins: Inspection, c: Cursor): Cursor {
  return {
    day: Math.max(0, Math.min(ins.days.length - 1, c.day)),
    column: Math.max(0, Math.min(ins.slots.length - 1, c.column)),
  };
}

export function move(ins: Inspection, c: Cursor, days: number, columns: number): Cursor {
  return clampCursor(ins, { day: c.day + days, column: c.column + columns });
}

/** Every cell in time order with its cursor position. */
function* timeline(ins: Inspection): Generator<{ cursor: Cursor; cell: InspectCell }> {
  const { toCol } = maps(ins);
  for (let d = 0; d < ins.days.length; d++) {
    const cells = ins.days[d]!.cells;
    for (let p = 0; p < cells.length; p++)
      yield { cursor: { day: d, column: toCol[d]![p]! }, cell: cells[p]! };
  }
}

/**
 * The start of the next (dir 1) or previous (dir -1) run of cells with one of `marks`, not counting
 * the run the cursor is in; the cursor itself when there is none.
 */
export function nextRun(ins: Inspection, c: Cursor, marks: readonly Mark[], dir: 1 | -1): Cursor {
  const all = [...timeline(ins)];
  const here = all.findIndex((x) => x.cursor.day === c.day && x.cursor.column === c.column);
  const starts: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const hit = marks.includes(all[i]!.cell.mark);
    const prevHit = i > 0 && marks.includes(all[i - 1]!.cell.mark);
    if (hit && !prevHit) starts.push(i);
  }
  // a cursor on a missing local time (no cell) counts as being at the start of its day
  const at = here >= 0 ? here : all.findIndex((x) => x.cursor.day === c.day);
  const found =
    dir === 1
      ? starts.find((s) => s > at)
      : [...starts].reverse().find((s) => s < at && !inSameRun(all, marks, s, at));
  return found === undefined ? c : all[found]!.cursor;
}

function inSameRun(all: { cell: InspectCell }[], marks: readonly Mark[], start: number, at: number): boolean {
  for (let i = start; i <= at; i++) if (!marks.includes(all[i]!.cell.mark)) return false;
  return true;
}

/** Day-major order of carpet positions: on every day column order is time order (DST days included). */
export function compareCursors(a: Cursor, b: Cursor): number {
  return a.day - b.day || a.column - b.column;
}

/** Whether a carpet position lies in the selection from `a` to `b` (either order, inclusive). */
export function inSelection(c: Cursor, a: Cursor, b: Cursor): boolean {
  const [lo, hi] = compareCursors(a, b) <= 0 ? [a, b] : [b, a];
  return compareCursors(c, lo) >= 0 && compareCursors(c, hi) <= 0;
}

/**
 * The cells from one carpet position to another, in time order, across days: every interval of the
 * days in between, the repeated hour of a fall-back day, none for the skipped hour of a spring-forward day.
 */
export function cellsBetween(ins: Inspection, a: Cursor, b: Cursor): InspectCell[] {
  const out: InspectCell[] = [];
  for (const x of timeline(ins)) if (inSelection(x.cursor, a, b)) out.push(x.cell);
  return out;
}
