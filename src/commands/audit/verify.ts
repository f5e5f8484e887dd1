import { chainBrokenError, type VerifyReport, verifyAuditChain } from '../../core/audit/service.js';
import { withCorrectionStores } from '../../core/corrections/stores.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderVerify } from '../../ui/corrections-output.js';
import { writeResult } from '../../ui/output.js';

export default class AuditVerify extends BaseCommand {
  static override summary = 'Prove the audit log unbroken, or name the first entry that was altered';
  static override description =
    `Recomputes the SHA-256 chain of smt.audit_log entry by entry (docs/corrections.md): each entry's hash over its canonical serialisation and its link to the one before. Prints the number verified and the head hash; keep the head hash elsewhere to detect a cut-off tail later.

Exit codes: 0 the chain is unbroken; 3 it is broken (the message and --json details name the first entry and whether it was altered or re-linked, i.e. an entry was removed or inserted); 4 PostgreSQL is unreachable; 6 schema behind.`;

  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json'];

  async run(): Promise<VerifyReport> {
    const report = await withCorrectionStores(await this.smtConfig(), { write: false }, (s) =>
      verifyAuditChain(s.audit),
    );
    if (!this.jsonEnabled()) writeResult(renderVerify(report));
    if (!report.ok) throw chainBrokenError(report);
    return report;
  }
}
