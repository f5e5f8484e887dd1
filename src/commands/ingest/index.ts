import { Flags } from '@oclif/core';
import { type IngestSummary, runIngest } from '../../core/ingest/daemon.js';
import { jsonLogger } from '../../core/log.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderKeyValues, writeResult } from '../../ui/output.js';

export default class Ingest extends BaseCommand {
  static override summary =
    'Run the ingest daemon: raw topic → decode + VEE → Cassandra, ClickHouse, topics, PostgreSQL';
  static override description =
    `Joins the consumer group (ingest.group) on the raw topic. Offsets are committed only after every write of a batch is acknowledged; every write is idempotent, so a crash or a replay neither loses nor double-counts data. When a store or the broker is unavailable the batch is retried with backoff (logged, /healthz 503) until it succeeds. SIGTERM/SIGINT: the batch in flight is finished or handed back, offsets committed, connections closed, exit 0.
Logs: JSON lines on stderr. Metrics: http://127.0.0.1:<ingest.metricsPort>/metrics, health: /healthz.`;
  static override examples = [
    '<%= config.bin %> ingest',
    '<%= config.bin %> ingest --until-idle --json',
    'SMT_INGEST_GROUP=replay-1 <%= config.bin %> ingest --until-idle --metrics-port 0',
  ];
  static override flags = {
    'until-idle': Flags.boolean({ description: 'exit when the group has caught up (batch runs, tests)' }),
    group: Flags.string({ description: 'consumer group', env: 'SMT_INGEST_GROUP' }),
    'metrics-port': Flags.integer({
      description: 'port for /metrics and /healthz (0 = off)',
      env: 'SMT_INGEST_METRICS_PORT',
    }),
    rules: Flags.string({ description: 'VEE rule-set file', env: 'SMT_INGEST_RULES' }),
    'log-level': Flags.string({
      description: 'minimum log level',
      options: ['debug', 'info', 'warn', 'error'],
      default: 'info',
    }),
  };

  protected override configFlags(flags: Record<string, unknown>) {
    return {
      'ingest.group': flags.group as string | undefined,
      'ingest.metricsPort': flags['metrics-port'] === undefined ? undefined : String(flags['metrics-port']),
      'ingest.rules': flags.rules as string | undefined,
    };
  }

  async run(): Promise<IngestSummary> {
    const { flags } = await this.parse(Ingest);
    const config = await this.smtConfig();
    const abort = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      if (abort.signal.aborted) {
        // A second signal: the operator wants out now.
        process.exit(130);
      }
      this.info(`${sig}: finishing the batch in flight, committing, disconnecting…`);
      abort.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      const summary = await runIngest(config, {
        untilIdle: flags['until-idle'],
        logger: jsonLogger('ingest', flags['log-level'] as 'info'),
        signal: abort.signal,
      });
      if (!this.jsonEnabled()) {
        writeResult(
          renderKeyValues([
            ['stopped by', summary.stoppedBy],
            ['messages', summary.messages],
            ['readings', summary.readings],
            ['stored', summary.stored],
            ['rejected (validation)', summary.rejected],
            ['dead-lettered messages', summary.deadLetteredMessages],
            ['missing intervals', summary.missing],
            ['duplicates', summary.duplicates],
            ['new versions', summary.newVersions],
            ['late readings', summary.late],
            ['late on aggregated/billed days', summary.lateTouches],
            ['replayed messages skipped', summary.replayedMessages],
            ['retries', summary.retries],
            ['seconds', summary.seconds],
            ['readings/s', summary.readingsPerSecond],
            ['busy seconds (first slice to last)', summary.busySeconds],
            ['CPU seconds while busy (all threads)', summary.process.busyCpuSeconds],
            ['peak RSS MiB', summary.process.maxRssMiB],
          ]),
        );
      }
      return summary;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
}
