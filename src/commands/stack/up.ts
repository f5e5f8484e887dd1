import { Flags } from '@oclif/core';
import { type StackUpResult, stackUp } from '../../core/stack/orchestrator.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';
import { asServices, servicesFlag } from '../../ui/stack-flags.js';

export default class StackUp extends BaseCommand {
  static override summary =
    'Install (first run) and start the local Kafka, Cassandra, PostgreSQL and ClickHouse';
  static override description =
    `Everything lives in the stack directory (config key stack.dir, default .smt/): downloaded jars in cache/, and data, logs and configuration per service. Ports come from the configured service addresses, on 127.0.0.1 only. Missing clickhouse-server or postgresql-15 packages are installed with apt-get when running as root; Kafka and Cassandra jars are fetched with Maven (java and mvn must be installed).

Starting is idempotent: services this stack started and that are up are left alone, and when everything is up the command returns at once. It waits until each service answers a real query with smt's own client.

Two stack commands on one stack directory run one after the other (a lock file with the PID). A port taken by a program this stack did not start is an error naming the port and the process, unless --allow-external.

Exit codes: 0 all up, 4 a service did not become ready (its last log lines are shown) or a port is taken, 5 a prerequisite is missing.`;
  static override examples = [
    '<%= config.bin %> stack up',
    '<%= config.bin %> stack up --services postgres,clickhouse',
    '<%= config.bin %> stack up --no-wait',
    'SMT_STACK_DIR=/tmp/smt-stack <%= config.bin %> stack up --json',
  ];
  static override flags = {
    services: servicesFlag,
    wait: Flags.boolean({
      description: 'wait until every service answers queries',
      default: true,
      allowNo: true,
    }),
    'allow-external': Flags.boolean({
      description:
        'use a service that already answers on its port but was not started by this stack (docker compose); without it that is an error naming the process (exit 4)',
      env: 'SMT_STACK_ALLOW_EXTERNAL',
    }),
  };

  async run(): Promise<StackUpResult> {
    const { flags } = await this.parse(StackUp);
    const result = await stackUp(await this.smtConfig(), {
      services: asServices(flags.services),
      wait: flags.wait,
      allowExternal: flags['allow-external'],
      onProgress: (m) => this.info(m),
    });
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['service', 'action', 'version', 'port', 'pid', 'ready'],
          result.services.map((s) => [
            s.service,
            s.action,
            s.version,
            s.port,
            s.pid,
            s.readyMs === null ? '' : `${(s.readyMs / 1000).toFixed(1)} s`,
          ]),
        ),
      );
      if (!result.alreadyUp)
        this.info(`stack up in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.stackDir})`);
    }
    return result;
  }
}
