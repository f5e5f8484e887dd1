import { classifiedCall, errorMessage, ServiceUnavailableError, StoreRejectedError } from '../errors.js';

/**
 * SQLSTATE classes and codes that depend on the server's state, not on the statement: connection
 * (08), resources (53), operator intervention (57), serialization failure and deadlock (40001, 40P01), a lock wait that timed out (55P03: another
 * member holds the partition's watermark).
 */
function transient(code: string): boolean {
  return /^(08|53|57)/.test(code) || code === '40001' || code === '40P01' || code === '55P03';
}

/**
 * The server is up but refuses this login (class 28: wrong password, unknown user, no pg_hba entry)
 * or the database is not there (3D000): the service cannot be used as configured, exit 4, and a
 * retry without changing postgres.url cannot help.
 */
export function postgresLoginError(err: unknown): ServiceUnavailableError | null {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !(code.startsWith('28') || code === '3D000')) return null;
  return new ServiceUnavailableError('postgres', `refused the connection: ${errorMessage(err)}`, {
    cause: err,
    retriable: false,
    code: 'LOGIN_REFUSED',
    hint:
      code === '3D000'
        ? 'Create the database, or fix the database name in postgres.url (SMT_POSTGRES_URL; `smt config show`).'
        : 'Check the user and password in postgres.url (SMT_POSTGRES_URL; `smt config show` shows which source sets it).',
  });
}

/** The one place pg errors become smt errors: a SQLSTATE that a retry cannot fix is StoreRejectedError. */
export function postgresError(err: unknown, what: string): Error {
  const login = postgresLoginError(err);
  if (login) return login;
  const code = (err as { code?: unknown })?.code;
  const message = `${what}: ${errorMessage(err)}`;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !transient(code))
    return new StoreRejectedError('postgres', message, { cause: err });
  return new ServiceUnavailableError('postgres', message, { cause: err });
}

export const postgresCall = classifiedCall(postgresError);
