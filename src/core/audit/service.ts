/**
 * `smt audit verify` and `smt audit <meter>`: the chain checked entry by entry in id order, and a
 * meter's correction history with the audit entry that records each correction.
 */
import type { CorrectionLedger, CorrectionSet } from '../corrections/model.js';
import { SmtError } from '../errors.js';
import { type ChainBreak, type ChainedEntry, ChainVerifier } from './chain.js';

export interface AuditLogReader {
  entries(pageSize?: number): AsyncIterable<readonly Parameters<ChainVerifier['push']>[0][]>;
  byIds(ids: readonly number[]): Promise<Map<number, ChainedEntry>>;
}

export interface VerifyReport {
  ok: boolean;
  /** entries whose hashes check out, from the first on */
  verified: number;
  /** entries written before the chain existed (before migration 10) */
  unchained: number;
  /** hash of the last verified entry: keep it elsewhere to detect a cut-off tail later */
  head: string;
  headAuditId: number | null;
  firstBroken: ChainBreak | null;
}

export async function verifyAuditChain(log: AuditLogReader): Promise<VerifyReport> {
  const v = new ChainVerifier();
  let headAuditId: number | null = null;
  for await (const page of log.entries()) {
    for (const e of page) {
      const broken = v.push(e);
      if (broken)
        return {
          ok: false,
          verified: v.entries,
          unchained: v.unchained,
          head: v.head,
          headAuditId,
          firstBroken: broken,
        };
      if (e.entryHash !== null) headAuditId = e.auditId;
    }
  }
  return {
    ok: true,
    verified: v.entries,
    unchained: v.unchained,
    head: v.head,
    headAuditId,
    firstBroken: null,
  };
}

/** The verify report as the error a broken chain exits with (3, code AUDIT_CHAIN_BROKEN). */
export function chainBrokenError(r: VerifyReport): SmtError {
  const b = r.firstBroken!;
  return new SmtError(`the audit chain is broken at entry ${b.auditId} (${b.problem}): ${b.detail}`, {
    exitCode: 3,
    code: 'AUDIT_CHAIN_BROKEN',
    hint: `Entries before ${b.auditId} verify (${r.verified}). Compare entry ${b.auditId} with your backups; the chain cannot be repaired in place (the log is append-only).`,
    details: r,
  });
}

export interface AuditHistoryItem extends CorrectionSet {
  entryHash: string | null;
}

export async function auditHistory(
  ledger: Pick<CorrectionLedger, 'sets'>,
  log: Pick<AuditLogReader, 'byIds'>,
  meterId: string,
  from?: number,
  to?: number,
): Promise<AuditHistoryItem[]> {
  const sets = await ledger.sets(meterId, from, to);
  const entries = await log.byIds(sets.map((s) => s.auditId));
  return sets.map((s) => ({ ...s, entryHash: entries.get(s.auditId)?.entryHash ?? null }));
}
