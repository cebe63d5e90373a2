/**
 * Monitors in SQLite: two tables of their own (`monitors`, `monitor_events`),
 * created with CREATE TABLE IF NOT EXISTS in the gallery's database file over a
 * separate better-sqlite3 connection. The gallery's schema version
 * (PRAGMA user_version) is never touched, so the gallery store's migrations stay
 * its own business.
 */
import Database from 'better-sqlite3';
import { FacerecError, invalidArgument } from '../../errors.js';
import type { MonitorDetector, MonitorEventRecord, MonitorRecord, MonitorStore, NewMonitor, NewMonitorEvent } from './monitor-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS monitors (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  detector TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_events (
  id INTEGER PRIMARY KEY,
  monitor_id INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
  track_id INTEGER NOT NULL,
  person TEXT,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  frames_seen INTEGER NOT NULL,
  best_distance REAL,
  thumbnail BLOB
);
CREATE INDEX IF NOT EXISTS monitor_events_monitor ON monitor_events(monitor_id, id);
`;

interface MonitorRow {
  id: number;
  name: string;
  url: string;
  detector: string;
  enabled: number;
  created_at: string;
}
interface EventRow {
  id: number;
  monitor_id: number;
  track_id: number;
  person: string | null;
  first_seen_at: string;
  last_seen_at: string;
  frames_seen: number;
  best_distance: number | null;
  has_thumbnail: number;
}

const monitorOf = (r: MonitorRow): MonitorRecord => ({
  id: r.id,
  name: r.name,
  url: r.url,
  detector: r.detector as MonitorDetector,
  enabled: r.enabled !== 0,
  createdAt: r.created_at,
});

const eventOf = (r: EventRow): MonitorEventRecord => ({
  id: r.id,
  monitorId: r.monitor_id,
  trackId: r.track_id,
  person: r.person,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  framesSeen: r.frames_seen,
  bestDistance: r.best_distance,
  hasThumbnail: r.has_thumbnail !== 0,
});

const EVENT_SELECT = `SELECT id, monitor_id, track_id, person, first_seen_at, last_seen_at, frames_seen, best_distance,
  thumbnail IS NOT NULL AS has_thumbnail FROM monitor_events`;

export class SqliteMonitorStore implements MonitorStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Opens `path` (created if missing; ':memory:' for a store that lasts as long as the process). */
  static open(path: string): SqliteMonitorStore {
    if (typeof path !== 'string' || path === '') throw invalidArgument('monitor database path', 'a file path', path);
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 5000 });
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
      return new SqliteMonitorStore(db, path);
    } catch (err) {
      db?.close();
      throw new FacerecError('DATABASE_ERROR', `Cannot open the monitor tables in "${path}": ${(err as Error).message}`, { cause: err });
    }
  }

  async listMonitors(): Promise<MonitorRecord[]> {
    return (this.db.prepare('SELECT * FROM monitors ORDER BY id').all() as MonitorRow[]).map(monitorOf);
  }

  async getMonitor(id: number): Promise<MonitorRecord | null> {
    const row = this.db.prepare('SELECT * FROM monitors WHERE id = ?').get(id) as MonitorRow | undefined;
    return row ? monitorOf(row) : null;
  }

  async createMonitor(m: NewMonitor): Promise<MonitorRecord> {
    const createdAt = new Date().toISOString();
    const r = this.db
      .prepare('INSERT INTO monitors (name, url, detector, enabled, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(m.name, m.url, m.detector, m.enabled ? 1 : 0, createdAt);
    return { id: Number(r.lastInsertRowid), name: m.name, url: m.url, detector: m.detector, enabled: Boolean(m.enabled), createdAt };
  }

  async setEnabled(id: number, enabled: boolean): Promise<MonitorRecord | null> {
    this.db.prepare('UPDATE monitors SET enabled = ? WHERE id = ?').run(enabled ? 1 : 0, id);
    return this.getMonitor(id);
  }

  async deleteMonitor(id: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM monitors WHERE id = ?').run(id).changes > 0;
  }

  async addEvent(monitorId: number, e: NewMonitorEvent, keep: number): Promise<MonitorEventRecord> {
    const insert = this.db.transaction(() => {
      const r = this.db
        .prepare(
          `INSERT INTO monitor_events (monitor_id, track_id, person, first_seen_at, last_seen_at, frames_seen, best_distance, thumbnail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(monitorId, e.trackId, e.person, e.firstSeenAt, e.lastSeenAt, e.framesSeen, e.bestDistance, e.thumbnail ? Buffer.from(e.thumbnail) : null);
      // Only the newest `keep` events of the monitor stay.
      this.db
        .prepare('DELETE FROM monitor_events WHERE monitor_id = ? AND id NOT IN (SELECT id FROM monitor_events WHERE monitor_id = ? ORDER BY id DESC LIMIT ?)')
        .run(monitorId, monitorId, keep);
      return Number(r.lastInsertRowid);
    });
    const id = insert();
    return eventOf(this.db.prepare(`${EVENT_SELECT} WHERE id = ?`).get(id) as EventRow);
  }

  async listEvents(monitorId: number, limit: number): Promise<MonitorEventRecord[]> {
    return (this.db.prepare(`${EVENT_SELECT} WHERE monitor_id = ? ORDER BY id DESC LIMIT ?`).all(monitorId, limit) as EventRow[]).map(eventOf);
  }

  async eventThumbnail(monitorId: number, eventId: number): Promise<Uint8Array | null> {
    const row = this.db.prepare('SELECT thumbnail FROM monitor_events WHERE monitor_id = ? AND id = ?').get(monitorId, eventId) as { thumbnail: Buffer | null } | undefined;
    return row?.thumbnail ? new Uint8Array(row.thumbnail) : null;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
