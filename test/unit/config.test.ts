import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConfigEntry, loadConfig, maskCredentials, maskedValue } from '../../src/core/config/config.js';
import { CONFIG_KEYS } from '../../src/core/config/keys.js';
import { InvalidDataError, UsageError } from '../../src/core/errors.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'smt-config-'));
}

describe('configuration precedence', () => {
  it('uses defaults when nothing is set', () => {
    const c = loadConfig({ env: {}, cwd: tempDir() });
    expect(c.string('timezone')).toBe(CONFIG_KEYS.timezone.default);
    expect(c.entry('timezone').source).toBe('default');
    expect(c.file).toBeUndefined();
  });

  it('flag beats environment beats file beats default', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'smt.config.yaml'),
      'timezone: Australia/Sydney\nkafka:\n  partitions: 3\n  brokers: [a:1, b:2]\n',
    );
    const env = { SMT_TIMEZONE: 'America/New_York' };
    const fromFile = loadConfig({ env: {}, cwd: dir });
    expect(fromFile.string('timezone')).toBe('Australia/Sydney');
    expect(fromFile.entry('timezone').source).toBe('file');
    expect(fromFile.int('kafka.partitions')).toBe(3);
    expect(fromFile.list('kafka.brokers')).toEqual(['a:1', 'b:2']);
    const fromEnv = loadConfig({ env, cwd: dir });
    expect(fromEnv.string('timezone')).toBe('America/New_York');
    expect(fromEnv.entry('timezone').source).toBe('env');
    const fromFlag = loadConfig({ env, cwd: dir, flags: { timezone: 'UTC' } });
    expect(fromFlag.string('timezone')).toBe('UTC');
    expect(fromFlag.entry('timezone').source).toBe('flag');
  });

  it('rejects unknown keys in the file, naming the key', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'smt.config.yaml'), 'kafka:\n  brokerz: x\n');
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrowError(/unknown key "kafka.brokerz"/);
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrowError(InvalidDataError);
  });

  it('rejects a non-integer with the source named', () => {
    expect(() => loadConfig({ env: { SMT_KAFKA_PARTITIONS: 'six' }, cwd: tempDir() })).toThrowError(
      /kafka.partitions from environment variable SMT_KAFKA_PARTITIONS must be an integer/,
    );
  });

  it('fails clearly for an explicit config file that does not exist', () => {
    expect(() => loadConfig({ env: {}, cwd: tempDir(), file: 'nope.yaml' })).toThrowError(UsageError);
  });

  it('masks secrets, including the password inside a URL', () => {
    const c = loadConfig({
      env: { SMT_POSTGRES_URL: 'postgres://u:hunter2@db:5432/x', SMT_CLICKHOUSE_PASSWORD: 's3cret' },
      cwd: tempDir(),
    });
    expect(maskedValue(c.entry('postgres.url'))).not.toContain('hunter2');
    expect(maskedValue(c.entry('postgres.url'))).toContain('u:****@db');
    expect(maskedValue(c.entry('clickhouse.password'))).toBe('****');
    expect(maskedValue(c.entry('timezone'))).toBe(CONFIG_KEYS.timezone.default);
  });
});

describe('settings out of range are usage errors, not crashes', () => {
  it('integers outside their range and empty names are refused with the key and where it came from', () => {
    const cwd = tempDir();
    const refuse = (env: Record<string, string>, flags: Record<string, string> = {}) => {
      try {
        loadConfig({ env, cwd, flags });
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refuse({ SMT_INGEST_BATCH_MESSAGES: '0' })).toBe(
      'ingest.batchMessages from environment variable SMT_INGEST_BATCH_MESSAGES must be between 1 and 100000, got 0',
    );
    expect(refuse({}, { 'ingest.metricsPort': '99999' })).toBe(
      'ingest.metricsPort from flag must be between 0 and 65535, got 99999',
    );
    expect(refuse({ SMT_KAFKA_PARTITIONS: '99999999999999999999' })).toMatch(
      /^kafka.partitions .* must be between 1 and 10000/,
    );
    expect(refuse({}, { 'ingest.group': '' })).toBe('ingest.group from flag must not be empty');
    expect(refuse({ SMT_INGEST_METRICS_PORT: '0', SMT_INGEST_WORKERS: '0' })).toBe('accepted');
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, { type: string; min?: number }][])
      if (spec.type === 'int') expect(spec.min, key).toBeTypeOf('number');
  });
});

describe('every credential is masked for display', () => {
  const entry = (key: string, value: string, secret = false) =>
    ({ key, value, source: 'env', env: 'X', secret }) as unknown as ConfigEntry;
  const cases: Array<[string, string, boolean, string]> = [
    ['clickhouse.url', 'http://default:hunter2@ch:8123', false, 'http://default:****@ch:8123/'],
    ['clickhouse.url', 'http://ch:8123', false, 'http://ch:8123'],
    ['postgres.url', 'postgres://u:p@ss@db/x', true, 'postgres://u:****@db/x'],
    [
      'postgres.url',
      'postgres://db/x?sslmode=require&password=hunter2',
      true,
      'postgres://db/x?sslmode=require&password=****',
    ],
    [
      'postgres.url',
      'postgres://u:hunter2@db:5432/x?sslpassword=hunter2',
      true,
      'postgres://u:****@db:5432/x?sslpassword=****',
    ],
    ['postgres.url', 'host=db user=u password=hunter2 dbname=x', true, '****'],
    ['postgres.url', 'postgres://u:hunter2@db:99999/x', true, '****'],
    [
      'kafka.brokers',
      'https://u:hunter2@h1:9000,kafka-2:9092',
      false,
      'https://u:****@h1:9000/,kafka-2:9092',
    ],
    ['kafka.brokers', 'sasl://u:hun/ter2@h1:9092', false, 'sasl://u:****@h1:9092'],
    ['kafka.clientId', 'x password=hunter2', false, 'x password=****'],
    ['cassandra.password', 'hunter2', true, '****'],
    ['some.apiToken', 'hunter2', false, '****'],
    ['some.secretKey', 'hunter2', false, '****'],
    ['timezone', 'Europe/Stockholm', false, 'Europe/Stockholm'],
  ];
  for (const [key, value, secret, shown] of cases) {
    it(`${key} = ${JSON.stringify(value).replaceAll('hunter2', '…')}`, () => {
      expect(maskedValue(entry(key, value, secret))).toBe(shown);
    });
  }

  it('maskCredentials leaves text without credentials as it was (not re-serialised)', () => {
    expect(maskCredentials('http://127.0.0.1:18123')).toBe('http://127.0.0.1:18123');
    expect(maskCredentials('127.0.0.1:19092,127.0.0.2:19092')).toBe('127.0.0.1:19092,127.0.0.2:19092');
  });
});
