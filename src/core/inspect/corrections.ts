/**
 * The correction flow behind `c` in `smt inspect`: preview the impact of new values for a range of
 * intervals, then apply them with a required reason. `CorrectionBackend` is the seam: the default
 * below writes a new series version through `writeSeries` (substituted, method operator edit,
 * source `correction:<operator>:<ms>`); the audited corrections service (src/core/corrections) is
 * meant to replace it without the UI changing.
 */

import { UsageError } from '../errors.js';
import type { Channel, IntervalMinutes } from '../readings/block.js';
import { Method, Origin, ValidationState } from '../readings/quality.js';
import type { Meter } from '../registry/meter.js';
import { keyOf, positionOf, type SeriesDay } from '../series/day.js';
import type { WriteUnit } from '../series/planner.js';
import type { SeriesPorts } from '../series/ports.js';
import { writeSeries } from '../series/writer.js';
import { ValidationColumns } from '../vee/engine.js';
import { CORRECTION_SOURCE_PREFIX } from './marks.js';

export interface CorrectionRequest {
  meterId: string;
  channel: string;
  /** interval starts (epoch ms) and their new values */
  intervals: { startMs: number; value: number }[];
  operator: string;
}

export interface IntervalChange {
  startMs: number;
  before: number | null;
  after: number;
}

export interface CorrectionImpact {
  changes: IntervalChange[];
  /** intervals whose value is already the requested one */
  unchanged: number;
  days: string[];
  energyBefore: number;
  energyAfter: number;
  /** days already aggregated, or inside a closed or billed period: the correction raises follow-ups */
  followUps: { day: string; kind: string; periodId: number | null }[];
}

export interface CorrectionResult {
  /** the new versions written, one per day */
  versions: { day: string; version: number }[];
  source: string;
}

export interface CorrectionBackend {
  preview(req: CorrectionRequest): Promise<CorrectionImpact>;
  apply(req: CorrectionRequest & { reason: string }): Promise<CorrectionResult>;
}

function unitOf(req: CorrectionRequest, meter: Meter, source: string, now: number): WriteUnit {
  const n = req.intervals.length;
  const sorted = [...req.intervals].sort((a, b) => a.startMs - b.startMs);
  const block = {
    meterId: req.meterId,
    channel: req.channel as Channel,
    intervalMinutes: meter.intervalMinutes as IntervalMinutes,
    starts: Float64Array.from(sorted.map((i) => i.startMs)),
    values: Float64Array.from(sorted.map((i) => i.value)),
    status: new Uint32Array(n),
    sequence: new Int32Array(n).fill(-1),
    commQuality: Number.NaN,
  };
  const columns = ValidationColumns.allocate(n);
  // an operator's value is accepted as given: it passed the operator's review
  columns.states.fill(ValidationState.Passed);
  return {
    source,
    sourceRef: null,
    key: req.meterId,
    format: null,
    payload: null,
    receivedAt: now,
    reject: null,
    blocks: [block],
    columns,
    offsets: Uint32Array.from([0, n]),
  };
}

/** The default backend: one `writeSeries` call, a dry run for the preview. */
export class SeriesCorrectionBackend implements CorrectionBackend {
  constructor(
    private readonly meter: Meter,
    private readonly ports: () => Promise<SeriesPorts>,
    private readonly fallbackZone: string,
    private readonly clock: () => number = Date.now,
  ) {}

  private async plan(req: CorrectionRequest, reason: string, apply: boolean) {
    if (req.intervals.length === 0)
      throw new UsageError('no intervals selected', 'Select a range with space, then press c.');
    for (const i of req.intervals) {
      if (!Number.isFinite(i.value))
        throw new UsageError(`the new value of ${new Date(i.startMs).toISOString()} is not a number`);
    }
    const now = this.clock();
    const source = `${CORRECTION_SOURCE_PREFIX}${req.operator}:${now}`;
    const m = this.meter;
    const ports = await this.ports();
    const plan = await writeSeries(ports, {
      writer: {
        name: `correction:${req.operator}`,
        reason,
        origin: Origin.Substituted,
        method: Method.OperatorEdit,
      },
      units: [unitOf(req, m, source, now)],
      meters: {
        get: (id) =>
          id === m.meterId
            ? {
                meterId: id,
                timezone: m.timezone,
                intervalMinutes: m.intervalMinutes,
                regionId: m.regionId,
                segment: m.segment,
                tariffId: m.tariffId,
              }
            : undefined,
      },
      fallbackZone: this.fallbackZone,
      now,
      lastVersion: 0,
      apply,
    });
    return { plan, source };
  }

  async preview(req: CorrectionRequest): Promise<CorrectionImpact> {
    const { plan } = await this.plan(req, 'preview', false);
    const ports = await this.ports();
    const stored = await ports.series.current(
      plan.days.map((d) => ({ meterId: d.meterId, channel: d.channel, day: d.day })),
    );
    return impactOf(req, plan.days, stored, plan.outcome.duplicates, plan.late);
  }

  async apply(req: CorrectionRequest & { reason: string }): Promise<CorrectionResult> {
    if (req.reason.trim() === '')
      throw new UsageError(
        'a correction needs a reason',
        'Say why the values change; it is kept in the version history.',
      );
    const { plan, source } = await this.plan(req, req.reason.trim(), true);
    return { versions: plan.days.map((d) => ({ day: d.day, version: d.version })), source };
  }
}

function impactOf(
  req: CorrectionRequest,
  planned: readonly SeriesDay[],
  stored: ReadonlyMap<string, SeriesDay>,
  unchanged: number,
  late: readonly { localDate: string; kind: string; periodId: number | null }[],
): CorrectionImpact {
  const changes: IntervalChange[] = [];
  let energyBefore = 0;
  let energyAfter = 0;
  for (const d of planned) {
    const before = stored.get(keyOf(d));
    for (const i of req.intervals) {
      const pos = positionOf(d, i.startMs);
      if (pos < 0) continue;
      const b = before ? before.values[pos]! : Number.NaN;
      if (b === i.value) continue;
      changes.push({ startMs: i.startMs, before: Number.isNaN(b) ? null : b, after: i.value });
      energyBefore += Number.isNaN(b) ? 0 : b;
      energyAfter += i.value;
    }
  }
  changes.sort((a, b) => a.startMs - b.startMs);
  return {
    changes,
    unchanged,
    days: planned.map((d) => d.day),
    energyBefore: Math.round(energyBefore * 1e6) / 1e6,
    energyAfter: Math.round(energyAfter * 1e6) / 1e6,
    followUps: late.map((t) => ({ day: t.localDate, kind: t.kind, periodId: t.periodId })),
  };
}
