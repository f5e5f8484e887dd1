import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SmtConfig } from '../config/config.js';
import { ServiceUnavailableError } from '../errors.js';
import { type ProbeOptions, type ProbeResult, probeService } from './health.js';
import type { StackPaths } from './paths.js';
import type { StackEndpoints, StackPorts } from './ports.js';
import type { AptInstaller } from './prereq.js';
import { isAlive, type StopOutcome, tailFile } from './proc.js';
import type { ServiceName } from './services.js';

export interface StackContext {
  config: SmtConfig;
  paths: StackPaths;
  endpoints: StackEndpoints;
  ports: StackPorts;
  apt: AptInstaller;
  /** one Maven at a time: parallel runs racing on the same ~/.m2 files can corrupt it */
  mavenLock: Lock;
  info(message: string): void;
}

export interface Installed {
  /** undefined when only the running server can tell (ClickHouse) */
  version?: string;
  /** the binary or classpath directory that start() uses */
  home: string;
}

/** Written next to the data after a start, read by `stack status`. */
export interface ServiceState {
  version: string | null;
  pid: number;
  ports: number[];
  startedAt: string;
}

/** What the orchestrator needs from each service; everything lives under the stack directory. */
export interface StackService {
  readonly name: ServiceName;
  /** how long a cold start may take on 2 busy cores */
  readonly readyTimeoutMs: number;
  /** the client-facing port first */
  ports(ctx: StackContext): number[];
  /**
   * A substring of our server's command line. A PID file whose process lacks it is stale (the PID
   * was reused), and it also tells this checkout's server from another checkout's.
   */
  marker(ctx: StackContext): string;
  /** binaries and jars, installed or fetched when missing; idempotent */
  install(ctx: StackContext): Promise<Installed>;
  /** write configuration, initialise data if needed, launch; returns the process-group leader's PID */
  start(ctx: StackContext, installed: Installed): Promise<number>;
  /** resolves with the probe once the service answers a real query; throws with the log tail otherwise */
  waitReady(ctx: StackContext, pid: number, timeoutMs: number): Promise<ProbeResult>;
  /** graceful stop of the whole process group, SIGKILL after a timeout */
  stop(ctx: StackContext, pid: number): Promise<StopOutcome>;
}

export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => {});
    return next;
  }
}

export const LOG_TAIL_LINES = 40;

export function startFailure(ctx: StackContext, service: ServiceName, what: string): ServiceUnavailableError {
  const log = ctx.paths.logFile(service);
  return new ServiceUnavailableError(
    service,
    `${what}\n--- last ${LOG_TAIL_LINES} lines of ${log} ---\n${tailFile(log, LOG_TAIL_LINES)}\n---`,
    {
      hint: `Read ${ctx.paths.logs(service)}; \`smt stack down --services ${service} --purge\` starts it from empty data next time.`,
      code: 'STACK_START_FAILED',
    },
  );
}

/** Probe until the service answers; fail fast if its process dies. */
export async function waitForProbe(
  ctx: StackContext,
  service: ServiceName,
  pid: number,
  timeoutMs: number,
  probeOptions: ProbeOptions = {},
): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  let last: ProbeResult | undefined;
  let delay = 200;
  while (Date.now() < deadline) {
    if (!isAlive(pid))
      throw startFailure(ctx, service, `the server process (pid ${pid}) exited during start-up`);
    last = await probeService(ctx.config, service, {
      timeoutMs: Math.min(5000, Math.max(1000, deadline - Date.now())),
      ...probeOptions,
    });
    if (last.reachable) return last;
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
  throw startFailure(
    ctx,
    service,
    `not ready after ${Math.round(timeoutMs / 1000)} s (last probe: ${last?.error ?? 'none'})`,
  );
}

export function readState(file: string): ServiceState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServiceState;
  } catch {
    return undefined;
  }
}

export function writeState(file: string, state: ServiceState): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}
