/**
 * The carpet plot as lines of text: days as rows, local wall-clock times as columns (model.slots),
 * each row one string with its ANSI codes so Ink lays out one Text per day instead of thousands.
 * Pure: the Ink app, the static rendering and the tests all call it.
 */
import { MARK_PRECEDENCE, type Mark } from '../../core/inspect/marks.js';
import { columnsOf, type InspectDay, type Inspection } from '../../core/inspect/model.js';
import {
  ASCII_RAMP,
  type CharMode,
  COLOR_RAMP,
  MARK_GLYPH,
  MARK_SGR,
  MARK_WORD,
  RESET,
  REVERSE_SGR,
  sgr,
  UNDERLINE_SGR,
} from './theme.js';

/** Characters left of the carpet ("Su 03-29 ") and right of it (" 1234.5 !"). */
export const LEFT_GUTTER = 9;
export const RIGHT_GUTTER = 9;

export interface CarpetLayout {
  /** intervals per half-character (unicode) or per character (ascii) */
  group: number;
  /** halves per character: 2 with half-blocks, else 1 */
  halves: number;
  chars: number;
  columns: number;
}

export function carpetLayout(columns: number, width: number, mode: CharMode): CarpetLayout {
  const avail = Math.max(8, width - LEFT_GUTTER - RIGHT_GUTTER);
  const halves = mode === 'unicode' && avail < columns ? 2 : 1;
  const group = Math.max(1, Math.ceil(columns / (avail * halves)));
  const chars = Math.ceil(columns / (group * halves));
  return { group, halves, chars, columns };
}

/** What one half (or one character) stands for: nothing (no such local time), a mark, or energy. */
type Half =
  | { kind: 'none' }
  | { kind: 'mark'; mark: Exclude<Mark, 'actual'> }
  | { kind: 'energy'; level: number };

export interface EnergyScale {
  max: number;
  levels: number;
}

/** The scale tops out at the 99th percentile, so one spike does not flatten the whole carpet. */
export function energyScale(ins: Inspection, mode: CharMode): EnergyScale {
  const values: number[] = [];
  for (const d of ins.days)
    for (const c of d.cells) if (c.value !== null && c.mark === 'actual') values.push(c.value);
  values.sort((a, b) => a - b);
  const p99 =
    values.length === 0 ? 0 : values[Math.min(values.length - 1, Math.floor(values.length * 0.99))]!;
  return { max: p99 > 0 ? p99 : 1, levels: mode === 'unicode' ? COLOR_RAMP.length : ASCII_RAMP.length };
}

function levelOf(v: number, s: EnergyScale): number {
  if (v <= 0) return 0;
  return Math.min(s.levels - 1, Math.max(1, Math.ceil((v / s.max) * (s.levels - 1))));
}

/** Per column of the carpet: the cell of this day there, or -1 when the day has no such local time. */
function cellAtColumn(ins: Inspection, day: InspectDay): Int32Array {
  const out = new Int32Array(ins.slots.length).fill(-1);
  columnsOf(ins, day).forEach((col, pos) => {
    out[col] = pos;
  });
  return out;
}

function halfOf(day: InspectDay, at: Int32Array, from: number, to: number, s: EnergyScale): Half {
  let sum = 0;
  let n = 0;
  let best = MARK_PRECEDENCE.length;
  for (let col = from; col < to && col < at.length; col++) {
    const pos = at[col]!;
    if (pos < 0) continue;
    const c = day.cells[pos]!;
    const rank = MARK_PRECEDENCE.indexOf(c.mark);
    if (c.mark !== 'actual' && rank < best) best = rank;
    if (c.value !== null) sum += c.value;
    n++;
  }
  if (n === 0) return { kind: 'none' };
  if (best < MARK_PRECEDENCE.length)
    return { kind: 'mark', mark: MARK_PRECEDENCE[best] as Exclude<Mark, 'actual'> };
  return { kind: 'energy', level: levelOf(sum / n, s) };
}

/** One character of the carpet and its SGR parameters ('' for none). */
interface Cell {
  ch: string;
  sgr: string;
}

function glyph(halves: Half[], mode: CharMode): Cell {
  const mark = halves.find((h) => h.kind === 'mark') as { mark: Exclude<Mark, 'actual'> } | undefined;
  if (mark) {
    // the more important mark of the two halves
    const m = halves
      .filter((h): h is { kind: 'mark'; mark: Exclude<Mark, 'actual'> } => h.kind === 'mark')
      .sort((a, b) => MARK_PRECEDENCE.indexOf(a.mark) - MARK_PRECEDENCE.indexOf(b.mark))[0]!.mark;
    return { ch: MARK_GLYPH[m], sgr: mode === 'unicode' ? MARK_SGR[m] : '' };
  }
  if (mode === 'ascii') {
    const h = halves[0]!;
    return { ch: h.kind === 'energy' ? ASCII_RAMP[h.level]! : ' ', sgr: '' };
  }
  const [a, b] = halves as [Half, Half | undefined];
  const fg = a.kind === 'energy' ? COLOR_RAMP[a.level]! : null;
  if (b === undefined) return fg === null ? BLANK : { ch: '█', sgr: `38;5;${fg}` };
  const bg = b.kind === 'energy' ? COLOR_RAMP[b.level]! : null;
  if (fg === null && bg === null) return BLANK;
  if (fg === null) return { ch: '▐', sgr: `38;5;${bg}` };
  if (bg === null) return { ch: '▌', sgr: `38;5;${fg}` };
  return { ch: '▌', sgr: `38;5;${fg};48;5;${bg}` };
}

const BLANK: Cell = { ch: ' ', sgr: '' };

/**
 * The cells as one string, an SGR sequence only where the style changes: the terminal shows the
 * same as with one per cell, but Ink tokenizes and measures every escape sequence of every frame,
 * and a code per cell doubled the first frame's render time (docs/benchmarks.md).
 */
function runs(cells: Cell[]): string {
  let out = '';
  let current = '';
  for (const c of cells) {
    if (c.sgr !== current) {
      out += `${current === '' ? '' : RESET}${c.sgr === '' ? '' : sgr(c.sgr)}`;
      current = c.sgr;
    }
    out += c.ch;
  }
  return current === '' ? out : `${out}${RESET}`;
}

const WEEKDAY = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];

export function weekday(date: string): string {
  const d = new Date(`${date}T00:00:00Z`).getUTCDay();
  return WEEKDAY[(d + 6) % 7]!;
}

function fmtTotal(v: number): string {
  const s = v >= 1000 ? v.toFixed(0) : v.toFixed(1);
  return s.padStart(7);
}

/** The character of the carpet that holds a column. */
export function charOfColumn(layout: CarpetLayout, col: number): number {
  return Math.floor(col / (layout.group * layout.halves));
}

export interface CarpetView {
  width: number;
  mode: CharMode;
  /** first day row shown and how many */
  firstDay: number;
  rows: number;
  cursor?: { day: number; column: number };
  /** a selection from one carpet position to another (either order, inclusive; may span days) */
  selection?: { from: { day: number; column: number }; to: { day: number; column: number } };
}

/** The time axis line: hour labels where a label fits. */
export function axisLine(ins: Inspection, layout: CarpetLayout): string {
  const line = Array.from({ length: layout.chars }, () => ' ');
  let lastEnd = -1;
  ins.slots.forEach((label, col) => {
    if (!label.endsWith(':00') || label.includes("'")) return;
    const hour = Number(label.slice(0, 2));
    const ch = charOfColumn(layout, col);
    if (ch <= lastEnd) return;
    const text = String(hour).padStart(2, '0');
    if (ch + text.length > layout.chars) return;
    for (let i = 0; i < text.length; i++) line[ch + i] = text[i]!;
    lastEnd = ch + text.length;
  });
  return `${' '.repeat(LEFT_GUTTER)}${line.join('')}${'   kWh'.padStart(RIGHT_GUTTER - 2)}`;
}

/** The characters of day `di` inside the selection, or null. */
function selectedChars(
  view: CarpetView,
  di: number,
  columns: number,
  layout: CarpetLayout,
): [number, number] | null {
  if (!view.selection) return null;
  const { from, to } = view.selection;
  const [lo, hi] =
    from.day < to.day || (from.day === to.day && from.column <= to.column) ? [from, to] : [to, from];
  if (di < lo.day || di > hi.day) return null;
  const first = di === lo.day ? lo.column : 0;
  const last = di === hi.day ? hi.column : columns - 1;
  return [charOfColumn(layout, first), charOfColumn(layout, last)];
}

export function dayRow(
  ins: Inspection,
  di: number,
  layout: CarpetLayout,
  scale: EnergyScale,
  view: CarpetView,
): string {
  const day = ins.days[di]!;
  const at = cellAtColumn(ins, day);
  const cursorChar = view.cursor?.day === di ? charOfColumn(layout, view.cursor.column) : -1;
  const sel = selectedChars(view, di, ins.slots.length, layout);
  const cells: Cell[] = [];
  const span = layout.group;
  for (let c = 0; c < layout.chars; c++) {
    const halves: Half[] = [];
    for (let h = 0; h < layout.halves; h++) {
      const from = (c * layout.halves + h) * span;
      if (from < layout.columns) halves.push(halfOf(day, at, from, from + span, scale));
    }
    const g = glyph(halves, view.mode);
    const selected = sel !== null && c >= sel[0] && c <= sel[1];
    // the cursor in reverse video, a selection underlined, each over the cell's own colours
    const over = c === cursorChar ? REVERSE_SGR : selected ? UNDERLINE_SGR : '';
    cells.push(over === '' ? g : { ch: g.ch, sgr: g.sgr === '' ? over : `${over};${g.sgr}` });
  }
  const out = runs(cells);
  const pointer = view.cursor?.day === di ? '>' : ' ';
  const flag = day.lateAlerts.length > 0 ? '!' : day.validated ? 'v' : ' ';
  return `${pointer}${weekday(day.date)} ${day.date.slice(5)} ${out} ${fmtTotal(day.total)}${flag}`;
}

export function legendLines(ins: Inspection, scale: EnergyScale, mode: CharMode, width: number): string[] {
  const marks = (Object.keys(MARK_GLYPH) as Exclude<Mark, 'actual'>[]).map((m) => {
    const g = mode === 'unicode' ? `${sgr(MARK_SGR[m])}${MARK_GLYPH[m]}${RESET}` : MARK_GLYPH[m];
    return `${g} ${MARK_WORD[m]}`;
  });
  const ramp =
    mode === 'unicode' ? COLOR_RAMP.map((c) => `${sgr(`38;5;${c}`)}█${RESET}`).join('') : ASCII_RAMP;
  const unit = ins.channel.endsWith('_kwh') ? ' kWh' : '';
  const energy = `energy ${ramp} 0–${formatValue(scale.max)}${unit}/interval`;
  const lines = [`${energy}   v validated  ! late alert`];
  let line = '';
  for (const m of marks) {
    const plainLen = visibleLength(line) + visibleLength(m) + 2;
    if (line !== '' && plainLen > width) {
      lines.push(line);
      line = '';
    }
    line += line === '' ? m : `  ${m}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function formatValue(v: number): string {
  return v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(3) : v.toFixed(4);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
const ANSI = /\x1b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export function visibleLength(s: string): number {
  return stripAnsi(s).length;
}

/** Axis, the day rows in view, legend: what the carpet screen and the static rendering show. */
export function carpetLines(ins: Inspection, view: CarpetView): string[] {
  const layout = carpetLayout(ins.slots.length, view.width, view.mode);
  const scale = energyScale(ins, view.mode);
  const out = [axisLine(ins, layout)];
  const last = Math.min(ins.days.length, view.firstDay + view.rows);
  for (let i = view.firstDay; i < last; i++) out.push(dayRow(ins, i, layout, scale, view));
  return [...out, ...legendLines(ins, scale, view.mode, view.width)];
}
