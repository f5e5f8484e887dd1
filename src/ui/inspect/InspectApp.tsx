import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { AuditHistoryItem } from '../../core/audit/service.js';
import { errorMessage } from '../../core/errors.js';
import type { InspectCorrections } from '../../core/inspect/corrections.js';
import type { Inspection } from '../../core/inspect/model.js';
import type { DayVersion } from '../../core/inspect/versions.js';
import { AuditView } from './AuditView.js';
import { CorrectionFlow } from './CorrectionFlow.js';
import { carpetView, initialCursor } from './carpet-view.js';
import { DayView } from './DayView.js';
import { INSPECT_KEYS } from './keys.js';
import { type Cursor, cellAt, cellsBetween, move, nextRun } from './nav.js';
import type { CharMode } from './theme.js';

/** What the app needs from the stores; InspectSession provides it, tests pass their own. */
export interface InspectBackend {
  versions(day: string): Promise<DayVersion[]>;
  /** the meter's corrections with their audit entries (`smt audit <meter>`) */
  audit(): Promise<AuditHistoryItem[]>;
  /** the audited corrections service of `smt correct` */
  corrections: InspectCorrections;
  /** the shown range again (one query), after a correction */
  reload(): Promise<Inspection>;
}

export interface InspectAppProps {
  initial: Inspection;
  backend: InspectBackend;
  mode: CharMode;
  /** fixed size (tests); otherwise the terminal's, following resizes */
  size?: { columns: number; rows: number };
}

type View = 'carpet' | 'day' | 'help' | 'audit' | 'correct';

interface Nav {
  cursor: Cursor;
  /** where a selection started (v, space or shift+arrows); it ends at the cursor, on any day */
  anchor: Cursor | null;
  message: string;
}

function useTerminalSize(fixed?: { columns: number; rows: number }) {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return fixed ?? size;
}

export function InspectApp({ initial, backend, mode, size: fixed }: InspectAppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(fixed);
  const [ins, setIns] = useState(initial);
  // one state object updated functionally: keys typed faster than a render must not see a stale cursor
  const [nav, setNav] = useState<Nav>(() => ({ cursor: initialCursor(initial), anchor: null, message: '' }));
  const { cursor, anchor, message } = nav;
  const setMessage = (m: string) => setNav((n) => ({ ...n, message: m }));
  const [view, setView] = useState<View>('carpet');
  // the carpet view's lines (the same function draws the pre-painted first frame: carpet-view.ts)
  const shown = carpetView(ins, size, mode, { cursor, anchor });
  const { width, header } = shown;

  const go = (f: (c: Cursor) => Cursor, what?: string) =>
    setNav((n) => {
      const c = f(n.cursor);
      const stuck = what !== undefined && c.day === n.cursor.day && c.column === n.cursor.column;
      return { ...n, cursor: c, message: stuck ? `no ${what} found` : '' };
    });

  // shift+arrows (or H J K L) extend the selection: it starts where the cursor was
  const extend = (days: number, columns: number) =>
    setNav((n) => ({
      ...n,
      anchor: n.anchor ?? n.cursor,
      cursor: move(ins, n.cursor, days, columns),
      message: '',
    }));

  useInput(
    (input, key) => {
      if (input === 'q') return exit();
      if ((key.shift && key.leftArrow) || input === 'H') extend(0, -1);
      else if ((key.shift && key.rightArrow) || input === 'L') extend(0, 1);
      else if ((key.shift && key.upArrow) || input === 'K') extend(-1, 0);
      else if ((key.shift && key.downArrow) || input === 'J') extend(1, 0);
      else if (key.leftArrow || input === 'h') go((c) => move(ins, c, 0, -1));
      else if (key.rightArrow || input === 'l') go((c) => move(ins, c, 0, 1));
      else if (key.upArrow || input === 'k') go((c) => move(ins, c, -1, 0));
      else if (key.downArrow || input === 'j') go((c) => move(ins, c, 1, 0));
      else if (key.home || input === '0') go((c) => ({ ...c, column: 0 }));
      else if (key.end || input === '$') go((c) => ({ ...c, column: ins.slots.length - 1 }));
      else if (key.pageUp) go((c) => move(ins, c, -7, 0));
      else if (key.pageDown) go((c) => move(ins, c, 7, 0));
      else if (input === 'g') go((c) => nextRun(ins, c, ['missing'], 1), 'next gap');
      else if (input === 'G') go((c) => nextRun(ins, c, ['missing'], -1), 'previous gap');
      else if (input === 'e') go((c) => nextRun(ins, c, ['estimated'], 1), 'next estimate');
      else if (input === ' ' || input === 'v')
        setNav((n) => ({ ...n, anchor: n.anchor === null ? n.cursor : null }));
      else if (key.escape) setNav((n) => ({ ...n, anchor: null }));
      else if (key.return) setView('day');
      else if (input === '?') setView('help');
      else if (input === 'a') setView('audit');
      else if (input === 'c') {
        if (cellsBetween(ins, anchor ?? cursor, cursor).length === 0)
          setMessage('nothing to correct here: this local time does not exist on the day');
        else setView('correct');
      }
    },
    { isActive: view === 'carpet' },
  );
  useInput(() => setView('carpet'), { isActive: view === 'help' });
  // Always listening: when every input hook is inactive for a moment (one view handing over to
  // the next), Ink leaves raw mode and stops reading stdin, and keys typed then are lost.
  useInput(() => {});

  const loadVersions = useCallback((d: string) => backend.versions(d), [backend]);
  const loadAudit = useCallback(() => backend.audit(), [backend]);

  if (view === 'day') {
    const day = ins.days[cursor.day]!;
    return (
      <DayView
        ins={ins}
        day={day}
        position={cellAt(ins, cursor)?.position ?? 0}
        loadVersions={loadVersions}
        rows={size.rows}
        width={width}
        onClose={() => setView('carpet')}
      />
    );
  }
  if (view === 'audit')
    return (
      <AuditView
        meterId={ins.meter.meterId}
        load={loadAudit}
        rows={size.rows}
        onClose={() => setView('carpet')}
      />
    );
  if (view === 'help') {
    return (
      <Box flexDirection="column">
        <Text bold>smt inspect: keys</Text>
        {INSPECT_KEYS.map(([k, what]) => (
          <Text key={k}>
            {k.padEnd(18)} {what}
          </Text>
        ))}
        <Text dimColor>any key: back</Text>
      </Box>
    );
  }
  const lines = shown.carpet;
  return (
    <Box flexDirection="column">
      {header.map((l) => (
        <Text key={l}>{l}</Text>
      ))}
      {lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
      {view === 'correct' ? (
        <CorrectionFlow
          ins={ins}
          cells={cellsBetween(ins, anchor ?? cursor, cursor)}
          corrections={backend.corrections}
          onClose={(applied) => {
            setView('carpet');
            setNav((n) => ({ ...n, anchor: null }));
            if (applied) {
              setMessage('reloading…');
              backend
                .reload()
                .then((next) => {
                  setIns(next);
                  setMessage('correction applied; view reloaded');
                })
                .catch((err) => setMessage(`reload failed: ${errorMessage(err)}`));
            }
          }}
        />
      ) : (
        <>
          <Text wrap="truncate-end">{shown.cursor}</Text>
          <Text dimColor wrap="truncate-end">
            {shown.hint}
          </Text>
          <Text color="yellow">{message}</Text>
        </>
      )}
    </Box>
  );
}
