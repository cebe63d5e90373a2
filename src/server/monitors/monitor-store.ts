/**
 * Where camera monitors and their recent events are kept, apart from the
 * gallery (the GalleryStore interface stays as it is). Every method is async and
 * takes plain values, so a PostgreSQL implementation is the same few queries.
 * Implementations: SqliteMonitorStore (tables `monitors` / `monitor_events` in
 * the gallery's own SQLite file) and PgMonitorStore.
 */
export type MonitorDetector = 'fast' | 'accurate';

export interface MonitorRecord {
  id: number;
  name: string;
  url: string;
  detector: MonitorDetector;
  /** Enabled monitors run, and restart when the server starts. */
  enabled: boolean;
  createdAt: string;
}

export interface NewMonitor {
  name: string;
  url: string;
  detector: MonitorDetector;
  enabled?: boolean;
}

export interface MonitorEventRecord {
  id: number;
  monitorId: number;
  trackId: number;
  person: string | null;
  /** Wall-clock time the face was first seen (ISO 8601). */
  firstSeenAt: string;
  /** Wall-clock time the track ended (ISO 8601). */
  lastSeenAt: string;
  framesSeen: number;
  bestDistance: number | null;
  hasThumbnail: boolean;
}

export interface NewMonitorEvent {
  trackId: number;
  person: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  framesSeen: number;
  bestDistance: number | null;
  /** JPEG of the face crop, or null. */
  thumbnail: Uint8Array | null;
}

export interface MonitorStore {
  listMonitors(): Promise<MonitorRecord[]>;
  getMonitor(id: number): Promise<MonitorRecord | null>;
  createMonitor(monitor: NewMonitor): Promise<MonitorRecord>;
  /** Returns the updated monitor, or null when there is none with that id. */
  setEnabled(id: number, enabled: boolean): Promise<MonitorRecord | null>;
  /** Deletes the monitor and its events; false when there was none. */
  deleteMonitor(id: number): Promise<boolean>;
  /** Adds an event and keeps only the newest `keep` events of that monitor. */
  addEvent(monitorId: number, event: NewMonitorEvent, keep: number): Promise<MonitorEventRecord>;
  /** Newest first. */
  listEvents(monitorId: number, limit: number): Promise<MonitorEventRecord[]>;
  /** The event's thumbnail JPEG, or null (no such event, or no thumbnail). */
  eventThumbnail(monitorId: number, eventId: number): Promise<Uint8Array | null>;
  close(): Promise<void>;
}
