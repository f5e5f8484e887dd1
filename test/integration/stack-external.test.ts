import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { ServiceUnavailableError } from '../../src/core/errors.js';
import { stackUp } from '../../src/core/stack/orchestrator.js';
import { portOwner } from '../../src/core/stack/port-owner.js';

/**
 * Another stack directory pointed at the running stack's ports: its services answer, but this
 * stack did not start them. Nothing is started or stopped here (the refusal comes first).
 */
describe('stack up beside services it did not start', () => {
  const config = loadConfig({
    env: { ...process.env, SMT_STACK_DIR: mkdtempSync(path.join(tmpdir(), 'smt-external-')) },
  });
  const port = Number(new URL(config.string('postgres.url')).port);

  it('refuses to adopt them, naming the port and the process (exit 4)', async () => {
    const err = await stackUp(config, { services: ['postgres'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    const e = err as ServiceUnavailableError;
    expect(e.exitCode).toBe(4);
    expect(e.code).toBe('STACK_PORT_TAKEN');
    const owner = portOwner(port)!;
    expect(e.message).toContain(`postgres: port ${port} answers as postgres (`);
    expect(e.message).toContain(`did not start it: pid ${owner.pid} (uid ${owner.uid}): `);
    expect(e.hint).toMatch(/--allow-external/);
  });

  it('uses them with --allow-external, starting nothing', async () => {
    const r = await stackUp(config, { services: ['postgres'], allowExternal: true });
    expect(r.alreadyUp).toBe(true);
    expect(r.services).toMatchObject([{ service: 'postgres', action: 'external', pid: null, port }]);
  });
});
