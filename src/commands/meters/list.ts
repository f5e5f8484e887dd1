import { Flags } from '@oclif/core';
import type { MeterPage } from '../../core/postgres/meter-repository.js';
import { METER_STATUSES, type MeterStatus, SEGMENTS, type Segment } from '../../core/registry/meter.js';
import { listMeters } from '../../core/registry/service.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';

export default class MetersList extends BaseCommand {
  static override summary = 'List registered meters with filters and paging';
  static override examples = [
    '<%= config.bin %> meters list --segment commercial --limit 20',
    '<%= config.bin %> meters list --region SE3 --status active --offset 100 --json',
    '<%= config.bin %> meters list --prefix SIM-0001',
  ];
  static override flags = {
    region: Flags.string({ description: 'region id' }),
    segment: Flags.string({ description: 'customer segment', options: [...SEGMENTS] }),
    tariff: Flags.string({ description: 'tariff id' }),
    status: Flags.string({ description: 'meter status', options: [...METER_STATUSES] }),
    account: Flags.string({ description: 'customer account id' }),
    prefix: Flags.string({ description: 'meter ids starting with this' }),
    limit: Flags.integer({ description: 'rows per page', default: 50, min: 1, max: 10_000 }),
    // an offset beyond 2^53 cannot be represented exactly: refused as a usage error, not sent to PostgreSQL
    offset: Flags.integer({ description: 'rows to skip', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER }),
  };

  async run(): Promise<MeterPage> {
    const { flags } = await this.parse(MetersList);
    const page = await listMeters(
      await this.smtConfig(),
      {
        region: flags.region,
        segment: flags.segment as Segment | undefined,
        tariff: flags.tariff,
        status: flags.status as MeterStatus | undefined,
        account: flags.account,
        prefix: flags.prefix,
      },
      flags.limit,
      flags.offset,
    );
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['meter', 'account', 'tariff', 'region', 'segment', 'time zone', 'min', 'status'],
          page.meters.map((m) => [
            m.meterId,
            m.accountId,
            m.tariffId,
            m.regionId,
            m.segment,
            m.timezone,
            m.intervalMinutes,
            m.status,
          ]),
        ),
      );
      const end = page.offset + page.meters.length;
      this.info(
        `${page.meters.length === 0 ? 0 : page.offset + 1}-${end} of ${page.total}${end < page.total ? ` (next page: --offset ${end})` : ''}`,
      );
    }
    return page;
  }
}
