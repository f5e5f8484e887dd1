import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PrerequisiteError } from '../errors.js';
import { javaBinary } from './prereq.js';
import { run } from './proc.js';

export type JitProfile = 'quick' | 'throughput';

/**
 * Caps for two shared cores: few GC and compiler threads. `quick` also stops the JIT at C1: the
 * services start sooner and spend less CPU compiling, which suits tests; but C1 code is slower, so
 * long runs (benchmarks, a real load) want `throughput`, the JVM's default tiered compilation.
 */
export function jvmCpuCaps(profile: JitProfile): string[] {
  return [
    ...(profile === 'quick' ? ['-XX:TieredStopAtLevel=1'] : []),
    '-XX:ParallelGCThreads=2',
    '-XX:ConcGCThreads=1',
    '-XX:CICompilerCount=2',
  ];
}

export interface Java {
  bin: string;
  major: number;
}

export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

async function major(bin: string): Promise<number | undefined> {
  const r = await run(bin, ['-version']);
  return parseJavaMajor(r.stderr + r.stdout);
}

let cached: Promise<Java> | undefined;

/**
 * A JVM that both Kafka 3.9 (11+) and Cassandra 5.0 (11 or 17 only) accept: the default java when
 * it is 11 or 17, else a 17 or 11 from /usr/lib/jvm.
 */
export function findJava(): Promise<Java> {
  cached ??= (async () => {
    const bin = javaBinary();
    const m = await major(bin);
    if (m === 17 || m === 11) return { bin, major: m };
    const jvmDir = '/usr/lib/jvm';
    const candidates = existsSync(jvmDir)
      ? readdirSync(jvmDir).filter((d) => /(^|[-.])(17|11)([-.]|$)/.test(d))
      : [];
    for (const d of candidates.sort().reverse()) {
      const b = path.join(jvmDir, d, 'bin', 'java');
      if (!existsSync(b)) continue;
      const mm = await major(b);
      if (mm === 17 || mm === 11) return { bin: b, major: mm };
    }
    throw new PrerequisiteError(
      `${bin} is Java ${m ?? 'of unknown version'}; Cassandra 5.0 runs on Java 11 or 17 only`,
      'Install Java 17 (`apt-get install -y openjdk-17-jre-headless`) or point JAVA_HOME at a Java 17.',
    );
  })();
  const p = cached;
  p.catch(() => {
    cached = undefined;
  });
  return p;
}
