import type { SmtConfig } from '../config/config.js';
import { UsageError } from '../errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Every port the local stack listens on. Only the client-facing ones are configurable (through the
 * service URLs); the secondary ports keep the upstream default's distance from the primary port
 * (ClickHouse 8123 → TCP 9000 / interserver 9009, Kafka 9092 → controller 9093, Cassandra 9042 →
 * storage 7000), so two stacks with shifted ports never collide.
 */
export interface StackPorts {
  postgres: number;
  clickhouseHttp: number;
  clickhouseTcp: number;
  clickhouseInterserver: number;
  kafka: number;
  kafkaController: number;
  cassandraCql: number;
  cassandraStorage: number;
}

export interface PostgresTarget extends HostPort {
  user: string;
  password: string;
  database: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what}: port ${port} is out of range`, 'Use a port between 1 and 65535.');
  }
  return port;
}

/** "host:port", "[::1]:port" or "host" (then defaultPort). */
export function parseHostPort(text: string, defaultPort: number, what = 'address'): HostPort {
  const s = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: checkPort(v6[2] ? Number(v6[2]) : defaultPort, what) };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m)
    throw new UsageError(
      `${what}: cannot parse "${text}" as host:port`,
      'Write it as host:port, e.g. 127.0.0.1:19092.',
    );
  return { host: m[1]!, port: checkPort(m[2] ? Number(m[2]) : defaultPort, what) };
}

export function parseUrlHostPort(text: string, defaultPort: number, what: string): HostPort {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(
      `${what}: "${text}" is not a URL`,
      'Write it as scheme://host:port, e.g. http://127.0.0.1:18123.',
    );
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: checkPort(u.port ? Number(u.port) : defaultPort, what) };
}

export function parsePostgresUrl(text: string): PostgresTarget {
  const hp = parseUrlHostPort(text, 5432, 'postgres.url');
  const u = new URL(text);
  return {
    ...hp,
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password),
    database:
      decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
  };
}

export function derivePorts(primary: {
  postgres: number;
  clickhouseHttp: number;
  kafka: number;
  cassandraCql: number;
}): StackPorts {
  const ports: StackPorts = {
    postgres: primary.postgres,
    clickhouseHttp: primary.clickhouseHttp,
    clickhouseTcp: primary.clickhouseHttp + (9000 - 8123),
    clickhouseInterserver: primary.clickhouseHttp + (9009 - 8123),
    kafka: primary.kafka,
    kafkaController: primary.kafka + 1,
    cassandraCql: primary.cassandraCql,
    cassandraStorage: primary.cassandraCql - (9042 - 7000),
  };
  for (const [name, port] of Object.entries(ports)) checkPort(port, `derived ${name} port`);
  return ports;
}

export interface StackEndpoints {
  postgres: PostgresTarget;
  clickhouse: HostPort;
  kafka: HostPort;
  cassandra: HostPort;
}

/** The first broker / contact point is the one the local stack serves. */
export function stackEndpoints(config: SmtConfig): StackEndpoints {
  const kafka = config.list('kafka.brokers')[0];
  const cassandra = config.list('cassandra.contactPoints')[0];
  if (!kafka)
    throw new UsageError('kafka.brokers is empty', 'Set kafka.brokers to host:port, e.g. 127.0.0.1:19092.');
  if (!cassandra)
    throw new UsageError('cassandra.contactPoints is empty', 'Set cassandra.contactPoints to host:port.');
  return {
    postgres: parsePostgresUrl(config.string('postgres.url')),
    clickhouse: parseUrlHostPort(config.string('clickhouse.url'), 8123, 'clickhouse.url'),
    kafka: parseHostPort(kafka, 9092, 'kafka.brokers'),
    cassandra: parseHostPort(cassandra, 9042, 'cassandra.contactPoints'),
  };
}

export function stackPorts(endpoints: StackEndpoints): StackPorts {
  return derivePorts({
    postgres: endpoints.postgres.port,
    clickhouseHttp: endpoints.clickhouse.port,
    kafka: endpoints.kafka.port,
    cassandraCql: endpoints.cassandra.port,
  });
}
