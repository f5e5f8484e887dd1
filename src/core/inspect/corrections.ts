/**
 * `c` in `smt inspect`: the audited corrections service of `smt correct` (src/core/corrections) for
 * the intervals selected on the carpet. The impact preview is the service's dry run with the same
 * request; applying records the correction set, its hash-chained audit entry and the new series
 * version in one transaction, and refuses a closed or billed period unless inspect was started with
 * --allow-closed — exactly as `smt correct` does. There is no other write path here.
 */
import { ESTIMATE_METHODS } from '../corrections/estimate-methods.js';
import type { CorrectionOperation } from '../corrections/model.js';
import type { CorrectionPorts, CorrectionReport } from '../corrections/service.js';
import { UsageError } from '../errors.js';

export interface InspectCorrectionRequest {
  /** [start, end) in UTC epoch ms, on the meter's interval grid; may span days */
  start: number;
  end: number;
  operation: CorrectionOperation;
  reason: string;
}

export interface InspectCorrections {
  readonly operator: string;
  /** --allow-closed given to `smt inspect` */
  readonly allowClosed: boolean;
  /** the service's dry run: writes nothing */
  preview(r: InspectCorrectionRequest): Promise<CorrectionReport>;
  apply(r: InspectCorrectionRequest): Promise<CorrectionReport>;
}

/** `smt correct` for one meter and channel; the ports open lazily (`write`: ClickHouse and Kafka too). */
export class ServiceCorrections implements InspectCorrections {
  constructor(
    private readonly meterId: string,
    private readonly channel: string,
    private readonly ports: (write: boolean) => Promise<CorrectionPorts>,
    readonly operator: string,
    readonly allowClosed: boolean,
  ) {}

  preview(r: InspectCorrectionRequest): Promise<CorrectionReport> {
    return this.run(r, true);
  }

  apply(r: InspectCorrectionRequest): Promise<CorrectionReport> {
    return this.run(r, false);
  }

  private async run(r: InspectCorrectionRequest, dryRun: boolean): Promise<CorrectionReport> {
    // the service (VEE engine, write model) loads on the first correction, not at start
    const [{ correct }, ports] = await Promise.all([
      import('../corrections/service.js'),
      this.ports(!dryRun),
    ]);
    return correct(ports, {
      meterId: this.meterId,
      channel: this.channel,
      from: new Date(r.start).toISOString(),
      to: new Date(r.end).toISOString(),
      operation: r.operation,
      reason: r.reason,
      operator: this.operator,
      dryRun,
      allowClosed: this.allowClosed,
    });
  }
}

/**
 * What the operator typed as the new values: `0.25` (kWh per interval), `x1.02` or `*1.02` (scale
 * what is stored), `2026-03-22` (copy that local day by wall-clock time) or an estimator's name
 * (`linear`): the operations of `smt correct --value/--scale/--copy-from/--estimate`.
 */
export function parseOperation(text: string): CorrectionOperation {
  const t = text.trim();
  const hint = `Type a value (0.25), a factor (x1.02), a day to copy (2026-03-22) or a method (${[...ESTIMATE_METHODS.keys()].join(', ')}).`;
  if (t === '') throw new UsageError('no new values given', hint);
  if (ESTIMATE_METHODS.has(t)) return { kind: 'estimate', method: t };
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return { kind: 'copy_from', day: t };
  const scale = /^[x*]\s*(.+)$/i.exec(t);
  const x = Number(scale ? scale[1] : t);
  if (!Number.isFinite(x)) throw new UsageError(`"${t}" is not a value, a factor, a day or a method`, hint);
  return scale ? { kind: 'scale', factor: x } : { kind: 'value', value: x };
}

/** The operation as the operator would read it back. */
export function describeOperation(op: CorrectionOperation): string {
  switch (op.kind) {
    case 'value':
      return `set to ${op.value} per interval`;
    case 'scale':
      return `scale by ${op.factor}`;
    case 'copy_from':
      return 'day' in op ? `copy ${op.day} by wall-clock time` : `copy meter ${op.meterId}`;
    case 'estimate':
      return `estimate (${op.method})`;
  }
}
