import { Args } from '@oclif/core';
import type { Meter } from '../../core/registry/meter.js';
import { showMeter } from '../../core/registry/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderKeyValues, writeResult } from '../../ui/output.js';

export default class MetersShow extends BaseCommand {
  static override summary = 'Show one meter of the registry';
  static override examples = [
    '<%= config.bin %> meters show SIM-000042',
    '<%= config.bin %> meters show SIM-000042 --json',
  ];
  static override args = { meter: Args.string({ description: 'meter id', required: true }) };

  async run(): Promise<Meter> {
    const { args } = await this.parse(MetersShow);
    const m = await showMeter(await this.smtConfig(), args.meter);
    if (!this.jsonEnabled()) {
      writeResult(
        renderKeyValues([
          ['meter', m.meterId],
          ['customer account', m.accountId],
          ['tariff', m.tariffId],
          ['region', m.regionId],
          ['segment', m.segment],
          ['time zone', m.timezone],
          ['interval length', `${m.intervalMinutes} min`],
          ['status', m.status],
          ['rated power', m.ratedKw === null ? 'unknown' : `${m.ratedKw} kW`],
          ['channels', m.channels ? m.channels.join(', ') : 'not declared (any accepted)'],
          ['installed', m.installedAt.toISOString()],
          ['removed', m.removedAt ? m.removedAt.toISOString() : '-'],
        ]),
      );
    }
    return m;
  }
}
