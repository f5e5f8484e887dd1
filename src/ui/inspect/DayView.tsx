import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../core/errors.js';
import type { InspectDay, Inspection } from '../../core/inspect/model.js';
import type { DayVersion } from '../../core/inspect/versions.js';
import { formatValue } from './carpet.js';

export interface DayViewProps {
  ins: Inspection;
  day: InspectDay;
  /** position to start the table at */
  position: number;
  loadVersions: (day: string) => Promise<DayVersion[]>;
  rows: number;
  width: number;
  onClose: () => void;
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));

/** Drill-down: the day's intervals (local time, value, quality, rules, version, origin) and its versions. */
export function DayView({ ins, day, position, loadVersions, rows, width, onClose }: DayViewProps) {
  const [versions, setVersions] = useState<DayVersion[] | string | null>(null);
  const [top, setTop] = useState(Math.max(0, position));
  useEffect(() => {
    loadVersions(day.date)
      .then(setVersions)
      .catch((err) => setVersions(errorMessage(err)));
  }, [day.date, loadVersions]);
  const versionRows = Math.min(5, Array.isArray(versions) ? Math.max(1, versions.length) : 1);
  const tableRows = Math.max(3, rows - versionRows - 6);
  useInput((input, key) => {
    if (key.escape || key.return || key.backspace || input === 'q') return onClose();
    if (key.downArrow || input === 'j') setTop((t) => Math.min(day.cells.length - 1, t + 1));
    if (key.upArrow || input === 'k') setTop((t) => Math.max(0, t - 1));
    if (key.pageDown) setTop((t) => Math.min(day.cells.length - 1, t + tableRows));
    if (key.pageUp) setTop((t) => Math.max(0, t - tableRows));
  });
  const unit = ins.channel.endsWith('_kwh') ? 'kWh' : 'value';
  const q = Math.max(20, width - 62);
  const cells = day.cells.slice(top, top + tableRows);
  return (
    <Box flexDirection="column">
      <Text bold>
        {ins.meter.meterId} {day.date}: {day.intervals} intervals, total {formatValue(day.total)} {unit}
        {day.ingest
          ? `, received ${day.ingest.received}, rejected ${day.ingest.rejected}, late ${day.ingest.late}`
          : ''}
        {day.lateAlerts.length > 0 ? `, late-data alert: ${day.lateAlerts.join(', ')}` : ''}
      </Text>
      <Text underline>Versions (newest first)</Text>
      {versions === null && <Text>loading…</Text>}
      {typeof versions === 'string' && <Text color="red">cannot read the versions: {versions}</Text>}
      {Array.isArray(versions) && versions.length === 0 && (
        <Text>no version stored: nothing was received for this day</Text>
      )}
      {Array.isArray(versions) &&
        versions.slice(0, versionRows).map((v) => (
          <Text key={v.version} wrap="truncate-end">
            {v.writtenAt.replace('T', ' ').slice(0, 19)} {pad(v.writer, 22)} {v.changed} changed
            {v.changedRanges.length > 0
              ? ` (${v.changedRanges.slice(0, 3).join(', ')}${v.changedRanges.length > 3 ? ', …' : ''})`
              : ''}
            {v.reason ? `: ${v.reason}` : ''}
          </Text>
        ))}
      <Text underline>
        {pad('local', 13)}
        {pad(unit, 10)}
        {pad('mark', 10)}
        {pad('quality', q)} {pad('rules', 14)} {pad('version / origin', 22)}
      </Text>
      {cells.map((c) => (
        <Text key={c.position} wrap="truncate-end">
          {pad(`${c.local} ${c.start.slice(19)}`, 13)}
          {pad(c.value === null ? '-' : formatValue(c.value), 10)}
          {pad(c.mark, 10)}
          {pad(c.qualityText, q)} {pad(c.rules.join(',') || '-', 14)} {c.version ?? '-'} {c.source ?? ''}
        </Text>
      ))}
      <Text dimColor>
        {top + 1}–{Math.min(day.cells.length, top + tableRows)} of {day.cells.length} ↑↓ PgUp/PgDn scroll
        Enter/Esc: back
      </Text>
    </Box>
  );
}
