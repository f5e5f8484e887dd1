import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStores } from '../../src/core/migrations/service.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

/**
 * `smt inspect` in a real terminal: tmux runs a shell, the test types the command line, drives the
 * app with send-keys and reads the screen with capture-pane, as a person at the keyboard would.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (!HAVE_TMUX && !IN_CI) {
  console.warn(
    'inspect-tmux: SKIPPED, tmux is not installed (apt-get install -y tmux); in CI this test fails instead',
  );
}

const METER = 'INSPECT-TMUX';
const socket = `smt-inspect-${randomBytes(3).toString('hex')}`;
let stores: IsolatedStores;
let dir: string;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

const screen = () => tmux('capture-pane', '-p', '-t', 'inspect');
const flag = (name: string) => tmux('display-message', '-p', '-t', 'inspect', `#{${name}}`).trim();

/** The screen once `want` holds; the last screen in the failure message otherwise. */
async function waitFor(want: (s: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let s = screen();
  while (!want(s)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen shows:\n${s}`);
    await new Promise((r) => setTimeout(r, 150));
    s = screen();
  }
  return s;
}

const keys = (...k: string[]) => tmux('send-keys', '-t', 'inspect', ...k);

describe.skipIf(!HAVE_TMUX && !IN_CI)('smt inspect in a real terminal (tmux)', () => {
  beforeAll(async () => {
    expect(HAVE_TMUX, 'tmux is required in CI: .ci/run installs it (apt-get install -y tmux)').toBe(true);
    stores = await isolatedStores('inspect_tmux');
    await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
    await seedInspectMonth(stores.config, METER);
    dir = mkdtempSync(path.join(tmpdir(), 'smt-inspect-'));
    const exports = Object.entries({ ...stores.env, SMT_STACK_DIR: process.env.SMT_STACK_DIR ?? '' })
      .map(([k, v]) => `export ${k}='${v}'`)
      .join('\n');
    writeFileSync(
      path.join(dir, 'run.sh'),
      `${exports}\ncd '${ROOT}'\nnode --import tsx --no-warnings bin/dev.js inspect ${METER} --from 2026-03-01 --to 2026-03-31\n`,
    );
    tmux(
      'new-session',
      '-d',
      '-s',
      'inspect',
      '-x',
      '100',
      '-y',
      '40',
      `env -i PATH='${process.env.PATH}' HOME='${process.env.HOME}' TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' bash --norc --noprofile`,
    );
  });

  afterAll(async () => {
    if (HAVE_TMUX) spawnSync('tmux', ['-L', socket, 'kill-server']);
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stores?.drop();
  });

  it('shows the carpet, moves between gaps, drills down, and q leaves a clean terminal', async () => {
    await waitFor((s) => s.trimEnd().endsWith('$'), 'the shell prompt');
    keys(`clear; sh ${path.join(dir, 'run.sh')}`, 'Enter');
    let s = await waitFor((x) => x.includes(`meter ${METER}`), 'the first frame', 120_000);
    expect(flag('alternate_on')).toBe('1');
    const lines = s.split('\n');
    expect(lines).toContain(`${' '.repeat(1)}Su 03-29 ${'▌'.repeat(4)}  ${'▌'.repeat(42)}    16.9`);
    expect(lines).toContain(` We 03-25 ${'_'.repeat(48)}     0.0`);
    expect(s).toContain('complete 96.5% (2867/2972)');
    expect(s).toContain('_ missing  e estimated  c corrected  x rejected  ! suspect  l late');

    keys('G');
    await waitFor((x) => x.includes('2026-03-25 00:00+01:00  no value  missing'), 'the previous gap (25th)');
    keys('G');
    s = await waitFor((x) => x.includes('2026-03-10 10:00+01:00  no value  missing'), 'the gap on the 10th');
    expect(s.split('\n').find((l) => l.startsWith('>'))).toMatch(/^>Tu 03-10 /);

    keys('Enter');
    s = await waitFor(
      (x) => x.includes('Versions (newest first)') && x.includes('ingest:smt-ingest'),
      'the drill-down',
    );
    expect(s).toContain('INSPECT-TMUX 2026-03-10: 96 intervals');
    expect(s.split('\n').find((l) => l.startsWith('10:00 +01:00'))).toMatch(
      /^10:00 \+01:00 +- +missing +missing \(no data received\)/,
    );
    keys('Escape');
    await waitFor((x) => x.includes('arrows/hjkl move'), 'the carpet again');

    keys('?');
    await waitFor((x) => x.includes('smt inspect: keys'), 'the help');
    keys('x');
    await waitFor((x) => x.includes('arrows/hjkl move'), 'the carpet after the help');

    keys('q');
    s = await waitFor(
      (x) => !x.includes(`meter ${METER}`) && x.trimEnd().endsWith('$'),
      'the shell prompt after q',
    );
    // the main screen as it was before (cleared, then the prompt), cursor visible, no alternate screen
    expect(s.split('\n').filter((l) => l.trim() !== '')).toEqual(['$']);
    expect(flag('alternate_on')).toBe('0');
    expect(flag('cursor_flag')).toBe('1');
    keys("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo", 'Enter');
    s = await waitFor((x) => /^(-?icanon)$/m.test(x) && /^(-?echo)$/m.test(x), 'the terminal modes');
    expect(s).toMatch(/^icanon$/m);
    expect(s).toMatch(/^echo$/m);
  });
});
