/**
 * `smt estimate`: fills the gaps of the current series with the configured chain and writes every
 * estimate as a new version through `writeSeries` (origin Estimated, its method and reason, never
 * over an actual: the planner keeps actuals for this writer even if one arrived since the read).
 */
import { randomBytes } from 'node:crypto';
import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { detectDay } from '../gaps/detect.js';
import type { MeterFacts } from '../gaps/expected.js';
import { datesBetween, type MeterSelection } from '../gaps/service.js';
import { openQualityStores } from '../gaps/stores.js';
import type { Channel } from '../readings/block.js';
import { emptyBlock, type IntervalMinutes, type ReadingBlock } from '../readings/block.js';
import { Origin, packFields, ValidationState } from '../readings/quality.js';
import { copyDay, emptyDay, type SeriesDay } from '../series/day.js';
import type { Writer, WriteUnit } from '../series/planner.js';
import type { RegisteredMeter, SeriesPorts, SeriesReader } from '../series/ports.js';
import { writeSeries } from '../series/writer.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { ValidationColumns } from '../vee/engine.js';
import { loadDefaultRuleSet, loadRuleSetFile } from '../vee/rule-set.js';
import { dayTypesForRegion } from './day-types.js';
import { type Estimate, estimateRange, METHOD_CODES } from './methods.js';
import { type EstimationMethodName, type EstimationSettings, METHOD_NAMES } from './settings.js';

export interface EstimateOptions extends MeterSelection {
  from: string;
  to: string;
  channel: string;
  dryRun: boolean;
  /** rule-set YAML with an `estimation:` section; default: `ingest.rules`, else the shipped one */
  rulesFile?: string;
  onProgress?: (p: { meters: number; of: number; filled: number; seconds: number }) => void;
}

export interface EstimateSummary {
  runId: string;
  from: string;
  to: string;
  channel: string;
  dryRun: boolean;
  rules: string;
  meters: number;
  meterDays: number;
  gaps: number;
  /** intervals without a value that were expected */
  missing: number;
  /** intervals filled (planned, under --dry-run), per method */
  filled: number;
  byMethod: Record<EstimationMethodName, number>;
  /** gaps no method of the chain could fill (no history, no neighbours) */
  unfilled: number;
  /** estimates not written because an actual had arrived in the meantime */
  keptActuals: number;
  versionsWritten: number;
  seconds: number;
}

/** One meter's estimates, by method: blocks ready to write. */
export interface MeterEstimates {
  blocks: Map<EstimationMethodName, ReadingBlock[]>;
  gaps: number;
  missing: number;
  filled: number;
  unfilled: number;
  meterDays: number;
}

export function estimationSettingsOf(rulesFile: string | undefined): {
  settings: EstimationSettings;
  source: string;
} {
  const rs = rulesFile ? loadRuleSetFile(rulesFile) : loadDefaultRuleSet();
  return { settings: rs.estimation, source: `${rs.name} v${rs.version} (${rs.source})` };
}

/**
 * Estimates for the gaps of one meter's days in `dates` (pure). `stored` holds its current days
 * from `lookbackDays` before to one day after; estimates are added to working copies in order, so
 * a later gap of the run sees the earlier ones (never as like days: those are actual-only).
 */
export function estimateMeter(
  meter: MeterFacts,
  channel: string,
  dates: readonly string[],
  stored: readonly SeriesDay[],
  settings: EstimationSettings,
): MeterEstimates {
  const chain = settings.segments[meter.segment] ?? settings.base;
  const dayType = dayTypesForRegion(settings, meter.regionId);
  const days = new Map(stored.map((d) => [d.day, d]));
  // de-energised intervals are not gaps for completeness, but they are filled (with zero)
  const expectAll: MeterFacts = { ...meter, deenergised: [] };
  const out: MeterEstimates = {
    blocks: new Map(),
    gaps: 0,
    missing: 0,
    filled: 0,
    unfilled: 0,
    meterDays: 0,
  };
  const cache = new Map<string, Float64Array | null>();
  for (const date of dates) {
    out.meterDays++;
    const current = days.get(date);
    if (current && current.intervalMinutes !== meter.intervalMinutes) continue;
    const found = detectDay(expectAll, channel, date, current);
    if (found.gaps.length === 0) continue;
    const work = current
      ? copyDay(current)
      : emptyDay({ meterId: meter.meterId, channel, day: date }, meter.timezone, meter.intervalMinutes);
    days.set(date, work);
    for (const g of found.gaps) {
      out.gaps++;
      out.missing += g.intervals;
      const e = estimateRange('chain', {
        meter,
        channel,
        days,
        localDate: date,
        from: g.firstPosition,
        to: g.firstPosition + g.intervals,
        settings: chain,
        dayType,
        cache,
      });
      if (!e) {
        out.unfilled += g.intervals;
        continue;
      }
      fill(work, g.firstPosition, e);
      out.filled += g.intervals;
      const list = out.blocks.get(e.method) ?? [];
      list.push(blockOf(meter, channel, work, g.firstPosition, e.values));
      out.blocks.set(e.method, list);
    }
    // the day's like-day averages change once it holds estimates of this run
    for (const k of [...cache.keys()]) if (k.startsWith(date)) cache.delete(k);
  }
  return out;
}

function fill(day: SeriesDay, from: number, e: Estimate): void {
  const q = packFields(Origin.Estimated, ValidationState.Passed, e.code, e.reason);
  for (let i = 0; i < e.values.length; i++) {
    day.values[from + i] = e.values[i]!;
    day.quality[from + i] = q;
  }
}

function blockOf(
  meter: MeterFacts,
  channel: string,
  day: SeriesDay,
  from: number,
  values: Float64Array,
): ReadingBlock {
  const b = emptyBlock(
    meter.meterId,
    channel as Channel,
    meter.intervalMinutes as IntervalMinutes,
    values.length,
  );
  const step = meter.intervalMinutes * 60_000;
  for (let i = 0; i < values.length; i++) {
    b.starts[i] = day.dayStart + (from + i) * step;
    b.values[i] = values[i]!;
  }
  return b;
}

/** The writer of one method's estimates in one run. */
export function estimateWriter(method: EstimationMethodName, runId: string): Writer {
  return {
    name: `estimate:${runId}`,
    reason: `estimated (${method}) by smt estimate`,
    origin: Origin.Estimated,
    method: METHOD_CODES[method],
    keepActuals: true,
  };
}

/** One write unit of estimated blocks: no payload (nothing was received), every value Passed. */
export function estimateUnit(source: string, blocks: ReadingBlock[], now: number): WriteUnit {
  const offsets = new Uint32Array(blocks.length + 1);
  for (let k = 0; k < blocks.length; k++) offsets[k + 1] = offsets[k]! + blocks[k]!.starts.length;
  const columns = ValidationColumns.allocate(offsets[blocks.length]!);
  columns.states.fill(ValidationState.Passed);
  return {
    source,
    sourceRef: null,
    key: null,
    format: null,
    payload: null,
    receivedAt: now,
    reject: null,
    blocks,
    columns,
    offsets,
  };
}

export function registeredOf(m: MeterFacts): RegisteredMeter {
  return {
    meterId: m.meterId,
    timezone: m.timezone,
    intervalMinutes: m.intervalMinutes,
    regionId: m.regionId,
    segment: m.segment,
    tariffId: m.tariffId ?? '',
  };
}

/** Writes one batch of meters' estimates, one `writeSeries` per method (the method is the writer's). */
export async function writeEstimates(
  ports: SeriesPorts,
  runId: string,
  batch: number,
  meters: readonly MeterFacts[],
  estimates: readonly MeterEstimates[],
  clock: { last: number },
  fallbackZone: string,
): Promise<{ keptActuals: number; versions: number }> {
  const lookup = new Map(meters.map((m) => [m.meterId, registeredOf(m)]));
  let keptActuals = 0;
  let versions = 0;
  for (const method of METHOD_NAMES) {
    const blocks = estimates.flatMap((e) => e.blocks.get(method) ?? []);
    if (blocks.length === 0) continue;
    const now = Date.now();
    const plan = await writeSeries(ports, {
      writer: estimateWriter(method, runId),
      units: [estimateUnit(`estimate:${runId}:${method}:${batch}`, blocks, now)],
      meters: lookup,
      fallbackZone,
      now,
      lastVersion: clock.last,
    });
    clock.last = plan.lastVersion;
    keptActuals += plan.outcome.keptActuals;
    versions += plan.days.length;
  }
  return { keptActuals, versions };
}

export async function readHistory(
  reader: SeriesReader,
  meter: MeterFacts,
  channel: string,
  from: string,
  to: string,
  lookbackDays: number,
): Promise<SeriesDay[]> {
  return reader.days({
    meterId: meter.meterId,
    channel,
    from: formatLocalDate(parseLocalDate(from) - lookbackDays - 1),
    to: formatLocalDate(parseLocalDate(to) + lookbackDays + 1),
  });
}

export async function runEstimation(config: SmtConfig, o: EstimateOptions): Promise<EstimateSummary> {
  const dates = datesBetween(o.from, o.to);
  const { settings, source } = estimationSettingsOf(
    o.rulesFile ?? (config.string('ingest.rules') || undefined),
  );
  const runId = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const stores = openQualityStores(config);
  const t0 = performance.now();
  const byMethod = Object.fromEntries(METHOD_NAMES.map((m) => [m, 0])) as Record<
    EstimationMethodName,
    number
  >;
  const sum = {
    meterDays: 0,
    gaps: 0,
    missing: 0,
    filled: 0,
    unfilled: 0,
    keptActuals: 0,
    versionsWritten: 0,
  };
  try {
    const meters = await stores.gaps.meterFacts(o.meters, o.prefix);
    if (o.meters && meters.length < o.meters.length)
      throw new UsageError('some --meters are not registered', 'Check the ids with `smt meters list`.');
    const ports = o.dryRun ? undefined : await stores.ports();
    const clock = { last: 0 };
    const BATCH = 200;
    let done = 0;
    for (let i = 0; i < meters.length; i += BATCH) {
      const batch = meters.slice(i, i + BATCH);
      const estimates: MeterEstimates[] = [];
      await forEachBounded(batch, 16, async (m) => {
        const lookback = (settings.segments[m.segment] ?? settings.base).likeDay.lookbackDays;
        const stored = await readHistory(stores.reader, m, o.channel, o.from, o.to, lookback);
        estimates.push(estimateMeter(m, o.channel, dates, stored, settings));
      });
      for (const e of estimates) {
        sum.meterDays += e.meterDays;
        sum.gaps += e.gaps;
        sum.missing += e.missing;
        sum.filled += e.filled;
        sum.unfilled += e.unfilled;
        for (const [m, blocks] of e.blocks) byMethod[m] += blocks.reduce((n, b) => n + b.starts.length, 0);
      }
      if (ports) {
        const w = await writeEstimates(
          ports,
          runId,
          i / BATCH,
          batch,
          estimates,
          clock,
          config.string('timezone'),
        );
        sum.keptActuals += w.keptActuals;
        sum.versionsWritten += w.versions;
      }
      done += batch.length;
      o.onProgress?.({
        meters: done,
        of: meters.length,
        filled: sum.filled,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    return {
      runId,
      from: o.from,
      to: o.to,
      channel: o.channel,
      dryRun: o.dryRun,
      rules: source,
      meters: meters.length,
      ...sum,
      byMethod,
      seconds: Math.round(((performance.now() - t0) / 1000) * 100) / 100,
    };
  } finally {
    await stores.close();
  }
}
