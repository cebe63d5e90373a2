/** Progress of batch jobs, read from Redis: `facerec jobs`, GET /api/v1/jobs. */
import type { Redis } from 'ioredis';
import { FacerecError } from '../errors.js';
import { JOBS_KEY, jobKeys, openQueue } from './queue-connection.js';
import type { FailedPhoto, JobProgress, JobRecord, PhotoItem } from './queue-types.js';

export async function readJobRecord(redis: Redis, jobId: string): Promise<JobRecord | undefined> {
  const raw = await redis.get(jobKeys(jobId).record);
  return raw ? (JSON.parse(raw) as JobRecord) : undefined;
}

/** Items being worked on now, per job id (one scan of the queue's active list). */
async function activeCounts(redis: Redis): Promise<Map<string, number>> {
  const queue = openQueue(redis);
  try {
    const active = await queue.getJobs(['active']);
    const counts = new Map<string, number>();
    for (const j of active) {
      const jobId = (j?.data as PhotoItem | undefined)?.jobId;
      if (jobId) counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
    }
    return counts;
  } finally {
    await queue.close();
  }
}

async function progressOf(redis: Redis, record: JobRecord, active: number): Promise<JobProgress> {
  const keys = jobKeys(record.id);
  const [done, failedRaw, times] = await Promise.all([redis.scard(keys.done), redis.hvals(keys.failed), redis.hmget(`${keys.record}:times`, 'lastDoneAt')]);
  const failedPhotos = failedRaw.map((v) => JSON.parse(v) as FailedPhoto).sort((a, b) => a.index - b.index);
  const failed = failedPhotos.length;
  const finished = done + failed >= record.total;
  const activeNow = finished ? 0 : Math.min(active, record.total - done - failed);
  const waiting = Math.max(0, record.total - done - failed - activeNow);
  const lastDoneAt = times[0] ? Number(times[0]) : undefined;
  const elapsed = lastDoneAt !== undefined ? (lastDoneAt - Date.parse(record.createdAt)) / 1000 : undefined;
  const rate = done + failed > 0 && elapsed !== undefined && elapsed > 0 ? (done + failed) / elapsed : null;
  const etaSeconds = finished ? 0 : rate ? Math.round((record.total - done - failed) / rate) : null;
  return { ...record, done, failed, active: activeNow, waiting, rate, etaSeconds, finished, failedPhotos };
}

/** One job's progress; NOT_FOUND naming the id when there is no such job. */
export async function jobProgress(redis: Redis, jobId: string): Promise<JobProgress> {
  const record = await readJobRecord(redis, jobId);
  if (!record) throw new FacerecError('NOT_FOUND', `There is no job "${jobId}" on this Redis server (facerec jobs lists them)`);
  return progressOf(redis, record, (await activeCounts(redis)).get(jobId) ?? 0);
}

/** The latest jobs, newest first. */
export async function listJobs(redis: Redis, limit = 50): Promise<JobProgress[]> {
  const ids = await redis.zrevrange(JOBS_KEY, 0, limit - 1);
  const active = await activeCounts(redis);
  const out: JobProgress[] = [];
  for (const id of ids) {
    const record = await readJobRecord(redis, id);
    if (record) out.push(await progressOf(redis, record, active.get(id) ?? 0));
  }
  return out;
}
