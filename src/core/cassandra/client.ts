import cassandra from 'cassandra-driver';
import type { SmtConfig } from '../config/config.js';
import { cassandraCall } from './errors.js';

export interface CassandraClientOptions {
  /** bind to this keyspace (it must exist); by default none, so migrations can create it */
  keyspace?: string;
  /** true: bind to `cassandra.keyspace` */
  useKeyspace?: boolean;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** schema metadata sync costs round trips on connect; health probes switch it off */
  metadataSync?: boolean;
}

/** `LOCAL_QUORUM` → cassandra-driver's `localQuorum` code (the key's values are checked at load). */
function consistencyOf(name: string): number {
  const camel = name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const code = (cassandra.types.consistencies as unknown as Record<string, number>)[camel];
  if (code === undefined) throw new Error(`no cassandra-driver consistency for ${name}`);
  return code;
}

/** cassandra-driver for the configured contact points; callers must `shutdown()` in `finally`. */
export function createCassandraClient(
  config: SmtConfig,
  options: CassandraClientOptions = {},
): cassandra.Client {
  const username = config.string('cassandra.username');
  const keyspace =
    options.keyspace ?? (options.useKeyspace ? config.string('cassandra.keyspace') : undefined);
  return new cassandra.Client({
    contactPoints: config.list('cassandra.contactPoints'),
    localDataCenter: config.string('cassandra.localDataCenter'),
    ...(keyspace ? { keyspace } : {}),
    ...(username ? { credentials: { username, password: config.string('cassandra.password') } } : {}),
    socketOptions: {
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      readTimeout: options.readTimeoutMs ?? 30_000,
    },
    queryOptions: { prepare: true, consistency: consistencyOf(config.string('cassandra.consistency')) },
    ...(options.metadataSync === false ? { isMetadataSyncEnabled: false } : {}),
  });
}

/** The handshake now rather than on the first query, so a caller can overlap it with other work. */
export function connectCassandra(client: cassandra.Client): Promise<void> {
  return cassandraCall('connecting to Cassandra', () => client.connect());
}
