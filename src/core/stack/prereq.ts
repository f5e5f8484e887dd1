import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { PrerequisiteError } from '../errors.js';
import { run } from './proc.js';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** First executable named `name` on PATH or in extra directories (sbin is not on every PATH). */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter),
    ...extraDirs,
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  const java = findExecutable('java');
  if (!java) {
    throw new PrerequisiteError(
      'java was not found (needed for Kafka and Cassandra)',
      'Install a Java 17 runtime, e.g. `apt-get install -y openjdk-17-jre-headless`, or set JAVA_HOME. ' +
        'To run only the native services: `smt stack up --services postgres,clickhouse`.',
    );
  }
  return java;
}

export function mavenBinary(): string {
  const mvn = findExecutable('mvn');
  if (!mvn) {
    throw new PrerequisiteError(
      'mvn was not found (it fetches the Kafka and Cassandra jars from Maven Central)',
      'Install Maven, e.g. `apt-get install -y maven`. ' +
        'To run only the native services: `smt stack up --services postgres,clickhouse`.',
    );
  }
  return mvn;
}

/**
 * Serialised `apt-get install`: two services asking at once would fight over the dpkg lock.
 * `apt-get update` runs only when the first install fails (package lists missing or stale).
 */
export class AptInstaller {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly info: (message: string) => void) {}

  install(packages: string[], why: string): Promise<void> {
    const next = this.queue.then(() => this.doInstall(packages, why));
    this.queue = next.catch(() => {});
    return next;
  }

  private async doInstall(packages: string[], why: string): Promise<void> {
    const apt = findExecutable('apt-get');
    const cmd = `apt-get install -y ${packages.join(' ')}`;
    if (!apt || !isRoot()) {
      throw new PrerequisiteError(
        `${why}, and smt can only install it as root on a machine with apt-get`,
        `Install it yourself (Debian/Ubuntu: \`sudo ${cmd}\`) and rerun, or skip it with --services.`,
      );
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    this.info(`${why}: running ${cmd}`);
    let r = await run(apt, ['install', '-y', '--no-install-recommends', ...packages], { env });
    if (r.code !== 0) {
      this.info('apt-get install failed; running apt-get update and retrying');
      await run(apt, ['update'], { env });
      r = await run(apt, ['install', '-y', '--no-install-recommends', ...packages], { env });
    }
    if (r.code !== 0) {
      throw new PrerequisiteError(
        `${cmd} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`,
        `Run \`${cmd}\` by hand to see why.`,
      );
    }
  }
}
