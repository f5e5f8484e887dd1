import { ClickHouseLogLevel } from '@clickhouse/client';
import kafkajs from 'kafkajs';
import { createCassandraClient } from '../cassandra/client.js';
import { createClickHouseClient } from '../clickhouse/client.js';
import type { SmtConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import { createKafka, kafkaLogLevel } from '../kafka/client.js';
import { createPostgresClient } from '../postgres/client.js';
import { withTimeout } from './proc.js';
import { SERVICE_NAMES, type ServiceName } from './services.js';

export interface ProbeResult {
  service: ServiceName;
  reachable: boolean;
  /** the server's own answer: `SHOW server_version`, `SELECT version()`, `release_version`; Kafka: see probeKafka */
  version: string | null;
  latencyMs: number;
  error?: string;
}

export interface ProbeOptions {
  /** per service, for the whole probe including connect; default 5000 */
  timeoutMs?: number;
  /** PostgreSQL database to probe instead of the configured one (before it exists) */
  postgresDatabase?: string;
}

type Prober = (config: SmtConfig, timeoutMs: number, options: ProbeOptions) => Promise<string>;

async function probePostgres(config: SmtConfig, timeoutMs: number, options: ProbeOptions): Promise<string> {
  const client = createPostgresClient(config, {
    connectionTimeoutMillis: timeoutMs,
    ...(options.postgresDatabase ? { database: options.postgresDatabase } : {}),
  });
  // an error event after a failed connect would otherwise be an uncaught exception
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeClickHouse(config: SmtConfig, timeoutMs: number): Promise<string> {
  const client = createClickHouseClient(config, {
    useDatabase: false,
    requestTimeoutMs: timeoutMs,
    maxOpenConnections: 1,
    logLevel: ClickHouseLogLevel.OFF,
  });
  try {
    const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const rows = await rs.json<{ v: string }>();
    return rows[0]?.v ?? 'unknown';
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Kafka has no "SELECT version()": the answer is the broker count from describeCluster plus the
 * broker's `inter.broker.protocol.version` (e.g. `3.9-IV0`), which names the feature release.
 */
async function probeKafka(config: SmtConfig, timeoutMs: number): Promise<string> {
  const kafka = createKafka(config, {
    clientId: 'smt-probe',
    logLevel: kafkaLogLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const broker = cluster.brokers[0];
    if (!broker) throw new Error('describeCluster returned no brokers');
    let ibp = '';
    try {
      const cfg = await admin.describeConfigs({
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.BROKER,
            name: String(broker.nodeId),
            configNames: ['inter.broker.protocol.version'],
          },
        ],
        includeSynonyms: false,
      });
      ibp = cfg.resources[0]?.configEntries[0]?.configValue ?? '';
    } catch {
      // removed in Kafka 4; the broker count is still a valid answer
    }
    const release = /^(\d+\.\d+)/.exec(ibp)?.[1];
    return `${release ?? 'unknown'} (${cluster.brokers.length} broker${cluster.brokers.length === 1 ? '' : 's'}${ibp ? `, protocol ${ibp}` : ''})`;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function probeCassandra(config: SmtConfig, timeoutMs: number): Promise<string> {
  const client = createCassandraClient(config, {
    connectTimeoutMs: Math.min(timeoutMs, 5000),
    readTimeoutMs: timeoutMs,
    metadataSync: false,
  });
  try {
    await client.connect();
    const r = await client.execute('SELECT release_version FROM system.local', [], { prepare: false });
    return String(r.first()?.get('release_version') ?? 'unknown');
  } finally {
    await client.shutdown().catch(() => {});
  }
}

const PROBERS: Record<ServiceName, Prober> = {
  postgres: probePostgres,
  clickhouse: probeClickHouse,
  kafka: probeKafka,
  cassandra: probeCassandra,
};

export async function probeService(
  config: SmtConfig,
  service: ServiceName,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const attempt = PROBERS[service](config, timeoutMs, options).then(
    (version): ProbeResult => ({ service, reachable: true, version, latencyMs: elapsed() }),
    (err: unknown): ProbeResult => ({
      service,
      reachable: false,
      version: null,
      latencyMs: elapsed(),
      error: oneLine(err),
    }),
  );
  // the client timeouts should fire first; this guards against a client that ignores them
  return withTimeout(attempt, timeoutMs + 2000, () => ({
    service,
    reachable: false,
    version: null,
    latencyMs: elapsed(),
    error: `no answer within ${timeoutMs + 2000} ms`,
  }));
}

/**
 * Ask each service for its version with smt's own clients, in parallel; every client is closed
 * before this resolves. Never throws: an unreachable service is a result, not an error.
 */
export async function probeServices(
  config: SmtConfig,
  services: readonly ServiceName[] = SERVICE_NAMES,
  options: ProbeOptions = {},
): Promise<ProbeResult[]> {
  return Promise.all(services.map((s) => probeService(config, s, options)));
}

function oneLine(err: unknown): string {
  const e = err as { name?: string; innerErrors?: Record<string, unknown> };
  let msg = errorMessage(err);
  // cassandra-driver hides the socket error inside innerErrors
  if (e?.innerErrors && typeof e.innerErrors === 'object') {
    const inner = Object.values(e.innerErrors).map((x) => errorMessage(x));
    if (inner.length > 0) msg = `${msg}: ${inner.join('; ')}`;
  }
  return msg.replace(/\s+/g, ' ').trim();
}
