/** Structured logs: one JSON object per line on stderr, so stdout stays for results. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(component: string, minLevel: LogLevel = 'info'): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(level, msg, fields) {
      if (order[level] < order[minLevel]) return;
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...fields })}\n`,
      );
    },
  };
}

export const silentLogger: Logger = { log() {} };
