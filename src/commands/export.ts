import { Args, Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportResult,
  exportSeries,
} from '../core/export/service.js';
import { parseLocalDate } from '../core/time/local-date.js';
import { BaseCommand } from '../ui/base-command.js';
import { renderKeyValues, writeInfo, writeResult } from '../ui/output.js';

export default class Export extends BaseCommand {
  static override summary =
    'Export the current series of a meter or account as Green Button (ESPI XML), NEM12 or CSV';
  static override description =
    `Values are written exactly as stored (no rounding): CSV as decimal text, NEM12 in kWh, Green Button as integers at the finest power of ten the values need. Quality travels with each interval (NEM12 quality/method/reason flags, ESPI ReadingQuality, CSV packed quality and its fields). Missing intervals: empty in CSV, N (null) in NEM12, left out in Green Button. NEM12 needs NMI meter ids and 5/15/30-minute intervals, and cuts days in market time (AEST, UTC+10). Without --output the export goes to stdout (then --json is refused).`;
  static override examples = [
    '<%= config.bin %> export --format greenbutton SIM-000042 --from 2026-03-01 --to 2026-03-31 --output sim42.xml',
    '<%= config.bin %> export --format nem12 NMI0000042 --from 2026-03-01 --to 2026-03-31 > nmi42.csv',
    '<%= config.bin %> export --format csv ACC-000042 --from 2026-03-01 --to 2026-03-31 --output acc42.csv --json',
  ];
  static override args = { subject: Args.string({ description: 'meter id or account id', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'export format', options: [...EXPORT_FORMATS], required: true }),
    from: Flags.string({ description: 'first local date, YYYY-MM-DD', required: true }),
    to: Flags.string({ description: 'last local date (inclusive), YYYY-MM-DD', required: true }),
    channel: Flags.string({ description: 'one channel (default: all)' }),
    output: Flags.string({ char: 'o', description: 'file to write (default: stdout)' }),
  };

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(Export);
    parseLocalDate(flags.from);
    parseLocalDate(flags.to);
    if (this.jsonEnabled() && flags.output === undefined)
      throw new UsageError(
        '--json prints the export summary, so the export itself needs --output',
        'Add --output <file>.',
      );
    const { result, text } = await exportSeries(await this.smtConfig(), {
      subject: args.subject,
      format: flags.format as ExportFormat,
      from: flags.from,
      to: flags.to,
      ...(flags.channel ? { channel: flags.channel } : {}),
      ...(flags.output ? { output: flags.output } : {}),
    });
    if (flags.output === undefined) process.stdout.write(text);
    else if (!this.jsonEnabled())
      writeResult(
        renderKeyValues([
          ['file', result.output],
          ['format', result.format],
          ['meters', result.meters.join(', ')],
          ['readings', result.readings],
          ['bytes', result.bytes],
        ]),
      );
    if (result.skippedChannels.length > 0 && !this.jsonEnabled())
      writeInfo(`left out (not expressible in ${result.format}): ${result.skippedChannels.join(', ')}`);
    return result;
  }
}
