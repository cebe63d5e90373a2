/** GET /api/v1/jobs and /jobs/:id over a real Redis and a real in-process queue worker; the Jobs page is served. */
import assert from 'node:assert/strict';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { enqueueJob } from '../queue/enqueue.js';
import { connectRedis } from '../queue/queue-connection.js';
import { startQueueWorker } from '../queue/queue-worker.js';
import { startRedis } from '../test-support/redis-server.js';
import { tempDir, writeNoFacePhoto } from '../test-support/test-datasets.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer } from './server.js';

let dir: string;
let recognizers: RecognizerSet;

before(async () => {
  dir = await tempDir('jobs-routes');
  recognizers = new RecognizerSet(1);
});
after(async () => {
  await recognizers.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('without --redis the job routes say how to enable them; the Jobs page is served with the nav', async () => {
  const app = await buildServer({ db: join(dir, 'plain.db'), logger: false, rateLimit: 0, recognizers });
  try {
    const r = await app.inject({ method: 'GET', url: '/api/v1/jobs' });
    assert.equal(r.statusCode, 404);
    assert.match(r.json().error.message, /facerec serve --redis/);
    const page = await app.inject({ method: 'GET', url: '/jobs.html' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<script type="module" src="js\/jobs.js">/);
    assert.match(page.body, /<a href="jobs.html" aria-current="page">Jobs<\/a>/);
    const gallery = await app.inject({ method: 'GET', url: '/gallery.html' });
    assert.match(gallery.body, /<a href="jobs.html">Jobs<\/a>/);
  } finally {
    await app.close();
  }
});

describe('with --redis', () => {
  let stopRedis: () => Promise<void> = async () => {};
  let redisUrl = '';
  let skip: string | undefined;
  let redis: Redis;
  let app: FastifyInstance;

  before(async () => {
    const server = await startRedis();
    if ('skip' in server) {
      skip = server.skip;
      return;
    }
    ({ url: redisUrl, stop: stopRedis } = server);
    redis = await connectRedis(redisUrl);
    app = await buildServer({ db: join(dir, 'served.db'), logger: false, rateLimit: 0, recognizers, redis: redisUrl });
  });
  after(async () => {
    await app?.close();
    redis?.disconnect();
    await stopRedis();
  });

  test('a job shows waiting photos, then done and failed ones with the error of the corrupt photo', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const photos = join(dir, 'people');
    await mkdir(join(photos, 'Ann'), { recursive: true });
    await writeNoFacePhoto(join(photos, 'Ann', 'a.jpg'));
    await writeNoFacePhoto(join(photos, 'Ann', 'b.png'));
    await writeFile(join(photos, 'Ann', 'c-broken.jpg'), 'not a picture at all');
    const record = await enqueueJob(redis, { kind: 'enroll', dir: photos, db: join(dir, 'jobs.db') });

    const list = (await app.inject({ method: 'GET', url: '/api/v1/jobs' })).json();
    assert.equal(list.jobs.length, 1);
    assert.deepEqual(
      { id: list.jobs[0].id, kind: list.jobs[0].kind, total: list.jobs[0].total, done: list.jobs[0].done, waiting: list.jobs[0].waiting, finished: list.jobs[0].finished },
      { id: record.id, kind: 'enroll', total: 3, done: 0, waiting: 3, finished: false },
    );
    assert.equal('db' in list.jobs[0], false, 'database URLs (passwords) are not shown');

    const worker = await startQueueWorker({ redisUrl, concurrency: 1 });
    let job;
    try {
      const deadline = Date.now() + 90_000;
      do {
        await new Promise((r) => setTimeout(r, 200));
        job = (await app.inject({ method: 'GET', url: `/api/v1/jobs/${record.id}` })).json();
      } while (!job.finished && Date.now() < deadline);
    } finally {
      await worker.close();
    }
    assert.equal(job.finished, true, JSON.stringify(job));
    assert.equal(job.done, 2);
    assert.equal(job.failed, 1);
    assert.equal(job.failedPhotos.length, 1);
    assert.equal(job.failedPhotos[0].path, join(photos, 'Ann', 'c-broken.jpg'));
    assert.match(job.failedPhotos[0].error, /c-broken\.jpg/);
    assert.equal(job.etaSeconds, 0);

    const missing = await app.inject({ method: 'GET', url: '/api/v1/jobs/no-such-job' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error.message, /no job "no-such-job"/);
  });
});
