/**
 * Batch job progress (facerec enqueue / worker) for the Jobs page: GET /jobs and
 * /jobs/:id, read from the queue's Redis (facerec serve --redis URL). Without
 * --redis both answer 404 saying how to enable them. Redis is connected on the
 * first request, and again after a failure; an unreachable Redis is a 503.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from './api-error.js';
import { errors } from './schemas.js';

const failedPhoto = {
  type: 'object',
  properties: { index: { type: 'integer' }, path: { type: 'string' }, error: { type: 'string' }, attempts: { type: 'integer' } },
  required: ['index', 'path', 'error', 'attempts'],
} as const;

const jobOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['enroll', 'identify'] },
    dir: { type: 'string' },
    total: { type: 'integer' },
    createdAt: { type: 'string' },
    done: { type: 'integer' },
    failed: { type: 'integer' },
    active: { type: 'integer' },
    waiting: { type: 'integer' },
    rate: { type: ['number', 'null'], description: 'photos per second' },
    etaSeconds: { type: ['number', 'null'] },
    finished: { type: 'boolean' },
    failedPhotos: { type: 'array', items: failedPhoto },
  },
  required: ['id', 'kind', 'total', 'done', 'failed', 'active', 'waiting', 'rate', 'etaSeconds', 'finished'],
} as const;

export function registerJobRoutes(api: FastifyInstance, redisUrl: string | null | undefined): void {
  let client: Promise<Redis> | undefined;
  const redis = async (): Promise<Redis> => {
    if (!redisUrl) throw new ApiError(404, 'NOT_FOUND', 'The job queue is not enabled on this server: start it with facerec serve --redis redis://HOST:6379');
    // The Redis client is loaded only by servers started with --redis.
    client ??= import('../queue/queue-connection.js').then((m) => m.connectRedis(redisUrl));
    try {
      return await client;
    } catch (err) {
      client = undefined;
      throw new ApiError(503, 'BUSY', (err as Error).message, { cause: err });
    }
  };
  api.addHook('onClose', async () => {
    if (client) (await client.catch(() => undefined))?.disconnect();
  });

  api.get(
    '/jobs',
    {
      schema: {
        summary: 'Batch jobs on the queue (newest first) with their progress',
        tags: ['jobs'],
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
        response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: jobOut } }, required: ['jobs'] }, ...errors },
      },
    },
    async (request) => {
      const { limit } = request.query as { limit: number };
      // The list leaves out each job's failed photos: GET /jobs/:id has them.
      return { jobs: (await (await import('../queue/job-progress.js')).listJobs(await redis(), limit)).map(({ failedPhotos: _f, db: _db, ...p }) => p) };
    },
  );

  api.get(
    '/jobs/:id',
    {
      schema: {
        summary: "One job's progress and its failed photos with their errors",
        tags: ['jobs'],
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } }, required: ['id'] },
        response: { 200: jobOut, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      // db is left out: a PostgreSQL URL may carry a password.
      const { db: _db, ...p } = await (await import('../queue/job-progress.js')).jobProgress(await redis(), id);
      return p;
    },
  );
}
