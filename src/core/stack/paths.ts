import path from 'node:path';
import type { ServiceName } from './services.js';

/**
 * Layout of the project-local stack directory:
 *   cache/<artifact>/<version>/{pom.xml,lib/}   Maven downloads, kept across `stack down --purge`
 *   <service>/{data,logs,conf}                  one directory per service
 *   <service>.pid                               PID of the service's process-group leader
 */
export class StackPaths {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get cache(): string {
    return path.join(this.root, 'cache');
  }

  service(s: ServiceName): string {
    return path.join(this.root, s);
  }

  data(s: ServiceName): string {
    return path.join(this.root, s, 'data');
  }

  logs(s: ServiceName): string {
    return path.join(this.root, s, 'logs');
  }

  conf(s: ServiceName): string {
    return path.join(this.root, s, 'conf');
  }

  /** stdout/stderr of the server process; the file shown when a start fails */
  logFile(s: ServiceName): string {
    return path.join(this.logs(s), `${s}.log`);
  }

  pidFile(s: ServiceName): string {
    return path.join(this.root, `${s}.pid`);
  }

  /** what was started: version, ports; written after a successful start */
  stateFile(s: ServiceName): string {
    return path.join(this.root, s, 'state.json');
  }
}
