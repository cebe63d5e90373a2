/** What travels through the queue and what a job record holds. */

export type JobKind = 'enroll' | 'identify';
export const JOB_KINDS: readonly JobKind[] = ['enroll', 'identify'];

/** One queue item: one photo of a batch job. */
export interface PhotoItem {
  jobId: string;
  kind: JobKind;
  /** Position in the job (0-based); also part of the BullMQ job id, so re-adding is a no-op. */
  index: number;
  /** Absolute path: every worker must see the photo at this same path (a shared mount). */
  path: string;
  /** sha256 of the bytes at enqueue time; a worker refuses a file that changed since. */
  sha256: string;
  /** enroll: the person the photo belongs to. */
  person?: string;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  dir: string;
  /** Database the results go to (gallery SQLite file or PostgreSQL URL); a worker's own --db overrides it. */
  db: string;
  total: number;
  createdAt: string;
  /** identify: largest distance still called a match. */
  tolerance: number;
}

export interface FailedPhoto {
  index: number;
  path: string;
  error: string;
  attempts: number;
}

export interface JobProgress extends JobRecord {
  done: number;
  failed: number;
  active: number;
  waiting: number;
  /** Photos per second since the job was created (null before the first photo is done). */
  rate: number | null;
  /** Seconds left at that rate (null when unknown, 0 when finished). */
  etaSeconds: number | null;
  finished: boolean;
  failedPhotos: FailedPhoto[];
}
