/**
 * The audit log as a hash chain: every entry carries the SHA-256 of its predecessor and its own,
 * computed over a canonical serialisation (RFC 8785 JSON: sorted keys, shortest number form) of
 * everything the entry says. Altering any field of any entry, removing an entry or re-ordering
 * them breaks the chain at that entry. Pure: the PostgreSQL side is src/core/postgres/audit-log.ts.
 */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize 2.x is CommonJS (`module.exports = serialize`) with an ESM-style declaration file,
// which NodeNext reads as `{ default }`; at run time the default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** `prev_hash` of the first entry of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  auditId: number;
  /** UTC, microseconds, as stored: `2026-12-01T12:00:00.123456Z` */
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  before: unknown;
  after: unknown;
  reason: string | null;
}

export interface ChainedEntry extends AuditEntry {
  prevHash: string;
  entryHash: string;
}

/** A value as it reads back from jsonb (NaN and undefined become null, key order is free). */
export function asJson(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

/** The canonical text an entry's hash is computed over (version 1 of the serialisation). */
export function canonicalEntry(e: AuditEntry, prevHash: string): string {
  const text = canonicalize({
    v: 1,
    id: e.auditId,
    at: e.at,
    actor: e.actor,
    action: e.action,
    entity: e.entity,
    entityId: e.entityId,
    before: asJson(e.before),
    after: asJson(e.after),
    reason: e.reason,
    prev: prevHash,
  });
  if (text === undefined) throw new TypeError('audit entry cannot be serialised');
  return text;
}

export function entryHash(e: AuditEntry, prevHash: string): string {
  return createHash('sha256').update(canonicalEntry(e, prevHash), 'utf8').digest('hex');
}

export interface ChainBreak {
  auditId: number;
  /** altered: its content does not match its hash; relinked: it does not follow the entry before it (one was removed, inserted or re-hashed) */
  problem: 'altered' | 'relinked';
  detail: string;
}

/** Checks entries in chain (audit id) order, one at a time, so a verifier can stream them. */
export class ChainVerifier {
  private prev = GENESIS_HASH;
  private prevId: number | null = null;
  entries = 0;
  /** entries written before the chain existed (no hashes), only ever at the start */
  unchained = 0;

  get head(): string {
    return this.prev;
  }

  push(e: ChainedEntry | (AuditEntry & { prevHash: null; entryHash: null })): ChainBreak | null {
    if (e.entryHash === null || e.prevHash === null) {
      if (this.entries === 0) {
        this.unchained++;
        return null;
      }
      return { auditId: e.auditId, problem: 'altered', detail: 'its hashes were removed' };
    }
    if (e.prevHash !== this.prev) {
      return {
        auditId: e.auditId,
        problem: 'relinked',
        detail:
          this.prevId === null
            ? `the first entry's prev_hash is ${short(e.prevHash)}, not the genesis hash`
            : `its prev_hash ${short(e.prevHash)} is not the hash ${short(this.prev)} of entry ${this.prevId} before it: an entry was removed or inserted`,
      };
    }
    const actual = entryHash(e, e.prevHash);
    if (actual !== e.entryHash) {
      return {
        auditId: e.auditId,
        problem: 'altered',
        detail: `its content hashes to ${short(actual)}, the stored hash is ${short(e.entryHash)}: a field was changed after it was written`,
      };
    }
    this.prev = e.entryHash;
    this.prevId = e.auditId;
    this.entries++;
    return null;
  }
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
