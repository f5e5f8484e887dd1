import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (dev entry, TypeScript sources) in a child process, as an operator would. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--no-warnings', path.join(ROOT, 'bin/dev.js'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: timeoutMs,
      // a month of one meter under --json is over the 1 MiB default
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function json<T>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.status}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
