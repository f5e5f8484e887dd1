import type pg from 'pg';
import { postgresCall } from './errors.js';

/** A file `smt import` produced in full, by the SHA-256 of its bytes. */
export interface ImportedFile {
  sha256: string;
  fileName: string;
  bytes: number;
  formats: string;
  messages: number;
  readings: number;
  topic: string;
  importedAt: string;
}

/** The checksums that make `smt import` idempotent (table smt.imported_files, migration 17). */
export class ImportedFiles {
  constructor(private readonly pool: pg.Pool) {}

  async find(sha256: string): Promise<ImportedFile | undefined> {
    const r = await postgresCall('reading imported file checksums', () =>
      this.pool.query(
        `SELECT sha256, file_name, bytes, formats, messages, readings, topic, imported_at
           FROM smt.imported_files WHERE sha256 = $1`,
        [sha256],
      ),
    );
    const row = r.rows[0];
    if (row === undefined) return undefined;
    return {
      sha256: row.sha256,
      fileName: row.file_name,
      bytes: Number(row.bytes),
      formats: row.formats,
      messages: Number(row.messages),
      readings: Number(row.readings),
      topic: row.topic,
      importedAt: new Date(row.imported_at).toISOString(),
    };
  }

  async record(f: Omit<ImportedFile, 'importedAt'>): Promise<void> {
    await postgresCall('recording an imported file', () =>
      this.pool.query(
        `INSERT INTO smt.imported_files (sha256, file_name, bytes, formats, messages, readings, topic)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (sha256) DO UPDATE SET file_name = EXCLUDED.file_name, bytes = EXCLUDED.bytes,
           formats = EXCLUDED.formats, messages = EXCLUDED.messages, readings = EXCLUDED.readings,
           topic = EXCLUDED.topic, imported_at = now()`,
        [f.sha256, f.fileName, f.bytes, f.formats, f.messages, f.readings, f.topic],
      ),
    );
  }
}
