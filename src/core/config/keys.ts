/**
 * Every configuration key smt knows: its environment variable, default (pointing at the local stack
 * that `smt stack up` starts), how to parse it, and whether it is secret. The config file uses the
 * same dotted names as nested YAML.
 */
export type ConfigValueType = 'string' | 'int' | 'list' | 'bool';

export interface ConfigKeySpec {
  env: string;
  type: ConfigValueType;
  default: string;
  description: string;
  secret?: boolean;
  /** string keys that may not be empty */
  nonEmpty?: boolean;
  /** string keys holding a URL: the schemes accepted (checked at load, so a typo is a usage error) */
  url?: { schemes: readonly string[]; example: string };
  /** string keys with a fixed set of values (compared case-insensitively, kept as listed) */
  oneOf?: readonly string[];
  /** int keys: the accepted range, inclusive */
  min?: number;
  max?: number;
}

export const CONFIG_KEYS = {
  timezone: {
    env: 'SMT_TIMEZONE',
    type: 'string',
    nonEmpty: true,
    default: 'Europe/Stockholm',
    description: 'IANA zone of the business calendar (local days, months, billing)',
  },
  'stack.dir': {
    env: 'SMT_STACK_DIR',
    type: 'string',
    default: '.smt',
    description: 'where `smt stack` caches downloads and keeps service data, logs and PIDs',
  },
  'stack.jit': {
    env: 'SMT_STACK_JIT',
    type: 'string',
    default: 'quick',
    oneOf: ['quick', 'throughput'],
    description:
      'JIT of the Kafka and Cassandra JVMs that `smt stack up` starts: quick (C1 only: faster start, for tests) or throughput (full tiered JIT, for benchmarks)',
  },

  'kafka.brokers': {
    env: 'SMT_KAFKA_BROKERS',
    type: 'list',
    default: '127.0.0.1:19092',
    description: 'bootstrap brokers, comma separated',
  },
  'kafka.clientId': {
    env: 'SMT_KAFKA_CLIENT_ID',
    type: 'string',
    default: 'smt',
    description: 'Kafka client id',
  },
  'kafka.topics.raw': {
    env: 'SMT_TOPIC_RAW',
    type: 'string',
    nonEmpty: true,
    default: 'smt.readings.raw',
    description: 'input topic (key = meter id)',
  },
  'kafka.topics.validated': {
    env: 'SMT_TOPIC_VALIDATED',
    type: 'string',
    nonEmpty: true,
    default: 'smt.readings.validated',
    description: 'validated readings',
  },
  'kafka.topics.rejected': {
    env: 'SMT_TOPIC_REJECTED',
    type: 'string',
    nonEmpty: true,
    default: 'smt.readings.rejected',
    description: 'dead-letter topic',
  },
  'kafka.topics.events': {
    env: 'SMT_TOPIC_EVENTS',
    type: 'string',
    nonEmpty: true,
    default: 'smt.events',
    description: 'late data, corrections, recalculations',
  },
  'kafka.partitions': {
    env: 'SMT_KAFKA_PARTITIONS',
    type: 'int',
    min: 1,
    max: 10000,
    default: '6',
    description: 'partitions of topics smt creates',
  },

  'kafka.replicationFactor': {
    env: 'SMT_KAFKA_REPLICATION_FACTOR',
    type: 'int',
    min: 1,
    max: 32,
    default: '3',
    description:
      'replication factor of topics smt creates; capped at the broker count, with a warning (1 on the local stack)',
  },
  'kafka.minInsyncReplicas': {
    env: 'SMT_KAFKA_MIN_INSYNC_REPLICAS',
    type: 'int',
    min: 1,
    max: 32,
    default: '2',
    description:
      'min.insync.replicas of topics smt creates (writes need this many replicas, acks=all); capped at the replication factor',
  },

  'cassandra.contactPoints': {
    env: 'SMT_CASSANDRA_CONTACT_POINTS',
    type: 'list',
    default: '127.0.0.1:19042',
    description: 'CQL contact points host:port',
  },
  'cassandra.localDataCenter': {
    env: 'SMT_CASSANDRA_DC',
    type: 'string',
    default: 'datacenter1',
    description: 'local data center',
  },
  'cassandra.keyspace': {
    env: 'SMT_CASSANDRA_KEYSPACE',
    type: 'string',
    nonEmpty: true,
    default: 'smt',
    description: 'keyspace',
  },
  'cassandra.replication': {
    env: 'SMT_CASSANDRA_REPLICATION',
    type: 'string',
    default: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    description: 'keyspace replication map used when migrations create the keyspace',
  },
  'cassandra.consistency': {
    env: 'SMT_CASSANDRA_CONSISTENCY',
    type: 'string',
    oneOf: ['LOCAL_QUORUM', 'QUORUM', 'LOCAL_ONE', 'ONE', 'TWO', 'THREE', 'ALL'],
    default: 'LOCAL_QUORUM',
    description:
      'consistency level of every read and write (LOCAL_QUORUM: a majority of the local replicas; on replication factor 1 that is the one replica)',
  },
  'cassandra.rawTtlDays': {
    env: 'SMT_CASSANDRA_RAW_TTL_DAYS',
    type: 'int',
    min: 0,
    max: 36500,
    default: '1095',
    description: 'default TTL of raw readings in days (0 = keep forever)',
  },
  'cassandra.username': {
    env: 'SMT_CASSANDRA_USERNAME',
    type: 'string',
    default: '',
    description: 'user (empty = no auth)',
  },
  'cassandra.password': {
    env: 'SMT_CASSANDRA_PASSWORD',
    type: 'string',
    default: '',
    description: 'password',
    secret: true,
  },

  'postgres.url': {
    env: 'SMT_POSTGRES_URL',
    type: 'string',
    default: 'postgres://smt:smt@127.0.0.1:55432/smt',
    url: { schemes: ['postgres', 'postgresql'], example: 'postgres://user:password@host:5432/database' },
    description: 'connection URL',
    secret: true,
  },
  'postgres.poolSize': {
    env: 'SMT_POSTGRES_POOL_SIZE',
    type: 'int',
    min: 1,
    max: 1000,
    default: '4',
    description: 'connections per process',
  },

  'clickhouse.url': {
    env: 'SMT_CLICKHOUSE_URL',
    type: 'string',
    default: 'http://127.0.0.1:18123',
    url: { schemes: ['http', 'https'], example: 'http://host:8123' },
    description: 'HTTP endpoint',
  },
  'clickhouse.database': {
    env: 'SMT_CLICKHOUSE_DATABASE',
    type: 'string',
    nonEmpty: true,
    default: 'smt',
    description: 'database',
  },
  'clickhouse.username': {
    env: 'SMT_CLICKHOUSE_USERNAME',
    type: 'string',
    default: 'default',
    description: 'user',
  },
  'clickhouse.password': {
    env: 'SMT_CLICKHOUSE_PASSWORD',
    type: 'string',
    default: '',
    description: 'password',
    secret: true,
  },

  'ingest.group': {
    env: 'SMT_INGEST_GROUP',
    type: 'string',
    nonEmpty: true,
    default: 'smt-ingest',
    description: 'consumer group of `smt ingest` daemons',
  },
  'ingest.workers': {
    env: 'SMT_INGEST_WORKERS',
    type: 'int',
    min: 0,
    max: 256,
    default: '1',
    description: 'decode/validate worker threads (0 = in the main thread)',
  },
  'ingest.sessionTimeoutMs': {
    env: 'SMT_INGEST_SESSION_TIMEOUT_MS',
    type: 'int',
    min: 6000,
    max: 300000,
    default: '30000',
    description:
      'consumer-group session timeout; store calls and the watermark lock time out at half of it, so a stalled member is fenced before its partition moves',
  },
  'ingest.batchMessages': {
    env: 'SMT_INGEST_BATCH_MESSAGES',
    type: 'int',
    min: 1,
    max: 100000,
    default: '1000',
    description: 'raw messages processed and committed together, per partition',
  },
  'ingest.partitionsConcurrently': {
    env: 'SMT_INGEST_PARTITIONS_CONCURRENTLY',
    type: 'int',
    min: 1,
    max: 1000,
    default: '3',
    description: 'partitions processed at once by one daemon',
  },
  'ingest.metricsPort': {
    env: 'SMT_INGEST_METRICS_PORT',
    type: 'int',
    min: 0,
    max: 65535,
    default: '9464',
    description: 'port of /metrics and /healthz on 127.0.0.1 (0 = off)',
  },
  'ingest.registryRefreshSeconds': {
    env: 'SMT_INGEST_REGISTRY_REFRESH_SECONDS',
    type: 'int',
    min: 1,
    max: 86400,
    default: '60',
    description: 'how often the registry cache is reloaded from PostgreSQL',
  },
  'ingest.rules': {
    env: 'SMT_INGEST_RULES',
    type: 'string',
    default: '',
    description: 'VEE rule-set file (empty = rules/default.yaml)',
  },
  'billing.maxEstimatedPercent': {
    env: 'SMT_BILLING_MAX_ESTIMATED_PERCENT',
    type: 'int',
    min: 0,
    max: 100,
    default: '10',
    description: "billing check: the largest share of a period's kWh that may be estimated, in percent",
  },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
