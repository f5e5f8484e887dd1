import { describe, expect, it } from 'vitest';
import type { ConfigShowResult } from '../../src/core/config/show.js';
import { json, runCli } from '../helpers/cli.js';

describe('smt config show masks every credential', () => {
  it('in URLs of every store, password parameters and password keys, as table and as JSON', () => {
    const env = {
      SMT_STACK_DIR: '/nonexistent/smt-config-show',
      SMT_POSTGRES_URL: 'postgres://smt:pg-hunter2@db:5432/smt?sslpassword=pg-ssl-hunter2',
      SMT_CLICKHOUSE_URL: 'https://default:ch-hunter2@ch:8443',
      SMT_CLICKHOUSE_PASSWORD: 'ch-pw-hunter2',
      SMT_CASSANDRA_PASSWORD: 'cas-hunter2',
    };
    const table = runCli(['config', 'show'], env, 60_000);
    const asJson = runCli(['config', 'show', '--json'], env, 60_000);
    for (const r of [table, asJson]) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/hunter2/);
    }
    const shown = Object.fromEntries(json<ConfigShowResult>(asJson).keys.map((k) => [k.key, k.value]));
    expect(shown).toMatchObject({
      'postgres.url': 'postgres://smt:****@db:5432/smt?sslpassword=****',
      'clickhouse.url': 'https://default:****@ch:8443/',
      'clickhouse.password': '****',
      'cassandra.password': '****',
    });
  });
});
