/**
 * Identify results of batch jobs, in the SAME database as the gallery (a table
 * job_results beside the gallery's tables, created if missing; the GalleryStore
 * interface is not touched). Writes are idempotent: a photo's rows are replaced
 * as a whole, keyed (job_id, path, face_index), so a photo processed twice
 * (at-least-once delivery) leaves exactly one set of rows.
 */
import { FacerecError } from '../errors.js';
import type { FaceBox } from '../types.js';

export interface JobFaceResult {
  /** 0.. for each face; -1 for the single row of a photo without a face. */
  faceIndex: number;
  /** The identified person; null for unknown faces and photos without a face. */
  name: string | null;
  distance: number | null;
  box: FaceBox | null;
}

export interface JobResultRow extends JobFaceResult {
  jobId: string;
  path: string;
  sha256: string;
}

export interface JobResultStore {
  /** Replaces the rows of one photo of a job in one transaction; no faces → one row with faceIndex -1. */
  writePhotoResults(jobId: string, path: string, sha256: string, faces: readonly JobFaceResult[]): Promise<void>;
  /** A job's rows ordered by path, then face index. */
  listResults(jobId: string): Promise<JobResultRow[]>;
  close(): Promise<void>;
}

export const isPostgresUrl = (db: string) => /^postgres(ql)?:\/\//i.test(db);

/** Rows to store for one photo: its faces, or the single "no face" row. */
export function photoRows(faces: readonly JobFaceResult[]): JobFaceResult[] {
  return faces.length > 0 ? [...faces] : [{ faceIndex: -1, name: null, distance: null, box: null }];
}

/** Opens the job results of --db: a PostgreSQL URL or a SQLite gallery file. */
export async function openJobResultStore(db: string): Promise<JobResultStore> {
  if (db.trim() === '') throw new FacerecError('INVALID_ARGUMENT', '--db expects a SQLite file or a postgres:// URL, got an empty string');
  if (isPostgresUrl(db)) {
    const { PostgresJobResultStore } = await import('./postgres-job-result-store.js');
    return PostgresJobResultStore.open(db);
  }
  const { SqliteJobResultStore } = await import('./sqlite-job-result-store.js');
  return SqliteJobResultStore.open(db);
}
