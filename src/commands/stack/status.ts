import { ExitCode, ServiceUnavailableError } from '../../core/errors.js';
import { type StackStatusResult, stackStatus } from '../../core/stack/orchestrator.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';
import { asServices, formatBytes, servicesFlag } from '../../ui/stack-flags.js';

export default class StackStatus extends BaseCommand {
  static override summary = 'Show whether each local service answers, its version, port, PID and memory';
  static override description =
    "Health comes from a real query with smt's own client (PostgreSQL `SHOW server_version`, ClickHouse `SELECT version()`, Kafka describeCluster, Cassandra `system.local`). PID and RSS are shown for services started by `smt stack up`. Exits 4 when a selected service is down; under --json the status document is still printed.";
  static override examples = [
    '<%= config.bin %> stack status',
    '<%= config.bin %> stack status --services kafka,cassandra',
    '<%= config.bin %> stack status --json',
  ];
  static override flags = { services: servicesFlag };

  async run(): Promise<StackStatusResult> {
    const { flags } = await this.parse(StackStatus);
    const result = await stackStatus(await this.smtConfig(), { services: asServices(flags.services) });
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['service', 'health', 'version', 'port', 'pid', 'rss'],
          result.services.map((s) => [
            s.service,
            s.health,
            s.version,
            s.port,
            s.pid,
            formatBytes(s.rssBytes),
          ]),
        ),
      );
      for (const s of result.services)
        if (s.health !== 'up' && s.error) this.info(`${s.service}: ${s.error}`);
    }
    const down = result.services.filter((s) => s.health !== 'up').map((s) => s.service);
    if (down.length > 0) {
      if (this.jsonEnabled()) process.exitCode = ExitCode.unavailable;
      else
        throw new ServiceUnavailableError(down.join(', '), 'not answering', {
          hint: 'Start them with `smt stack up`; the logs are under the stack directory.',
        });
    }
    return result;
  }
}
