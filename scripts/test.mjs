#!/usr/bin/env node
/**
 * `npm test`: make sure the local stack is up (a no-op when it already is), then run vitest on all
 * of test/ — or on the paths given, e.g. `npm test -- test/unit`. The stack stays up afterwards so
 * reruns are fast; `smt stack down` (or .ci/run's exit trap) stops it.
 *
 * Only unit-test paths, or SMT_TEST_SKIP_STACK=1, skip the stack.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function run(what, command, commandArgs) {
  const r = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`test: ${what} could not run: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 1;
}

const paths = args.filter((a) => !a.startsWith('-'));
const unitOnly = paths.length > 0 && paths.every((p) => p.replace(/^\.\//, '').startsWith('test/unit'));

if (!unitOnly && process.env.SMT_TEST_SKIP_STACK !== '1') {
  // bin/run.js runs the compiled CLI; `npm ci` builds it through `prepare`, a fresh checkout may not have
  if (!existsSync(path.join(root, 'dist/commands/stack/up.js'))) {
    process.stderr.write('test: dist/ is missing, building it first\n');
    const built = run('tsc', process.execPath, [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.json',
    ]);
    if (built !== 0) process.exit(built);
  }
  const up = run('smt stack up', process.execPath, [path.join(root, 'bin/run.js'), 'stack', 'up']);
  if (up !== 0) {
    process.stderr.write(`test: \`smt stack up\` failed (exit ${up}); not running the tests\n`);
    process.exit(up);
  }
}

process.exit(
  run('vitest', process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...args]),
);
