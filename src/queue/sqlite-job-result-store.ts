/** Job results in the gallery's SQLite file (its own connection; WAL and a busy timeout let several worker processes write). */
import Database from 'better-sqlite3';
import { FacerecError } from '../errors.js';
import { photoRows, type JobFaceResult, type JobResultRow, type JobResultStore } from './job-result-store.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT NOT NULL,
  path TEXT NOT NULL,
  face_index INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  name TEXT,
  distance REAL,
  box TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (job_id, path, face_index)
)`;

export class SqliteJobResultStore implements JobResultStore {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): SqliteJobResultStore {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 15000');
      db.exec(SCHEMA);
    } catch (err) {
      throw new FacerecError('DATABASE_ERROR', `Cannot open the job results in "${path}": ${(err as Error).message}`, { cause: err });
    }
    return new SqliteJobResultStore(db);
  }

  async writePhotoResults(jobId: string, path: string, sha256: string, faces: readonly JobFaceResult[]): Promise<void> {
    const del = this.db.prepare('DELETE FROM job_results WHERE job_id = ? AND path = ?');
    const ins = this.db.prepare(
      `INSERT INTO job_results (job_id, path, face_index, sha256, name, distance, box, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, path, face_index) DO UPDATE SET sha256 = excluded.sha256, name = excluded.name, distance = excluded.distance, box = excluded.box`,
    );
    const now = new Date().toISOString();
    // IMMEDIATE: take the write lock up front so concurrent writers wait (busy timeout) instead of failing mid-transaction.
    this.db
      .transaction(() => {
        del.run(jobId, path);
        for (const f of photoRows(faces)) ins.run(jobId, path, f.faceIndex, sha256, f.name, f.distance, f.box ? JSON.stringify(f.box) : null, now);
      })
      .immediate();
  }

  async listResults(jobId: string): Promise<JobResultRow[]> {
    const rows = this.db
      .prepare('SELECT job_id, path, face_index, sha256, name, distance, box FROM job_results WHERE job_id = ? ORDER BY path, face_index')
      .all(jobId) as { job_id: string; path: string; face_index: number; sha256: string; name: string | null; distance: number | null; box: string | null }[];
    return rows.map((r) => ({ jobId: r.job_id, path: r.path, faceIndex: r.face_index, sha256: r.sha256, name: r.name, distance: r.distance, box: r.box ? JSON.parse(r.box) : null }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
