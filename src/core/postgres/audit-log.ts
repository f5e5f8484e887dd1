import type pg from 'pg';
import { type AuditEntry, asJson, type ChainedEntry, entryHash, GENESIS_HASH } from '../audit/chain.js';
import { postgresCall } from './errors.js';

/** Serialises appends across every process: the chain needs each entry to see the one before. */
const AUDIT_LOCK = 0x736d745f61756469n; // 'smt_audi'

/** What a writer says; id, time and hashes are the log's. */
export type NewAuditEntry = Omit<AuditEntry, 'auditId' | 'at'>;

const AT_TEXT = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface AuditRow {
  audit_id: string;
  at_text: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  prev_hash: string | null;
  entry_hash: string | null;
}

function entryOf(r: AuditRow): ChainedEntry | (AuditEntry & { prevHash: null; entryHash: null }) {
  const e = {
    auditId: Number(r.audit_id),
    at: r.at_text,
    actor: r.actor,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    before: r.before,
    after: r.after,
    reason: r.reason,
  };
  return r.prev_hash === null || r.entry_hash === null
    ? { ...e, prevHash: null, entryHash: null }
    : { ...e, prevHash: r.prev_hash, entryHash: r.entry_hash };
}

/**
 * `smt.audit_log`, the one way to write it: `append` inside the caller's transaction takes a
 * transaction-scoped advisory lock, reads the newest entry's hash and inserts the next entry with
 * its id, time and both hashes fixed before the insert. Concurrent appenders queue on the lock;
 * the lock ends with the caller's COMMIT or ROLLBACK, so a rolled-back entry leaves no link.
 */
export class PostgresAuditLog {
  constructor(private readonly pool: pg.Pool) {}

  static async append(client: pg.ClientBase, entry: NewAuditEntry): Promise<ChainedEntry> {
    return postgresCall('appending to the audit log', async () => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK.toString()]);
      const last = await client.query<{ entry_hash: string | null }>(
        'SELECT entry_hash FROM smt.audit_log ORDER BY audit_id DESC LIMIT 1',
      );
      const prevHash = last.rows[0]?.entry_hash ?? GENESIS_HASH;
      const head = await client.query<{ id: string; at: string }>(
        `SELECT nextval(pg_get_serial_sequence('smt.audit_log', 'audit_id')) AS id,
                to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
      );
      const full: AuditEntry = {
        ...entry,
        before: asJson(entry.before),
        after: asJson(entry.after),
        auditId: Number(head.rows[0]!.id),
        at: head.rows[0]!.at,
      };
      const hash = entryHash(full, prevHash);
      await client.query(
        `INSERT INTO smt.audit_log (audit_id, at, actor, action, entity, entity_id, before, after, reason, prev_hash, entry_hash)
         OVERRIDING SYSTEM VALUE VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          full.auditId,
          full.at,
          full.actor,
          full.action,
          full.entity,
          full.entityId,
          full.before === null ? null : JSON.stringify(full.before),
          full.after === null ? null : JSON.stringify(full.after),
          full.reason,
          prevHash,
          hash,
        ],
      );
      return { ...full, prevHash, entryHash: hash };
    });
  }

  /** Every entry in chain order, a page at a time (keyset paging: constant memory). */
  async *entries(
    pageSize = 1_000,
  ): AsyncGenerator<(ChainedEntry | (AuditEntry & { prevHash: null; entryHash: null }))[]> {
    let after = 0;
    for (;;) {
      const r = await postgresCall('reading the audit log', () =>
        this.pool.query<AuditRow>(
          `SELECT audit_id, ${AT_TEXT} AS at_text, actor, action, entity, entity_id, before, after, reason, prev_hash, entry_hash
             FROM smt.audit_log WHERE audit_id > $1 ORDER BY audit_id LIMIT $2`,
          [after, pageSize],
        ),
      );
      if (r.rows.length === 0) return;
      yield r.rows.map(entryOf);
      after = Number(r.rows.at(-1)!.audit_id);
    }
  }

  async byIds(ids: readonly number[]): Promise<Map<number, ChainedEntry>> {
    const out = new Map<number, ChainedEntry>();
    if (ids.length === 0) return out;
    const r = await postgresCall('reading audit entries', () =>
      this.pool.query<AuditRow>(
        `SELECT audit_id, ${AT_TEXT} AS at_text, actor, action, entity, entity_id, before, after, reason, prev_hash, entry_hash
           FROM smt.audit_log WHERE audit_id = ANY($1::bigint[])`,
        [ids],
      ),
    );
    for (const row of r.rows) {
      const e = entryOf(row);
      if (e.entryHash !== null) out.set(e.auditId, e as ChainedEntry);
    }
    return out;
  }
}
