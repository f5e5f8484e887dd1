import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditHistoryItem, VerifyReport } from '../../src/core/audit/service.js';
import { loadConfig } from '../../src/core/config/config.js';
import { InspectSession } from '../../src/core/inspect/service.js';
import { ensureTopics, topicNames } from '../../src/core/kafka/topics.js';
import { migrateStores } from '../../src/core/migrations/service.js';
import { json, runCli } from '../helpers/cli.js';
import { seedInspectMonth } from '../helpers/inspect-seed.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';
import { ingestTopicsEnv } from '../helpers/topic-env.js';

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
/**
 * The CLI as the test types it: the sources (bin/dev.js, tsx) by default; SMT_TMUX_CLI='node
 * bin/run.js' drives the built and bundled CLI instead (`npm run build && npm run build:bundle`).
 */
const CLI = process.env.SMT_TMUX_CLI ?? 'node --import tsx --no-warnings bin/dev.js';
const socket = `smt-inspect-${randomBytes(3).toString('hex')}`;
let stores: IsolatedStores;
let dir: string;
/** the stores and this test's own Kafka topics (a correction publishes its new version) */
let env: Record<string, string>;

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

/** Text typed a character at a time. */
async function type(text: string): Promise<void> {
  for (const c of text) await step(c, true);
}

/**
 * One key, then the screen (with its attributes: a selection is shown in reverse video) changed:
 * keys typed while the app is busy arrive together and read as one unknown key, as they would for
 * a person who types ahead of a slow terminal.
 */
async function step(key: string, literal = false): Promise<void> {
  const before = tmux('capture-pane', '-p', '-e', '-t', 'inspect');
  if (literal) keys('-l', key);
  else keys(key);
  await waitFor(
    () => tmux('capture-pane', '-p', '-e', '-t', 'inspect') !== before,
    `the screen after ${key}`,
  );
}

describe.skipIf(!HAVE_TMUX && !IN_CI)('smt inspect in a real terminal (tmux)', () => {
  beforeAll(async () => {
    expect(HAVE_TMUX, 'tmux is required in CI: .ci/run installs it (apt-get install -y tmux)').toBe(true);
    stores = await isolatedStores('inspect_tmux');
    await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
    await seedInspectMonth(stores.config, METER);
    env = { ...stores.env, ...ingestTopicsEnv(randomBytes(3).toString('hex'), 'it.inspect-tmux') };
    // as for `smt correct`: the topics exist on a running platform (smt ingest creates them)
    const config = loadConfig({ env: { ...process.env, ...env } });
    await ensureTopics(config, topicNames(config));
    dir = mkdtempSync(path.join(tmpdir(), 'smt-inspect-'));
    const exports = Object.entries({ ...env, SMT_STACK_DIR: process.env.SMT_STACK_DIR ?? '' })
      .map(([k, v]) => `export ${k}='${v}'`)
      .join('\n');
    // "$@": more flags after the range (--as)
    writeFileSync(
      path.join(dir, 'run.sh'),
      `${exports}\ncd '${ROOT}'\n${CLI} inspect ${METER} --from 2026-03-01 --to 2026-03-31 "$@"\n`,
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

    await quitToCleanTerminal();
  });

  it('corrects a range over the spring-forward night: preview, y, the cells marked, the audit entry and the new versions in the stores', async () => {
    await waitFor((s) => s.trimEnd().endsWith('$'), 'the shell prompt');
    keys(`clear; sh ${path.join(dir, 'run.sh')} --as tmux-tester`, 'Enter');
    await waitFor((x) => x.includes(`meter ${METER}`), 'the first frame', 120_000);
    // the cursor starts on the last day (31st): up to the 28th, its last interval, back to 23:00;
    // v anchors the selection, down to the 29th, Home, right to 03:15 (02:00–03:00 does not exist)
    for (const k of ['k', 'k', 'k', '$', 'h', 'h', 'h', 'v', 'j', '0', ...Array(13).fill('l')]) await step(k);
    await waitFor((x) => x.includes('2026-03-29 03:15+02:00'), 'the cursor on 29 March 03:15');
    keys('c');
    let s = await waitFor((x) => flat(x).includes('New values'), 'the correction form');
    expect(flat(s)).toContain(
      `Correct ${METER} 2026-03-28 23:00+01:00 – 2026-03-29 03:15+02:00 (14 intervals on 2 days)`,
    );
    await type('0.25');
    keys('Enter');
    await waitFor((x) => flat(x).includes('Reason (required)'), 'the reason prompt');
    await type('meter swap (ticket 12)');
    keys('Enter');
    s = await waitFor(
      (x) => flat(x).includes('Apply as tmux-tester with reason "meter swap (ticket 12)"? yes / no'),
      'the preview and its question',
      120_000,
    );
    // the dry run's impact, as the person sees it before saying yes
    expect(flat(s)).toContain('Dry run: 14 of 14 interval(s) change, 0 unchanged;');
    expect(flat(s)).toContain('2026-03-28T23:00:00+01:00 0.1331 → 0.2500');
    expect(flat(s)).toContain('day 2026-03-29: 16.896 → 18.044 kWh (+1.148)');
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: env.SMT_POSTGRES_URL });
    await client.connect();
    try {
      const count = async () =>
        (await client.query(`SELECT count(*)::int AS n FROM smt.correction_sets`)).rows[0].n;
      expect(await count()).toBe(0); // the preview wrote nothing

      keys('y');
      s = await waitFor(
        (x) => flat(x).includes('Correction 1 recorded (audit entry'),
        'the confirmation',
        120_000,
      );
      expect(flat(s)).toMatch(/2026-03-28 version \d+, 2026-03-29 version \d+\. Any key: back/);
      expect(await count()).toBe(1);
    } finally {
      await client.end();
    }
    keys('Space');
    s = await waitFor((x) => x.includes('correction applied; view reloaded'), 'the reloaded carpet');
    // the corrected cells are marked c: 23:00–24:00 on the 28th (its last two characters at two
    // intervals a character), 00:00–02:00 and 03:00–03:30 on the 29th around the missing hour
    const row = (day: string) => s.split('\n').find((l) => l.slice(1, 9) === day) ?? '';
    expect(row('Sa 03-28').slice(10, 58)).toMatch(/cc$/);
    expect(row('Sa 03-28').slice(10, 56)).not.toContain('c');
    expect(row('Su 03-29').slice(10, 58)).toMatch(/^cccc {2}c[^c]/);
    expect(s).toContain('c corrected');
    // a: the correction as `smt audit` lists it (the same service), with its audit entry; at 100
    // columns the reason, last on its line, is what the width cuts
    keys('a');
    s = await waitFor(
      (x) => x.includes(`Audit history of ${METER}`) && x.includes('#1 '),
      'the audit history',
    );
    expect(s).toMatch(/^#1 \d{4}-\d\d-\d\dT\d\d:\d\dZ tmux-tester value \{"value":0\.25\} 14 intervals\s*$/m);
    expect(s).toMatch(
      /^ {3}2026-03-28T22:00Z → 2026-03-29T01:30Z · audit entry \d+ [0-9a-f]{12}… · reason: meter swap \(ticket…\s*$/m,
    );
    keys('x');
    await waitFor((x) => x.includes('arrows/hjkl move'), 'the carpet after the audit history');
    await quitToCleanTerminal();

    // against the real stores: the correction set with its audit entry, the chain, the new versions
    const audit = runCli(['audit', METER, '--json'], env);
    expect(audit.status, audit.stderr).toBe(0);
    expect(json<AuditHistoryItem[]>(audit)).toMatchObject([
      {
        correctionId: 1,
        operator: 'tmux-tester',
        operation: 'value',
        parameters: { value: 0.25 },
        reason: 'meter swap (ticket 12)',
        intervals: 14,
        rangeStart: '2026-03-28T22:00:00.000Z',
        rangeEnd: '2026-03-29T01:30:00.000Z',
      },
    ]);
    expect(json<AuditHistoryItem[]>(audit)[0]!.entryHash).toMatch(/^[0-9a-f]{64}$/);
    const verify = runCli(['audit', 'verify', '--json'], env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(json<VerifyReport>(verify)).toMatchObject({ ok: true, verified: 1, firstBroken: null });
    const session = await InspectSession.open(stores.config, METER);
    try {
      for (const [day, changed] of [
        ['2026-03-28', 4],
        ['2026-03-29', 10],
      ] as const) {
        const [newest] = await session.versions(day);
        expect(newest).toMatchObject({
          changed,
          writer: 'correction:tmux-tester',
          reason: 'meter swap (ticket 12)',
        });
        expect(newest!.supersedes).not.toBeNull();
      }
    } finally {
      await session.close();
    }
  }, 300_000);
});

/** the correction box's borders and line breaks out of the way */
const flat = (s: string) => s.replace(/[│|\s]+/g, ' ');

/** q: the main screen as it was before (cleared, then the prompt), cursor visible, no alternate screen, cooked mode */
async function quitToCleanTerminal() {
  keys('q');
  let s = await waitFor(
    (x) => !x.includes(`meter ${METER}`) && x.trimEnd().endsWith('$'),
    'the shell prompt after q',
  );
  expect(s.split('\n').filter((l) => l.trim() !== '')).toEqual(['$']);
  expect(flag('alternate_on')).toBe('0');
  expect(flag('cursor_flag')).toBe('1');
  keys("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo", 'Enter');
  s = await waitFor((x) => /^(-?icanon)$/m.test(x) && /^(-?echo)$/m.test(x), 'the terminal modes');
  expect(s).toMatch(/^icanon$/m);
  expect(s).toMatch(/^echo$/m);
  keys('clear', 'Enter');
}
