/**
 * What `smt import` reads: paths, directories and glob patterns expanded to files, and each file
 * opened as one or more entries (a zip archive's files, streamed by yauzl; any other file as is).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { glob } from 'tinyglobby';
import yauzl from 'yauzl';
import { InvalidDataError, UsageError } from '../errors.js';

/** Files named by the arguments, in argument order then name order, each once. */
export async function expandPaths(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const abs = path.resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      out.push(abs);
    }
  };
  for (const arg of args) {
    const s = await stat(arg).catch(() => undefined);
    if (s?.isFile()) add(arg);
    else if (s?.isDirectory()) {
      const files = await glob('**/*', { cwd: arg, absolute: true, onlyFiles: true, dot: false });
      files.sort().forEach(add);
    } else {
      const files = await glob(arg, { absolute: true, onlyFiles: true });
      if (files.length === 0)
        throw new UsageError(
          `${arg}: no such file, directory or matching file`,
          'Pass files, directories or glob patterns (quote the pattern).',
        );
      files.sort().forEach(add);
    }
  }
  if (out.length === 0)
    throw new UsageError('no files to import', 'Pass files, directories or glob patterns.');
  return out;
}

/** One input of a file: the file itself, or one file inside a zip archive. */
export interface ImportEntry {
  /** `file` or `archive.zip!inner/name.csv` */
  name: string;
  /** bytes the entry holds (uncompressed) */
  size: number;
  open(): Promise<Readable>;
}

const ZIP_MAGIC = 0x04034b50;

async function isZip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.readUInt32LE(0) === ZIP_MAGIC;
  } finally {
    await fh.close();
  }
}

/** The entries of a file; a zip archive is read through its central directory, entry by entry. */
export async function* entriesOf(file: string): AsyncGenerator<ImportEntry> {
  if (!(await isZip(file))) {
    const s = await stat(file);
    yield { name: file, size: s.size, open: async () => createReadStream(file, { highWaterMark: 1 << 20 }) };
    return;
  }
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, strictFileNames: false });
  } catch (err) {
    throw new InvalidDataError(`${file}: not a readable zip archive: ${(err as Error).message}`, {
      code: 'BAD_ZIP',
      hint: 'Check that the archive is complete (not truncated) and not encrypted.',
    });
  }
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (/\.zip$/i.test(entry.fileName)) {
        throw new InvalidDataError(`${file}!${entry.fileName}: a zip inside a zip is not read`, {
          code: 'NESTED_ZIP',
          hint: 'Unpack the outer archive and import the inner one.',
        });
      }
      yield {
        name: `${file}!${entry.fileName}`,
        size: entry.uncompressedSize,
        open: () => zip.openReadStreamPromise(entry),
      };
    }
  } finally {
    zip.close();
  }
}

/** SHA-256 of a file's bytes, streamed. */
export async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
