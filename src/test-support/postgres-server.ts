/**
 * A throwaway PostgreSQL server for tests: initdb into a temp folder, started on
 * a free port with fsync off, stopped and deleted by stop(). Uses the Debian
 * binaries (/usr/lib/postgresql/<version>/bin, or FACEREC_PG_BIN); when the
 * tests run as root (containers), the server runs as the `postgres` user, since
 * PostgreSQL refuses to run as root.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface PostgresServer {
  /** A superuser URL to the server's `postgres` maintenance database. */
  connectionString: string;
  /** The same as connectionString. */
  url: string;
  stop(): Promise<void>;
}

function binDir(): string | undefined {
  if (process.env.FACEREC_PG_BIN) return process.env.FACEREC_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  return dir;
}

/** Why PostgreSQL tests cannot run here, or false when they can. */
export function postgresSkip(): string | false {
  if (process.env.FACEREC_TEST_POSTGRES_URL) return false;
  if (!binDir()) return 'skipped: PostgreSQL server binaries are not installed (apt-get install postgresql, or set FACEREC_PG_BIN)';
  if (userInfo().uid === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'skipped: running as root and there is no "postgres" user to run the server as';
  return false;
}

/**
 * A PostgreSQL server: the one named by FACEREC_TEST_POSTGRES_URL (a superuser
 * URL; CI starts it; stop() leaves it running), else a throwaway cluster.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const shared = process.env.FACEREC_TEST_POSTGRES_URL;
  if (shared) return { connectionString: shared, url: shared, stop: async () => {} };
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const dir = await mkdtemp(join(tmpdir(), 'facerec-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const cmd = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'facerec', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`, 'start']);
  const url = `postgres://facerec@127.0.0.1:${port}/postgres`;
  return {
    connectionString: url,
    url,
    stop: async () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Creates a fresh empty database `<prefix>_<random>` on the server at `serverUrl`
 * (a superuser URL) and returns its URL and a drop() that removes it (closing any
 * connection still open to it).
 */
export async function createDatabase(serverUrl: string, prefix = 'facerec_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * A fresh empty database for one test file: on FACEREC_TEST_POSTGRES_URL's server
 * when set, else on a throwaway cluster of its own; { skip } with the reason when
 * PostgreSQL is not installed. stop() drops the database (and the cluster).
 * `server` is the superuser URL, for createDatabase() of further empty databases.
 */
export async function startPostgresDatabase(): Promise<{ url: string; server: string; stop(): Promise<void> } | { skip: string }> {
  const skip = postgresSkip();
  if (skip) return { skip };
  const server = await startPostgres();
  try {
    const db = await createDatabase(server.url);
    return {
      url: db.url,
      server: server.url,
      stop: async () => {
        try {
          await db.drop();
        } finally {
          await server.stop();
        }
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
