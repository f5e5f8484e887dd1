import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { DashboardSnapshot } from '../../core/dashboard/service.js';
import { errorMessage } from '../../core/errors.js';
import type { CharMode } from '../inspect/theme.js';
import { dashboardLines } from './text.js';

export interface DashboardAppProps {
  first: DashboardSnapshot;
  refresh: () => Promise<DashboardSnapshot>;
  intervalMs: number;
  mode: CharMode;
}

/** Refreshes every `intervalMs` (one refresh at a time); q quits. */
export function DashboardApp({ first, refresh, intervalMs, mode }: DashboardAppProps) {
  const { exit } = useApp();
  const [snap, setSnap] = useState(first);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout;
    const tick = () => {
      refresh()
        .then((s) => {
          if (!stopped) setSnap(s);
          setProblem('');
        })
        .catch((err) => setProblem(errorMessage(err)))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    timer = setTimeout(tick, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refresh, intervalMs]);
  useInput((input) => {
    if (input === 'q') exit();
  });
  return (
    <Box flexDirection="column">
      {dashboardLines(snap, mode).map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
      <Text dimColor>
        refreshes every {Math.round(intervalMs / 1000)} s q quit
        {problem ? `  (refresh failed: ${problem})` : ''}
      </Text>
    </Box>
  );
}
