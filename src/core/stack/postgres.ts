import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { SmtConfig } from '../config/config.js';
import { ExitCode, errorMessage, PrerequisiteError, ServiceUnavailableError, SmtError } from '../errors.js';
import { createPostgresClient } from '../postgres/client.js';
import type { ProbeResult } from './health.js';
import { isRoot } from './prereq.js';
import { cmdline, isAlive, run, spawnDetached, stopGroup } from './proc.js';
import {
  type Installed,
  type StackContext,
  type StackService,
  startFailure,
  waitForProbe,
} from './service.js';

export const POSTGRES_MAJOR = 15;
const PG_BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;

export interface PostgresServerInput {
  dataDir: string;
  port: number;
}

/**
 * Server settings as command-line options, so initdb's postgresql.conf stays untouched. No Unix
 * socket: TCP on loopback is all smt uses, and a socket path under a deep checkout would exceed
 * the 107-byte limit. Durability is off because the data is throwaway.
 */
export function postgresServerArgs(c: PostgresServerInput): string[] {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '128MB',
    max_connections: '200',
    timezone: 'UTC',
    log_timezone: 'UTC',
    log_min_messages: 'warning',
  };
  const args = ['-D', c.dataDir, '-p', String(c.port)];
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
  return args;
}

/** initdb: the bootstrap superuser is the URL's user; password auth on TCP unless the URL has none. */
export function initdbArgs(c: { dataDir: string; user: string; pwFile?: string }): string[] {
  return [
    '-D',
    c.dataDir,
    '-U',
    c.user,
    ...(c.pwFile ? [`--pwfile=${c.pwFile}`, '--auth-host=md5'] : ['--auth-host=trust']),
    '--auth-local=peer',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ];
}

interface RunAs {
  uid?: number;
  gid?: number;
}

async function postgresAccount(): Promise<RunAs> {
  if (!isRoot()) return {};
  const ids = async () => {
    const u = await run('id', ['-u', 'postgres']);
    const g = await run('id', ['-g', 'postgres']);
    return u.code === 0 && g.code === 0
      ? { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) }
      : undefined;
  };
  let acct = await ids();
  if (!acct) {
    // PostgreSQL refuses to run as root; the Debian package creates this user, a bare install may not
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    acct = await ids();
  }
  if (!acct)
    throw new PrerequisiteError(
      'PostgreSQL cannot run as root and there is no `postgres` user',
      'Create one: `useradd --system --user-group postgres`.',
    );
  return acct;
}

/** Can the account reach and write `dir`? (A checkout under /root is not traversable by `postgres`.) */
async function reachable(dir: string, as: RunAs): Promise<boolean> {
  if (as.uid === undefined) return true;
  const r = await run('test', ['-w', dir, '-a', '-x', dir], as);
  return r.code === 0;
}

function chownTree(p: string, as: RunAs): void {
  if (as.uid !== undefined && as.gid !== undefined) chownSync(p, as.uid, as.gid);
}

/**
 * A directory that another local user could have planted, or can read, is never used as
 * PostgreSQL's data or handed to initdb: it must be a real directory (not a symlink) owned by the
 * account the server runs as, with no access for group or others.
 */
export function checkPrivateDir(dir: string, uid: number): void {
  const refuse = (why: string) =>
    new SmtError(`postgres: refusing the data directory ${dir}: ${why}`, {
      exitCode: ExitCode.unavailable,
      code: 'STACK_UNSAFE_DIR',
      hint: 'Another local user may have prepared it. Check who owns it; `smt stack down --services postgres --purge` makes a new one.',
    });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw refuse('it is not a directory');
  if (st.uid !== uid) throw refuse(`it is owned by uid ${st.uid}, not by uid ${uid} that runs the server`);
  if ((st.mode & 0o077) !== 0)
    throw refuse(`its mode ${(st.mode & 0o777).toString(8)} lets other users in (expected 700)`);
}

/**
 * The data directory as the server sees it. Normally <stack>/postgres/data; when the `postgres`
 * account cannot traverse the checkout, a directory under /var/tmp, created by mkdtemp (exclusive,
 * unpredictable name: nobody can prepare it in advance) and linked from <stack>/postgres/data so
 * `stack down --purge` and people still find it. Reused only after checkPrivateDir.
 */
async function dataDir(ctx: StackContext, as: RunAs): Promise<string> {
  const link = ctx.paths.data('postgres');
  const owner = as.uid ?? process.getuid?.() ?? -1;
  if (existsSync(link)) {
    const real = realpathSync(link);
    checkPrivateDir(real, owner);
    return real;
  }
  mkdirSync(link, { recursive: true, mode: 0o700 });
  chownTree(link, as);
  if (await reachable(link, as)) return link;
  rmSync(link, { recursive: true, force: true });
  const real = mkdtempSync('/var/tmp/smt-postgres-');
  chownTree(real, as);
  symlinkSync(real, link);
  ctx.info(
    `postgres: the postgres account cannot reach ${ctx.paths.service('postgres')}; data lives in ${real}`,
  );
  return real;
}

/**
 * initdb's password file: in a fresh mkdtemp directory (0700, the server's account) next to the
 * data directory, created with O_EXCL, so no planted file or symlink can receive the password.
 */
function writePasswordFile(
  dataDirectory: string,
  password: string,
  as: RunAs,
): { file: string; dir: string } {
  const dir = mkdtempSync(path.join(path.dirname(dataDirectory), '.smt-pw-'));
  const file = path.join(dir, 'pwfile');
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  chownTree(file, as);
  chownTree(dir, as);
  return { file, dir };
}

/** The real directory behind a possibly symlinked data dir, for `--purge`. */
export function postgresDataTarget(link: string): string | undefined {
  try {
    return lstatSync(link).isSymbolicLink() ? realpathSync(link) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A postmaster.pid left by a killed server blocks the next start if its PID now belongs to
 * another process; remove it when that PID is not a postgres on this data directory.
 */
function clearStaleLock(dir: string): void {
  const lock = path.join(dir, 'postmaster.pid');
  if (!existsSync(lock)) return;
  const pid = Number.parseInt(readFileSync(lock, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && cmdline(pid).includes(dir)) return;
  rmSync(lock, { force: true });
}

async function ensureDatabase(config: SmtConfig, database: string): Promise<void> {
  const client = createPostgresClient(config, { database: 'postgres' });
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgres: StackService = {
  name: 'postgres',
  readyTimeoutMs: 60_000,

  ports: (ctx) => [ctx.ports.postgres],

  marker: (ctx) => {
    const link = ctx.paths.data('postgres');
    return existsSync(link) ? realpathSync(link) : link;
  },

  async install(ctx): Promise<Installed> {
    if (!existsSync(path.join(PG_BIN, 'postgres'))) {
      await ctx.apt.install(
        [`postgresql-${POSTGRES_MAJOR}`],
        `PostgreSQL ${POSTGRES_MAJOR} is not installed (${PG_BIN})`,
      );
    }
    if (!existsSync(path.join(PG_BIN, 'postgres'))) {
      throw new PrerequisiteError(
        `PostgreSQL ${POSTGRES_MAJOR} binaries are missing in ${PG_BIN}`,
        `Install them: \`apt-get install -y postgresql-${POSTGRES_MAJOR}\`.`,
      );
    }
    const v = await run(path.join(PG_BIN, 'postgres'), ['--version']);
    return { version: /(\d+\.\d+)/.exec(v.stdout)?.[1] ?? String(POSTGRES_MAJOR), home: PG_BIN };
  },

  async start(ctx, installed): Promise<number> {
    const as = await postgresAccount();
    const p = ctx.paths;
    for (const d of [p.logs('postgres'), p.conf('postgres')]) mkdirSync(d, { recursive: true });
    const dir = await dataDir(ctx, as);
    if (!existsSync(path.join(dir, 'PG_VERSION'))) {
      const target = ctx.endpoints.postgres;
      // the password file must be readable by the postgres account, so it sits in the data dir's parent
      const pw = target.password ? writePasswordFile(dir, target.password, as) : undefined;
      const pwFile = pw?.file;
      ctx.info(`postgres: initdb (user ${target.user}${pwFile ? ', password auth' : ', trust auth'})`);
      try {
        const r = await run(
          path.join(installed.home, 'initdb'),
          initdbArgs({ dataDir: dir, user: target.user, ...(pwFile ? { pwFile } : {}) }),
          as,
        );
        writeFileSync(p.logFile('postgres'), `${r.stdout}${r.stderr}`, { flag: 'a' });
        if (r.code !== 0) throw startFailure(ctx, 'postgres', `initdb failed (exit ${r.code})`);
      } finally {
        if (pw) rmSync(pw.dir, { recursive: true, force: true });
      }
    }
    chmodSync(dir, 0o700);
    clearStaleLock(dir);
    return spawnDetached(
      path.join(installed.home, 'postgres'),
      postgresServerArgs({ dataDir: dir, port: ctx.ports.postgres }),
      {
        logFile: p.logFile('postgres'),
        cwd: dir,
        ...as,
      },
    );
  },

  async waitReady(ctx, pid, timeoutMs): Promise<ProbeResult> {
    const deadline = Date.now() + timeoutMs;
    // the configured database does not exist after initdb; the maintenance database always does
    await waitForProbe(ctx, 'postgres', pid, timeoutMs, { postgresDatabase: 'postgres' });
    const database = ctx.endpoints.postgres.database;
    try {
      await ensureDatabase(ctx.config, database);
    } catch (err) {
      throw new ServiceUnavailableError(
        'postgres',
        `could not create database ${database}: ${errorMessage(err)}`,
      );
    }
    return waitForProbe(ctx, 'postgres', pid, Math.max(1000, deadline - Date.now()));
  },

  // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for every client to leave
  stop: (_ctx, pid) => stopGroup(pid, 'SIGINT', 30_000),
};
