import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { SmtConfig } from '../config/config.js';
import { ExitCode, errorMessage, ServiceUnavailableError, SmtError, UsageError } from '../errors.js';
import { cassandra } from './cassandra.js';
import { clickhouse } from './clickhouse.js';
import { probeServices } from './health.js';
import { kafka } from './kafka.js';
import { StackPaths } from './paths.js';
import { describePortOwner } from './port-owner.js';
import { isLoopback, stackEndpoints, stackPorts } from './ports.js';
import { postgres, postgresDataTarget } from './postgres.js';
import { AptInstaller } from './prereq.js';
import {
  cmdline,
  isAlive,
  portInUse,
  readPidFile,
  removeFile,
  rssBytes,
  type StopOutcome,
  writePidFile,
} from './proc.js';
import { Lock, readState, type StackContext, type StackService, writeState } from './service.js';
import { SERVICE_NAMES, type ServiceName } from './services.js';
import { withStackLock } from './stack-lock.js';

export const STACK_SERVICES: Record<ServiceName, StackService> = { postgres, clickhouse, kafka, cassandra };

export type ProgressFn = (message: string) => void;

export function createStackContext(config: SmtConfig, onProgress: ProgressFn = () => {}): StackContext {
  const endpoints = stackEndpoints(config);
  return {
    config,
    paths: new StackPaths(config.stackDir()),
    endpoints,
    ports: stackPorts(endpoints),
    apt: new AptInstaller(onProgress),
    mavenLock: new Lock(),
    info: onProgress,
  };
}

function hostOf(ctx: StackContext, s: ServiceName): string {
  return ctx.endpoints[s].host;
}

/** PID of this stack's server for the service, or undefined; a stale PID file is removed when `clean`. */
export function managedPid(ctx: StackContext, s: ServiceName, clean = false): number | undefined {
  const file = ctx.paths.pidFile(s);
  const pid = readPidFile(file);
  if (pid === undefined) return undefined;
  if (isAlive(pid) && cmdline(pid).includes(STACK_SERVICES[s].marker(ctx))) return pid;
  if (clean) removeFile(file);
  return undefined;
}

// ---------------------------------------------------------------------------------------------- up

export type UpAction = 'started' | 'alreadyRunning' | 'external' | 'notWaited';

export interface ServiceUpResult {
  service: ServiceName;
  /** `external`: something answers on the configured port that this stack did not start */
  action: UpAction;
  pid: number | null;
  port: number;
  version: string | null;
  /** from launch to the first successful query */
  readyMs: number | null;
  logFile: string;
}

export interface StackUpResult {
  stackDir: string;
  /** nothing had to be started */
  alreadyUp: boolean;
  elapsedMs: number;
  services: ServiceUpResult[];
}

export interface StackUpOptions {
  services?: readonly ServiceName[];
  /** false: return once launched, without waiting for readiness */
  wait?: boolean;
  onProgress?: ProgressFn;
  /** overrides of each service's readiness timeout */
  readyTimeoutMs?: Partial<Record<ServiceName, number>>;
  /**
   * use a service that answers on its port but that this stack did not start (docker compose);
   * without it such a port is an error naming the process, never silently adopted
   */
  allowExternal?: boolean;
}

export async function stackUp(config: SmtConfig, options: StackUpOptions = {}): Promise<StackUpResult> {
  const started = Date.now();
  const info = options.onProgress ?? (() => {});
  const ctx = createStackContext(config, info);
  const selected = SERVICE_NAMES.filter((s) => (options.services ?? SERVICE_NAMES).includes(s));
  for (const s of selected) {
    if (!isLoopback(hostOf(ctx, s))) {
      throw new UsageError(
        `${s} is configured at ${hostOf(ctx, s)}, not on this machine; smt stack only runs local services`,
        `Leave ${s} out with --services, or point its address at 127.0.0.1.`,
      );
    }
  }
  mkdirSync(ctx.paths.root, { recursive: true });
  return withStackLock(ctx.paths.root, () => upLocked(ctx, config, selected, options, started), {
    onWait: waitingFor(ctx),
  });
}

async function upLocked(
  ctx: StackContext,
  config: SmtConfig,
  selected: ServiceName[],
  options: StackUpOptions,
  started: number,
): Promise<StackUpResult> {
  const info = ctx.info;
  const pids = new Map<ServiceName, number>();
  for (const s of selected) {
    const pid = managedPid(ctx, s, true);
    if (pid !== undefined) pids.set(s, pid);
  }
  const probes = new Map(
    (await probeServices(config, selected, { timeoutMs: 3000 })).map((p) => [p.service, p]),
  );
  const results = new Map<ServiceName, ServiceUpResult>();
  const base = (s: ServiceName) => ({
    service: s,
    port: STACK_SERVICES[s].ports(ctx)[0]!,
    logFile: ctx.paths.logFile(s),
  });
  for (const s of selected) {
    const probe = probes.get(s)!;
    if (!probe.reachable) continue;
    const pid = pids.get(s) ?? null;
    if (pid === null && !options.allowExternal) {
      const port = STACK_SERVICES[s].ports(ctx)[0]!;
      throw new ServiceUnavailableError(
        s,
        `port ${port} answers as ${s} (${probe.version}) but this stack (${ctx.paths.root}) did not start it: ${describePortOwner(port)}`,
        {
          retriable: false,
          code: 'STACK_PORT_TAKEN',
          hint: `If it is yours (docker compose, another checkout), pass --allow-external to use it; otherwise stop it, or move ${s} to another port in the configuration.`,
        },
      );
    }
    const state = pid === null ? undefined : readState(ctx.paths.stateFile(s));
    results.set(s, {
      ...base(s),
      action: pid === null ? 'external' : 'alreadyRunning',
      pid,
      version: displayVersion(s, probe.version, state?.version),
      readyMs: null,
    });
  }
  const pending = selected.filter((s) => !results.has(s));
  if (pending.length === 0) {
    info(`stack already up (${selected.join(', ')}); nothing to do`);
    return {
      stackDir: ctx.paths.root,
      alreadyUp: true,
      elapsedMs: Date.now() - started,
      services: selected.map((s) => results.get(s)!),
    };
  }
  for (const s of selected)
    if (results.has(s))
      info(`${s}: already running${results.get(s)!.pid === null ? ' (not started by this stack)' : ''}`);

  const wait = options.wait ?? true;
  const outcomes = await Promise.allSettled(
    pending.map(async (s): Promise<ServiceUpResult> => {
      const svc = STACK_SERVICES[s];
      let pid = pids.get(s);
      let launchedAt = Date.now();
      let installedVersion = pid === undefined ? undefined : readState(ctx.paths.stateFile(s))?.version;
      if (pid === undefined) {
        for (const port of svc.ports(ctx)) {
          if (await portInUse(port)) {
            throw new ServiceUnavailableError(
              s,
              `port ${port} is taken by another process, and it does not answer as ${s}: ${describePortOwner(port)}`,
              {
                hint: `Find it with \`ss -ltnp 'sport = :${port}'\` and stop it, or move ${s} to another port in the configuration.`,
                retriable: false,
              },
            );
          }
        }
        const installed = await svc.install(ctx);
        installedVersion = installed.version;
        mkdirSync(ctx.paths.logs(s), { recursive: true });
        info(
          `${s}: starting ${installed.version ? `${installed.version} ` : ''}on port ${svc.ports(ctx).join('/')}`,
        );
        launchedAt = Date.now();
        pid = await svc.start(ctx, installed);
        writePidFile(ctx.paths.pidFile(s), pid);
        writeState(ctx.paths.stateFile(s), {
          version: installed.version ?? null,
          pid,
          ports: svc.ports(ctx),
          startedAt: new Date().toISOString(),
        });
      } else {
        info(`${s}: process ${pid} is up but not answering yet; waiting for it`);
      }
      if (!wait) return { ...base(s), action: 'notWaited', pid, version: null, readyMs: null };
      const ready = await svc.waitReady(ctx, pid, options.readyTimeoutMs?.[s] ?? svc.readyTimeoutMs);
      const readyMs = Date.now() - launchedAt;
      const state = readState(ctx.paths.stateFile(s));
      // a server whose version only shows once it runs (ClickHouse) gets it recorded now
      if (state && state.version === null && ready.version)
        writeState(ctx.paths.stateFile(s), { ...state, version: ready.version });
      info(`${s}: ready in ${(readyMs / 1000).toFixed(1)} s (${ready.version})`);
      return {
        ...base(s),
        action: 'started',
        pid,
        version: displayVersion(s, ready.version, installedVersion),
        readyMs,
      };
    }),
  );
  const failures: { service: ServiceName; error: unknown }[] = [];
  outcomes.forEach((o, i) => {
    const s = pending[i]!;
    if (o.status === 'fulfilled') results.set(s, o.value);
    else failures.push({ service: s, error: o.reason });
  });
  if (failures.length > 0) throw combineFailures(failures);
  return {
    stackDir: ctx.paths.root,
    alreadyUp: false,
    elapsedMs: Date.now() - started,
    services: selected.map((s) => results.get(s)!),
  };
}

/** Kafka cannot tell its exact release over the wire; the stack knows which jars it started. */
function displayVersion(
  s: ServiceName,
  probed: string | null,
  started: string | null | undefined,
): string | null {
  return s === 'kafka' && started ? started : (probed ?? started ?? null);
}

function combineFailures(failures: { service: ServiceName; error: unknown }[]): SmtError {
  if (failures.length === 1 && failures[0]!.error instanceof SmtError) return failures[0]!.error;
  const exitCode = failures.every(
    (f) => f.error instanceof SmtError && f.error.exitCode === ExitCode.prerequisite,
  )
    ? ExitCode.prerequisite
    : ExitCode.unavailable;
  const hints = failures
    .map((f) => (f.error instanceof SmtError ? f.error.hint : undefined))
    .filter((h): h is string => !!h);
  return new SmtError(
    `${failures.map((f) => f.service).join(', ')} did not start:\n${failures.map((f) => `- ${errorMessage(f.error)}`).join('\n')}`,
    {
      exitCode,
      code: 'STACK_START_FAILED',
      hint: [...new Set(hints)].join(' ') || 'See the log lines above.',
      cause: failures[0]!.error,
    },
  );
}

// -------------------------------------------------------------------------------------------- down

export type DownAction = 'stopped' | 'killed' | 'notRunning';

export interface ServiceDownResult {
  service: ServiceName;
  /** `killed`: it ignored the graceful signal and got SIGKILL after the timeout */
  action: DownAction;
  pid: number | null;
  purged: boolean;
}

export interface StackDownResult {
  stackDir: string;
  elapsedMs: number;
  services: ServiceDownResult[];
}

export interface StackDownOptions {
  services?: readonly ServiceName[];
  /** also delete each service's data, logs and configuration (never the download cache) */
  purge?: boolean;
  onProgress?: ProgressFn;
}

export async function stackDown(config: SmtConfig, options: StackDownOptions = {}): Promise<StackDownResult> {
  const started = Date.now();
  const info = options.onProgress ?? (() => {});
  const ctx = createStackContext(config, info);
  const selected = SERVICE_NAMES.filter((s) => (options.services ?? SERVICE_NAMES).includes(s));
  const stopAll = () =>
    Promise.all(
      selected.map(async (s): Promise<ServiceDownResult> => {
        const pid = managedPid(ctx, s, true) ?? null;
        let action: DownAction = 'notRunning';
        if (pid !== null) {
          info(`${s}: stopping pid ${pid}`);
          const outcome: StopOutcome = await STACK_SERVICES[s].stop(ctx, pid);
          action = outcome;
          if (outcome === 'killed') info(`${s}: did not stop in time; killed`);
          removeFile(ctx.paths.pidFile(s));
        }
        let purged = false;
        if (options.purge) {
          const target = s === 'postgres' ? postgresDataTarget(ctx.paths.data('postgres')) : undefined;
          if (target) rmSync(target, { recursive: true, force: true });
          rmSync(ctx.paths.service(s), { recursive: true, force: true });
          purged = true;
        }
        return { service: s, action, pid, purged };
      }),
    );
  // no stack directory: nothing was ever started here, and no lock to take
  const services = existsSync(ctx.paths.root)
    ? await withStackLock(ctx.paths.root, stopAll, { onWait: waitingFor(ctx) })
    : await stopAll();
  return { stackDir: ctx.paths.root, elapsedMs: Date.now() - started, services };
}

function waitingFor(ctx: StackContext): (pid: number) => void {
  return (pid) => ctx.info(`waiting for another smt stack command (pid ${pid}) on ${ctx.paths.root}`);
}

// ------------------------------------------------------------------------------------------ status

export type Health = 'up' | 'unhealthy' | 'down';

export interface ServiceStatus {
  service: ServiceName;
  /** up: answers a real query; unhealthy: our process runs but does not answer; down: neither */
  health: Health;
  version: string | null;
  port: number;
  ports: number[];
  /** PID of this stack's process; null when not running or not started by `smt stack up` */
  pid: number | null;
  /** resident memory of that process (VmRSS), not counting children */
  rssBytes: number | null;
  latencyMs: number;
  error: string | null;
  logFile: string;
}

export interface StackStatusResult {
  stackDir: string;
  allUp: boolean;
  services: ServiceStatus[];
}

export async function stackStatus(
  config: SmtConfig,
  options: { services?: readonly ServiceName[] } = {},
): Promise<StackStatusResult> {
  const ctx = createStackContext(config);
  const selected = SERVICE_NAMES.filter((s) => (options.services ?? SERVICE_NAMES).includes(s));
  const probes = await probeServices(config, selected, { timeoutMs: 5000 });
  const services = probes.map((probe): ServiceStatus => {
    const s = probe.service;
    const pid = managedPid(ctx, s) ?? null;
    const state = readState(ctx.paths.stateFile(s));
    // Kafka cannot tell its exact release over the wire; the stack knows which jars it started
    return {
      service: s,
      health: probe.reachable ? 'up' : pid !== null ? 'unhealthy' : 'down',
      version: displayVersion(s, probe.version, pid !== null ? state?.version : undefined),
      port: STACK_SERVICES[s].ports(ctx)[0]!,
      ports: STACK_SERVICES[s].ports(ctx),
      pid,
      rssBytes: pid !== null ? (rssBytes(pid) ?? null) : null,
      latencyMs: probe.latencyMs,
      error: probe.error ?? null,
      logFile: ctx.paths.logFile(s),
    };
  });
  return { stackDir: ctx.paths.root, allUp: services.every((s) => s.health === 'up'), services };
}
