/**
 * npm run bench:inspect [-- --runs 20] [--node24 <path to a Node 24 binary>]
 *
 * `smt inspect` on a meter-month (March 2026, 2,972 intervals with its DST day) on the local stack,
 * in a throwaway PostgreSQL database / Cassandra keyspace:
 *   1. in-process: open the session (registry lookup, connections), prefetch the month (one series
 *      query + one PostgreSQL round trip), build the model, Ink's first frame; p50/p99 per step;
 *   2. the CLI as users run it (`node bin/run.js` from a packed build: tsc, scripts/bundle.mjs,
 *      oclif.manifest.json — what `prepack` does; the bench builds it) in a real terminal (tmux):
 *      time from typing Enter to the header on screen (cold process start to first frame), polled
 *      every 5 ms; the static rendering (no TTY) from spawn to exit, and its CPU (user + system:
 *      the figure a loaded machine changes least). In tmux too, from inside the CLI
 *      (bench/first-frame-probe.mjs, preloaded): its CPU and the time since its start when it
 *      writes the first frame. Once more with tsc's output unbundled, for the comparison, and with
 *      --node24 the packed CLI once more on that Node. Each build starts with an empty V8 code cache
 *      (bin/bundle-loader.js, XDG_CACHE_HOME in a scratch dir): the uncounted first run of each
 *      series writes it and is reported alone (`firstStartNoCodeCache`). The manifest is removed
 *      afterwards; dist/ is left bundled, as packed.
 * Target (issue 11): first frame < 500 ms. Prints a table and writes bench/results/inspect.json.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const n24 = process.argv.indexOf('--node24');
const NODE24 = n24 >= 0 ? process.argv[n24 + 1] : undefined;
const METER = 'BENCH-INSPECT';
const FROM = '2026-03-01';
const TO = '2026-03-31';
const pause = new Int32Array(new SharedArrayBuffer(4));
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

function terminal(cliEnv: Record<string, string>, node = process.execPath) {
  if (spawnSync('tmux', ['-V']).status !== 0) return { skipped: 'tmux is not installed' };
  const socket = `smt-bench-${randomBytes(3).toString('hex')}`;
  // the packed CLI's V8 code cache (bin/bundle-loader.js) starts empty for each build measured:
  // the uncounted first run of each series writes it, as a user's first start after an install
  const cacheHome = mkdtempSync(path.join(os.tmpdir(), `${socket}-cache-`));
  const env = { ...cliEnv, XDG_CACHE_HOME: cacheHome };
  const tmux = (...a: string[]) => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' }).stdout;
  const probeOut = path.join(os.tmpdir(), `${socket}.frames`);
  const probe = {
    NODE_OPTIONS: `--import=${path.join(ROOT, 'bench/first-frame-probe.mjs')}`,
    SMT_BENCH_FRAME_MARK: METER,
    SMT_BENCH_FRAME_OUT: probeOut,
  };
  const envs = Object.entries({ ...env, ...probe }).map(([k, v]) => `${k}='${v}'`);
  const cmd = `env ${envs.join(' ')} LANG=C.UTF-8 '${node}' ${path.join(ROOT, 'bin/run.js')} inspect ${METER} --from ${FROM} --to ${TO}`;
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
        // a pause between polls: a busy loop of tmux calls would take one of the two cores
        if (!seen) Atomics.wait(pause, 0, 0, 5);
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
  // the warm-up run's line first: the start without a code cache
  const [cold, ...probed] = readFileSync(probeOut, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));
  rmSync(probeOut, { force: true });
  const staticRun: number[] = [];
  const staticCpu: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    // bash's `times`: the CPU of the node process it waited for (user and system, 2nd line)
    const p = spawnSync(
      'bash',
      [
        '-c',
        `'${node}' '${path.join(ROOT, 'bin/run.js')}' inspect ${METER} --from ${FROM} --to ${TO} >/dev/null && times`,
      ],
      { env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    const ms = performance.now() - t0;
    if (p.status !== 0) throw new Error(`static run failed: ${p.stderr}`);
    const [user, sys] = [...(p.stdout.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map(
      (m) => (Number(m[1]) * 60 + Number(m[2])) * 1000,
    );
    staticRun.push(ms);
    staticCpu.push((user ?? Number.NaN) + (sys ?? Number.NaN));
  }
  rmSync(cacheHome, { recursive: true, force: true });
  // the first static run wrote the cache of starts through a pipe
  const staticCpuNoCache = staticCpu.shift()!;
  staticRun.shift();
  return {
    node: spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    firstFrameInTmux: stats(firstFrame),
    firstFrameCpu: stats(probed.map(([cpu]) => cpu!)),
    firstFrameSinceProcessStart: stats(probed.map(([, ms]) => ms!)),
    staticRenderingSpawnToExit: stats(staticRun),
    staticRenderingCpu: stats(staticCpu),
    // one run each: the first start of a build (the packed CLI then compiles and writes its code cache)
    firstStartNoCodeCache: {
      firstFrameCpu: round(cold?.[0] ?? Number.NaN),
      firstFrameSinceProcessStart: round(cold?.[1] ?? Number.NaN),
      staticRenderingCpu: round(staticCpuNoCache),
    },
  };
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
    const cliEnv = { ...stores.env, SMT_STACK_DIR: process.env.SMT_STACK_DIR ?? '' };
    const node = (...args: string[]) => {
      const p = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`${args.join(' ')} failed: ${p.stderr}`);
    };
    const manifest = path.join(ROOT, 'oclif.manifest.json');
    const hadManifest = existsSync(manifest);
    let unbundled: ReturnType<typeof terminal>;
    let packed: ReturnType<typeof terminal>;
    let packedNode24: ReturnType<typeof terminal> | undefined;
    try {
      log('building (tsc) and writing the oclif manifest…');
      node(path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json');
      node(path.join(ROOT, 'scripts/oclif-manifest.mjs'));
      log('the CLI, tsc output unbundled, in tmux…');
      unbundled = terminal(cliEnv);
      log('the CLI as packed (bundled), in tmux…');
      node(path.join(ROOT, 'scripts/bundle.mjs'));
      packed = terminal(cliEnv);
      if (NODE24) {
        log(`the CLI as packed on ${NODE24}, in tmux…`);
        packedNode24 = terminal(cliEnv, NODE24);
      }
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
      // both with the oclif manifest; `packed` is what users run
      cliMs: { packed, unbundled, ...(packedNode24 ? { packedNode24 } : {}) },
    };
    console.table({
      'open session': inproc.open,
      'prefetch + model': inproc.prefetchAndModel,
      'first Ink render': inproc.firstRender,
      'in-process total': inproc.total,
      'in-process total, Node CPU': inproc.nodeCpuTotal,
      ...('firstFrameInTmux' in packed
        ? {
            'CLI as packed, tmux: Enter → frame': packed.firstFrameInTmux,
            'CLI as packed, tmux: CPU at frame': packed.firstFrameCpu,
            'CLI as packed, tmux: process start → frame': packed.firstFrameSinceProcessStart,
            'CLI as packed, static: spawn → exit': packed.staticRenderingSpawnToExit,
            'CLI as packed, static: CPU': packed.staticRenderingCpu,
            'CLI as packed, first start (no code cache): CPU at frame': {
              p50: packed.firstStartNoCodeCache?.firstFrameCpu,
            },
          }
        : {}),
      ...(packedNode24 && 'firstFrameInTmux' in packedNode24
        ? {
            [`CLI as packed, ${packedNode24.node}, tmux: Enter → frame`]: packedNode24.firstFrameInTmux,
            [`CLI as packed, ${packedNode24.node}, tmux: CPU at frame`]: packedNode24.firstFrameCpu,
            [`CLI as packed, ${packedNode24.node}, static: spawn → exit`]:
              packedNode24.staticRenderingSpawnToExit,
          }
        : {}),
      ...('firstFrameInTmux' in unbundled
        ? {
            'CLI unbundled, tmux: Enter → frame': unbundled.firstFrameInTmux,
            'CLI unbundled, static: spawn → exit': unbundled.staticRenderingSpawnToExit,
            'CLI unbundled, static: CPU': unbundled.staticRenderingCpu,
          }
        : {}),
    });
    if ('skipped' in packed) log(`CLI figures skipped: ${packed.skipped}`);
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
