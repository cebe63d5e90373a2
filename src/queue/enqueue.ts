/**
 * `facerec enqueue`: one job record + one queue item per photo. Item ids are
 * `<job>-<index>`, so adding the same item twice is a no-op in BullMQ.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { expandImageArguments } from '../cli/image-inputs.js';
import { scanDataset } from '../enroll/dataset-layout.js';
import { sha256Hex } from '../enroll/enroll.js';
import { FacerecError } from '../errors.js';
import { JOBS_KEY, jobKeys, openQueue } from './queue-connection.js';
import type { JobKind, JobRecord, PhotoItem } from './queue-types.js';

/** Retries of a failing photo, with exponential backoff from this delay. */
export const PHOTO_ATTEMPTS = 3;
export const BACKOFF_MS = 250;

export interface PlannedPhoto {
  path: string;
  person?: string;
}

/** The photos of DIR: enroll takes the dataset layout (folder per person, or name.jpg), identify every image below DIR. */
export async function planPhotos(dir: string, kind: JobKind): Promise<PlannedPhoto[]> {
  if (kind === 'enroll') {
    const scan = await scanDataset(dir);
    return scan.persons.flatMap((p) => p.files.map((f) => ({ path: resolve(f), person: p.name })));
  }
  const files = await expandImageArguments([dir]).catch((err: unknown) => {
    throw new FacerecError('NOT_FOUND', `The folder "${dir}" cannot be read: ${(err as Error).message}`);
  });
  if (files.length === 0) throw new FacerecError('NOT_FOUND', `The folder "${dir}" holds no image files`);
  return files.map((f) => ({ path: resolve(f) }));
}

export function newJobId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface EnqueueOptions {
  kind: JobKind;
  dir: string;
  db: string;
  tolerance?: number;
  onHashed?: (done: number, total: number) => void;
}

/** Hashes every photo (an unreadable one is still queued: the worker reports it as failed), then adds the job. */
export async function enqueueJob(redis: Redis, options: EnqueueOptions): Promise<JobRecord> {
  const photos = await planPhotos(options.dir, options.kind);
  const id = newJobId();
  const items: PhotoItem[] = [];
  for (const [index, p] of photos.entries()) {
    let sha256 = '';
    try {
      sha256 = sha256Hex(await readFile(p.path));
    } catch {
      // left empty: the worker's read fails with the file's own error message
    }
    items.push({ jobId: id, kind: options.kind, index, path: p.path, sha256, ...(p.person !== undefined ? { person: p.person } : {}) });
    options.onHashed?.(index + 1, photos.length);
  }
  const record: JobRecord = {
    id,
    kind: options.kind,
    dir: resolve(options.dir),
    db: isUrl(options.db) ? options.db : resolve(options.db),
    total: items.length,
    createdAt: new Date().toISOString(),
    tolerance: options.tolerance ?? 0.6,
  };
  const keys = jobKeys(id);
  // The record first: workers that pick up an item look its job up.
  await redis.multi().set(keys.record, JSON.stringify(record)).zadd(JOBS_KEY, Date.now(), id).exec();
  const queue = openQueue(redis);
  try {
    for (let i = 0; i < items.length; i += 500) {
      await queue.addBulk(
        items.slice(i, i + 500).map((data) => ({
          name: data.kind,
          data,
          opts: {
            jobId: `${id}-${data.index}`,
            attempts: PHOTO_ATTEMPTS,
            backoff: { type: 'exponential', delay: BACKOFF_MS },
            removeOnComplete: true,
            // The job's own failed list keeps every error; BullMQ keeps only its latest failed items.
            removeOnFail: { count: 1000 },
          },
        })),
      );
    }
  } finally {
    await queue.close();
  }
  return record;
}

const isUrl = (db: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(db);
