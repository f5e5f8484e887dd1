/**
 * Expected failures carry an exit code and a hint of what to do next; anything else reaching the
 * base command is a bug and exits 1 with a stack trace under DEBUG.
 */
export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 2,
  /** input data was invalid (bad file, rows rejected, rule set malformed) */
  invalidData: 3,
  /** a service (Kafka, Cassandra, PostgreSQL, ClickHouse) is unreachable or unhealthy */
  unavailable: 4,
  /** a prerequisite on the machine is missing (java, mvn, apt package) */
  prerequisite: 5,
  /** the schema is behind or ahead of this version of smt */
  schema: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface SmtErrorOptions {
  /** what the operator should do next */
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  /** machine-readable code, stable across versions */
  code?: string;
  /** structured detail for --json output (e.g. the list of bad rows) */
  details?: unknown;
}

export class SmtError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly code: string;
  readonly details: unknown;

  constructor(message: string, options: SmtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SmtError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.bug;
    this.code = options.code ?? 'SMT_ERROR';
    this.details = options.details;
  }
}

export class UsageError extends SmtError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: ExitCode.usage, code: 'USAGE' });
    this.name = 'UsageError';
  }
}

export class InvalidDataError extends SmtError {
  constructor(message: string, options: Omit<SmtErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.invalidData, code: options.code ?? 'INVALID_DATA' });
    this.name = 'InvalidDataError';
  }
}

export class ServiceUnavailableError extends SmtError {
  readonly service: string;
  /** a retry may help (connection refused, timeout) as opposed to a misconfiguration */
  readonly retriable: boolean;
  constructor(
    service: string,
    message: string,
    options: Omit<SmtErrorOptions, 'exitCode'> & { retriable?: boolean } = {},
  ) {
    super(`${service}: ${message}`, {
      ...options,
      exitCode: ExitCode.unavailable,
      code: options.code ?? 'UNAVAILABLE',
      hint:
        options.hint ??
        `Check that ${service} is running (\`smt stack status\`) and that its address in \`smt config show\` is right.`,
    });
    this.name = 'ServiceUnavailableError';
    this.service = service;
    this.retriable = options.retriable ?? true;
  }
}

/**
 * A store refused a request and the same request will be refused again (a bad value, a schema
 * mismatch): retrying cannot help, unlike ServiceUnavailableError. Thrown by the adapters only.
 */
export class StoreRejectedError extends SmtError {
  readonly service: string;
  constructor(service: string, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(`${service}: ${message}`, {
      ...options,
      exitCode: ExitCode.invalidData,
      code: 'STORE_REJECTED',
      hint: options.hint ?? `The data or statement was refused by ${service}; the message says why.`,
    });
    this.name = 'StoreRejectedError';
    this.service = service;
  }
}

/**
 * An adapter's wrapper for its driver calls: what a call throws is classified once, by the
 * adapter's own classifier; errors already classified pass through unchanged.
 */
export function classifiedCall(
  classify: (err: unknown, what: string) => Error,
): <T>(what: string, fn: () => Promise<T>) => Promise<T> {
  return async (what, fn) => {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof ServiceUnavailableError || err instanceof StoreRejectedError
        ? err
        : classify(err, what);
    }
  };
}

/** The store a ServiceUnavailableError or StoreRejectedError names, or null for anything else. */
export function failedService(err: unknown): string | null {
  return err instanceof ServiceUnavailableError || err instanceof StoreRejectedError ? err.service : null;
}

export class PrerequisiteError extends SmtError {
  constructor(message: string, hint: string) {
    super(message, { hint, exitCode: ExitCode.prerequisite, code: 'PREREQUISITE' });
    this.name = 'PrerequisiteError';
  }
}

export class SchemaError extends SmtError {
  constructor(message: string, hint = 'Run `smt db migrate` to bring the schemas up to date.') {
    super(message, { hint, exitCode: ExitCode.schema, code: 'SCHEMA' });
    this.name = 'SchemaError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A driver error that means the server could not be reached (as opposed to a rejected statement). */
export function isConnectionError(err: unknown): boolean {
  const text = `${(err as { code?: string })?.code ?? ''} ${errorMessage(err)} ${(err as { name?: string })?.name ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|NoHostAvailable|All host\(s\) tried|timeout|socket hang up|Connection terminated|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded/i.test(
    text,
  );
}
