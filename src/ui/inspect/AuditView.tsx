import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { AuditHistoryItem } from '../../core/audit/service.js';
import { errorMessage } from '../../core/errors.js';
import { auditEntryRef, undoLink } from '../corrections-output.js';

/** an ISO instant to the minute, in UTC as `smt audit` prints it */
const minute = (iso: string) => `${iso.slice(0, 16)}Z`;

/** `a`: the meter's corrections as `smt audit <meter>` lists them (the same service), newest first. */
export function AuditView(props: {
  meterId: string;
  load: () => Promise<AuditHistoryItem[]>;
  rows: number;
  onClose: () => void;
}) {
  const [items, setItems] = useState<AuditHistoryItem[] | string | null>(null);
  useEffect(() => {
    props
      .load()
      .then((all) => setItems([...all].reverse()))
      .catch((err) => setItems(errorMessage(err)));
  }, [props.load]);
  useInput(() => props.onClose());
  return (
    <Box flexDirection="column">
      <Text bold>Audit history of {props.meterId} (as `smt audit`; newest first)</Text>
      {items === null && <Text>loading…</Text>}
      {typeof items === 'string' && <Text color="red">cannot read the audit history: {items}</Text>}
      {Array.isArray(items) && items.length === 0 && <Text>no corrections recorded</Text>}
      {Array.isArray(items) &&
        items.slice(0, Math.max(1, Math.floor((props.rows - 3) / 2))).map((s) => (
          <Box key={s.correctionId} flexDirection="column">
            <Text wrap="truncate-end">
              #{s.correctionId} {minute(s.createdAt)} {s.operator} {s.operation}{' '}
              {JSON.stringify(s.parameters)} {s.intervals} intervals
            </Text>
            <Text wrap="truncate-end">
              {'   '}
              {[
                `${minute(s.rangeStart)} → ${minute(s.rangeEnd)}`,
                `audit entry ${auditEntryRef(s)}`,
                undoLink(s),
                // free text last: a long reason is what the width cuts
                `reason: ${s.reason}`,
              ]
                .filter((x) => x !== '')
                .join(' · ')}
            </Text>
          </Box>
        ))}
      <Text dimColor>any key: back</Text>
    </Box>
  );
}
