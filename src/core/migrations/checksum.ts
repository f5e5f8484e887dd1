import { createHash } from 'node:crypto';
import type { Migration, SchemaContext } from './types.js';

/**
 * Checksums are taken over statements rendered with placeholder names, so changing a keyspace name
 * or TTL in configuration does not look like an edited migration, but editing the SQL does.
 */
const PLACEHOLDER_CONTEXT: SchemaContext = {
  keyspace: '${keyspace}',
  replication: '${replication}',
  rawTtlSeconds: -1,
  chDatabase: '${chDatabase}',
  timezone: '${timezone}',
};

export function migrationChecksum(migration: Migration): string {
  const text = migration
    .statements(PLACEHOLDER_CONTEXT)
    .map((s) => s.trim())
    .join('\n;\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
