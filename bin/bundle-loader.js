/**
 * Loads a command bundle of scripts/bundle.mjs (dist/bundles/<name>.cjs: the command, @oclif/core
 * and everything it imports, one CommonJS file) with a V8 code cache.
 *
 * Why: Node 20 keeps no compiled code between runs, and `module.enableCompileCache()` (22.1+)
 * stores what V8 compiled before the module ran, not the functions compiled while it ran. Here the
 * cache is written at the process's exit (`script.createCachedData()` after the run), so it holds
 * the bytecode of every function the start needed — the approach of v8-compile-cache — and a later
 * start deserializes it instead of parsing 4 MB and compiling again (docs/benchmarks.md).
 *
 * The cache file is named after the Node version, the architecture, the bundle's content hash
 * (written into the command's stub at build time: V8 itself only checks the source's length) and
 * whether the start is on a terminal (the interactive view compiles Ink, a pipe does not), in
 * `$XDG_CACHE_HOME/smt/v8` (default ~/.cache), a directory of this user's only. V8 rejects data
 * from another V8 or other flags (`script.cachedDataRejected`); the file is then written anew.
 * Any failure to read or write it only costs the compile. NODE_DISABLE_COMPILE_CACHE=1 (Node's own
 * switch) turns it off. Only a start that reached its output writes it (help or an error do not).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
/** one evaluation per process: bin/run.js and the command's stub share the bundle's oclif */
const loaded = new Map();

/** The exports of dist/bundles/<name>.cjs; `hash` is the bundle's content hash (the stub has it). */
export function loadBundle(name, hash) {
  let exports = loaded.get(name);
  if (!exports) {
    exports = evaluate(path.join(DIST, 'bundles', `${name}.cjs`), hash);
    loaded.set(name, exports);
  }
  return exports;
}

function evaluate(file, hash) {
  const source = readFileSync(file, 'utf8');
  const cacheFile = cachePath(path.basename(file, '.cjs'), hash);
  const cachedData = cacheFile ? readCache(cacheFile) : undefined;
  // the CommonJS wrapper, so the bundle sees require/module/__dirname as a file of its own would;
  // __smtImport: its import() of computed specifiers (scripts/bundle.mjs), by this ES module
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname, __smtImport) {${source}\n})`,
    {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
    },
  );
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // written only by a start that got to its output (the command calls keep(), see
    // src/ui/inspect/code-cache.ts): a first `--help` or a mistyped flag would leave a cache
    // without the code of a real start, and an accepted cache is never written again
    let keep = false;
    globalThis[Symbol.for('smt.codeCache')] = {
      keep() {
        keep = true;
      },
    };
    process.once('exit', () => {
      if (keep) writeCache(cacheFile, script);
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(
    module.exports,
    createRequire(file),
    module,
    file,
    path.dirname(file),
    (specifier) => import(specifier),
  );
  return module.exports;
}

function cachePath(name, hash) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1' || !/^[0-9a-f]{16}$/.test(hash ?? '')) return undefined;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  // a start on a terminal compiles Ink and the app, one through a pipe does not: a cache each, so
  // neither start reads the other's (it would then compile what the other never needed)
  const kind = isatty(0) && isatty(1) && isatty(2) ? 'tty' : 'pipe';
  return path.join(base, 'smt', 'v8', `${name}-${hash}-${kind}-${process.version}-${process.arch}.cache`);
}

/** only a file in a directory of this user's: cached bytecode is code */
function readCache(file) {
  try {
    const dir = statSync(path.dirname(file));
    if (typeof process.getuid === 'function' && (dir.uid !== process.getuid() || (dir.mode & 0o022) !== 0))
      return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file, script) {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // a temporary name, then a rename: a start reading at the same time sees all or nothing
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    // the caches of earlier builds (another hash) for this kind of start and this Node: never read again
    const [, name, tail] = path.basename(file).match(/^(.*)-[0-9a-f]{16}(-.*)$/) ?? [];
    for (const f of readdirSync(path.dirname(file))) {
      if (
        f !== path.basename(file) &&
        new RegExp(`^${name}-[0-9a-f]{16}${tail.replaceAll('.', '\\.')}$`).test(f)
      )
        rmSync(path.join(path.dirname(file), f), { force: true });
    }
  } catch {
    // no cache this time: the next start compiles again
  }
}
