import { Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';
import { isIntervalMinutes } from '../core/readings/block.js';
import {
  FAULT_NAMES,
  FAULT_PRESET_NAMES,
  FAULTS,
  type FaultPreset,
  parseFaultOverrides,
  resolveFaults,
} from '../core/simulate/faults.js';
import { SIM_FORMATS, type SimFormat } from '../core/simulate/generator.js';
import {
  defaultStart,
  type RegistryTarget,
  runSimulation,
  type SimulateSummary,
} from '../core/simulate/service.js';
import { assertTimeZone } from '../core/time/calendar.js';
import { parseLocalDate } from '../core/time/local-date.js';
import { BaseCommand } from '../ui/base-command.js';
import { renderKeyValues, renderTable, writeResult } from '../ui/output.js';
import { createProgress } from '../ui/progress/index.js';
import { simulateProgressEvents } from '../ui/progress/simulate.js';

export default class Simulate extends BaseCommand {
  static override summary =
    'Simulate a meter fleet: register it and produce its interval readings to the raw topic';
  static override description =
    `Generates N meters (85 % households, 12 % commercial, 3 % industrial; load shapes after the BDEW standard load profiles) and one message per meter and local day (92/96/100 quarter-hours around DST), key = meter id, to the raw topic (kafka.topics.raw). The meters are registered in PostgreSQL first (idempotent), or written to a registry CSV with --registry-csv, or not at all with --no-register.
Faults are injected at the rates of a preset (--faults) with per-fault overrides (--fault name=rate, a probability per meter-day or a percentage): ${FAULT_NAMES.map((n) => FAULTS[n].flag).join(', ')}. The same --seed gives the same bytes. The result includes the ground truth: messages per kind, readings per fault, and what ingest should end up with. See docs/simulator.md.`;
  static override examples = [
    '<%= config.bin %> simulate --meters 1000 --days 3',
    '<%= config.bin %> simulate --meters 10000 --days 7 --start 2026-03-26 --seed 7 --faults heavy --json',
    '<%= config.bin %> simulate --meters 500 --faults none --fault missing=0.05,late=2% --rate 50000',
    '<%= config.bin %> simulate --meters 200 --format csv --registry-csv registry.csv --topic smt.readings.test',
    '<%= config.bin %> simulate --meters 100000 --days 1 --dry-run',
  ];
  static override flags = {
    meters: Flags.integer({ description: 'number of meters', default: 1000, min: 1 }),
    days: Flags.integer({ description: 'number of local days', default: 3, min: 1, max: 3660 }),
    'id-prefix': Flags.string({
      description: 'prefix of the meter ids (default SIM-): several simulated fleets in one registry',
    }),
    start: Flags.string({ description: 'first local day, YYYY-MM-DD (default: --days days before today)' }),
    seed: Flags.integer({
      description: 'random seed: the same seed gives the same meters and bytes',
      default: 42,
    }),
    format: Flags.string({ description: 'payload format', options: [...SIM_FORMATS], default: 'json' }),
    interval: Flags.integer({ description: 'interval length in minutes: 5, 15, 30 or 60', default: 15 }),
    rate: Flags.integer({
      description: 'readings per second, 0 = as fast as Kafka takes them',
      default: 0,
      min: 0,
    }),
    faults: Flags.string({ description: 'fault preset', options: FAULT_PRESET_NAMES, default: 'default' }),
    fault: Flags.string({
      description: `override fault rates, name=rate (0..1 or %), comma separated or repeated; names: ${FAULT_NAMES.map((n) => FAULTS[n].flag).join(', ')}`,
      multiple: true,
    }),
    'registry-csv': Flags.string({
      description:
        'write the meters to this registry CSV instead of PostgreSQL (import it with `smt meters import --add-references`)',
      exclusive: ['register'],
    }),
    register: Flags.boolean({
      description: 'register the meters in PostgreSQL (--no-register: skip)',
      allowNo: true,
      exclusive: ['registry-csv'],
    }),
    timezone: Flags.string({
      description: 'IANA zone of the meters and local days (config `timezone`, SMT_TIMEZONE)',
    }),
    topic: Flags.string({
      description: 'raw topic to produce to (config `kafka.topics.raw`, SMT_TOPIC_RAW)',
    }),
    'dry-run': Flags.boolean({
      description: 'generate and count only: register nothing, produce nothing (measures generation speed)',
    }),
  };

  protected override configFlags(flags: Record<string, unknown>) {
    return {
      timezone: flags.timezone as string | undefined,
      'kafka.topics.raw': flags.topic as string | undefined,
    };
  }

  async run(): Promise<SimulateSummary> {
    const { flags } = await this.parse(Simulate);
    const config = await this.smtConfig();
    const timezone = assertTimeZone(config.string('timezone'));
    const start = flags.start ?? defaultStart(timezone, flags.days);
    try {
      parseLocalDate(start);
    } catch {
      throw new UsageError(
        `--start ${start}: not a real local date`,
        'Write it as YYYY-MM-DD, e.g. --start 2026-03-28.',
      );
    }
    if (!isIntervalMinutes(flags.interval))
      throw new UsageError(`--interval ${flags.interval}: expected 5, 15, 30 or 60`);
    const faults = resolveFaults(flags.faults as FaultPreset, parseFaultOverrides(flags.fault ?? []));
    const registry: RegistryTarget =
      flags['registry-csv'] !== undefined
        ? { kind: 'csv', file: flags['registry-csv'] }
        : flags.register === false
          ? { kind: 'none' }
          : { kind: 'postgres' };
    if (flags['dry-run'] && (flags['registry-csv'] !== undefined || flags.register !== undefined)) {
      throw new UsageError(
        '--dry-run writes nothing: it cannot be combined with --registry-csv or --register/--no-register',
      );
    }

    const progress = createProgress({ json: this.jsonEnabled() });
    const abort = new AbortController();
    const onSignal = () => {
      if (abort.signal.aborted) process.exit(130);
      progress.handle({
        kind: 'note',
        text: 'interrupted: waiting for the messages in flight, then stopping (again to quit at once)…',
      });
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let summary: SimulateSummary;
    try {
      progress.handle({
        kind: 'note',
        text: `simulating ${flags.meters} meters × ${flags.days} days from ${start} (${timezone}), ${flags.format}, seed ${flags.seed}, faults ${flags.faults}${flags.fault ? ` + ${flags.fault.join(',')}` : ''}`,
      });
      summary = await runSimulation(config, {
        seed: flags.seed,
        meters: flags.meters,
        days: flags.days,
        start,
        timezone,
        format: flags.format as SimFormat,
        ...(flags['id-prefix'] !== undefined ? { idPrefix: flags['id-prefix'] } : {}),
        intervalMinutes: flags.interval,
        faults,
        registry,
        rate: flags.rate,
        dryRun: flags['dry-run'],
        signal: abort.signal,
        onProgress: simulateProgressEvents(progress.sink, {
          meters: flags.meters,
          meterDays: flags.meters * flags.days,
        }),
      });
    } finally {
      progress.handle({ kind: 'done' });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (!this.jsonEnabled()) writeResult(renderSummary(summary));
    return summary;
  }
}

const fmt = new Intl.NumberFormat('en-US');
const n = (x: number) => fmt.format(Math.round(x));

function renderSummary(s: SimulateSummary): string {
  const t = s.tally;
  const m = t.messages;
  const main = renderKeyValues([
    [
      'meters × days',
      `${n(s.meters)} × ${s.days} (${s.start} … ${s.end}, ${s.timezone}, ${s.intervalMinutes} min)`,
    ],
    ['seed / format', `${s.seed} / ${s.format}`],
    ['topic', s.topic ?? 'none (dry run)'],
    ['registry', registryText(s)],
    [
      'messages',
      `${n(s.messages)} (ok ${n(m.ok)}, late ${n(m.late)}, out of order ${n(m['out-of-order'])}, duplicate ${n(m.duplicate)}, malformed ${n(m.malformed)}, unknown meter ${n(m['unknown-meter'])})`,
    ],
    ['readings', `${n(s.readings)} sent of ${n(t.readings.generated)} generated`],
    ['bytes', n(s.bytes)],
    ['seconds', s.seconds],
    ['readings/s', n(s.readingsPerSecond)],
    ...(s.interrupted
      ? ([['interrupted', 'yes: the counts cover what was produced before the signal']] as [string, string][])
      : []),
  ]);
  const faults = renderTable(
    ['fault', 'rate', 'per', 'events', 'readings'],
    FAULT_NAMES.map((f) => [
      FAULTS[f].flag,
      s.faultRates[f],
      FAULTS[f].per,
      n(t.faults[f].events),
      n(t.faults[f].readings),
    ]),
  );
  const e = t.expected;
  const expected = renderKeyValues([
    [
      'dead-lettered messages (undecodable + unknown meter)',
      `${n(e.deadLetteredMessages)} (${n(e.decodeFailures)} + ${n(e.deadLetteredMessages - e.decodeFailures)})`,
    ],
    ['distinct readings of registered meters', n(e.distinctReadings)],
    ['  with a value', n(e.values)],
    ['  failing validation (spike, negative)', n(e.failedReadings)],
    ['intervals without a value (gaps)', n(e.gapReadings)],
    ['duplicate readings', n(e.duplicateReadings)],
  ]);
  // an interrupted run has no complete ground truth to compare ingest with
  if (s.interrupted) return `${main}\nFaults (ground truth, so far)\n${faults}`;
  return `${main}\nFaults (ground truth)\n${faults}\nExpected after ingest\n${expected}`;
}

function registryText(s: SimulateSummary): string {
  const r = s.registry;
  if (r.target === 'none') return 'not registered';
  if (r.target === 'csv') return `${n(r.meters)} meters → ${r.file}`;
  return `${n(r.meters)} meters in PostgreSQL (inserted ${n(r.inserted)}, updated ${n(r.updated)}, unchanged ${n(r.unchanged)})`;
}
