import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { CorrectionOperation } from '../../core/corrections/model.js';
import type { CorrectionReport } from '../../core/corrections/service.js';
import { errorMessage } from '../../core/errors.js';
import {
  describeOperation,
  type InspectCorrections,
  parseOperation,
} from '../../core/inspect/corrections.js';
import type { InspectCell, Inspection } from '../../core/inspect/model.js';
import { formatValue } from './carpet.js';
import { LineInput } from './LineInput.js';

type Step =
  | { at: 'operation'; error?: string }
  | { at: 'reason'; op: CorrectionOperation; error?: string }
  | { at: 'previewing' }
  | { at: 'preview'; op: CorrectionOperation; reason: string; report: CorrectionReport }
  | { at: 'applying' }
  | { at: 'done'; report: CorrectionReport }
  | { at: 'failed'; error: string };

export interface CorrectionFlowProps {
  ins: Inspection;
  /** the selected cells in time order (may span days) */
  cells: InspectCell[];
  corrections: InspectCorrections;
  /** applied: the series changed and the view must reload */
  onClose: (applied: boolean) => void;
}

const at = (c: InspectCell) => `${c.start.slice(0, 10)} ${c.start.slice(11, 16)}${c.start.slice(19)}`;
const kwh = (x: number | null) => (x === null ? 'missing' : formatValue(x));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${formatValue(x)}`;

/**
 * `c`: new values → reason (required) → the service's dry run as the impact preview → confirmation →
 * the audited correction. Escape cancels at any step before applying; nothing is written before `y`.
 */
export function CorrectionFlow({ ins, cells, corrections, onClose }: CorrectionFlowProps) {
  const [step, setStep] = useState<Step>({ at: 'operation' });
  const first = cells[0]!;
  const last = cells[cells.length - 1]!;
  const request = (op: CorrectionOperation, reason: string) => ({
    start: first.startMs,
    end: last.startMs + ins.meter.intervalMinutes * 60_000,
    operation: op,
    reason,
  });
  const blocked = (r: CorrectionReport) => r.closedPeriods.length > 0 && !corrections.allowClosed;

  useInput((input, key) => {
    if (key.escape && step.at !== 'applying') return onClose(step.at === 'done');
    // typing goes to the line input
    if (step.at === 'operation' || step.at === 'reason') return;
    if (step.at === 'preview') {
      if (input === 'y' && !blocked(step.report) && step.report.intervals.changed > 0) {
        setStep({ at: 'applying' });
        corrections
          .apply(request(step.op, step.reason))
          .then((report) => setStep({ at: 'done', report }))
          .catch((err) => setStep({ at: 'failed', error: errorMessage(err) }));
      } else if (input === 'n') onClose(false);
    } else if (step.at === 'done' || step.at === 'failed') onClose(step.at === 'done');
  });

  const days = new Set(cells.map((c) => c.start.slice(0, 10))).size;
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>
        Correct {ins.meter.meterId} {at(first)}
        {cells.length > 1 ? ` – ${at(last)}` : ''} ({cells.length} interval{cells.length === 1 ? '' : 's'}
        {days > 1 ? ` on ${days} days` : ''})
      </Text>
      {step.at === 'operation' && (
        <Box flexDirection="column">
          <Box>
            <Text>New values: </Text>
            <LineInput
              onSubmit={(v) => {
                try {
                  setStep({ at: 'reason', op: parseOperation(v) });
                } catch (err) {
                  setStep({ at: 'operation', error: errorMessage(err) });
                }
              }}
            />
          </Box>
          {step.error && <Text color="red">{step.error}</Text>}
          <Text dimColor>
            0.25 per interval · x1.02 scale · 2026-03-22 copy that day · linear estimate · Esc cancel
          </Text>
        </Box>
      )}
      {step.at === 'reason' && (
        <Box flexDirection="column">
          <Text>{describeOperation(step.op)}</Text>
          <Box>
            <Text>Reason (required): </Text>
            <LineInput
              onSubmit={(v) => {
                if (v.trim() === '') {
                  setStep({ ...step, error: 'A reason is required: it is recorded in the audit trail.' });
                  return;
                }
                const reason = v.trim();
                const op = step.op;
                setStep({ at: 'previewing' });
                corrections
                  .preview(request(op, reason))
                  .then((report) => setStep({ at: 'preview', op, reason, report }))
                  .catch((err) => setStep({ at: 'failed', error: errorMessage(err) }));
              }}
            />
          </Box>
          {step.error && <Text color="red">{step.error}</Text>}
        </Box>
      )}
      {step.at === 'previewing' && <Text>Dry run: computing the impact…</Text>}
      {step.at === 'preview' && (
        <>
          <Impact report={step.report} />
          {blocked(step.report) ? (
            <Text color="red">
              Nothing can be written: the range is in a closed or billed period. Start inspect with
              --allow-closed to correct it (an alert is raised for billing). Esc: back
            </Text>
          ) : step.report.intervals.changed === 0 ? (
            <Text>Nothing changes. Esc: back</Text>
          ) : (
            <Text>
              Apply as {corrections.operator} with reason "{step.reason}"? <Text bold>y</Text>es /{' '}
              <Text bold>n</Text>o
            </Text>
          )}
        </>
      )}
      {step.at === 'applying' && <Text>Writing the correction…</Text>}
      {step.at === 'done' && (
        <Text color="green">
          Correction {step.report.correctionId ?? '(none)'} recorded
          {step.report.audit ? ` (audit entry ${step.report.audit.auditId})` : ''}:{' '}
          {step.report.seriesVersions.map((v) => `${v.day} version ${v.version}`).join(', ') ||
            'nothing changed'}
          . Any key: back
        </Text>
      )}
      {step.at === 'failed' && <Text color="red">Correction failed: {step.error}. Any key: back</Text>}
    </Box>
  );
}

const SHOWN = 4;

/** The dry run of `smt correct`: what changes, the day and month totals, closed periods touched. */
function Impact({ report: r }: { report: CorrectionReport }) {
  return (
    <Box flexDirection="column">
      <Text>
        Dry run: {r.intervals.changed} of {r.intervals.inRange} interval(s) change, {r.intervals.unchanged}{' '}
        unchanged{r.intervals.skipped > 0 ? `, ${r.intervals.skipped} skipped (no value to derive from)` : ''}
        {r.validation ? `; ${r.validation.ruleSet}: ${r.validation.passed} passed` : ''}
      </Text>
      {r.changes[0] && <Text>{`  new quality: ${r.changes[0].newQuality}`}</Text>}
      {r.changes.slice(0, SHOWN).map((c) => (
        <Text key={c.start}>
          {'  '}
          {c.startLocal} {kwh(c.old)} → {kwh(c.new)}
        </Text>
      ))}
      {r.changes.length > SHOWN && <Text>{`  … ${r.changes.length - SHOWN} more`}</Text>}
      {[...r.days.slice(0, SHOWN), ...r.months].map((t) => (
        <Text key={t.key}>
          {'  '}
          {t.key.length === 7 ? 'month' : 'day'} {t.key}: {formatValue(t.before)} → {formatValue(t.after)} kWh
          ({signed(t.delta)})
        </Text>
      ))}
      {r.days.length > SHOWN && <Text>{`  … ${r.days.length - SHOWN} more days`}</Text>}
      {r.closedPeriods.map((p) => (
        <Text key={p.periodId} color="yellow">
          {'  '}
          {p.status.replace('_', ' ')} billing period {p.periodId} ({p.periodStart} – {p.periodEnd}):{' '}
          {formatValue(p.before)} → {formatValue(p.after)} kWh
        </Text>
      ))}
    </Box>
  );
}
