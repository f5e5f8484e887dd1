#!/usr/bin/env node
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the CLI and its dependencies on disk (the OS temp dir;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): a later start skips most of the compiling. Node 20
// has no such cache and starts as before.
module.enableCompileCache?.();

/**
 * A command that scripts/bundle.mjs bundled (`smt inspect`) runs on the @oclif/core inside its
 * bundle (its stub exports `execute`), loaded with a V8 code cache (bin/bundle-loader.js): one file
 * instead of ~150 modules of the package at start. Only in a packed build (the oclif manifest, and
 * the command file is the bundle's stub, not tsc's output).
 */
function bundled(id) {
  if (!/^[a-z][a-z-]*$/.test(id ?? '')) return false;
  const command = new URL(`../dist/commands/${id}.js`, import.meta.url);
  if (!existsSync(new URL('../oclif.manifest.json', import.meta.url)) || !existsSync(command)) return false;
  const fd = openSync(command, 'r');
  try {
    const head = Buffer.alloc(MARK.length);
    readSync(fd, head, 0, head.length, 0);
    return head.toString('latin1') === MARK;
  } finally {
    closeSync(fd);
  }
}
/** the first line of a bundled command: MARK in scripts/bundle.mjs */
const MARK = '/* bundled by scripts/bundle.mjs */';

const { execute } = bundled(process.argv[2])
  ? await import(`../dist/commands/${process.argv[2]}.js`)
  : await import('@oclif/core');
await execute({ dir: import.meta.url });
