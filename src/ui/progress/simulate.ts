import type { ProgressSink } from '../../core/progress.js';
import type { SimulateProgress } from '../../core/simulate/service.js';

/**
 * The simulator's progress callbacks as events of the one progress model: a `registry` stage in
 * meters, then a `simulate` stage in meter-days with the messages and readings acknowledged.
 */
export function simulateProgressEvents(
  sink: ProgressSink,
  totals: { meters: number; meterDays: number },
): (p: SimulateProgress) => void {
  let phase: SimulateProgress['phase'] | null = null;
  return (p) => {
    if (p.phase !== phase) {
      phase = p.phase;
      sink(
        p.phase === 'registry'
          ? { kind: 'stage', label: 'registry', total: totals.meters, unit: 'meters' }
          : { kind: 'stage', label: 'simulate', total: totals.meterDays, unit: 'meter-days' },
      );
    }
    if (p.phase === 'registry') sink({ kind: 'advance', done: p.done });
    else
      sink({
        kind: 'advance',
        done: Math.round(p.fraction * totals.meterDays),
        counts: { messages: p.messages, readings: p.readings, 'readings/s': p.readingsPerSecond },
      });
  };
}
