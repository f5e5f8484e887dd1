import { type ConfigShowResult, describeConfig } from '../../core/config/show.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';

export default class ConfigShow extends BaseCommand {
  static override summary = 'Print the effective configuration and where each value comes from';
  static override description =
    'Precedence: flags > SMT_* environment variables > config file (--config, SMT_CONFIG or ./smt.config.yaml) > defaults that point at the local stack. Secrets are masked.';
  static override examples = [
    '<%= config.bin %> config show',
    'SMT_TIMEZONE=America/New_York <%= config.bin %> config show --json',
  ];

  async run(): Promise<ConfigShowResult> {
    const result = describeConfig(await this.smtConfig());
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['key', 'value', 'source', 'env'],
          result.keys.map((k) => [k.key, k.value, k.source, k.env]),
        ),
      );
      if (result.file) this.info(`config file: ${result.file}`);
    }
    return result;
  }
}
