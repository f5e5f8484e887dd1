/**
 * `smt import`: files → meter-day messages on the raw topic, with the format header set, so the
 * ingest daemon takes them like any collection system's delivery (docs/formats.md "smt import").
 *
 * Idempotent by content: a file whose SHA-256 is in smt.imported_files is skipped unless `force`;
 * the checksum is recorded only after every message of the file was acknowledged and the file had
 * no failures, so an interrupted or partly bad import is retried in full (ingest counts the days it
 * already has as duplicates, not twice). A dry run reads and decodes but touches no service.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { detectFormat } from '../codecs/detect.js';
import { formatDrop, formatFailure } from '../codecs/index.js';
import type { WireFormat } from '../codecs/types.js';
import type { SmtConfig } from '../config/config.js';
import { SmtError } from '../errors.js';
import type { RawMessage } from '../kafka/messages.js';
import { createProducer, type MessageProducer } from '../kafka/producer.js';
import { topicNames } from '../kafka/topics.js';
import { createPostgresPool } from '../postgres/client.js';
import { type ImportedFile, ImportedFiles } from '../postgres/imported-files.js';
import type { IntervalMinutes } from '../readings/block.js';
import { entriesOf, expandPaths, sha256Of } from './sources.js';
import { EntryProblems, splitEntry } from './split.js';

export interface ImportOptions {
  paths: string[];
  dryRun?: boolean;
  force?: boolean;
  /** a format for every file; default detected per file (content, then name) */
  format?: WireFormat;
  meterId?: string;
  intervalMinutes?: IntervalMinutes;
  /** zone of the local days messages are cut into (non-NEM12 formats) */
  timezone: string;
  /** failures and warnings listed per file (counts are always complete) */
  limit?: number;
  onProgress?: (p: ImportProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** tests: a producer to use instead of Kafka's */
  producer?: () => Promise<MessageProducer>;
}

export interface ImportProgress {
  file: string;
  fileIndex: number;
  files: number;
  bytesDone: number;
  bytesTotal: number;
  messages: number;
  readings: number;
  readingsPerSecond: number;
}

export type ImportFileStatus = 'imported' | 'skipped' | 'failed' | 'dry-run';

export interface ImportFileReport {
  file: string;
  sha256: string;
  bytes: number;
  status: ImportFileStatus;
  /** entry name → format (one entry for a plain file, one per file of a zip) */
  entries: { name: string; format: WireFormat | null; messages: number; readings: number }[];
  messages: number;
  readings: number;
  /** register read periods (NEM13 250 records) produced */
  registerReads: number;
  failures: { count: number; items: string[] };
  warnings: { count: number; items: string[] };
  /**
   * readings the file held that no message carries (its decoder put them in no block), by reason,
   * and the records that held them (line, meter, intervals, why)
   */
  dropped: { count: number; reasons: { reason: string; readings: number }[]; items: string[] };
  /** set when skipped: the earlier import */
  previous?: ImportedFile;
}

export interface ImportSummary {
  topic: string | null;
  dryRun: boolean;
  files: ImportFileReport[];
  messages: number;
  readings: number;
  /** readings of the files that no message carries (ImportFileReport.dropped) */
  dropped: number;
  bytes: number;
  seconds: number;
  readingsPerSecond: number;
  interrupted: boolean;
}

const BATCH = 500;

export async function runImport(config: SmtConfig, o: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const files = await expandPaths(o.paths);
  const dryRun = o.dryRun === true;
  const topic = dryRun ? null : topicNames(config).raw;
  const limit = o.limit ?? 20;
  const pool = dryRun ? undefined : createPostgresPool(config, { max: 1 });
  const checksums = pool === undefined ? undefined : new ImportedFiles(pool);
  let producer: MessageProducer | undefined;
  const reports: ImportFileReport[] = [];
  let totalMessages = 0;
  let totalReadings = 0;
  let totalDropped = 0;
  let totalBytes = 0;
  let lastProgress = 0;
  try {
    for (const [fileIndex, file] of files.entries()) {
      if (o.signal?.aborted) break;
      const sha256 = await sha256Of(file);
      const report: ImportFileReport = {
        file,
        sha256,
        bytes: 0,
        status: dryRun ? 'dry-run' : 'imported',
        entries: [],
        messages: 0,
        readings: 0,
        registerReads: 0,
        failures: { count: 0, items: [] },
        warnings: { count: 0, items: [] },
        dropped: { count: 0, reasons: [], items: [] },
      };
      reports.push(report);
      const previous = checksums === undefined ? undefined : await checksums.find(sha256);
      if (previous !== undefined && o.force !== true) {
        report.status = 'skipped';
        report.previous = previous;
        continue;
      }
      producer ??= dryRun ? undefined : await (o.producer ?? (() => createProducer(config)))();
      let bytesTotal = 0;
      let bytesDone = 0;
      let batch: RawMessage[] = [];
      const send = async () => {
        if (batch.length > 0 && producer !== undefined && topic !== null)
          await producer.sendRaw(topic, batch);
        batch = [];
      };
      const problems = new EntryProblems(limit);
      // entries are processed as the archive yields them: a zip's streams are open only while it is
      for await (const entry of entriesOf(file)) {
        if (o.signal?.aborted) break;
        bytesTotal += entry.size;
        const { head, stream } = await peek(await entry.open());
        const display =
          path.basename(entry.name.replace(/!.*$/, '')) +
          (entry.name.includes('!') ? entry.name.slice(entry.name.indexOf('!')) : '');
        const format = o.format ?? detectFormat(head, entry.name.replace(/^.*!/, ''));
        const entryReport = { name: display, format: format ?? null, messages: 0, readings: 0 };
        report.entries.push(entryReport);
        if (format === undefined) {
          stream.destroy();
          problems.fail({
            format: 'json',
            message: 'cannot tell the payload format (pass --format)',
            location: {},
            source: display,
          });
          continue;
        }
        const messages = splitEntry(
          stream,
          {
            format,
            sourceName: display,
            timezone: o.timezone,
            ...(o.meterId === undefined ? {} : { meterId: o.meterId }),
            ...(o.intervalMinutes === undefined ? {} : { intervalMinutes: o.intervalMinutes }),
            onBytes: (n) => {
              bytesDone += n;
            },
          },
          problems,
        );
        try {
          for await (const m of messages) {
            if (o.signal?.aborted) break;
            entryReport.messages++;
            entryReport.readings += m.readings;
            report.messages++;
            report.readings += m.readings;
            report.registerReads += m.registerReads;
            batch.push({ key: m.key, value: m.value, format: m.format });
            if (batch.length >= BATCH) await send();
            const now = performance.now();
            if (o.onProgress !== undefined && now - lastProgress >= (o.progressIntervalMs ?? 1000)) {
              lastProgress = now;
              const s = (now - started) / 1000;
              o.onProgress({
                file: display,
                fileIndex,
                files: files.length,
                bytesDone,
                bytesTotal,
                messages: totalMessages + report.messages,
                readings: totalReadings + report.readings,
                readingsPerSecond: s > 0 ? (totalReadings + report.readings) / s : 0,
              });
            }
          }
        } catch (err) {
          // a stream that cannot be read (a corrupt zip entry, a disk error) fails this entry, not the run
          if (err instanceof SmtError && err.exitCode !== 3) throw err;
          problems.fail({
            format,
            message: `cannot read: ${(err as Error).message}`,
            location: {},
            source: display,
          });
        }
      }
      await send();
      report.bytes = bytesTotal;
      report.failures = { count: problems.failureCount, items: problems.failures.map(formatFailure) };
      report.warnings = { count: problems.warningCount, items: problems.warnings.map(formatFailure) };
      const reasons = Object.entries(problems.dropped).map(([reason, readings]) => ({ reason, readings }));
      report.dropped = {
        count: reasons.reduce((s, r) => s + r.readings, 0),
        reasons,
        items: problems.drops.map((d) => formatDrop(d.drop, d.source)),
      };
      totalDropped += report.dropped.count;
      if (problems.failureCount > 0) report.status = 'failed';
      else if (checksums !== undefined && topic !== null && !o.signal?.aborted) {
        await checksums.record({
          sha256,
          fileName: path.basename(file),
          bytes: bytesTotal,
          formats: [...new Set(report.entries.map((e) => e.format))].join(','),
          messages: report.messages,
          readings: report.readings,
          topic,
        });
      }
      totalMessages += report.messages;
      totalReadings += report.readings;
      totalBytes += bytesTotal;
    }
  } finally {
    await producer?.close().catch(() => {});
    await pool?.end().catch(() => {});
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    topic,
    dryRun,
    files: reports,
    messages: totalMessages,
    readings: totalReadings,
    dropped: totalDropped,
    bytes: totalBytes,
    seconds: Math.round(seconds * 1000) / 1000,
    readingsPerSecond: seconds > 0 ? Math.round(totalReadings / seconds) : 0,
    interrupted: o.signal?.aborted === true,
  };
}

/** The first bytes of a stream (for format detection), and a stream that reads from its start again. */
async function peek(stream: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < 512) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    size += r.value.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* chunks;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head: Buffer.concat(chunks), stream: Readable.from(replay(), { objectMode: false }) };
}
