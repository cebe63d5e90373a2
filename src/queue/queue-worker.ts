/**
 * `facerec worker`: takes photos off the queue and processes them on the local
 * worker-thread pool. Delivery is at-least-once (a SIGKILLed worker's items are
 * found stalled by the others within seconds and retried), so every write is
 * idempotent: enrol → gallery addFaces (a photo whose sha256 is stored is
 * skipped), identify → job_results rows replaced per photo.
 */
import { readFile } from 'node:fs/promises';
import { Worker, type Job } from 'bullmq';

import { enrollPersons, sha256Hex } from '../enroll/enroll.js';
import { FacerecError } from '../errors.js';
import type { DetectorKind } from '../detect/face-detector.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { identifyFiles, indexIdentifier, loadGalleryIndex, type Identifier } from '../identify/identify.js';
import { createPipelinePool, type PipelinePool } from '../pool/pipeline-pool.js';
import { openJobGallery } from './open-gallery.js';
import { openJobResultStore, type JobResultStore } from './job-result-store.js';
import { readJobRecord } from './job-progress.js';
import { connectRedis, jobKeys, QUEUE_NAME, QUEUE_PREFIX } from './queue-connection.js';
import type { FailedPhoto, JobRecord, PhotoItem } from './queue-types.js';

/** Short locks: a killed worker's items are retried after about this long, not after BullMQ's 30 s default. */
export const LOCK_DURATION_MS = 5000;
export const STALLED_INTERVAL_MS = 2000;

export interface QueueWorkerOptions {
  redisUrl: string;
  /** Overrides each job's database (gallery SQLite file or PostgreSQL URL). */
  db?: string;
  /** Pipeline threads (default: all cores). */
  concurrency: number;
  detector?: DetectorKind;
  log?: (line: string) => void;
}

export interface QueueWorker {
  readonly threads: number;
  /** Photos finished (done or finally failed) by this worker. */
  readonly processed: number;
  close(): Promise<void>;
}

type Outcome = { status: string };

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const log = options.log ?? (() => {});
  const redis = await connectRedis(options.redisUrl, { forWorker: true });
  let pool: PipelinePool;
  try {
    pool = await createPipelinePool({ detector: options.detector ?? 'accurate' }, options.concurrency);
  } catch (err) {
    redis.disconnect();
    throw err;
  }

  const jobs = new Map<string, Promise<JobRecord>>();
  const galleries = new Map<string, Promise<GalleryStore>>();
  const resultStores = new Map<string, Promise<JobResultStore>>();
  const identifiers = new Map<string, Promise<Identifier>>();
  // Cached promises are dropped on failure so the next attempt tries again.
  const cached = <T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    let p = map.get(key);
    if (!p) {
      p = make();
      map.set(key, p);
      p.catch(() => map.delete(key));
    }
    return p;
  };
  const jobRecord = (id: string) =>
    cached(jobs, id, async () => {
      const r = await readJobRecord(redis, id);
      if (!r) throw new FacerecError('NOT_FOUND', `Job ${id} has no record on the Redis server (was it removed?)`);
      return r;
    });
  const gallery = (db: string) => cached(galleries, db, () => openJobGallery(db, { create: true }));
  const results = (db: string) => cached(resultStores, db, () => openJobResultStore(db));
  const identifier = (record: JobRecord, db: string) => {
    // One gallery index per job (loaded at its first photo); only the latest few are kept.
    const key = `${record.id}\n${db}`;
    if (!identifiers.has(key) && identifiers.size >= 4) identifiers.delete(identifiers.keys().next().value!);
    return cached(identifiers, key, async () => {
      const { index } = await loadGalleryIndex(await gallery(db), `"${db}"`);
      return indexIdentifier(index, { tolerance: record.tolerance });
    });
  };

  async function processPhoto(item: PhotoItem): Promise<Outcome> {
    const record = await jobRecord(item.jobId);
    const db = options.db ?? record.db;
    let bytes: Buffer;
    try {
      bytes = await readFile(item.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new FacerecError('IMAGE_NOT_FOUND', `Cannot read "${item.path}"${code === 'ENOENT' ? ': no such file on this worker (workers need the photos at the same path, e.g. a shared mount)' : `: ${(err as Error).message}`}`);
    }
    if (item.sha256 && sha256Hex(bytes) !== item.sha256) {
      throw new FacerecError('IO_ERROR', `"${item.path}" changed since it was enqueued (its sha256 differs); enqueue the folder again`);
    }
    if (item.kind === 'enroll') {
      const report = await enrollPersons(await gallery(db), pool, [{ name: item.person ?? 'unknown', files: [item.path] }]);
      const person = report.persons[0];
      const skip = person?.skipped[0];
      if (skip?.reason === 'unreadable') throw new FacerecError('IMAGE_CORRUPT', skip.message);
      return { status: person && person.enrolled > 0 ? 'enrolled' : (skip?.reason ?? 'skipped') };
    }
    const who = await identifier(record, db);
    let identified;
    for await (const r of identifyFiles(pool, [item.path], who)) identified = r;
    if (!identified) throw new Error(`No result for "${item.path}"`);
    if (identified.error) throw new FacerecError('IMAGE_CORRUPT', identified.error.message);
    const rows = identified.faces.map((f, i) => ({ faceIndex: i, name: f.name, distance: f.distance, box: f.box }));
    await (await results(db)).writePhotoResults(item.jobId, item.path, item.sha256, rows);
    return { status: rows.length === 0 ? 'no-face' : `${rows.length} face(s)` };
  }

  let processed = 0;
  let failedHere = 0;
  const processor = async (job: Job<PhotoItem>): Promise<Outcome> => {
    const item = job.data;
    const keys = jobKeys(item.jobId);
    try {
      const outcome = await processPhoto(item);
      await redis.multi().sadd(keys.done, String(item.index)).hdel(keys.failed, String(item.index)).hset(`${keys.record}:times`, 'lastDoneAt', String(Date.now())).exec();
      processed++;
      return outcome;
    } catch (err) {
      const attempts = job.opts.attempts ?? 1;
      const message = err instanceof FacerecError ? err.message : `Failed on "${item.path}": ${(err as Error).message}`;
      // The last attempt: the photo goes to the job's failed list (the rest of the job goes on).
      if (job.attemptsMade + 1 >= attempts) {
        const failed: FailedPhoto = { index: item.index, path: item.path, error: message, attempts };
        await redis.multi().hset(keys.failed, String(item.index), JSON.stringify(failed)).hset(`${keys.record}:times`, 'lastDoneAt', String(Date.now())).exec();
        processed++;
        failedHere++;
        log(`facerec worker: ${item.path} failed after ${attempts} attempts: ${message}`);
      }
      throw new Error(message);
    }
  };

  const worker = new Worker<PhotoItem, Outcome>(QUEUE_NAME, processor, {
    connection: redis,
    prefix: QUEUE_PREFIX,
    // A few items more than threads keep every thread fed while results are written.
    concurrency: pool.workers * 2,
    lockDuration: LOCK_DURATION_MS,
    stalledInterval: STALLED_INTERVAL_MS,
    maxStalledCount: 3,
  });
  worker.on('error', (err) => log(`facerec worker: ${err.message}`));
  worker.on('stalled', (id) => log(`facerec worker: item ${id} stalled (its worker stopped answering); it goes back to the queue`));
  await worker.waitUntilReady();

  const started = Date.now();
  let reported = 0;
  const ticker = setInterval(() => {
    if (processed === reported) return; // quiet while idle
    reported = processed;
    const s = (Date.now() - started) / 1000;
    log(`facerec worker: ${processed} photos processed (${failedHere} failed), ${(processed / s).toFixed(1)}/s`);
  }, 10_000);
  ticker.unref();

  let closing: Promise<void> | undefined;
  return {
    threads: pool.workers,
    get processed() {
      return processed;
    },
    close() {
      closing ??= (async () => {
        clearInterval(ticker);
        await worker.close();
        await pool.close();
        for (const p of [...galleries.values(), ...resultStores.values()]) await (await p.catch(() => undefined))?.close();
        redis.disconnect();
      })();
      return closing;
    },
  };
}

