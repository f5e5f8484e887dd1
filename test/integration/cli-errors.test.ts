import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStores } from '../../src/core/migrations/service.js';
import { runCli } from '../helpers/cli.js';
import { type IsolatedStores, isolatedStores } from '../helpers/isolated-stores.js';

/** The README's exit codes for errors that need the running stack to show up. */
let stores: IsolatedStores;
beforeAll(async () => {
  stores = await isolatedStores('clierr');
  await migrateStores(stores.config, ['postgres', 'cassandra', 'clickhouse']);
});
afterAll(async () => {
  await stores?.drop();
});

describe('service-side errors (CLI against the local stack)', () => {
  it('a metrics port already in use (a second daemon beside a running one) is named, exit 2', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const id = randomBytes(3).toString('hex');
      const r = runCli(['ingest', '--until-idle', '--metrics-port', String(port)], {
        ...stores.env,
        SMT_TOPIC_RAW: `t.clierr.${id}.raw`,
        SMT_INGEST_GROUP: `clierr-${id}`,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`Error: the metrics port ${port} on 127.0.0.1 is in use`);
      expect(r.stderr).toMatch(/^Hint: Give this daemon another port with --metrics-port/m);
      expect(r.stderr).not.toMatch(/bug in smt|\n\s+at /);
    } finally {
      busy.close();
    }
  });

  it('a wrong PostgreSQL password under --json is the JSON error object, exit 4', () => {
    const url = new URL(stores.env.SMT_POSTGRES_URL!);
    url.password = 'not-the-password';
    const r = runCli(['meters', 'list', '--json'], { ...stores.env, SMT_POSTGRES_URL: url.toString() });
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'LOGIN_REFUSED',
      exitCode: 4,
      message: expect.stringMatching(/^postgres: refused the connection: password authentication failed/),
    });
    expect(r.stdout + r.stderr).not.toContain('not-the-password');
  });

  it('smt ingest with a wrong PostgreSQL password exits 4 at once instead of waiting forever', () => {
    const url = new URL(stores.env.SMT_POSTGRES_URL!);
    url.password = 'not-the-password';
    const id = randomBytes(3).toString('hex');
    const r = runCli(
      ['ingest', '--until-idle', '--metrics-port', '0'],
      {
        ...stores.env,
        SMT_POSTGRES_URL: url.toString(),
        SMT_TOPIC_RAW: `t.clierr.${id}.raw`,
        SMT_INGEST_GROUP: `clierr-${id}`,
      },
      60_000,
    );
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^Error: postgres: refused the connection: password authentication failed/m);
    expect(r.stderr).not.toMatch(/waiting for postgres/);
  });
});
