import { ClickHouseError } from '@clickhouse/client';
import { classifiedCall, errorMessage, ServiceUnavailableError, StoreRejectedError } from '../errors.js';

/**
 * Server error codes that depend on the server's state, not on the request: timeouts, too many
 * queries or parts, memory, network.
 */
const TRANSIENT = new Set(['159', '160', '202', '209', '210', '241', '252', '425']);

/** The one place ClickHouse client errors become smt errors. */
export function clickhouseError(err: unknown, what: string): Error {
  const message = `${what}: ${errorMessage(err)}`;
  // 18.16's error bodies lack the suffix the client parses into ClickHouseError: read the code from the text.
  const code = err instanceof ClickHouseError ? err.code : /Code: (\d+)/.exec(errorMessage(err))?.[1];
  if (code !== undefined && !TRANSIENT.has(code))
    return new StoreRejectedError('clickhouse', message, { cause: err });
  return new ServiceUnavailableError('clickhouse', message, { cause: err });
}

export const clickhouseCall = classifiedCall(clickhouseError);
