import { createCassandraClient } from '../cassandra/client.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import { chString } from '../clickhouse/sql.js';
import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { runEstimation } from '../estimation/service.js';
import { detectGaps } from '../gaps/service.js';
import { type IngestSummary, runIngest } from '../ingest/daemon.js';
import type { Logger } from '../log.js';
import { migrateStores } from '../migrations/service.js';
import { createPostgresPool } from '../postgres/client.js';
import { readingsIn } from '../series/day.js';
import { type FaultPreset, resolveFaults } from '../simulate/faults.js';
import {
  defaultStart,
  runSimulation,
  type SimulateProgress,
  type SimulateSummary,
} from '../simulate/service.js';
import { stackUp } from '../stack/orchestrator.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';

export interface DemoOptions {
  meters: number;
  days: number;
  seed: number;
  faults: FaultPreset;
  /** skip `smt stack up` (the stack runs elsewhere) */
  noStack?: boolean;
  logger: Logger;
  onStep?: (line: string) => void;
  onSimulateProgress?: (p: SimulateProgress) => void;
  /** minimum time between simulate progress callbacks */
  simulateProgressIntervalMs?: number;
  onIngestProgress?: (readings: number, seconds: number) => void;
}

export interface DemoDay {
  localDate: string;
  /** intervals the registered demo meters should have for the day (92/96/100 per meter) */
  expected: number;
  /** readings with a value stored in ClickHouse for the day */
  stored: number;
  completenessPct: number;
}

export interface DemoCheck {
  what: string;
  expected: number;
  actual: number;
  ok: boolean;
}

export interface DemoSummary {
  idPrefix: string;
  stackSeconds: number;
  simulate: Pick<
    SimulateSummary,
    | 'meters'
    | 'days'
    | 'start'
    | 'end'
    | 'timezone'
    | 'messages'
    | 'readings'
    | 'seconds'
    | 'readingsPerSecond'
  >;
  ingest: IngestSummary;
  stored: { clickhouse: number; cassandraSeries: number; postgresReceived: number };
  rejectedByReason: Record<string, number>;
  days: DemoDay[];
  checks: DemoCheck[];
  /** expected intervals holding an actual or an estimate, before and after `smt estimate` */
  completeness: DemoCompleteness;
  next: string[];
}

export interface DemoCompleteness {
  expected: number;
  actualPct: number;
  afterEstimationPct: number;
  estimated: number;
  unfilled: number;
  targetPct: number;
  met: boolean;
}

/** The completeness the platform commits to after validation and estimation. */
export const COMPLETENESS_TARGET_PCT = 99.8;

/**
 * The whole main job on one machine: stack up, migrate, register and simulate a fleet with
 * faults, ingest until idle, then compare what landed in each store with the simulator's ground
 * truth. Each run uses fresh meter ids, so a rerun is a new, comparable demo.
 */
export async function runDemo(config: SmtConfig, options: DemoOptions): Promise<DemoSummary> {
  const step = options.onStep ?? (() => {});
  const t0 = performance.now();
  if (!options.noStack) {
    step(
      'starting the local stack (first run: downloads Kafka and Cassandra from Maven Central, installs ClickHouse)…',
    );
    await stackUp(config, { onProgress: step });
  }
  const stackSeconds = (performance.now() - t0) / 1000;
  step('migrating schemas…');
  await migrateStores(config, ['postgres', 'cassandra', 'clickhouse']);

  const timezone = config.string('timezone');
  const idPrefix = `DEMO${new Date().toISOString().replace(/\D/g, '').slice(2, 14)}-`;
  const start = defaultStart(timezone, options.days);
  step(
    `simulating ${options.meters} meters × ${options.days} days from ${start} (${timezone}), faults: ${options.faults}…`,
  );
  const sim = await runSimulation(config, {
    seed: options.seed,
    meters: options.meters,
    days: options.days,
    start,
    timezone,
    format: 'json',
    faults: resolveFaults(options.faults),
    idPrefix,
    registry: { kind: 'postgres' },
    ...(options.onSimulateProgress ? { onProgress: options.onSimulateProgress } : {}),
    ...(options.simulateProgressIntervalMs ? { progressIntervalMs: options.simulateProgressIntervalMs } : {}),
  });

  step('ingesting until idle…');
  const ingest = await runIngest(config, {
    untilIdle: true,
    logger: options.logger,
    onProgress: (totals, seconds) => options.onIngestProgress?.(totals.readings, seconds),
  });

  step('counting what landed in each store…');
  const end = sim.end;
  const days = await storedPerDay(config, idPrefix, start, end, timezone, sim.meters);
  const clickhouse = days.reduce((s, d) => s + d.stored, 0);
  const postgresReceived = await postgresReceivedCount(config, idPrefix);
  const cassandraSeries = await seriesStoredCount(config, await demoMeterIds(config, idPrefix), start, end);
  const e = sim.tally.expected;
  const checks: DemoCheck[] = [
    {
      what: 'dead-lettered messages (malformed + unknown meters)',
      expected: e.deadLetteredMessages,
      actual: ingest.deadLetteredMessages,
    },
    { what: 'readings rejected by validation', expected: e.failedReadings, actual: ingest.rejected },
    { what: 'duplicate readings recognised', expected: e.duplicateReadings, actual: ingest.duplicates },
    { what: 'readings stored in ClickHouse', expected: e.values - e.failedReadings, actual: clickhouse },
    {
      what: 'readings stored in the Cassandra series',
      expected: e.values - e.failedReadings,
      actual: cassandraSeries,
    },
    {
      what: 'readings received in the PostgreSQL counts (re-deliveries once)',
      expected: e.values,
      actual: postgresReceived,
    },
  ].map((c) => ({ ...c, ok: c.expected === c.actual }));

  step('detecting gaps and estimating them…');
  const selection = { meters: null, prefix: idPrefix, channel: 'active_import_kwh', from: start, to: end };
  const before = await detectGaps(config, selection);
  const est = await runEstimation(config, { ...selection, dryRun: false });
  const after = await detectGaps(config, selection);
  const completeness: DemoCompleteness = {
    expected: after.expected,
    actualPct: before.completePct,
    afterEstimationPct: after.completePct,
    estimated: est.filled - est.keptActuals,
    unfilled: est.unfilled,
    targetPct: COMPLETENESS_TARGET_PCT,
    met: after.completePct >= COMPLETENESS_TARGET_PCT,
  };
  return {
    idPrefix,
    stackSeconds: round(stackSeconds),
    simulate: {
      meters: sim.meters,
      days: sim.days,
      start: sim.start,
      end: sim.end,
      timezone: sim.timezone,
      messages: sim.messages,
      readings: sim.readings,
      seconds: sim.seconds,
      readingsPerSecond: sim.readingsPerSecond,
    },
    ingest,
    stored: { clickhouse, cassandraSeries, postgresReceived },
    rejectedByReason: ingest.rejectsByReason,
    days,
    checks,
    completeness,
    next: [
      'smt status                       # every component, its version and schema',
      'smt ingest status                # consumer lag per partition',
      `smt gaps summary --from ${start} --to ${end} --prefix ${idPrefix} --by day   # completeness`,
      `smt estimate backtest --dataset simulator   # how accurate the estimates are`,
      `smt meters list --prefix ${idPrefix}  # the simulated fleet`,
      'smt validate samples/json/meter-day-dst-2026-03-29.json   # dry-run the VEE rules on a file',
      'smt ingest                       # run the daemon; metrics on http://127.0.0.1:9464/metrics',
      'smt stack down                   # stop the local stack',
    ],
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function storedPerDay(
  config: SmtConfig,
  idPrefix: string,
  start: string,
  end: string,
  zone: string,
  meters: number,
): Promise<DemoDay[]> {
  const ch = createClickHouseClient(config);
  try {
    const db = config.string('clickhouse.database');
    const rs = await ch.query({
      query: `SELECT toString(local_date) AS d, count() AS n FROM ${db}.readings FINAL
              WHERE meter_id LIKE ${chString(`${idPrefix}%`)} GROUP BY d ORDER BY d`,
      format: 'JSONEachRow',
    });
    const byDay = new Map((await rs.json<{ d: string; n: string }>()).map((r) => [r.d, Number(r.n)]));
    const cal = new LocalCalendar(zone);
    const out: DemoDay[] = [];
    for (let day = parseLocalDate(start); day <= parseLocalDate(end); day++) {
      const date = formatLocalDate(day);
      const expected = cal.intervalsInDay(date, 15) * meters;
      const stored = byDay.get(date) ?? 0;
      out.push({ localDate: date, expected, stored, completenessPct: round((100 * stored) / expected) });
    }
    return out;
  } finally {
    await ch.close();
  }
}

async function demoMeterIds(config: SmtConfig, idPrefix: string): Promise<string[]> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    const r = await pool.query<{ meter_id: string }>(
      'SELECT meter_id FROM smt.meters WHERE meter_id LIKE $1',
      [`${idPrefix}%`],
    );
    return r.rows.map((x) => x.meter_id);
  } finally {
    await pool.end();
  }
}

/** Readings of the current series over the demo's days, read through the series read API (one query per meter). */
async function seriesStoredCount(
  config: SmtConfig,
  meterIds: string[],
  from: string,
  to: string,
): Promise<number> {
  const client = createCassandraClient(config, { useKeyspace: true });
  try {
    const reader = new CassandraSeriesStore(client, config.string('cassandra.keyspace'));
    let n = 0;
    await forEachBounded(meterIds, 32, async (meterId) => {
      for (const d of await reader.days({ meterId, from, to })) n += readingsIn(d);
    });
    return n;
  } finally {
    await client.shutdown();
  }
}

async function postgresReceivedCount(config: SmtConfig, idPrefix: string): Promise<number> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    const r = await pool.query<{ n: string | null }>(
      'SELECT sum(readings_received) AS n FROM smt.ingest_meter_days WHERE meter_id LIKE $1',
      [`${idPrefix}%`],
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await pool.end();
  }
}
