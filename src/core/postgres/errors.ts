import { classifiedCall, errorMessage, ServiceUnavailableError, StoreRejectedError } from '../errors.js';

/**
 * SQLSTATE classes and codes that depend on the server's state, not on the statement: connection
 * (08), resources (53), operator intervention (57), serialization failure and deadlock (40001, 40P01), a lock wait that timed out (55P03: another
 * member holds the partition's watermark).
 */
function transient(code: string): boolean {
  return /^(08|53|57)/.test(code) || code === '40001' || code === '40P01' || code === '55P03';
}

/** The one place pg errors become smt errors: a SQLSTATE that a retry cannot fix is StoreRejectedError. */
export function postgresError(err: unknown, what: string): Error {
  const code = (err as { code?: unknown })?.code;
  const message = `${what}: ${errorMessage(err)}`;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !transient(code))
    return new StoreRejectedError('postgres', message, { cause: err });
  return new ServiceUnavailableError('postgres', message, { cause: err });
}

export const postgresCall = classifiedCall(postgresError);
