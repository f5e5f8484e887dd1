import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { UsageError } from '../../src/core/errors.js';
import {
  derivePorts,
  isLoopback,
  parseHostPort,
  parsePostgresUrl,
  parseUrlHostPort,
  stackEndpoints,
  stackPorts,
} from '../../src/core/stack/ports.js';
import { parseServiceList } from '../../src/core/stack/services.js';

describe('parseHostPort', () => {
  it('reads host:port, a bare host and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:19092', 9092)).toEqual({ host: '127.0.0.1', port: 19092 });
    expect(parseHostPort(' kafka-1 ', 9092)).toEqual({ host: 'kafka-1', port: 9092 });
    expect(parseHostPort('[::1]:19042', 9042)).toEqual({ host: '::1', port: 19042 });
  });

  it('rejects ports out of range and garbage', () => {
    expect(() => parseHostPort('h:70000', 1)).toThrow(UsageError);
    expect(() => parseHostPort('h:0', 1)).toThrow(/out of range/);
    expect(() => parseHostPort('a:b:c', 1)).toThrow(/cannot parse/);
  });
});

describe('parseUrlHostPort / parsePostgresUrl', () => {
  it('uses the scheme default when the URL has no port', () => {
    expect(parseUrlHostPort('http://127.0.0.1', 8123, 'x')).toEqual({ host: '127.0.0.1', port: 8123 });
    expect(parseUrlHostPort('http://[::1]:18123/', 8123, 'x')).toEqual({ host: '::1', port: 18123 });
  });

  it('reads user, password and database, decoding escapes', () => {
    expect(parsePostgresUrl('postgres://smt:smt@127.0.0.1:55432/smt')).toEqual({
      host: '127.0.0.1',
      port: 55432,
      user: 'smt',
      password: 'smt',
      database: 'smt',
    });
    expect(parsePostgresUrl('postgres://a%40b:p%2Fw@localhost/')).toMatchObject({
      user: 'a@b',
      password: 'p/w',
      database: 'a@b',
      port: 5432,
    });
  });

  it('rejects a value that is not a URL', () => {
    expect(() => parseUrlHostPort('127.0.0.1:18123', 8123, 'clickhouse.url')).toThrow(/clickhouse.url/);
  });
});

describe('derivePorts', () => {
  it('gives the documented ports for the default addresses', () => {
    expect(
      derivePorts({ postgres: 55432, clickhouseHttp: 18123, kafka: 19092, cassandraCql: 19042 }),
    ).toEqual({
      postgres: 55432,
      clickhouseHttp: 18123,
      clickhouseTcp: 19000,
      clickhouseInterserver: 19009,
      kafka: 19092,
      kafkaController: 19093,
      cassandraCql: 19042,
      cassandraStorage: 17000,
    });
  });

  it('keeps the upstream layout for upstream ports', () => {
    const p = derivePorts({ postgres: 5432, clickhouseHttp: 8123, kafka: 9092, cassandraCql: 9042 });
    expect([p.clickhouseTcp, p.clickhouseInterserver, p.kafkaController, p.cassandraStorage]).toEqual([
      9000, 9009, 9093, 7000,
    ]);
  });

  it('refuses primaries whose derived ports fall out of range', () => {
    expect(() =>
      derivePorts({ postgres: 5432, clickhouseHttp: 65000, kafka: 9092, cassandraCql: 9042 }),
    ).toThrow(/clickhouseTcp/);
    expect(() =>
      derivePorts({ postgres: 5432, clickhouseHttp: 8123, kafka: 9092, cassandraCql: 2000 }),
    ).toThrow(/cassandraStorage/);
  });
});

describe('stackEndpoints', () => {
  it('follows the configuration, first broker and contact point', () => {
    const config = loadConfig({
      env: {
        SMT_KAFKA_BROKERS: '127.0.0.1:29092,127.0.0.1:29192',
        SMT_CLICKHOUSE_URL: 'http://localhost:28123',
        SMT_POSTGRES_URL: 'postgres://u:p@127.0.0.1:56432/db',
      },
      cwd: '/nonexistent',
    });
    const e = stackEndpoints(config);
    expect(e.kafka).toEqual({ host: '127.0.0.1', port: 29092 });
    expect(e.cassandra).toEqual({ host: '127.0.0.1', port: 19042 });
    expect(e.postgres).toMatchObject({ user: 'u', database: 'db', port: 56432 });
    expect(stackPorts(e)).toMatchObject({
      clickhouseHttp: 28123,
      clickhouseTcp: 29000,
      kafkaController: 29093,
    });
  });
});

describe('isLoopback', () => {
  it('accepts only local names', () => {
    expect(['127.0.0.1', 'localhost', '::1', 'LOCALHOST'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', 'db.example.com', '0.0.0.0'].map(isLoopback)).toEqual([false, false, false]);
  });
});

describe('parseServiceList', () => {
  it('returns all services in start order, JVMs first', () => {
    expect(parseServiceList(undefined)).toEqual(['cassandra', 'kafka', 'postgres', 'clickhouse']);
    expect(parseServiceList('clickhouse, Postgres')).toEqual(['postgres', 'clickhouse']);
  });

  it('names the unknown service', () => {
    expect(() => parseServiceList('postgres,redis')).toThrow(/redis/);
  });
});
