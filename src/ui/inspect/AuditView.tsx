import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../core/errors.js';
import type { AuditEntry } from '../../core/postgres/inspect-repository.js';

export function AuditView(props: {
  meterId: string;
  load: () => Promise<AuditEntry[]>;
  rows: number;
  onClose: () => void;
}) {
  const [entries, setEntries] = useState<AuditEntry[] | string | null>(null);
  useEffect(() => {
    props
      .load()
      .then(setEntries)
      .catch((err) => setEntries(errorMessage(err)));
  }, [props.load]);
  useInput(() => props.onClose());
  return (
    <Box flexDirection="column">
      <Text bold>Audit history of {props.meterId} (smt.audit_log, smt.corrections; newest first)</Text>
      {entries === null && <Text>loading…</Text>}
      {typeof entries === 'string' && <Text color="red">cannot read the audit history: {entries}</Text>}
      {Array.isArray(entries) && entries.length === 0 && <Text>no audited changes</Text>}
      {Array.isArray(entries) &&
        entries.slice(0, Math.max(1, props.rows - 3)).map((e) => (
          <Text key={`${e.at}|${e.action}|${e.entityId}|${e.detail}`} wrap="truncate-end">
            {e.at.replace('T', ' ').slice(0, 19)} {e.actor} {e.action} {e.entityId} {e.detail}
            {e.reason ? `: ${e.reason}` : ''}
          </Text>
        ))}
      <Text dimColor>any key: back</Text>
    </Box>
  );
}
