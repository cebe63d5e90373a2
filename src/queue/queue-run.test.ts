/**
 * A real queue run: Redis, two `facerec worker` child processes, one SIGKILLed
 * in the middle of an identify job. Every photo must end processed exactly once:
 * one set of result rows per photo (none missing, none twice), the enrolled
 * gallery complete (a plain re-enrol adds nothing), and the corrupt photo in the
 * job's failed list with its error.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { enrollPersons } from '../enroll/enroll.js';
import { scanDataset } from '../enroll/dataset-layout.js';
import { createPipelinePool } from '../pool/pipeline-pool.js';
import { sharedData, sharedDataSkip } from '../test-support/fixtures.js';
import { startRedis } from '../test-support/redis-server.js';
import { spawnWorker, type WorkerProcess } from '../test-support/queue-workers.js';
import { runCli, tempDir } from '../test-support/test-datasets.js';
import { postgresSkip, startPostgres } from '../test-support/postgres-server.js';
import { openJobGallery } from './open-gallery.js';
import { jobProgress } from './job-progress.js';
import { openJobResultStore } from './job-result-store.js';
import { connectRedis } from './queue-connection.js';
import type { JobProgress } from './queue-types.js';

const lfw = sharedData('lfw-view1/lfw');
const ENROLL_PERSONS = 25;
const IDENTIFY_PHOTOS = 200;

/** Enrol set: 2 photos each of the first persons with ≥ 3; identify set: other photos (their 3rd ones first), plus one corrupt file. */
async function buildDatasets(root: string): Promise<{ enrollDir: string; identifyDir: string; identifyPaths: string[]; corrupt: string }> {
  const enrollDir = join(root, 'enrol');
  const identifyDir = join(root, 'identify');
  await mkdir(identifyDir, { recursive: true });
  const persons = (await readdir(lfw!)).sort();
  const identifyPaths: string[] = [];
  let enrolled = 0;
  for (const person of persons) {
    const files = (await readdir(join(lfw!, person))).filter((f) => f.endsWith('.jpg')).sort();
    let rest = files;
    if (enrolled < ENROLL_PERSONS && files.length >= 3) {
      await mkdir(join(enrollDir, person), { recursive: true });
      for (const f of files.slice(0, 2)) await symlink(join(lfw!, person, f), join(enrollDir, person, f));
      rest = files.slice(2);
      enrolled++;
    }
    for (const f of rest.slice(0, 1)) {
      if (identifyPaths.length >= IDENTIFY_PHOTOS) break;
      const to = join(identifyDir, f);
      await symlink(join(lfw!, person, f), to);
      identifyPaths.push(to);
    }
    if (enrolled >= ENROLL_PERSONS && identifyPaths.length >= IDENTIFY_PHOTOS) break;
  }
  const corrupt = join(identifyDir, 'zz-corrupt.jpg');
  await writeFile(corrupt, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]));
  return { enrollDir, identifyDir, identifyPaths, corrupt };
}

async function waitFor(redis: Redis, jobId: string, until: (p: JobProgress) => boolean, timeoutMs: number): Promise<JobProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await jobProgress(redis, jobId);
    if (until(p)) return p;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck: ${JSON.stringify({ ...p, failedPhotos: p.failedPhotos.length })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function enqueue(dir: string, job: string, redisUrl: string, db: string): Promise<string> {
  const r = await runCli(['enqueue', dir, '--job', job, '--redis', redisUrl, '--db', db]);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

function queueRunSuite(name: string, skip: string | false, database: () => Promise<{ db: string; stop(): Promise<void> }>) {
  describe(`queue run on ${name}`, { skip }, () => {
    let root: string;
    let redisUrl: string;
    let stopRedis: () => Promise<void> = async () => {};
    let db: string;
    let stopDb: () => Promise<void> = async () => {};
    let redis: Redis;
    const workers: WorkerProcess[] = [];
    let redisSkip: string | undefined;

    before(async () => {
      const server = await startRedis();
      if ('skip' in server) {
        redisSkip = server.skip;
        return;
      }
      redisUrl = server.url;
      stopRedis = server.stop;
      redis = await connectRedis(redisUrl);
      root = await tempDir('facerec-queue-');
      ({ db, stop: stopDb } = await database());
    });

    after(async () => {
      for (const w of workers) await w.kill();
      redis?.disconnect();
      await stopDb();
      await stopRedis();
      if (root) await rm(root, { recursive: true, force: true });
    });

    test('two workers, one SIGKILLed mid-job: every photo processed exactly once, the corrupt one failed with its error', { timeout: 240_000 }, async (t) => {
      if (redisSkip) return t.skip(redisSkip);
      const data = await buildDatasets(root);
      const workerArgs = ['--redis', redisUrl, '--concurrency', '1'];
      workers.push(...(await Promise.all([spawnWorker(workerArgs), spawnWorker(workerArgs)])));

      // Enrol through the queue.
      const enrollJob = await enqueue(data.enrollDir, 'enroll', redisUrl, db);
      const enrolled = await waitFor(redis, enrollJob, (p) => p.finished, 120_000);
      assert.equal(enrolled.total, ENROLL_PERSONS * 2);
      assert.equal(enrolled.done, enrolled.total, JSON.stringify(enrolled.failedPhotos));

      // Identify, killing one worker once a fifth is done (its in-flight photos must be retried by the other).
      const identifyJob = await enqueue(data.identifyDir, 'identify', redisUrl, db);
      await waitFor(redis, identifyJob, (p) => p.done >= IDENTIFY_PHOTOS / 5, 120_000);
      const killed = workers[0]!;
      const doneAtKill = (await jobProgress(redis, identifyJob)).done;
      await killed.kill();
      assert.equal(killed.child.signalCode, 'SIGKILL');
      const finished = await waitFor(redis, identifyJob, (p) => p.finished, 180_000);
      assert.ok(doneAtKill < finished.total - 1, 'the kill happened mid-job');

      assert.equal(finished.total, IDENTIFY_PHOTOS + 1);
      assert.equal(finished.done, IDENTIFY_PHOTOS);
      assert.equal(finished.failed, 1);
      assert.equal(finished.failedPhotos[0]!.path, data.corrupt);
      assert.match(finished.failedPhotos[0]!.error, /zz-corrupt\.jpg/);
      assert.equal(finished.failedPhotos[0]!.attempts, 3);

      // Exactly one set of rows per photo: faces 0..n-1, or the single no-face row -1.
      const store = await openJobResultStore(db);
      const rows = await store.listResults(identifyJob);
      await store.close();
      const byPath = new Map<string, number[]>();
      for (const r of rows) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.faceIndex]);
      assert.deepEqual([...byPath.keys()].sort(), [...data.identifyPaths].sort(), 'every photo but the corrupt one has results');
      for (const [path, faces] of byPath) {
        const ok = (faces.length === 1 && faces[0] === -1) || faces.every((f, i) => f === i);
        assert.ok(ok, `${path}: face rows ${faces.join(',')}`);
      }
      // The enrolled persons' third photos are among the probes: most must be named right.
      const named = rows.filter((r) => r.name !== null && r.path.includes(r.name)).length;
      assert.ok(named >= ENROLL_PERSONS * 0.8, `${named} of the ${ENROLL_PERSONS} enrolled persons' probes named right`);

      // The gallery is complete and has no duplicates: a plain enrol of the same folder adds nothing.
      const gallery = await openJobGallery(db, { create: false });
      try {
        const faces = await gallery.listFaces();
        assert.equal(new Set(faces.map((f) => f.sourceSha256)).size, faces.length);
        assert.ok(faces.length >= ENROLL_PERSONS * 2 * 0.8, `${faces.length} faces enrolled`);
        const pool = await createPipelinePool({}, 1);
        try {
          const again = await enrollPersons(gallery, pool, (await scanDataset(data.enrollDir)).persons);
          assert.equal(again.enrolled, 0, 'nothing was missing from the gallery');
        } finally {
          await pool.close();
        }
      } finally {
        await gallery.close();
      }

      // facerec jobs: the text report and --json.
      const text = await runCli(['jobs', identifyJob, '--redis', redisUrl]);
      assert.equal(text.code, 0, text.err);
      assert.match(text.out, new RegExp(`${identifyJob} identify ${IDENTIFY_PHOTOS}/${IDENTIFY_PHOTOS + 1} done, 1 failed, finished`));
      assert.match(text.out, /failed photos \(1\):\n {2}.*zz-corrupt\.jpg: /);
      const list = await runCli(['jobs', '--redis', redisUrl, '--json']);
      const jobs = JSON.parse(list.out) as JobProgress[];
      assert.deepEqual(jobs.map((j) => [j.id, j.kind, j.finished]), [[identifyJob, 'identify', true], [enrollJob, 'enroll', true]]);

      // The killed worker's items were found stalled and put back (at-least-once), by the survivor.
      assert.match(workers[1]!.log(), /stalled \(its worker stopped answering\)/);
      // The survivor stops cleanly on SIGTERM.
      assert.equal(await workers[1]!.stop(), 0, workers[1]!.log());
    });
  });
}

const lfwSkip = lfw ? false : sharedDataSkip('lfw-view1/lfw');

queueRunSuite('SQLite', lfwSkip, async () => {
  const dir = await tempDir('facerec-queue-db-');
  return { db: join(dir, 'gallery.db'), stop: () => rm(dir, { recursive: true, force: true }) };
});

// The PostgreSQL gallery store is written in parallel; the run joins in once it exists.
const pgStoreMissing = existsSync(new URL('../gallery/postgres-gallery-store.ts', import.meta.url)) ? false : 'skipped: src/gallery/postgres-gallery-store.ts is not there yet';
queueRunSuite('PostgreSQL', lfwSkip || postgresSkip() || pgStoreMissing, async () => {
  if (process.env.FACEREC_TEST_POSTGRES_URL) {
    // A shared server: a database of our own, dropped afterwards.
    const pg = (await import('pg')).default;
    const name = `facerec_queue_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.FACEREC_TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.FACEREC_TEST_POSTGRES_URL);
    url.pathname = `/${name}`;
    return {
      db: url.toString(),
      stop: async () => {
        const c = new pg.Client({ connectionString: process.env.FACEREC_TEST_POSTGRES_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const server = await startPostgres();
  return { db: server.connectionString, stop: () => server.stop() };
});
