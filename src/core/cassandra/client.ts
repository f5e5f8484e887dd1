import cassandra from 'cassandra-driver';
import type { SmtConfig } from '../config/config.js';

/** Not bound to the keyspace so migrations can create it; callers must `shutdown()` in `finally`. */
export function createCassandra(config: SmtConfig, options: { keyspace?: string } = {}): cassandra.Client {
  const username = config.string('cassandra.username');
  return new cassandra.Client({
    contactPoints: config.list('cassandra.contactPoints'),
    localDataCenter: config.string('cassandra.localDataCenter'),
    ...(options.keyspace ? { keyspace: options.keyspace } : {}),
    ...(username ? { credentials: { username, password: config.string('cassandra.password') } } : {}),
    socketOptions: { connectTimeout: 5_000, readTimeout: 30_000 },
    queryOptions: { prepare: true },
  });
}
