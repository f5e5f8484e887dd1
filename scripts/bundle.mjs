#!/usr/bin/env node
/**
 * Bundles the commands whose cold start counts (`smt inspect`: first frame within 500 ms, issue 11)
 * with esbuild, over the tsc output in dist/: each into one CommonJS file, dist/bundles/<name>.cjs,
 * holding the command, @oclif/core and everything the command imports, now or later (Ink and the
 * app, the correction service). dist/commands/<name>.js becomes a small stub that loads it through
 * bin/bundle-loader.js with a V8 code cache (written at the first run's exit, so later starts
 * deserialize bytecode instead of parsing and compiling 4 MB). A start reads three files instead of
 * ~700 modules (Ink alone pulls in 415 files of es-toolkit); docs/benchmarks.md has the figures.
 *
 * CommonJS because only a `vm.Script` takes cached data on Node 20 (ES modules get no code cache
 * there). bin/run.js takes `execute` from the stub for a bundled command, so the process has one
 * oclif (its Command class, its errors). Every other command and the workers stay tsc's
 * one-file-per-module output on the package's oclif.
 *
 * Run by `npm run build:bundle` and `prepack`, after `npm run build` (tsc).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** the commands bundled; every one must be checked by the tests that run the packed CLI */
const COMMANDS = ['inspect'];
/** first line of every bundled command's stub: bin/run.js takes oclif from the bundle only for a command that starts with it */
const MARK = '/* bundled by scripts/bundle.mjs */';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

for (const c of COMMANDS) {
  const file = path.join(dist, 'commands', `${c}.js`);
  if (readFileSync(file, 'utf8').startsWith(MARK))
    throw new Error(`${file} is a bundle already: run \`npm run build\` first`);
}
// the ES module chunks of the bundle before this one (stop 18), if a build left them
rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
rmSync(path.join(dist, 'oclif-core.js'), { force: true });
rmSync(path.join(dist, 'bundles'), { recursive: true, force: true });

/**
 * Modules find their files (rules/, data/, worker entries) relative to `import.meta.url`, which a
 * CommonJS file does not have: each module's own URL is rebuilt from the bundle's directory
 * (dist/bundles/, two levels below the package root, like the module's own dist/<dir>/).
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = path.relative(root, args.path).split(path.sep).join('/');
      const url = `new URL(${JSON.stringify(rel)}, require('node:url').pathToFileURL(__dirname + '/../../')).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

/**
 * Source edits in dependencies, each checked: the build fails when its text is no longer there
 * (a dependency upgrade changed it): look again then.
 * - pg asks `new Response` whether it runs in a Cloudflare Worker, which loads Node's fetch
 *   implementation (undici, ~40 ms of every start) to learn nothing on Node.
 * - yoga (Ink's layout) instantiates its WebAssembly with a top-level await, which a CommonJS
 *   file cannot have: Emscripten's `instantiateWasm` hook is handed the function that decodes the
 *   embedded binary, and yoga's index instantiates it synchronously (`new WebAssembly.Module`).
 * - Ink awaits its DevTools and package.json at the top level when DEV=true, which the packed smt
 *   refuses before Ink loads (src/ui/inspect/devtools.ts): the awaits become plain values.
 */
const PATCHES = {
  'pg/lib/stream.js': [[/^/, 'const Response = undefined;\n']],
  'yoga-layout/dist/binaries/yoga-wasm-base64-esm.js': [
    [/return h\.instantiateWasm\(d,\s*a\)/, 'return h.instantiateWasm(d,a,wa)'],
  ],
  'yoga-layout/dist/src/index.js': [
    [
      'const Yoga = wrapAssembly(await loadYoga());',
      `const module = {
  instantiateWasm(imports, receive, binary) {
    receive(new WebAssembly.Instance(new WebAssembly.Module(binary()), imports));
    return {};
  },
};
loadYoga(module); // with the instance received synchronously, the module is ready on return
const Yoga = wrapAssembly(module);`,
    ],
  ],
  'ink/build/reconciler.js': [
    ["await import('./devtools.js');", "throw new Error('React DevTools are not in the bundle');"],
    ['? await loadPackageJson()', '? { name: undefined, version: undefined }'],
  ],
};
const patchDependencies = {
  name: 'patch-dependencies',
  setup(b) {
    const seen = new Set();
    const keys = Object.keys(PATCHES);
    const filter = new RegExp(`node_modules/(${keys.map((k) => k.replace(/[.]/g, '\\.')).join('|')})$`);
    b.onLoad({ filter }, (args) => {
      const key = keys.find((k) => args.path.endsWith(`node_modules/${k}`));
      let source = readFileSync(args.path, 'utf8');
      for (const [from, to] of PATCHES[key]) {
        const re =
          typeof from === 'string'
            ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
            : new RegExp(from.source, 'g');
        const count = source.match(re)?.length ?? 0;
        // once, exactly: a second place would be code this edit was not written for
        if (count !== 1)
          throw new Error(`patch-dependencies: ${key} has ${String(from)} ${count} times, not once`);
        source = source.replace(re, () => to);
      }
      seen.add(key);
      return { contents: source, loader: 'js' };
    });
    b.onEnd(() => {
      const missing = keys.filter((k) => !seen.has(k));
      if (missing.length > 0)
        throw new Error(`patch-dependencies: not in the bundle any more: ${missing.join(', ')}`);
    });
  },
};

/**
 * `import()` of a computed specifier (oclif loading the command's file, lilconfig) is left to
 * Node; in a `vm.Script` Node 20 loses its callback when the script comes from the code cache
 * (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING; Node 22 fixed it), so those calls go to `__smtImport`,
 * the `import` of bin/bundle-loader.js (an ES module), passed in by the CommonJS wrapper. A
 * literal specifier is bundled by esbuild and left as it is.
 */
const COMPUTED_IMPORT = /(?<![\w$.])import\((?!\s*['"`)])/g;
const routeImports = {
  name: 'route-dynamic-imports',
  setup(b) {
    b.onLoad({ filter: /node_modules\/.*\.[cm]?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!COMPUTED_IMPORT.test(source)) return undefined;
      return { contents: source.replace(COMPUTED_IMPORT, '__smtImport('), loader: 'js' };
    });
  },
};

/** the bundle's entry: the command class and what bin/run.js needs of @oclif/core */
const entry = (command) => ({
  name: 'command-entry',
  setup(b) {
    b.onResolve({ filter: /^smt:entry$/ }, () => ({ path: 'entry', namespace: 'smt' }));
    b.onLoad({ filter: /.*/, namespace: 'smt' }, () => ({
      contents: `export { execute } from '@oclif/core'; export { default } from ${JSON.stringify(command)};`,
      resolveDir: root,
      loader: 'js',
    }));
  },
});

let kib = 0;
for (const c of COMMANDS) {
  const command = path.join(dist, 'commands', `${c}.js`);
  const outfile = path.join(dist, 'bundles', `${c}.cjs`);
  const result = await build({
    entryPoints: ['smt:entry'],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
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
    plugins: [ownUrl, entry(command), patchDependencies, routeImports],
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
  });
  const left = readFileSync(outfile, 'utf8').match(COMPUTED_IMPORT);
  if (left) throw new Error(`${outfile}: ${left.length} import() not routed to __smtImport`);
  kib += Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0) / 1024;
  const hash = createHash('sha256').update(readFileSync(outfile)).digest('hex').slice(0, 16);
  // the stub oclif imports (and bin/run.js, for `execute`): one evaluation of the bundle per process
  writeFileSync(
    command,
    `${MARK}
import { loadBundle } from '../../bin/bundle-loader.js';
const bundle = loadBundle(${JSON.stringify(c)}, ${JSON.stringify(hash)});
export const execute = bundle.execute;
export default bundle.default;
`,
  );
}
mkdirSync(path.join(dist, 'bundles'), { recursive: true });
process.stderr.write(`bundled ${COMMANDS.join(', ')}: ${kib.toFixed(0)} KiB\n`);
