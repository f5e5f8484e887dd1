import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const COMMANDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/commands');

/** Every command file, as the id an operator types (`ingest/index.ts` is `ingest`). */
function commandIds(dir = COMMANDS_DIR, prefix: string[] = []): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return commandIds(full, [...prefix, name]);
    const base = name.replace(/\.ts$/, '');
    return [[...prefix, ...(base === 'index' ? [] : [base])].join(' ')];
  });
}

// Guards the dev entry point (tsx + oclif development mode): a tsx upgrade once made commands
// silently "not found" (STYLE.md).
describe('every command answers --help through bin/dev.js', () => {
  const ids = commandIds();
  it('finds the commands', () => {
    expect(ids).toEqual(
      expect.arrayContaining([
        'stack up',
        'db migrate',
        'meters import',
        'ingest',
        'ingest status',
        'demo',
        'validate',
        'simulate',
        'status',
      ]),
    );
  });
  for (const id of ids) {
    it(`smt ${id} --help`, () => {
      const r = runCli([...id.split(' '), '--help'], {}, 60_000);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('USAGE');
      expect(r.stdout).toContain(`$ smt ${id}`);
      expect(r.stdout).toContain('EXAMPLES');
    });
  }
});

describe('usage errors', () => {
  it('exit 2 with a hint, also under --json (where oclif alone would exit 1)', () => {
    for (const args of [
      ['config', 'show', '--bogus'],
      ['config', 'show', '--json', '--bogus'],
      ['meters', 'show'],
    ]) {
      const r = runCli(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      // the hint on stderr for people, inside the JSON error object on stdout under --json
      expect(args.includes('--json') ? JSON.parse(r.stdout).error.hint : r.stderr).toMatch(/See `smt /);
    }
  });
});
