/** Header, cursor line and the static rendering of `smt inspect` (no TTY): plain functions of the model. */
import type { Inspection } from '../../core/inspect/model.js';
import { carpetLines, formatValue, visibleLength } from './carpet.js';
import type { Cursor } from './nav.js';
import { cellAt } from './nav.js';
import type { CharMode } from './theme.js';

function wrap(parts: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    if (line !== '' && visibleLength(line) + 2 + visibleLength(p) > width) {
      lines.push(line);
      line = p;
    } else line = line === '' ? p : `${line}  ${p}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function headerLines(ins: Inspection, width: number): string[] {
  const m = ins.meter;
  const c = ins.completeness;
  return wrap(
    [
      `meter ${m.meterId}`,
      `account ${m.accountId}`,
      `tariff ${m.tariffId}`,
      `region ${m.regionId}`,
      m.segment,
      m.status,
      m.timezone,
      `${m.intervalMinutes} min`,
      `installed ${m.installedAt.slice(0, 10)}`,
      `last reading ${ins.lastReceivedAt ? ins.lastReceivedAt.replace('T', ' ').slice(0, 16) : 'none'}`,
      `${ins.from}..${ins.to}`,
      `complete ${c.pct}% (${c.present}/${c.expected})`,
      `validated ${ins.validatedDays}/${ins.days.length} d, provisional ${ins.provisionalDays}`,
    ],
    width,
  );
}

export function cursorLine(ins: Inspection, cur: Cursor): string {
  const day = ins.days[cur.day]!;
  const cell = cellAt(ins, cur);
  const slot = ins.slots[cur.column]!;
  if (!cell) return `${day.date} ${slot} does not exist on this day (daylight saving time)`;
  const unit = ins.channel.endsWith('_kwh') ? ' kWh' : '';
  const value = cell.value === null ? 'no value' : `${formatValue(cell.value)}${unit}`;
  const rules = cell.rules.length > 0 ? `  rules ${cell.rules.join(',')}` : '';
  return `${cell.start.slice(0, 16).replace('T', ' ')}${cell.start.slice(19)}  ${value}  ${cell.mark}  ${cell.qualityText}${rules}`;
}

/** What a pipe or CI log gets: header, every day of the carpet, legend, gaps. */
export function staticLines(ins: Inspection, width: number, mode: CharMode): string[] {
  const lines = [
    ...headerLines(ins, width),
    ...carpetLines(ins, { width, mode, firstDay: 0, rows: ins.days.length }),
  ];
  const c = ins.completeness.counts;
  lines.push(
    `intervals: ${c.actual} actual, ${c.missing} missing, ${c.estimated} estimated, ${c.corrected} corrected, ${c.rejected} rejected, ${c.suspect} suspect, ${c.late} late`,
  );
  for (const g of ins.gaps) lines.push(`gap ${g.start} → ${g.end}: ${g.intervals} intervals (${g.status})`);
  return lines;
}
