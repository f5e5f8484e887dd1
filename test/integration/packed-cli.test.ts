import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inspection } from '../../src/core/inspect/model.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

/**
 * The CLI as `npm pack` ships it (tsc, scripts/bundle.mjs, the oclif manifest: what `prepack`
 * does), built in a scratch copy of the package so the checkout's dist/ is left alone. Every
 * answer of the bundled `smt inspect` (bundled @oclif/core, bin/run.js's path for it) must be
 * the one the same build gives unbundled: help, flag errors, exit codes, the static rendering
 * and --json, on the first start (no V8 code cache yet: bin/bundle-loader.js writes it at exit)
 * and on a start from that cache. Then the cache's own rules, and the interactive first frame on a
 * terminal (a pty from script(1)) and q, from no cache and from the cache.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const METER = 'PACKED-1';
const RANGE = ['--from', '2026-03-01', '--to', '2026-03-31'];
let dir: string;
let stores: IsolatedStores;
let env: Record<string, string>;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[], extraEnv: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, ...env, NODE_OPTIONS: '', XDG_CACHE_HOME: cacheHome, ...extraEnv },
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const smt = (...args: string[]) => node([path.join(dir, 'bin/run.js'), ...args]);

/** --json says when it read the stores; the two builds ran seconds apart */
const withoutReadAt = (r: Run): Run => ({
  ...r,
  stdout: r.stdout.replace(/^ {2}"readAt": "[^"]+"$/m, '  "readAt": "…"'),
});

/** every case below, as the unbundled build answered it */
const CASES: Record<string, string[]> = {
  'smt --help': ['--help'],
  'smt --version': ['--version'],
  'smt inspect --help': ['inspect', '--help'],
  'smt help inspect': ['help', 'inspect'],
  'smt inspect (no meter)': ['inspect'],
  'smt inspect M --bogus': ['inspect', METER, '--bogus'],
  'smt inspect M --json --bogus': ['inspect', METER, '--json', '--bogus'],
  'smt inspect M --from 2026-02-30x': ['inspect', METER, '--from', '2026-02-30x'],
  'smt inspect NOPE': ['inspect', 'NOPE', ...RANGE],
  'smt inspect M (static)': ['inspect', METER, ...RANGE],
  'smt inspect M --json': ['inspect', METER, ...RANGE, '--json'],
};
const unbundled: Record<string, Run> = {};
const packed: Record<string, Run> = {};
const packedFromCache: Record<string, Run> = {};
/** XDG_CACHE_HOME of every run: the code cache goes to dir/cache/smt/v8 */
let cacheHome: string;
const v8Dir = () => path.join(cacheHome, 'smt', 'v8');
const cacheFiles = () => (existsSync(v8Dir()) ? readdirSync(v8Dir()).sort() : []);
const CACHE_NAME = (kind: 'pipe' | 'tty') =>
  new RegExp(
    `^inspect-[0-9a-f]{16}-${kind}-${process.version.replaceAll('.', '\\.')}-${process.arch}\\.cache$`,
  );

beforeAll(async () => {
  stores = await isolatedStores('packed_cli', { postgres: true, cassandra: true, clickhouse: false });
  env = { ...stores.env, SMT_STACK_DIR: process.env.SMT_STACK_DIR ?? '' };
  await migrateStores(stores.config, ['postgres', 'cassandra']);
  await seedInspectMonth(stores.config, METER);

  dir = mkdtempSync(path.join(tmpdir(), 'smt-packed-'));
  cacheHome = path.join(dir, 'cache');
  for (const f of ['package.json', 'bin', 'rules', 'data'])
    cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  mkdirSync(path.join(dir, 'scripts'));
  for (const f of ['bundle.mjs', 'oclif-manifest.mjs'])
    cpSync(path.join(ROOT, 'scripts', f), path.join(dir, 'scripts', f));
  symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
  const step = (what: string, r: Run) => {
    if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
  };
  step(
    'tsc',
    node([
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.json'),
      '--outDir',
      path.join(dir, 'dist'),
    ]),
  );
  step('the oclif manifest', node([path.join(dir, 'scripts/oclif-manifest.mjs')]));
  for (const [name, args] of Object.entries(CASES)) unbundled[name] = smt(...args);
  step('scripts/bundle.mjs', node([path.join(dir, 'scripts/bundle.mjs')]));
  for (const [name, args] of Object.entries(CASES)) packed[name] = smt(...args);
  for (const [name, args] of Object.entries(CASES)) packedFromCache[name] = smt(...args);
}, 900_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await stores?.drop();
});

describe('the packed CLI answers as the unbundled build does', () => {
  for (const name of Object.keys(CASES)) {
    it(name, () => {
      expect(withoutReadAt(packed[name]!)).toEqual(withoutReadAt(unbundled[name]!));
    });
    it(`${name}, from the code cache`, () => {
      expect(withoutReadAt(packedFromCache[name]!)).toEqual(withoutReadAt(unbundled[name]!));
    });
  }

  it('and those answers are the documented ones', () => {
    const r = packed;
    expect(r['smt --help']!.status).toBe(0);
    expect(r['smt --help']!.stdout).toMatch(/^ {2}inspect +One meter's data as a carpet plot/m);
    expect(r['smt --version']!.stdout).toMatch(/^smt\/0\.1\.0 /);
    for (const help of ['smt inspect --help', 'smt help inspect']) {
      expect(r[help]!.status).toBe(0);
      expect(r[help]!.stdout).toContain('USAGE\n  $ smt inspect METER [--json]');
    }
    expect(r['smt inspect (no meter)']).toMatchObject({ status: 2, stdout: '' });
    expect(r['smt inspect (no meter)']!.stderr).toBe(
      'Error: Missing 1 required arg:\nmeter  meter id\nSee more help with --help\nHint: See `smt inspect --help`.\n',
    );
    expect(r['smt inspect M --bogus']!.status).toBe(2);
    expect(r['smt inspect M --bogus']!.stderr).toMatch(/^Error: Nonexistent flag: --bogus\n/);
    expect(r['smt inspect M --json --bogus']!.status).toBe(2);
    expect(JSON.parse(r['smt inspect M --json --bogus']!.stdout).error).toMatchObject({
      code: 'USAGE',
      exitCode: 2,
      hint: 'See `smt inspect --help`.',
    });
    expect(r['smt inspect M --from 2026-02-30x']!.status).toBe(2);
    expect(r['smt inspect M --from 2026-02-30x']!.stderr).toMatch(
      /^Error: --from 2026-02-30x is not a date$/m,
    );
    expect(r['smt inspect NOPE']!.status).toBe(3);
    expect(r['smt inspect NOPE']!.stderr).toMatch(/^Error: meter NOPE is not registered$/m);
    const s = r['smt inspect M (static)']!;
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(new RegExp(`^meter ${METER} `));
    expect(s.stdout).toContain('complete 96.5% (2867/2972)');
    const j = r['smt inspect M --json']!;
    expect(j.status, j.stderr).toBe(0);
    expect((JSON.parse(j.stdout) as Inspection).completeness).toMatchObject({
      expected: 2972,
      present: 2867,
    });
    for (const x of Object.values(r)) expect(x.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the code cache of the packed CLI (bin/bundle-loader.js)', () => {
  const STATIC = CASES['smt inspect M (static)']!;
  const cacheFile = () => path.join(v8Dir(), cacheFiles()[0]!);
  /** an mtime no run sets: a file that still has it was not written */
  const OLD = new Date('2026-01-01T00:00:00Z');

  it('is one file for the starts through a pipe, in a directory of this user only, kept while V8 takes it', () => {
    expect(cacheFiles()).toHaveLength(1);
    expect(cacheFiles()[0]).toMatch(CACHE_NAME('pipe'));
    expect(statSync(v8Dir()).mode & 0o777).toBe(0o700);
    expect(statSync(cacheFile()).mode & 0o777).toBe(0o600);
    utimesSync(cacheFile(), OLD, OLD);
    expect(smt(...STATIC).status).toBe(0);
    expect(statSync(cacheFile()).mtimeMs).toBe(OLD.getTime());
  });

  it('is written anew when V8 rejects it, and the answer is the same', () => {
    writeFileSync(cacheFile(), 'not a code cache');
    const r = smt(...STATIC);
    expect(r).toEqual(unbundled['smt inspect M (static)']);
    expect(cacheFiles()).toHaveLength(1);
    expect(readFileSync(cacheFile()).length).toBeGreaterThan(100_000);
  });

  it('is not read from a directory others can write to', () => {
    // a good cache, which a 0700 directory keeps (the test above); here it is written anew as if
    // there were none
    utimesSync(cacheFile(), OLD, OLD);
    chmodSync(v8Dir(), 0o777);
    try {
      expect(smt(...STATIC)).toEqual(unbundled['smt inspect M (static)']);
      expect(statSync(cacheFile()).mtimeMs).not.toBe(OLD.getTime());
    } finally {
      chmodSync(v8Dir(), 0o700);
    }
  });

  it('is written only by a start that got to its output, not by help or an error', () => {
    const fresh = path.join(dir, 'cache-help');
    const run = (name: string) =>
      node([path.join(dir, 'bin/run.js'), ...CASES[name]!], { XDG_CACHE_HOME: fresh });
    expect(run('smt inspect --help').status).toBe(0);
    expect(run('smt inspect M --bogus').status).toBe(2);
    expect(run('smt inspect NOPE').status).toBe(3);
    expect(existsSync(path.join(fresh, 'smt'))).toBe(false);
    expect(node([path.join(dir, 'bin/run.js'), ...STATIC], { XDG_CACHE_HOME: fresh }).status).toBe(0);
    expect(readdirSync(path.join(fresh, 'smt', 'v8'))).toHaveLength(1);
  });

  it('costs nothing but the compile when it cannot be written, and NODE_DISABLE_COMPILE_CACHE=1 turns it off', () => {
    const file = path.join(dir, 'not-a-directory');
    writeFileSync(file, '');
    expect(smt(...STATIC).status).toBe(0);
    const r = node([path.join(dir, 'bin/run.js'), ...STATIC], { XDG_CACHE_HOME: file });
    expect(r).toEqual(unbundled['smt inspect M (static)']);
    const empty = path.join(dir, 'cache-off');
    const off = node([path.join(dir, 'bin/run.js'), ...STATIC], {
      XDG_CACHE_HOME: empty,
      NODE_DISABLE_COMPILE_CACHE: '1',
    });
    expect(off).toEqual(unbundled['smt inspect M (static)']);
    expect(existsSync(empty)).toBe(false);
  });
});

/** The command in a pseudo-terminal (script(1)): what it wrote until `until` held, then `keys`, then its exit. */
function inPty(
  args: string[],
  extraEnv: Record<string, string>,
  until: (out: string) => boolean,
  keys: string,
): Promise<{ out: string; status: number | null }> {
  const cmd = [process.execPath, path.join(dir, 'bin/run.js'), ...args].map((a) => `'${a}'`).join(' ');
  // a pty starts at 0 × 0: the size a person's terminal would have
  // a person's terminal: no CI variables (the suite runs with CI=true; Ink would hold every frame)
  const { CI: _ci, CONTINUOUS_INTEGRATION: _ci2, ...outer } = process.env;
  const p = spawn('script', ['-q', '-e', '-c', `stty cols 80 rows 24; exec ${cmd}`, '/dev/null'], {
    cwd: dir,
    env: {
      ...outer,
      ...env,
      NODE_OPTIONS: '',
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      XDG_CACHE_HOME: cacheHome,
      ...extraEnv,
    },
  });
  let out = '';
  let sent = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.kill();
      reject(new Error(`no exit within 120 s; the output:\n${out}`));
    }, 120_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (!sent && until(out)) {
        sent = true;
        p.stdin.write(keys);
      }
    });
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ out, status });
    });
  });
}

describe('the packed CLI on a terminal', () => {
  for (const start of ['first start: no code cache', 'from the code cache of the first']) {
    it(`shows the first frame on the alternate screen and q leaves it, exit 0 (${start})`, async () => {
      const r = await inPty(['inspect', METER, ...RANGE], {}, (o) => o.includes('arrows/hjkl move'), 'q');
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('\x1b[?1049h');
      expect(r.out).toContain(`meter ${METER}`);
      expect(r.out).toContain('complete 96.5% (2867/2972)');
      // the main screen back, the cursor shown, and nothing drawn after
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
      expect(r.out.slice(r.out.lastIndexOf('\x1b[?1049l'))).toMatch(/^\x1b\[\?1049l(\x1b\[\?25h)*\s*$/);
      // a start on a terminal has its own cache (it compiles Ink), beside the pipe one
      expect(cacheFiles().filter((f) => CACHE_NAME('tty').test(f))).toHaveLength(1);
    }, 180_000);
  }

  it('with CI set prints the static rendering and exits 0 instead of a full screen Ink would not draw', async () => {
    const r = await inPty(['inspect', METER, ...RANGE], { CI: 'true' }, () => false, '');
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toContain('\x1b[?1049h');
    expect(r.out).toContain('complete 96.5% (2867/2972)');
  }, 180_000);

  it('refuses DEV=true (React DevTools) with a usage error, exit 2, before Ink loads', async () => {
    const r = await inPty(['inspect', METER, ...RANGE], { DEV: 'true' }, () => false, '');
    expect(r.status, r.out).toBe(2);
    const text = r.out.replaceAll('\r\n', '\n');
    expect(text).toMatch(
      /^Error: DEV=true asks Ink for React DevTools, which the packed smt does not include/m,
    );
    expect(text).toMatch(/^Hint: Unset DEV/m);
    expect(text).not.toContain('\x1b[?1049h');
    expect(text).not.toMatch(/\n\s+at /);
  }, 180_000);
});
