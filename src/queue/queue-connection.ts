/**
 * Where the photo queue lives: one BullMQ queue ("photos", keys under the
 * "facerec" prefix) on the Redis server named by --redis, plus a few plain keys
 * per batch job (its record, the photos done, the photos failed) that
 * `facerec jobs` and the web app read. Every process (enqueue, workers on any
 * machine, API nodes) only needs the same Redis URL.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { FacerecError } from '../errors.js';
import { checkRedisUrl } from './redis-url.js';

export { checkRedisUrl, DEFAULT_REDIS_URL } from './redis-url.js';

export const QUEUE_PREFIX = 'facerec';
export const QUEUE_NAME = 'photos';

export const jobKeys = (jobId: string) => ({
  record: `${QUEUE_PREFIX}:job:${jobId}`,
  done: `${QUEUE_PREFIX}:job:${jobId}:done`,
  failed: `${QUEUE_PREFIX}:job:${jobId}:failed`,
});
/** Sorted set of job ids by creation time (ms). */
export const JOBS_KEY = `${QUEUE_PREFIX}:jobs`;

/**
 * A Redis connection that fails fast with one sentence when the server is not
 * there (instead of ioredis retrying forever). BullMQ workers need
 * maxRetriesPerRequest null (blocking commands), hence `forWorker`.
 */
export async function connectRedis(url: string, options: { forWorker?: boolean } = {}): Promise<Redis> {
  checkRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: options.forWorker ? null : 3,
    // Reconnect after a blip, but the first connect below fails fast.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.connect(),
      // The first refused connection ends the attempt (ioredis alone would keep retrying).
      new Promise((_, reject) => client.once('error', reject)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000))),
    ]).finally(() => clearTimeout(timer));
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new FacerecError('IO_ERROR', `Cannot reach Redis at ${url}: ${(lastError ?? (err as Error)).message} (is redis-server running? see --redis)`);
  }
  return client;
}

export function openQueue(connection: Redis): Queue {
  return new Queue(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
}
