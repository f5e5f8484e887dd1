import { Args, Flags } from '@oclif/core';
import { type AuditHistoryItem, auditHistory } from '../../core/audit/service.js';
import { parseInstant } from '../../core/corrections/range.js';
import { requireMeter } from '../../core/corrections/service.js';
import { withCorrectionStores } from '../../core/corrections/stores.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderAuditHistory } from '../../ui/corrections-output.js';
import { writeResult } from '../../ui/output.js';

export default class Audit extends BaseCommand {
  static override summary = "List a meter's corrections with who, when, why and their audit entries";
  static override description =
    `One row per correction (and undo) whose range overlaps [--from, --to): operator, time, operation, range, intervals, reason, what undid it, and the hash-chained audit entry that records it. Prove the chain with \`smt audit verify\`.

Exit codes: 0 listed (also when empty); 2 usage; 3 meter not registered; 4 a store is unreachable; 6 schema behind.`;

  static override examples = [
    '<%= config.bin %> audit SIM-000042',
    '<%= config.bin %> audit SIM-000042 --from 2026-03-01 --to 2026-03-31 --json',
  ];

  static override args = { meter: Args.string({ description: 'meter id', required: true }) };

  static override flags = {
    from: Flags.string({ description: 'corrections of intervals from (a local date or an instant)' }),
    to: Flags.string({ description: 'corrections of intervals before (a local date: its end)' }),
  };

  async run(): Promise<AuditHistoryItem[]> {
    const { args, flags } = await this.parse(Audit);
    const items = await withCorrectionStores(await this.smtConfig(), { write: false }, async (s) => {
      const meter = await requireMeter(s.corrections.meter, args.meter);
      const from = flags.from === undefined ? undefined : parseInstant(flags.from, meter.timezone, 'from');
      const to = flags.to === undefined ? undefined : parseInstant(flags.to, meter.timezone, 'to');
      return auditHistory(s.ledger, s.audit, meter.meterId, from, to);
    });
    if (!this.jsonEnabled()) writeResult(renderAuditHistory(items));
    return items;
  }
}
