import { Command, Flags, type Interfaces } from '@oclif/core';
import { loadConfig, type SmtConfig } from '../core/config/config.js';
import type { ConfigKey } from '../core/config/keys.js';
import {
  ExitCode,
  isConnectionError,
  ServiceUnavailableError,
  SmtError,
  UsageError,
} from '../core/errors.js';
import { writeInfo } from './output.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

/**
 * Every smt command: `--json` (the typed result of `run()`), `--config`, one place that turns errors
 * into a message with a hint and a documented exit code.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    config: Flags.string({
      description: 'configuration file (YAML); default ./smt.config.yaml if present',
      env: 'SMT_CONFIG',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Subclasses map their own flags onto config keys so flags win over env and file. */
  protected configFlags(_flags: Record<string, unknown>): Partial<Record<ConfigKey, string | undefined>> {
    return {};
  }

  private cachedConfig: SmtConfig | undefined;

  protected async smtConfig(): Promise<SmtConfig> {
    if (this.cachedConfig) return this.cachedConfig;
    const { flags } = await this.parse(this.constructor as typeof BaseCommand);
    this.cachedConfig = loadConfig({
      file: flags.config,
      flags: this.configFlags(flags as Record<string, unknown>),
    });
    return this.cachedConfig;
  }

  /** Progress and log lines: stderr, and nothing at all under --json. */
  protected info(message: string): void {
    if (!this.jsonEnabled()) writeInfo(message);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (err instanceof SmtError) {
      this.report(err);
      if (process.env.DEBUG && err.stack) writeInfo(err.stack);
      return this.exit(err.exitCode);
    }
    // oclif's own errors (unknown flag, missing or invalid argument) carry `oclif.exit`: usage,
    // exit 2, also under --json where oclif would exit 1.
    const oclifExit = err.oclif?.exit;
    if (oclifExit === 0) throw err;
    if (err.name === 'ExitError') throw err;
    if (typeof oclifExit === 'number') {
      const usage = new UsageError(err.message, `See \`smt ${this.id?.replaceAll(':', ' ') ?? ''} --help\`.`);
      this.report(usage);
      return this.exit(ExitCode.usage);
    }
    if (isConnectionError(err)) {
      // A driver that could not reach its server: an operational condition, not a bug.
      return this.catch(
        new ServiceUnavailableError('a service', `cannot be reached: ${err.message}`, {
          hint: 'Check `smt status` (or `smt stack up` for the local stack) and the addresses in `smt config show`.',
        }),
      );
    }
    writeInfo(`Unexpected error (a bug in smt): ${err.message}`);
    if (err.stack) writeInfo(err.stack);
    writeInfo(
      'Hint: this is a bug in smt; report it with the command line you used and the stack trace above.',
    );
    return this.exit(ExitCode.bug);
  }

  /** The one rendering of an expected error: the JSON error object on stdout under --json, else text on stderr. */
  private report(err: SmtError): void {
    if (this.jsonEnabled()) {
      process.stdout.write(
        `${JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint ?? null, exitCode: err.exitCode, details: err.details ?? null } }, null, 2)}\n`,
      );
    } else {
      writeInfo(`Error: ${err.message}`);
      if (err.hint) writeInfo(`Hint: ${err.hint}`);
    }
  }
}
