import { Flags } from '@oclif/core';
import { openQualityStores } from '../../core/gaps/stores.js';
import type { GapRecord } from '../../core/postgres/gap-store.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';
import { localDateFlag, selectionOf } from '../../ui/quality-flags.js';

export default class GapsList extends BaseCommand {
  static override summary = 'List recorded gaps';
  static override description =
    'Gap records of `smt gaps detect`, kept current by ingest and estimation (a late reading fills a gap, an estimate estimates it).\n\nExit codes: 0 listed; 2 usage; 4 PostgreSQL unreachable.';
  static override examples = ['<%= config.bin %> gaps list --from 2026-03-01 --to 2026-03-31 --status open'];
  static override flags = {
    from: localDateFlag({ description: 'first local date', required: true }),
    to: localDateFlag({ description: 'last local date (inclusive)', required: true }),
    meters: Flags.string({ description: 'meter ids (comma separated)', multiple: true, delimiter: ',' }),
    status: Flags.string({ description: 'gap status', options: ['open', 'estimated', 'filled', 'ignored'] }),
    limit: Flags.integer({ description: 'rows', default: 100, min: 1, max: 100_000 }),
  };

  async run(): Promise<{ gaps: GapRecord[] }> {
    const { flags } = await this.parse(GapsList);
    const stores = openQualityStores(await this.smtConfig());
    try {
      const gaps = await stores.gaps.list({
        from: flags.from,
        to: flags.to,
        meterIds: selectionOf(flags).meters,
        status: flags.status ?? null,
        limit: flags.limit,
      });
      if (!this.jsonEnabled())
        writeResult(
          renderTable(
            ['meter', 'channel', 'day', 'start (UTC)', 'end (UTC)', 'intervals', 'status', 'cause'],
            gaps.map((g) => [
              g.meterId,
              g.channel,
              g.localDate,
              g.start,
              g.end,
              g.intervals,
              g.status,
              g.cause,
            ]),
          ),
        );
      return { gaps };
    } finally {
      await stores.close();
    }
  }
}
