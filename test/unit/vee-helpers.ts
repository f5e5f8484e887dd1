/** Builders for the VEE tests: blocks from plain arrays, rule sets from YAML snippets, results as arrays. */
import type { Channel, IntervalMinutes, ReadingBlock } from '../../src/core/readings/block.js';
import { NO_SEQUENCE } from '../../src/core/readings/block.js';
import type { ValidationContext } from '../../src/core/vee/context.js';
import { ValidationColumns, VeeEngine } from '../../src/core/vee/engine.js';
import { parseRuleSet, type RuleSetDefinition } from '../../src/core/vee/rule-set.js';
import type { RuleId } from '../../src/core/vee/rules.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** Monday 2026-01-12 00:00 UTC */
export const MONDAY = Date.UTC(2026, 0, 12);

export interface BlockSpec {
  values: Array<number | null>;
  start?: number;
  /** explicit starts (otherwise start + i × interval) */
  starts?: number[];
  interval?: IntervalMinutes;
  channel?: Channel;
  meterId?: string;
  status?: number[];
  sequence?: number[];
  commQuality?: number;
}

export function mk(spec: BlockSpec): ReadingBlock {
  const n = spec.values.length;
  const interval = spec.interval ?? 15;
  const start = spec.start ?? MONDAY;
  return {
    meterId: spec.meterId ?? 'M1',
    channel: spec.channel ?? 'active_import_kwh',
    intervalMinutes: interval,
    starts: Float64Array.from(spec.starts ?? Array.from({ length: n }, (_, i) => start + i * interval * MIN)),
    values: Float64Array.from(spec.values, (v) => (v === null ? Number.NaN : v)),
    status: Uint32Array.from(spec.status ?? new Array(n).fill(0)),
    sequence: Int32Array.from(spec.sequence ?? new Array(n).fill(NO_SEQUENCE)),
    commQuality: spec.commQuality ?? Number.NaN,
  };
}

/** A rule set: catalogue defaults plus the YAML given (indented under `rules:` etc. by the caller). */
export function ruleSet(yaml = ''): RuleSetDefinition {
  return parseRuleSet(`version: 1\nname: test\n${yaml}`, 'test.yaml');
}

export interface Outcome {
  states: number[];
  masks: number[];
  late: number[];
  columns: ValidationColumns;
  engine: VeeEngine;
}

/** Validate one block; `now` defaults to two days after the block so timestamps are quiet. */
export function validate(
  block: ReadingBlock,
  ctx: Partial<ValidationContext> = {},
  rules: RuleSetDefinition = ruleSet(),
): Outcome {
  const engine = new VeeEngine(rules);
  const columns = ValidationColumns.allocate(block.starts.length);
  const now = ctx.now ?? (block.starts.length > 0 ? block.starts[block.starts.length - 1]! + DAY : MONDAY);
  engine.validateBlock(block, { ...ctx, now }, columns, 0);
  return {
    states: Array.from(columns.states),
    masks: Array.from(columns.ruleMask),
    late: Array.from(columns.late),
    columns,
    engine,
  };
}

/** Indices of the readings on which a rule fired. */
export function fired(o: { masks: number[] }, id: RuleId): number[] {
  const out: number[] = [];
  o.masks.forEach((m, i) => {
    if ((m >>> id) & 1) out.push(i);
  });
  return out;
}

export function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
