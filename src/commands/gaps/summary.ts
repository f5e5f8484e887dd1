import { Flags } from '@oclif/core';
import { openQualityStores } from '../../core/gaps/stores.js';
import type { CompletenessRow, StoppedMeter, SummaryBy } from '../../core/postgres/gap-store.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';
import { localDateFlag, selectionOf } from '../../ui/quality-flags.js';

export interface GapsSummaryResult {
  by: SummaryBy;
  rows: CompletenessRow[];
  total: CompletenessRow | null;
  stoppedAfterDays: number;
  stopped: StoppedMeter[];
}

export default class GapsSummary extends BaseCommand {
  static override summary =
    'Completeness per meter, day, region or segment, and meters that stopped reporting';
  static override description =
    'Reads what `smt gaps detect` recorded (kept current by ingest and estimation). Complete = expected intervals holding an actual or an estimate.\n\nExit codes: 0 reported; 2 usage; 4 PostgreSQL unreachable.';
  static override examples = [
    '<%= config.bin %> gaps summary --from 2026-03-01 --to 2026-03-31 --by region',
    '<%= config.bin %> gaps summary --from 2026-03-01 --to 2026-03-31 --stopped-days 3 --json',
  ];
  static override flags = {
    from: localDateFlag({ description: 'first local date', required: true }),
    to: localDateFlag({ description: 'last local date (inclusive)', required: true }),
    by: Flags.string({
      description: 'group by',
      options: ['meter', 'day', 'region', 'segment', 'total'],
      default: 'day',
    }),
    'stopped-days': Flags.integer({
      description: 'a meter stopped reporting after this many days without an actual reading',
      default: 3,
      min: 1,
    }),
    meters: Flags.string({ description: 'meter ids (comma separated)', multiple: true, delimiter: ',' }),
    prefix: Flags.string({ description: 'only meters whose id starts with this' }),
  };

  async run(): Promise<GapsSummaryResult> {
    const { flags } = await this.parse(GapsSummary);
    const stores = openQualityStores(await this.smtConfig());
    try {
      const sel = selectionOf(flags);
      const q = { from: flags.from, to: flags.to, meterIds: sel.meters, prefix: sel.prefix ?? null };
      const by = flags.by as SummaryBy;
      const rows = await stores.gaps.summary({ ...q, by });
      const [total] = await stores.gaps.summary({ ...q, by: 'total' });
      const stopped = await stores.gaps.stopped({
        to: flags.to,
        days: flags['stopped-days'],
        meterIds: sel.meters,
        prefix: sel.prefix ?? null,
      });
      if (!this.jsonEnabled()) {
        const head = [by, 'expected', 'actual', 'estimated', 'missing', 'complete %', 'actual %'];
        const line = (r: CompletenessRow) => [
          r.key,
          r.expected,
          r.actual,
          r.estimated,
          r.missing,
          r.completePct,
          r.actualPct,
        ];
        writeResult(
          renderTable(head, [...rows.map(line), ...(total && by !== 'total' ? [line(total)] : [])]),
        );
        writeResult(
          `\nMeters without an actual reading for ${flags['stopped-days']}+ days up to ${flags.to}: ${stopped.length}`,
        );
        if (stopped.length > 0)
          writeResult(
            renderTable(
              ['meter', 'region', 'segment', 'last actual day', 'days without'],
              stopped
                .slice(0, 50)
                .map((s) => [s.meterId, s.regionId, s.segment, s.lastActualDay ?? 'never', s.daysWithout]),
            ),
          );
      }
      return { by, rows, total: total ?? null, stoppedAfterDays: flags['stopped-days'], stopped };
    } finally {
      await stores.close();
    }
  }
}
