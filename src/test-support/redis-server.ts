/**
 * A Redis server for tests. With FACEREC_TEST_REDIS_URL set (CI starts one), each
 * call gets its own database number on that server and flushes it on stop();
 * otherwise a throwaway `redis-server` is spawned on a free port in a temp folder
 * (no persistence) and killed on stop(). Skips when redis-server is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export type RedisServer = { url: string; stop(): Promise<void> } | { skip: string };

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      last = err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server at ${url} did not answer PING within ${timeoutMs} ms: ${(last as Error)?.message ?? 'no answer'}`);
}

/**
 * A database 1..15 of a shared server that no other test process holds: claimed
 * with SET NX on a lease key in database 0 (test files run in parallel processes),
 * flushed before use and on stop(), then released.
 */
async function onSharedServer(base: string): Promise<RedisServer> {
  const admin = new Redis(base, { maxRetriesPerRequest: 1 });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      for (let db = 1; db <= 15; db++) {
        const lease = `facerec-test:db-lease:${db}`;
        if ((await admin.set(lease, String(process.pid), 'EX', 900, 'NX')) !== 'OK') continue;
        const url = new URL(base);
        url.pathname = `/${db}`;
        const dbUrl = url.toString();
        const flush = async () => {
          const client = new Redis(dbUrl, { maxRetriesPerRequest: 1 });
          try {
            await client.flushdb();
          } finally {
            client.disconnect();
          }
        };
        await flush();
        return {
          url: dbUrl,
          stop: async () => {
            await flush();
            const release = new Redis(base, { maxRetriesPerRequest: 1 });
            try {
              await release.del(lease);
            } finally {
              release.disconnect();
            }
          },
        };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`all 15 test databases of ${base} are in use`);
  } finally {
    admin.disconnect();
  }
}

export async function startRedis(): Promise<RedisServer> {
  const shared = process.env.FACEREC_TEST_REDIS_URL;
  if (shared) return onSharedServer(shared);
  if (spawnSync('redis-server', ['--version']).error) {
    return { skip: 'skipped: redis-server is not installed (apt-get install redis-server, or set FACEREC_TEST_REDIS_URL)' };
  }
  const dir = await mkdtemp(join(tmpdir(), 'facerec-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(url, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}${stderr ? `; redis-server said: ${stderr.trim()}` : ''}`);
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
