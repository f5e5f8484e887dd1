/**
 * npm run bench:inspect [-- --runs 20]
 *
 * `smt inspect` on a meter-month (March 2026, 2,972 intervals with its DST day) on the local stack,
 * in a throwaway PostgreSQL database / Cassandra keyspace:
 *   1. in-process: open the session (registry lookup, connections), prefetch the month (one series
 *      query + one PostgreSQL round trip), build the model, Ink's first frame; p50/p99 per step;
 *   2. the built CLI (`node bin/run.js`, run `npm run build` first) in a real terminal (tmux): time
 *      from typing Enter to the header on screen (cold process start to first frame), polled every
 *      5 ms; and the static rendering (no TTY) from spawn to exit — once as the source tree is
 *      (no oclif manifest: oclif imports every command module to find one) and once as packed
 *      (oclif.manifest.json written by scripts/oclif-manifest.mjs, removed afterwards).
 * Target (issue 11): first frame < 500 ms. Prints a table and writes bench/results/inspect.json.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { InspectSession } from '../src/core/inspect/service.js';
import { migrateStores } from '../src/core/migrations/service.js';
import { InspectApp } from '../src/ui/inspect/InspectApp.js';
import { seedInspectMonth } from '../test/helpers/inspect-seed.js';
import { isolatedStores } from '../test/helpers/isolated-stores.js';
import { percentile } from './process-stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 20;
const METER = 'BENCH-INSPECT';
const FROM = '2026-03-01';
const TO = '2026-03-31';
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const round = (x: number) => Math.round(x * 10) / 10;
const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(Math.max(...xs)),
  };
};

async function inProcess(config: Parameters<typeof InspectSession.open>[0]) {
  const open: number[] = [];
  const load: number[] = [];
  const frame: number[] = [];
  const total: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < RUNS + 2; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const session = await InspectSession.open(config, METER);
    const t1 = performance.now();
    const ins = await session.load(FROM, TO);
    const t2 = performance.now();
    const app = render(
      createElement(InspectApp, {
        initial: ins,
        mode: 'unicode',
        size: { columns: 80, rows: 24 },
        backend: {
          versions: (d) => session.versions(d),
          audit: () => session.audit(),
          corrections: session.corrections({ operator: 'bench', allowClosed: false }),
          reload: () => session.load(FROM, TO),
        },
      }),
    );
    if (!app.lastFrame()?.includes(`meter ${METER}`))
      throw new Error('the first frame does not show the meter');
    const t3 = performance.now();
    const c = process.cpuUsage(c0);
    app.unmount();
    await session.close();
    if (r < 2) continue; // warm-up: module loading, prepared statements
    open.push(t1 - t0);
    load.push(t2 - t1);
    frame.push(t3 - t2);
    total.push(t3 - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return {
    open: stats(open),
    prefetchAndModel: stats(load),
    firstRender: stats(frame),
    total: stats(total),
    // this process's CPU for the whole start: what the wall-clock figures would be on an idle machine, minus the stores' share
    nodeCpuTotal: stats(cpu),
  };
}

function terminal(env: Record<string, string>) {
  if (spawnSync('tmux', ['-V']).status !== 0) return { skipped: 'tmux is not installed' };
  if (!existsSync(path.join(ROOT, 'dist/commands/inspect.js')))
    return { skipped: 'not built: run `npm run build`' };
  const socket = `smt-bench-${randomBytes(3).toString('hex')}`;
  const tmux = (...a: string[]) => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' }).stdout;
  const envs = Object.entries(env).map(([k, v]) => `${k}='${v}'`);
  const cmd = `env ${envs.join(' ')} LANG=C.UTF-8 node ${path.join(ROOT, 'bin/run.js')} inspect ${METER} --from ${FROM} --to ${TO}`;
  const firstFrame: number[] = [];
  try {
    tmux('new-session', '-d', '-s', 'b', '-x', '80', '-y', '24', 'bash --norc --noprofile');
    for (let r = 0; r < Math.min(RUNS, 5) + 1; r++) {
      // type only at a prompt: keys sent while the shell starts are lost
      const tp = performance.now();
      while (
        !/[$#] *$/.test(tmux('capture-pane', '-p', '-t', 'b').trimEnd()) &&
        performance.now() - tp < 30_000
      );
      tmux('send-keys', '-t', 'b', `clear; ${cmd}`);
      const t0 = performance.now();
      tmux('send-keys', '-t', 'b', 'Enter');
      let seen = false;
      while (!seen && performance.now() - t0 < 60_000) {
        seen = tmux('capture-pane', '-p', '-t', 'b').includes(`meter ${METER}`);
      }
      const ms = performance.now() - t0;
      if (!seen)
        throw new Error(`no first frame within 60 s; the screen:\n${tmux('capture-pane', '-p', '-t', 'b')}`);
      if (r > 0) firstFrame.push(ms);
      tmux('send-keys', '-t', 'b', 'q');
      const t1 = performance.now();
      while (
        tmux('capture-pane', '-p', '-t', 'b').includes(`meter ${METER}`) &&
        performance.now() - t1 < 10_000
      );
    }
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
  const staticRun: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const p = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/run.js'), 'inspect', METER, '--from', FROM, '--to', TO],
      {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      },
    );
    if (p.status !== 0) throw new Error(`static run failed: ${p.stderr}`);
    staticRun.push(performance.now() - t0);
  }
  return { firstFrameInTmux: stats(firstFrame), staticRenderingSpawnToExit: stats(staticRun) };
}

async function main() {
  const stores = await isolatedStores('bench_inspect', {
    postgres: true,
    cassandra: true,
    clickhouse: false,
  });
  try {
    log('migrating and seeding one meter-month…');
    await migrateStores(stores.config, ['postgres', 'cassandra']);
    await seedInspectMonth(stores.config, METER);
    log(`in-process first frame, ${RUNS} runs…`);
    const inproc = await inProcess(stores.config);
    log(`in-process: ${JSON.stringify(inproc)}`);
    log('the built CLI in tmux…');
    const cliEnv = { ...stores.env, SMT_STACK_DIR: process.env.SMT_STACK_DIR ?? '' };
    const manifest = path.join(ROOT, 'oclif.manifest.json');
    const hadManifest = existsSync(manifest);
    if (hadManifest) rmSync(manifest);
    const cli = terminal(cliEnv);
    log('the built CLI in tmux, with the oclif manifest (as packed)…');
    spawnSync(process.execPath, [path.join(ROOT, 'scripts/oclif-manifest.mjs')], { cwd: ROOT });
    let packed: ReturnType<typeof terminal>;
    try {
      packed = terminal(cliEnv);
    } finally {
      if (!hadManifest) rmSync(manifest, { force: true });
    }
    const result = {
      bench: 'inspect',
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model ?? '',
        node: process.version,
        loadavg: os.loadavg(),
      },
      workload: { meter: METER, from: FROM, to: TO, intervals: 2972, runs: RUNS },
      targetMs: 500,
      inProcessMs: inproc,
      cliMs: { withoutManifest: cli, withManifest: packed },
    };
    console.table({
      'open session': inproc.open,
      'prefetch + model': inproc.prefetchAndModel,
      'first Ink render': inproc.firstRender,
      'in-process total': inproc.total,
      'in-process total, Node CPU': inproc.nodeCpuTotal,
      ...('firstFrameInTmux' in cli
        ? {
            'CLI in tmux: Enter → frame': cli.firstFrameInTmux,
            'CLI static: spawn → exit': cli.staticRenderingSpawnToExit,
          }
        : {}),
      ...('firstFrameInTmux' in packed
        ? {
            'CLI + manifest in tmux: Enter → frame': packed.firstFrameInTmux,
            'CLI + manifest static: spawn → exit': packed.staticRenderingSpawnToExit,
          }
        : {}),
    });
    if ('skipped' in cli) log(`CLI figures skipped: ${cli.skipped}`);
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/inspect.json'), `${JSON.stringify(result, null, 2)}\n`);
    spawnSync(
      path.join(ROOT, 'node_modules/.bin/biome'),
      ['format', '--write', 'bench/results/inspect.json'],
      { cwd: ROOT },
    );
  } finally {
    await stores.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
