import { Flags } from '@oclif/core';
import { ExitCode, SchemaError, ServiceUnavailableError } from '../core/errors.js';
import { type PlatformStatus, platformStatus } from '../core/platform-status.js';
import { BaseCommand } from '../ui/base-command.js';
import { renderTable, writeResult } from '../ui/output.js';

export default class Status extends BaseCommand {
  static override summary = 'Check every component: reachable, version, schema version, latency';
  static override description =
    'Exit codes: 0 all healthy; 4 a component is unreachable (named in the message); 6 a store is reachable but its schema is behind.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json --timeout 2000'];
  static override flags = {
    timeout: Flags.integer({
      description: 'milliseconds to wait for each component',
      default: 5_000,
      min: 100,
    }),
  };

  async run(): Promise<PlatformStatus> {
    const { flags } = await this.parse(Status);
    const status = await platformStatus(await this.smtConfig(), { timeoutMs: flags.timeout });
    const schemaBehind = status.components
      .filter((c) => c.reachable && c.problem !== null)
      .map((c) => c.component);
    if (this.jsonEnabled()) {
      if (status.down.length > 0) process.exitCode = ExitCode.unavailable;
      else if (schemaBehind.length > 0) process.exitCode = ExitCode.schema;
      return status;
    }
    writeResult(
      renderTable(
        ['component', 'state', 'version', 'schema', 'latency', 'problem'],
        status.components.map((c) => [
          c.component,
          c.reachable ? (c.problem ? 'degraded' : 'ok') : 'DOWN',
          c.version ?? '-',
          c.schemaVersion === null ? '-' : `${c.schemaVersion}/${c.schemaLatest}`,
          `${c.latencyMs} ms`,
          shorten(c.problem ?? ''),
        ]),
      ),
    );
    if (status.down.length > 0) {
      throw new ServiceUnavailableError(
        status.down.join(', '),
        `${status.down.length === 1 ? 'is' : 'are'} down`,
        {
          hint: 'Start the local stack with `smt stack up`, or check the addresses in `smt config show`.',
        },
      );
    }
    if (schemaBehind.length > 0) throw new SchemaError(`schema problem in ${schemaBehind.join(', ')}`);
    return status;
  }
}

/** Driver messages can run to several hundred characters; the table keeps the first sentence. */
function shorten(text: string, max = 90): string {
  const first = text.replace(/\s+/g, ' ');
  return first.length <= max ? first : `${first.slice(0, max - 1)}…`;
}
