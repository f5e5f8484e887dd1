#!/usr/bin/env node
/**
 * Bundles the commands whose cold start counts (`smt inspect`: first frame within 500 ms, issue 11)
 * into single ESM files with esbuild, over the tsc output in dist/: dist/commands/<name>.js is
 * replaced by the bundle, and what it imports later (Ink and the app, the correction service) goes
 * to shared chunks in dist/chunks/. A start then reads a handful of files instead of ~700 modules
 * (Ink alone pulls in 415 files of es-toolkit); docs/benchmarks.md has the figures.
 *
 * @oclif/core is bundled too, as dist/oclif-core.js: bin/run.js loads it instead of the package
 * for a bundled command, and the command's own `import '@oclif/core'` resolves to the same chunk,
 * so the process has one oclif (its Command class, its errors) and reads ~2 files instead of ~150.
 * Every other command and the workers stay tsc's one-file-per-module output on the package's oclif.
 *
 * Run by `npm run build:bundle` and `prepack`, after `npm run build` (tsc).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** the commands bundled; every one must be checked by the tests that run the packed CLI */
const COMMANDS = ['inspect'];
/** first line of every bundled command: bin/run.js takes the bundled oclif only for a command that starts with it */
const MARK = '/* bundled by scripts/bundle.mjs */';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

for (const c of COMMANDS) {
  const file = path.join(dist, 'commands', `${c}.js`);
  if (readFileSync(file, 'utf8').startsWith(MARK))
    throw new Error(`${file} is a bundle already: run \`npm run build\` first`);
}
rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });

/**
 * Modules find their files (rules/, data/, worker entries) relative to `import.meta.url`; in a
 * chunk that would be the chunk's URL. Every output file sits two levels below the package root
 * (dist/commands/, dist/chunks/), so each module's own URL is rebuilt from the output file's.
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = path.relative(root, args.path).split(path.sep).join('/');
      const url = `new URL(${JSON.stringify(rel)}, new URL('../../', import.meta.url)).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

/**
 * Globals hidden from one module of a dependency, each for a check that would load Node's fetch
 * implementation (undici, ~40 ms of every start) to learn nothing on Node: pg asks `new Response`
 * whether it runs in a Cloudflare Worker; yoga fetches its own embedded wasm from a data: URL,
 * and decodes it directly when there is no fetch. The build fails when a listed module is no
 * longer in the bundle (a dependency upgrade moved it): look again then.
 */
const HIDDEN_GLOBALS = {
  'pg/lib/stream.js': ['Response'],
  'yoga-layout/dist/binaries/yoga-wasm-base64-esm.js': ['fetch'],
};
const hideGlobals = {
  name: 'hide-globals',
  setup(b) {
    const seen = new Set();
    const filter = new RegExp(
      `node_modules/(${Object.keys(HIDDEN_GLOBALS)
        .map((k) => k.replace(/[.]/g, '\\.'))
        .join('|')})$`,
    );
    b.onLoad({ filter }, (args) => {
      const key = Object.keys(HIDDEN_GLOBALS).find((k) => args.path.endsWith(`node_modules/${k}`));
      seen.add(key);
      const shadow = HIDDEN_GLOBALS[key].map((g) => `const ${g} = undefined;`).join(' ');
      return { contents: `${shadow}\n${readFileSync(args.path, 'utf8')}`, loader: 'js' };
    });
    b.onEnd(() => {
      const missing = Object.keys(HIDDEN_GLOBALS).filter((k) => !seen.has(k));
      if (missing.length > 0)
        throw new Error(`hide-globals: not in the bundle any more: ${missing.join(', ')}`);
    });
  },
};

/** dist/oclif-core.js: what bin/run.js needs of the bundled @oclif/core */
const oclifEntry = {
  name: 'oclif-core-entry',
  setup(b) {
    b.onResolve({ filter: /^smt:oclif-core$/ }, () => ({ path: 'oclif-core', namespace: 'smt' }));
    b.onLoad({ filter: /.*/, namespace: 'smt' }, () => ({
      contents: "export { execute } from '@oclif/core';",
      resolveDir: root,
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: {
    'oclif-core': 'smt:oclif-core',
    ...Object.fromEntries(COMMANDS.map((c) => [`commands/${c}`, path.join(dist, 'commands', `${c}.js`)])),
  },
  outdir: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // whitespace and syntax only: names stay readable in stack traces of bug reports
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  metafile: true,
  define: {
    // React and its reconciler pick their production builds (the development ones, checks and
    // warnings included, were the larger part of the first render); the dead branch is dropped
    'process.env.NODE_ENV': '"production"',
    // src/ui/inspect/devtools.ts: DEV=true (Ink's React DevTools) is refused in the bundle
    __SMT_BUNDLE__: 'true',
  },
  logLevel: 'warning',
  plugins: [ownUrl, oclifEntry, hideGlobals],
  external: [
    // oclif loads a TypeScript compiler only in development (bin/dev.js)
    'typescript',
    // optional peers the drivers load only when installed; never part of smt
    'react-devtools-core',
    'pg-native',
    'lz4',
    'snappy',
    'kerberos',
    'cloudflare:sockets',
  ],
  // the CommonJS drivers (cassandra-driver, pg) call require() for Node's built-ins
  banner: {
    js: `${MARK}\nimport { createRequire as __smtCreateRequire } from 'node:module'; const require = __smtCreateRequire(import.meta.url);`,
  },
});

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const kib = outputs.reduce((s, [, o]) => s + o.bytes, 0) / 1024;
const chunks = readdirSync(path.join(dist, 'chunks')).filter((f) => f.endsWith('.js')).length;
process.stderr.write(`bundled ${COMMANDS.join(', ')}: ${chunks} chunks, ${kib.toFixed(0)} KiB\n`);
