import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';

/**
 * The README's exit-code table, checked through the real CLI for errors that need no service:
 * each is refused before anything connects, with a message and a hint, never a stack trace.
 */
function expectUsage(r: CliResult, message: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^Hint: /m);
  expect(r.stderr).not.toMatch(/bug in smt|\n\s+at /);
}

function expectJsonUsage(r: CliResult, message: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const parsed = JSON.parse(r.stdout) as { error: Record<string, unknown> };
  expect(Object.keys(parsed.error)).toEqual(['code', 'message', 'hint', 'exitCode', 'details']);
  expect(parsed.error).toMatchObject({ code: 'USAGE', exitCode: 2, details: null });
  expect(parsed.error.message).toMatch(message);
  expect(parsed.error.hint).toMatch(/--help/);
}

const NO_STACK = { SMT_STACK_DIR: '/nonexistent/smt-cli-errors' };

describe('usage errors exit 2 with a hint', () => {
  it('--metrics-port 99999', () => {
    expectUsage(
      runCli(['ingest', '--until-idle', '--metrics-port', '99999'], NO_STACK, 60_000),
      /^Error: ingest.metricsPort from flag must be between 0 and 65535, got 99999$/m,
    );
  });

  it("--group ''", () => {
    expectUsage(
      runCli(['ingest', '--until-idle', '--group', ''], NO_STACK, 60_000),
      /^Error: ingest.group from flag must not be empty$/m,
    );
  });

  it('meters list --offset 99999999999999999999 (beyond an exact integer)', () => {
    expectUsage(
      runCli(['meters', 'list', '--offset', '99999999999999999999'], NO_STACK, 60_000),
      /Expected an integer less than or equal to 9007199254740991 but received: 99999999999999999999/,
    );
  });

  for (const [name, url, why] of [
    ['not a URL', '//smt:hunter2@db/smt', /it does not parse as a URL/],
    ['a port above 65535', 'postgres://smt:hunter2@127.0.0.1:99999/smt', /it does not parse as a URL/],
    [
      'the wrong scheme',
      'http://smt:hunter2@127.0.0.1:5432/smt',
      /the scheme is "http", expected postgres or postgresql/,
    ],
    [
      'a broken percent-encoding',
      'postgres://smt:hunt%ZZer2@127.0.0.1:5432/smt',
      /not a valid percent-encoding/,
    ],
  ] as const) {
    it(`a malformed SMT_POSTGRES_URL (${name}) names the key and never echoes the password`, () => {
      const r = runCli(['meters', 'list'], { ...NO_STACK, SMT_POSTGRES_URL: url }, 60_000);
      expectUsage(
        r,
        /^Error: postgres.url from environment variable SMT_POSTGRES_URL is not a usable URL: /m,
      );
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toContain('hunt');
    });
  }

  it('a malformed SMT_CLICKHOUSE_URL names its key', () => {
    expectUsage(
      runCli(['status'], { ...NO_STACK, SMT_CLICKHOUSE_URL: 'ftp://127.0.0.1:18123' }, 60_000),
      /^Error: clickhouse.url from environment variable SMT_CLICKHOUSE_URL is not a usable URL: the scheme is "ftp"/m,
    );
  });
});

describe('under --json, usage errors print the JSON error object on stdout', () => {
  it('an unknown flag', () => {
    expectJsonUsage(
      runCli(['meters', 'list', '--bogus', '--json'], NO_STACK, 60_000),
      /^Nonexistent flag: --bogus/,
    );
  });

  it('a missing argument', () => {
    expectJsonUsage(runCli(['meters', 'show', '--json'], NO_STACK, 60_000), /^Missing 1 required arg/);
  });

  it('a flag value out of range', () => {
    expectJsonUsage(
      runCli(['meters', 'list', '--offset', '99999999999999999999', '--json'], NO_STACK, 60_000),
      /less than or equal to 9007199254740991/,
    );
  });

  it('a setting out of range', () => {
    const r = runCli(['ingest', '--until-idle', '--metrics-port', '99999', '--json'], NO_STACK, 60_000);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'USAGE', exitCode: 2 });
  });
});
