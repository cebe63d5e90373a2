/** Job results in the gallery's PostgreSQL database (a small pool; table created if missing). */
import pg from 'pg';
import { FacerecError } from '../errors.js';
import { photoRows, type JobFaceResult, type JobResultRow, type JobResultStore } from './job-result-store.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT NOT NULL,
  path TEXT NOT NULL,
  face_index INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  name TEXT,
  distance DOUBLE PRECISION,
  box JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, path, face_index)
)`;

/** The URL without its password, for messages. */
const safeUrl = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

export class PostgresJobResultStore implements JobResultStore {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string): Promise<PostgresJobResultStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
    pool.on('error', () => {}); // idle-client errors surface on the next query instead
    try {
      // Two workers starting together may race on CREATE TABLE IF NOT EXISTS: an advisory lock serialises them.
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(726543)');
        await client.query(SCHEMA);
        await client.query('SELECT pg_advisory_unlock(726543)');
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw new FacerecError('DATABASE_ERROR', `Cannot open the job results in ${safeUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresJobResultStore(pool);
  }

  async writePhotoResults(jobId: string, path: string, sha256: string, faces: readonly JobFaceResult[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM job_results WHERE job_id = $1 AND path = $2', [jobId, path]);
      for (const f of photoRows(faces)) {
        await client.query(
          `INSERT INTO job_results (job_id, path, face_index, sha256, name, distance, box) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (job_id, path, face_index) DO UPDATE SET sha256 = EXCLUDED.sha256, name = EXCLUDED.name, distance = EXCLUDED.distance, box = EXCLUDED.box`,
          [jobId, path, f.faceIndex, sha256, f.name, f.distance, f.box ? JSON.stringify(f.box) : null],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw new FacerecError('DATABASE_ERROR', `Cannot store the results of "${path}" for job ${jobId}: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  async listResults(jobId: string): Promise<JobResultRow[]> {
    const r = await this.pool.query(
      'SELECT job_id, path, face_index, sha256, name, distance, box FROM job_results WHERE job_id = $1 ORDER BY path, face_index',
      [jobId],
    );
    return r.rows.map((row: { job_id: string; path: string; face_index: number; sha256: string; name: string | null; distance: number | null; box: unknown }) => ({
      jobId: row.job_id,
      path: row.path,
      faceIndex: row.face_index,
      sha256: row.sha256,
      name: row.name,
      distance: row.distance,
      box: (row.box ?? null) as JobResultRow['box'],
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
