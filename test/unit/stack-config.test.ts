import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  cassandraJvmArgs,
  renderCassandraLogback,
  renderCassandraYaml,
} from '../../src/core/stack/cassandra.js';
import { renderClickHouseConfig, renderClickHouseUsers } from '../../src/core/stack/clickhouse.js';
import { parseJavaMajor } from '../../src/core/stack/jvm.js';
import {
  kafkaArtifacts,
  kafkaJvmArgs,
  renderKafkaLog4j,
  renderKafkaServerProperties,
} from '../../src/core/stack/kafka.js';
import { mavenError, renderFetchPom } from '../../src/core/stack/maven.js';
import { initdbArgs, postgresServerArgs } from '../../src/core/stack/postgres.js';

function properties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** `<tag>value</tag>` of the first occurrence. */
function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

describe('ClickHouse config', () => {
  const xml = renderClickHouseConfig({
    dataDir: '/s/clickhouse/data',
    logDir: '/s/clickhouse/logs',
    httpPort: 18123,
    tcpPort: 19000,
    interserverPort: 19009,
  });

  it('listens on loopback at the given ports and keeps data in the stack dir', () => {
    expect(xmlValue(xml, 'listen_host')).toBe('127.0.0.1');
    expect([
      xmlValue(xml, 'http_port'),
      xmlValue(xml, 'tcp_port'),
      xmlValue(xml, 'interserver_http_port'),
    ]).toEqual(['18123', '19000', '19009']);
    expect(xmlValue(xml, 'path')).toBe('/s/clickhouse/data/');
    expect(xmlValue(xml, 'tmp_path')).toBe('/s/clickhouse/data/tmp/');
    expect(xmlValue(xml, 'log')).toBe('/s/clickhouse/logs/server.log');
    expect(xmlValue(xml, 'timezone')).toBe('UTC');
    expect(xml).toMatch(/^<\?xml[^\n]*\n(<!--[^\n]*-->\n)?<yandex>/);
  });

  it('escapes XML in paths', () => {
    const odd = renderClickHouseConfig({
      dataDir: '/a&b<c',
      logDir: '/l',
      httpPort: 1,
      tcpPort: 2,
      interserverPort: 3,
    });
    expect(xmlValue(odd, 'path')).toBe('/a&amp;b&lt;c/');
  });

  it('enables LowCardinality and caps threads in the default profile', () => {
    const users = renderClickHouseUsers();
    expect(xmlValue(users, 'allow_experimental_low_cardinality_type')).toBe('1');
    expect(xmlValue(users, 'max_threads')).toBe('2');
    expect(users).toContain('<ip>127.0.0.1</ip>');
  });
});

describe('Kafka config', () => {
  const props = properties(
    renderKafkaServerProperties({ dataDir: '/s/kafka/data', port: 19092, controllerPort: 19093 }),
  );

  it('is a single KRaft node in combined mode on loopback', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props['log.dirs']).toBe('/s/kafka/data');
  });

  it('makes internal topics fit one broker', () => {
    for (const k of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'default.replication.factor',
    ]) {
      expect(props[k], k).toBe('1');
    }
    expect(props['offsets.topic.num.partitions']).toBe('1');
  });

  it('logs WARN and up, plus the start-up line', () => {
    const log4j = properties(renderKafkaLog4j());
    expect(log4j['log4j.rootLogger']).toBe('WARN, stdout');
    expect(log4j['log4j.logger.kafka.server.KafkaRaftServer']).toBe('INFO');
  });

  it('caps heap and CPU and points log4j at the conf dir', () => {
    const args = kafkaJvmArgs({ confDir: '/s/kafka/conf', logDir: '/s/kafka/logs', jit: 'quick' });
    expect(args).toEqual(
      expect.arrayContaining([
        '-Xmx512m',
        '-XX:ParallelGCThreads=2',
        '-XX:TieredStopAtLevel=1',
        '-Dlog4j.configuration=file:/s/kafka/conf/log4j.properties',
      ]),
    );
  });

  it('keeps the full tiered JIT under the throughput profile, with the thread caps', () => {
    for (const args of [
      kafkaJvmArgs({ confDir: '/k', logDir: '/l', jit: 'throughput' }),
      cassandraJvmArgs({ confDir: '/c', dataDir: '/d', logDir: '/l', jammJar: '/j.jar', jit: 'throughput' }),
    ]) {
      expect(args.filter((a) => a.startsWith('-XX:TieredStopAtLevel'))).toEqual([]);
      expect(args).toContain('-XX:CICompilerCount=2');
    }
  });

  it('fetches a logging backend along with the broker', () => {
    expect(kafkaArtifacts('3.9.2').map((a) => a.artifactId)).toEqual([
      'kafka_2.13',
      'slf4j-reload4j',
      'reload4j',
    ]);
  });
});

describe('Cassandra config', () => {
  const yaml = parseYaml(
    renderCassandraYaml({ dataDir: '/s/cassandra/data', cqlPort: 19042, storagePort: 17000 }),
  ) as Record<string, unknown>;

  it('has every directive 5.0 requires, on loopback', () => {
    expect(yaml).toMatchObject({
      partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
      endpoint_snitch: 'SimpleSnitch',
      commitlog_sync: 'periodic',
      commitlog_sync_period: '10000ms',
      listen_address: '127.0.0.1',
      rpc_address: '127.0.0.1',
      native_transport_port: 19042,
      storage_port: 17000,
      auto_snapshot: false,
      num_tokens: 1,
    });
    expect(yaml.seed_provider).toEqual([
      {
        class_name: 'org.apache.cassandra.locator.SimpleSeedProvider',
        parameters: [{ seeds: '127.0.0.1:17000' }],
      },
    ]);
    expect(yaml.data_file_directories).toEqual(['/s/cassandra/data/data']);
    expect(yaml.commitlog_directory).toBe('/s/cassandra/data/commitlog');
  });

  it('survives paths that need YAML quoting', () => {
    const odd = parseYaml(
      renderCassandraYaml({ dataDir: '/tmp/a: b #c', cqlPort: 1, storagePort: 2 }),
    ) as Record<string, unknown>;
    expect(odd.hints_directory).toBe('/tmp/a: b #c/hints');
  });

  it('runs on Java 17 with a 1 GiB heap and the config from the conf dir', () => {
    const args = cassandraJvmArgs({
      confDir: '/c',
      dataDir: '/d',
      logDir: '/l',
      jammJar: '/lib/jamm-0.4.0.jar',
      jit: 'quick',
    });
    expect(args).toEqual(
      expect.arrayContaining([
        '-Xms1G',
        '-Xmx1G',
        '-javaagent:/lib/jamm-0.4.0.jar',
        '-Dcassandra.config=file:///c/cassandra.yaml',
        '-Dcassandra-foreground=yes',
      ]),
    );
    const opens = args.flatMap((a, i) => (a === '--add-opens' ? [args[i + 1]] : []));
    expect(opens).toContain('java.base/java.lang=ALL-UNNAMED');
    expect(opens).toContain('java.base/sun.nio.ch=ALL-UNNAMED');
    expect(renderCassandraLogback()).toContain('<root level="INFO">');
  });
});

describe('PostgreSQL arguments', () => {
  it('listens on loopback TCP only, without durability', () => {
    const args = postgresServerArgs({ dataDir: '/d', port: 55432 });
    expect(args.slice(0, 4)).toEqual(['-D', '/d', '-p', '55432']);
    const settings = Object.fromEntries(
      args.flatMap((a, i) => (args[i - 1] === '-c' ? [a.split('=')] : [])) as [string, string][],
    );
    expect(settings).toMatchObject({
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      fsync: 'off',
      synchronous_commit: 'off',
    });
  });

  it('initdb uses password auth only when the URL has a password', () => {
    expect(initdbArgs({ dataDir: '/d', user: 'smt', pwFile: '/pw' })).toEqual(
      expect.arrayContaining(['-U', 'smt', '--pwfile=/pw', '--auth-host=md5']),
    );
    expect(initdbArgs({ dataDir: '/d', user: 'smt' })).toContain('--auth-host=trust');
    expect(initdbArgs({ dataDir: '/d', user: 'smt' }).some((a) => a.startsWith('--pwfile'))).toBe(false);
  });
});

describe('Maven fetch pom', () => {
  it('lists the artifacts and pins the dependency plugin', () => {
    const pom = renderFetchPom('kafka', kafkaArtifacts('3.9.2'));
    expect(pom).toContain('<artifactId>kafka-runtime</artifactId>');
    expect(pom).toContain(
      '<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>3.9.2</version></dependency>',
    );
    expect(pom).toContain('<version>3.6.1</version>');
    expect(pom).toContain('<packaging>pom</packaging>');
  });
});

describe('parseJavaMajor', () => {
  it('reads old and new version strings', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_402"')).toBe(8);
    expect(parseJavaMajor('openjdk version "25" 2025-09-16')).toBe(25);
    expect(parseJavaMajor('nonsense')).toBeUndefined();
  });
});

describe('mavenError', () => {
  it('keeps the first real error line, without colours and boilerplate', () => {
    const out = [
      '\u001b[0m[ERROR] Could not create local repository at /nonexistent/.m2/repository -> [Help 1]',
      '[ERROR] ',
      '[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.',
    ].join('\n');
    expect(mavenError(out)).toBe('Could not create local repository at /nonexistent/.m2/repository');
  });

  it('returns an empty string when Maven printed no error', () => {
    expect(mavenError('[INFO] BUILD FAILURE\n')).toBe('');
  });
});
