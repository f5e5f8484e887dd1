import { Flags } from '@oclif/core';
import { type DemoSummary, runDemo } from '../core/demo/service.js';
import { jsonLogger } from '../core/log.js';
import { FAULT_PRESET_NAMES, type FaultPreset } from '../core/simulate/faults.js';
import { BaseCommand } from '../ui/base-command.js';
import { renderKeyValues, renderTable, writeResult } from '../ui/output.js';
import { createProgress } from '../ui/progress/index.js';
import { simulateProgressEvents } from '../ui/progress/simulate.js';

export default class Demo extends BaseCommand {
  static override summary = 'Run the main job end to end on simulated meters against the local stack';
  static override description =
    `Brings the local stack up (installing it on first use), migrates the schemas, registers a simulated fleet, produces a few days of readings with faults to Kafka, ingests them until idle and compares every store with the simulator's ground truth. Each run uses fresh meter ids (DEMO<timestamp>-…).
Afterwards it detects gaps, estimates them and prints the completeness (target ≥ 99.8 % of expected intervals hold an actual or an estimate).
Exit codes: 0 every check matched; 3 a store's count differs from the ground truth or completeness is below the target; 4/5 the stack could not be started.`;
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --meters 200 --days 2 --faults heavy',
    '<%= config.bin %> demo --json',
  ];
  static override flags = {
    meters: Flags.integer({ description: 'simulated meters', default: 1000, min: 1, max: 1_000_000 }),
    days: Flags.integer({ description: 'days to simulate (ending yesterday)', default: 3, min: 1, max: 366 }),
    seed: Flags.integer({ description: 'simulation seed', default: 42 }),
    faults: Flags.string({ description: 'fault preset', options: FAULT_PRESET_NAMES, default: 'default' }),
    'no-stack': Flags.boolean({ description: 'do not run `smt stack up` (services run elsewhere)' }),
  };

  async run(): Promise<DemoSummary> {
    const { flags } = await this.parse(Demo);
    // One progress model: a live bar in a terminal, plain lines in CI, nothing under --json.
    const progress = createProgress({ json: this.jsonEnabled() });
    let ingesting = false;
    let summary: DemoSummary;
    try {
      summary = await runDemo(await this.smtConfig(), {
        meters: flags.meters,
        days: flags.days,
        seed: flags.seed,
        faults: flags.faults as FaultPreset,
        noStack: flags['no-stack'],
        logger: jsonLogger('ingest', 'warn'),
        onStep: (line) => progress.handle({ kind: 'note', text: line }),
        onSimulateProgress: simulateProgressEvents(progress.sink, {
          meters: flags.meters,
          meterDays: flags.meters * flags.days,
        }),
        onIngestProgress: (readings) => {
          if (!ingesting) {
            ingesting = true;
            progress.handle({ kind: 'stage', label: 'ingest', total: null, unit: 'readings' });
          }
          progress.handle({ kind: 'advance', done: readings });
        },
      });
    } finally {
      progress.handle({ kind: 'done' });
    }
    if (!this.jsonEnabled()) {
      const i = summary.ingest;
      writeResult(
        renderKeyValues([
          [
            'meters × days',
            `${summary.simulate.meters} × ${summary.simulate.days} (${summary.simulate.start} … ${summary.simulate.end}, ${summary.simulate.timezone})`,
          ],
          ['readings produced', summary.simulate.readings],
          ['messages produced', summary.simulate.messages],
          ['ingest readings/s', `${i.readingsPerSecond} (${i.seconds} s)`],
          ['stored: ClickHouse readings', summary.stored.clickhouse],
          ['stored: Cassandra series', summary.stored.cassandraSeries],
          ['stored: Cassandra raw messages', i.messages - i.replayedMessages],
          ['received: PostgreSQL meter-day counts (re-deliveries once)', summary.stored.postgresReceived],
          ['rejected by validation', i.rejected],
          ['dead-lettered messages', i.deadLetteredMessages],
          ['missing intervals (gaps)', i.missing],
          ['duplicates recognised', i.duplicates],
        ]),
      );
      writeResult('\nRejected by reason');
      writeResult(
        renderTable(
          ['rule', 'readings (messages for message.* / decode / registry.*)'],
          Object.entries(summary.rejectedByReason).sort((a, b) => b[1] - a[1]),
        ),
      );
      writeResult('\nCompleteness per local day');
      writeResult(
        renderTable(
          ['day', 'expected', 'stored', 'complete'],
          summary.days.map((d) => [d.localDate, d.expected, d.stored, `${d.completenessPct}%`]),
        ),
      );
      writeResult('\nChecks against the simulator ground truth');
      writeResult(
        renderTable(
          ['check', 'expected', 'actual', ''],
          summary.checks.map((c) => [c.what, c.expected, c.actual, c.ok ? 'ok' : 'MISMATCH']),
        ),
      );
      const c = summary.completeness;
      writeResult('\nCompleteness after gap detection and estimation');
      writeResult(
        renderKeyValues([
          ['expected intervals', c.expected],
          ['holding an actual', `${c.actualPct} %`],
          ['estimated (smt estimate)', c.estimated],
          ['unfilled', c.unfilled],
          [
            'holding an actual or an estimate',
            `${c.afterEstimationPct} % (target ≥ ${c.targetPct} %: ${c.met ? 'met' : 'MISSED'})`,
          ],
        ]),
      );
      writeResult(`\nWhat to run next:\n${summary.next.map((l) => `  ${l}`).join('\n')}`);
    }
    if (summary.checks.some((c) => !c.ok) || !summary.completeness.met) process.exitCode = 3;
    return summary;
  }
}
