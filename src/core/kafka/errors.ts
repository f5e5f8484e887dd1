import kafkajs from 'kafkajs';
import { classifiedCall, errorMessage, ServiceUnavailableError, StoreRejectedError } from '../errors.js';

/** The one place kafkajs errors become smt errors; kafkajs says itself whether a retry can help. */
export function kafkaError(err: unknown, what: string): Error {
  const message = `${what}: ${errorMessage(err)}`;
  const retriable = (err as { retriable?: unknown })?.retriable;
  const nonRetriable =
    err instanceof kafkajs.KafkaJSError &&
    retriable === false &&
    !(err instanceof kafkajs.KafkaJSConnectionError) &&
    !(err instanceof kafkajs.KafkaJSNumberOfRetriesExceeded) &&
    !(err instanceof kafkajs.KafkaJSRequestTimeoutError);
  return nonRetriable
    ? new StoreRejectedError('kafka', message, { cause: err })
    : new ServiceUnavailableError('kafka', message, { cause: err });
}

export const kafkaCall = classifiedCall(kafkaError);
