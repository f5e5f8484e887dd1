import cassandra from 'cassandra-driver';
import { classifiedCall, errorMessage, ServiceUnavailableError, StoreRejectedError } from '../errors.js';

const { responseErrorCodes: codes } = cassandra.types;
/** Server answers that depend on the cluster's state, not on the request: a retry may succeed. */
const TRANSIENT = new Set<number>([
  codes.serverError,
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.writeTimeout,
  codes.readTimeout,
  codes.readFailure,
  codes.writeFailure,
  codes.unprepared,
]);

/** The one place Cassandra driver errors become smt errors. */
export function cassandraError(err: unknown, what: string): Error {
  const e = cassandra.errors;
  const message = `${what}: ${errorMessage(err)}`;
  if (
    err instanceof e.NoHostAvailableError ||
    err instanceof e.OperationTimedOutError ||
    err instanceof e.BusyConnectionError ||
    (err instanceof e.ResponseError && TRANSIENT.has(err.code))
  )
    return new ServiceUnavailableError('cassandra', message, { cause: err });
  if (
    err instanceof e.DriverError ||
    err instanceof e.ArgumentError ||
    err instanceof TypeError ||
    err instanceof RangeError
  )
    return new StoreRejectedError('cassandra', message, { cause: err });
  return new ServiceUnavailableError('cassandra', message, { cause: err });
}

/** Runs a driver call and classifies what it throws. */
export const cassandraCall = classifiedCall(cassandraError);
