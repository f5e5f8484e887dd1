/**
 * A typed facade over piscina (modelled on Angular CLI's worker-pool / JavaScriptTransformer):
 * the pool is created on first use, at most `maxInFlight` tasks are handed to piscina at once
 * (`run()` waits for a slot, so a fast producer is slowed down instead of queueing without bound),
 * results and tasks cross threads with transfer lists, and `close()` drains before it stops.
 *
 * Worker files: piscina cannot load TypeScript by itself. When this module runs as .ts (vitest,
 * `bin/dev.js` under tsx) it points workers at src/workers/<name>.ts and starts them with
 * `--import tsx`; compiled, it points at dist/workers/<name>.js.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';

export interface WorkerEntry {
  filename: string;
  /** execArgv for the worker threads; undefined = inherit the process's */
  execArgv: string[] | undefined;
}

/** src/workers/<name>.ts with tsx in development and tests, dist/workers/<name>.js otherwise. */
export function resolveWorkerEntry(name: string, moduleUrl: string = import.meta.url): WorkerEntry {
  const dev = moduleUrl.endsWith('.ts');
  const filename = fileURLToPath(new URL(`../../workers/${name}.${dev ? 'ts' : 'js'}`, moduleUrl));
  if (!existsSync(filename)) {
    throw new Error(`worker entry ${filename} does not exist${dev ? '' : ' (run `npm run build`)'}`);
  }
  return { filename, execArgv: dev ? ['--import', 'tsx'] : undefined };
}

export interface WorkerPoolOptions {
  /** worker threads; default available parallelism − 1 (the main thread has work too), at least 1 */
  threads?: number;
  /** tasks handed to piscina at once; `run()` waits beyond this. Default threads × 2 (one running, one queued per worker) */
  maxInFlight?: number;
  /** ms an idle worker above the minimum lives (piscina idleTimeout); the pool is fixed-size, so rarely needed */
  idleTimeoutMs?: number;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WorkerPool<Task, Result> {
  readonly threads: number;
  readonly maxInFlight: number;
  private readonly entry: WorkerEntry;
  private readonly exportName: string;
  private readonly idleTimeoutMs: number | undefined;
  private piscina: Piscina<Task, Result> | undefined;
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  /** notified on every release: waitForCapacity() and close() re-check their condition */
  private releaseListeners: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  constructor(entry: WorkerEntry, exportName: string, options: WorkerPoolOptions = {}) {
    this.entry = entry;
    this.exportName = exportName;
    this.threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    this.maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? this.threads * 2));
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  /** Tasks handed to workers and not yet settled. */
  get inFlight(): number {
    return this.active;
  }

  /** Callers waiting in `run()` for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves when a slot is free: lets a producer pause (e.g. a Kafka consumer) before fetching more. */
  async waitForCapacity(): Promise<void> {
    while (this.active >= this.maxInFlight)
      await new Promise<void>((resolve) => this.releaseListeners.push(resolve));
  }

  /** Run a task; waits for a slot first. `transferList` items are moved to the worker. */
  async run(task: Task, transferList?: readonly (ArrayBuffer | MessagePort)[]): Promise<Result> {
    if (this.closing) throw new Error('worker pool is closed');
    if (this.active >= this.maxInFlight) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active++;
    // From here this call owns a slot (a releasing call hands its slot over without decrementing).
    try {
      return await this.pool().run(task, { name: this.exportName, transferList: transferList as never });
    } finally {
      this.release();
    }
  }

  /** Finish every accepted task, then stop the workers. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.active > 0 || this.waiters.length > 0)
        await new Promise<void>((resolve) => this.releaseListeners.push(resolve));
      const p = this.piscina;
      this.piscina = undefined;
      if (p) await p.close();
    })();
    return this.closing;
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
    const listeners = this.releaseListeners;
    this.releaseListeners = [];
    for (const l of listeners) l();
  }

  private pool(): Piscina<Task, Result> {
    this.piscina ??= new Piscina<Task, Result>({
      filename: this.entry.filename,
      name: this.exportName,
      execArgv: this.entry.execArgv,
      minThreads: this.threads,
      maxThreads: this.threads,
      ...(this.idleTimeoutMs === undefined ? {} : { idleTimeout: this.idleTimeoutMs }),
      // run() bounds what reaches piscina, so its own queue never grows past maxInFlight.
      maxQueue: this.maxInFlight,
    });
    return this.piscina;
  }
}
