import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { errorMessage } from '../../core/errors.js';
import type {
  CorrectionBackend,
  CorrectionImpact,
  CorrectionResult,
} from '../../core/inspect/corrections.js';
import type { InspectCell, Inspection } from '../../core/inspect/model.js';
import { formatValue } from './carpet.js';
import { LineInput } from './LineInput.js';

type Step =
  | { at: 'value'; error?: string }
  | { at: 'previewing'; value: number }
  | { at: 'preview'; value: number; impact: CorrectionImpact }
  | { at: 'reason'; value: number; impact: CorrectionImpact; error?: string }
  | { at: 'confirm'; value: number; impact: CorrectionImpact; reason: string }
  | { at: 'applying' }
  | { at: 'done'; result: CorrectionResult }
  | { at: 'failed'; error: string };

export interface CorrectionFlowProps {
  ins: Inspection;
  cells: InspectCell[];
  backend: CorrectionBackend;
  operator: string;
  /** applied: the series changed and the view must reload */
  onClose: (applied: boolean) => void;
}

const localTime = (c: InspectCell) => `${c.start.slice(11, 16)}${c.start.slice(19)}`;

/**
 * `c`: new value for the selected intervals → impact preview → reason (required) → confirmation →
 * apply. Escape cancels at any step before applying; nothing is written before `y`.
 */
export function CorrectionFlow({ ins, cells, backend, operator, onClose }: CorrectionFlowProps) {
  const [step, setStep] = useState<Step>({ at: 'value' });
  const day = cells[0]!.start.slice(0, 10);
  const req = (value: number) => ({
    meterId: ins.meter.meterId,
    channel: ins.channel,
    intervals: cells.map((c) => ({ startMs: c.startMs, value })),
    operator,
  });

  useInput(
    (input, key) => {
      if (key.escape && step.at !== 'applying') return onClose(step.at === 'done');
      if (step.at === 'preview' && key.return) {
        setStep({ at: 'reason', value: step.value, impact: step.impact });
      } else if (step.at === 'confirm') {
        if (input === 'y') {
          setStep({ at: 'applying' });
          backend
            .apply({ ...req(step.value), reason: step.reason })
            .then((result) => setStep({ at: 'done', result }))
            .catch((err) => setStep({ at: 'failed', error: errorMessage(err) }));
        } else if (input === 'n') onClose(false);
      } else if (step.at === 'done' || step.at === 'failed') onClose(step.at === 'done');
    },
    { isActive: step.at !== 'value' && step.at !== 'reason' },
  );

  const range =
    cells.length === 1
      ? localTime(cells[0]!)
      : `${localTime(cells[0]!)}–${localTime(cells[cells.length - 1]!)}`;
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>
        Correct {ins.meter.meterId} {day} {range} ({cells.length} interval{cells.length === 1 ? '' : 's'})
      </Text>
      {step.at === 'value' && (
        <Box flexDirection="column">
          <Box>
            <Text>New value per interval: </Text>
            <LineInput
              onSubmit={(v) => {
                const n = Number(v.trim());
                if (v.trim() === '' || !Number.isFinite(n) || n < 0) {
                  setStep({ at: 'value', error: `"${v}" is not a non-negative number` });
                  return;
                }
                setStep({ at: 'previewing', value: n });
                backend
                  .preview(req(n))
                  .then((impact) => setStep({ at: 'preview', value: n, impact }))
                  .catch((err) => setStep({ at: 'failed', error: errorMessage(err) }));
              }}
            />
          </Box>
          {step.error && <Text color="red">{step.error}</Text>}
          <Text dimColor>Enter: preview the impact Esc: cancel</Text>
        </Box>
      )}
      {step.at === 'previewing' && <Text>Computing the impact…</Text>}
      {(step.at === 'preview' || step.at === 'reason' || step.at === 'confirm') && (
        <Impact impact={step.impact} />
      )}
      {step.at === 'preview' && <Text dimColor>Enter: continue Esc: cancel</Text>}
      {step.at === 'reason' && (
        <Box flexDirection="column">
          <Box>
            <Text>Reason (required): </Text>
            <LineInput
              onSubmit={(v) => {
                if (v.trim() === '') {
                  setStep({ ...step, error: 'A reason is required: it is kept in the version history.' });
                  return;
                }
                setStep({ at: 'confirm', value: step.value, impact: step.impact, reason: v.trim() });
              }}
            />
          </Box>
          {step.error && <Text color="red">{step.error}</Text>}
        </Box>
      )}
      {step.at === 'confirm' && (
        <Text>
          Apply as {operator} with reason "{step.reason}"? <Text bold>y</Text>es / <Text bold>n</Text>o
        </Text>
      )}
      {step.at === 'applying' && <Text>Writing the correction…</Text>}
      {step.at === 'done' && (
        <Text color="green">
          Corrected:{' '}
          {step.result.versions.map((v) => `${v.day} version ${v.version}`).join(', ') || 'nothing changed'}.
          Any key: back
        </Text>
      )}
      {step.at === 'failed' && <Text color="red">Correction failed: {step.error}. Any key: back</Text>}
    </Box>
  );
}

function Impact({ impact }: { impact: CorrectionImpact }) {
  const delta = impact.energyAfter - impact.energyBefore;
  const shown = impact.changes.slice(0, 4);
  return (
    <Box flexDirection="column">
      <Text>
        Impact: {impact.changes.length} interval(s) change, {impact.unchanged} already at that value; energy{' '}
        {formatValue(impact.energyBefore)} → {formatValue(impact.energyAfter)} ({delta >= 0 ? '+' : ''}
        {formatValue(delta)})
      </Text>
      {shown.map((c) => (
        <Text key={c.startMs}>
          {'  '}
          {new Date(c.startMs).toISOString().slice(11, 16)}Z{' '}
          {c.before === null ? 'missing' : formatValue(c.before)} → {formatValue(c.after)}
        </Text>
      ))}
      {impact.changes.length > shown.length && (
        <Text>{`  … ${impact.changes.length - shown.length} more`}</Text>
      )}
      {impact.followUps.map((f) => (
        <Text key={`${f.day}${f.kind}`} color="yellow">
          {'  '}
          {f.day} is {f.kind.replace('_', ' ')}
          {f.periodId === null ? '' : ` (period ${f.periodId})`}: a late-data follow-up is raised
        </Text>
      ))}
    </Box>
  );
}
