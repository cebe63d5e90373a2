/**
 * The gallery in one SQLite file (better-sqlite3): WAL journal, foreign keys,
 * a busy timeout, numbered schema migrations tracked in PRAGMA user_version and
 * applied in one transaction each. A database written by a newer facerec is
 * refused without being touched. Every multi-row change is one transaction, so a
 * crash or Ctrl-C leaves the previous state or the new one, never half of it.
 *
 * Invariant kept by every method: each person has at least one face (deleting a
 * person's last face deletes the person; a person is only created together with
 * a face).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FacerecError, invalidArgument } from '../errors.js';
import type { FaceBox, Point } from '../types.js';
import { decodeEmbedding, decodeThumbnail, encodeEmbedding, encodeThumbnail, validateGalleryExport } from './gallery-file.js';
import type { AddFacesResult, FaceRecord, GalleryExport, GalleryStore, NewFace, PersonRecord, UnknownFaceRecord } from './gallery-store.js';
import { bytesToEmbedding, checkModelId, checkNewFace, embeddingToBytes, modelMismatch, normalizePersonName, type CheckedFace } from './gallery-validation.js';

/** 'FREC': marks the file as a facerec gallery (PRAGMA application_id). */
const APPLICATION_ID = 0x46524543;

/** Migration n brings the schema from version n−1 to n. Never edit a released one: append. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE persons (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE TABLE faces (
     id INTEGER PRIMARY KEY,
     person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
     embedding BLOB NOT NULL,
     model_id TEXT NOT NULL,
     source_path TEXT,
     source_sha256 TEXT,
     box TEXT,
     landmarks TEXT,
     quality REAL,
     created_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX faces_source_sha256 ON faces(source_sha256);
   CREATE INDEX faces_person_id ON faces(person_id);
   PRAGMA application_id = ${APPLICATION_ID};`,
  // v2: a small JPEG of the face crop, for user interfaces (optional).
  `ALTER TABLE faces ADD COLUMN thumbnail BLOB;`,
  // v3: faces seen but not identified (clustered and named later), and small key/value settings (calibrated tolerance).
  `CREATE TABLE unknown_faces (
     id INTEGER PRIMARY KEY,
     embedding BLOB NOT NULL,
     model_id TEXT NOT NULL,
     source_path TEXT,
     source_sha256 TEXT,
     box TEXT,
     landmarks TEXT,
     quality REAL,
     cluster_id INTEGER,
     created_at TEXT NOT NULL,
     thumbnail BLOB
   );
   CREATE INDEX unknown_faces_source_sha256 ON unknown_faces(source_sha256);
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteGalleryOptions {
  /** Open for reading only: nothing is ever written (the file must exist and be up to date). */
  readonly?: boolean;
  /** How long to wait for another process's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

interface FaceRow {
  id: number;
  person_id: number;
  person_name: string;
  embedding: Buffer;
  model_id: string;
  source_path: string | null;
  source_sha256: string | null;
  box: string | null;
  landmarks: string | null;
  quality: number | null;
  created_at: string;
  thumbnail: Buffer | null;
}
interface PersonRow {
  id: number;
  name: string;
  created_at: string;
  face_count: number;
}

const FACE_SELECT = `SELECT f.id, f.person_id, p.name AS person_name, f.embedding, f.model_id, f.source_path, f.source_sha256,
  f.box, f.landmarks, f.quality, f.created_at, f.thumbnail FROM faces f JOIN persons p ON p.id = f.person_id`;
const PERSON_SELECT = `SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM faces f WHERE f.person_id = p.id) AS face_count FROM persons p`;

interface UnknownRow {
  id: number;
  embedding: Buffer;
  model_id: string;
  source_path: string | null;
  source_sha256: string | null;
  box: string | null;
  landmarks: string | null;
  quality: number | null;
  cluster_id: number | null;
  created_at: string;
  thumbnail: Buffer | null;
}
const UNKNOWN_SELECT = `SELECT id, embedding, model_id, source_path, source_sha256, box, landmarks, quality, cluster_id, created_at, thumbnail FROM unknown_faces`;
const toUnknown = (r: UnknownRow): UnknownFaceRecord => ({
  id: r.id,
  embedding: bytesToEmbedding(r.embedding, `unknown face ${r.id} embedding`),
  modelId: r.model_id,
  sourcePath: r.source_path,
  sourceSha256: r.source_sha256,
  box: r.box === null ? null : (JSON.parse(r.box) as FaceBox),
  landmarks: r.landmarks === null ? null : (JSON.parse(r.landmarks) as Point[]),
  quality: r.quality,
  clusterId: r.cluster_id,
  createdAt: r.created_at,
  thumbnail: r.thumbnail === null ? null : new Uint8Array(r.thumbnail),
});
const thumbnailBytes = (t: Uint8Array | null): Buffer | null => t && Buffer.from(t.buffer, t.byteOffset, t.byteLength);

const toPerson = (r: PersonRow): PersonRecord => ({ id: r.id, name: r.name, createdAt: r.created_at, faceCount: r.face_count });
const toFace = (r: FaceRow): FaceRecord => ({
  id: r.id,
  personId: r.person_id,
  personName: r.person_name,
  embedding: bytesToEmbedding(r.embedding, `face ${r.id} embedding`),
  modelId: r.model_id,
  sourcePath: r.source_path,
  sourceSha256: r.source_sha256,
  box: r.box === null ? null : (JSON.parse(r.box) as FaceBox),
  landmarks: r.landmarks === null ? null : (JSON.parse(r.landmarks) as Point[]),
  quality: r.quality,
  createdAt: r.created_at,
  thumbnail: r.thumbnail === null ? null : new Uint8Array(r.thumbnail),
});

const sqliteCode = (e: unknown): string => (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : '');

export class SqliteGalleryStore implements GalleryStore {
  readonly path: string;
  readonly readonly: boolean;
  #db: Database.Database | null;

  private constructor(db: Database.Database, path: string, readonly: boolean) {
    this.#db = db;
    this.path = path;
    this.readonly = readonly;
  }

  /**
   * Opens (creating if needed, unless read-only) the gallery database at `path`
   * and brings its schema up to date. Clear DATABASE_ERRORs naming the path for a
   * missing folder, a read-only file, a file that is not a (facerec) database, a
   * database locked by another process, or one written by a newer facerec.
   */
  static async open(path = './facerec.db', options: SqliteGalleryOptions = {}): Promise<SqliteGalleryStore> {
    return SqliteGalleryStore.openSync(path, options);
  }

  /** open(), synchronously (better-sqlite3 is synchronous). */
  static openSync(path = './facerec.db', options: SqliteGalleryOptions = {}): SqliteGalleryStore {
    if (typeof path !== 'string' || path === '') throw invalidArgument('database path', 'a file path', path);
    const readonly = options.readonly ?? false;
    const timeout = options.busyTimeoutMs ?? 5000;
    const shown = path === ':memory:' ? path : resolve(path);
    const fail = (what: string, cause?: unknown): never => {
      throw new FacerecError('DATABASE_ERROR', `Cannot open the gallery database "${shown}": ${what}`, { cause });
    };
    if (path !== ':memory:') {
      const dir = dirname(shown);
      if (!existsSync(dir)) fail(`the folder "${dir}" does not exist; create it first or choose another --db path.`);
      if (existsSync(shown)) {
        if (statSync(shown).isDirectory()) fail('it is a folder, not a database file.');
        if (!readonly) {
          try {
            accessSync(shown, constants.W_OK);
          } catch (cause) {
            fail('the file is read-only; make it writable or open it read-only.', cause);
          }
        }
        if (statSync(shown).size > 0 && readHeader(shown) !== 'SQLite format 3\u0000') fail('the file is not a SQLite database (is it the right file?).');
      } else if (readonly) {
        fail('the file does not exist (a read-only open never creates it).');
      }
    }
    let db: Database.Database;
    try {
      db = new Database(path, { readonly, fileMustExist: readonly, timeout });
    } catch (cause) {
      return fail(`${(cause as Error).message}.`, cause);
    }
    try {
      // Read-only checks first: a database we refuse is never modified.
      const version = db.pragma('user_version', { simple: true }) as number;
      const appId = db.pragma('application_id', { simple: true }) as number;
      if (appId !== 0 && appId !== APPLICATION_ID) fail('it is a SQLite database of another application, not a facerec gallery.');
      if (version > SCHEMA_VERSION) {
        fail(`it was written by a newer facerec (schema v${version}, this one knows up to v${SCHEMA_VERSION}); upgrade facerec.`);
      }
      if (version === 0) {
        const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number };
        if (tables.n > 0) fail('it is a SQLite database with other tables, not a facerec gallery.');
      }
      if (readonly) {
        if (version < SCHEMA_VERSION) fail(`its schema (v${version}) needs an upgrade to v${SCHEMA_VERSION}; open it once without read-only.`);
      } else {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
      if (!readonly) migrate(db, version);
    } catch (cause) {
      db.close();
      if (cause instanceof FacerecError) throw cause;
      return fail(describeSqliteError(cause, timeout), cause);
    }
    return new SqliteGalleryStore(db, shown, readonly);
  }

  /** The schema version of the open database (PRAGMA user_version). */
  schemaVersion(): number {
    return this.#open().pragma('user_version', { simple: true }) as number;
  }

  /** Runs SQLite's integrity check and the gallery's own invariants; returns problems found (empty = healthy). */
  async checkIntegrity(): Promise<string[]> {
    return this.#run('check integrity', (db) => {
      const problems: string[] = [];
      for (const r of db.pragma('integrity_check') as { integrity_check: string }[]) if (r.integrity_check !== 'ok') problems.push(r.integrity_check);
      for (const r of db.pragma('foreign_key_check') as { table: string; rowid: number }[]) problems.push(`${r.table} row ${r.rowid} points to a missing row`);
      const empty = db.prepare(`SELECT name FROM persons p WHERE NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.id)`).all() as { name: string }[];
      for (const { name } of empty) problems.push(`person "${name}" has no face`);
      const models = db.prepare(`SELECT count(DISTINCT model_id) AS n FROM faces`).get() as { n: number };
      if (models.n > 1) problems.push(`faces of ${models.n} different models`);
      return problems;
    });
  }

  async modelId(): Promise<string | null> {
    return this.#run('read the model id', (db) => this.#modelId(db));
  }

  async listPersons(): Promise<PersonRecord[]> {
    return this.#run('list persons', (db) => (db.prepare(`${PERSON_SELECT} ORDER BY p.id`).all() as PersonRow[]).map(toPerson));
  }

  async getPerson(name: string): Promise<PersonRecord | undefined> {
    const n = normalizePersonName(name);
    return this.#run('read a person', (db) => this.#person(db, n));
  }

  async addFaces(personName: string, faces: readonly NewFace[], modelId: string): Promise<AddFacesResult> {
    const name = normalizePersonName(personName, 'personName');
    checkModelId(modelId);
    if (!Array.isArray(faces) || faces.length === 0) throw invalidArgument('faces', 'a non-empty array of faces', faces);
    return this.#write('add faces', (db) => {
      const galleryModel = this.#modelId(db);
      if (galleryModel !== null && galleryModel !== modelId) throw modelMismatch(modelId, galleryModel);
      const dimension = this.#dimension(db);
      const checked = faces.map((f, i) => checkNewFace(f, `faces[${i}]`, dimension));
      const dim = checked[0]!.embedding.length;
      checked.forEach((f, i) => {
        if (f.embedding.length !== dim) throw invalidArgument(`faces[${i}].embedding`, `an embedding of length ${dim} like faces[0]`, `length ${f.embedding.length}`);
      });
      return this.#insertFaces(db, name, checked.map((f) => ({ ...f, createdAt: null })), modelId, null);
    });
  }

  async hasSource(sourceSha256: string): Promise<boolean> {
    if (typeof sourceSha256 !== 'string') throw invalidArgument('sourceSha256', 'a sha256 hex string', sourceSha256);
    return this.#run('look up a source', (db) => db.prepare(`SELECT 1 FROM faces WHERE source_sha256 = ?`).get(sourceSha256.toLowerCase()) !== undefined);
  }

  /** Every face (of one person if named; NOT_FOUND if that person does not exist), oldest first. */
  async listFaces(personName?: string): Promise<FaceRecord[]> {
    const name = personName === undefined ? undefined : normalizePersonName(personName, 'personName');
    return this.#run('list faces', (db) => {
      if (name === undefined) return (db.prepare(`${FACE_SELECT} ORDER BY f.id`).all() as FaceRow[]).map(toFace);
      const person = this.#requirePerson(db, name, 'personName');
      return (db.prepare(`${FACE_SELECT} WHERE f.person_id = ? ORDER BY f.id`).all(person.id) as FaceRow[]).map(toFace);
    });
  }

  /** Deletes one face; when it was the person's last, the person goes too. NOT_FOUND for an unknown id. */
  async deleteFace(faceId: number): Promise<void> {
    if (typeof faceId !== 'number' || !Number.isSafeInteger(faceId)) throw invalidArgument('faceId', 'an integer face id', faceId);
    return this.#write('delete a face', (db) => {
      const row = db.prepare(`SELECT person_id FROM faces WHERE id = ?`).get(faceId) as { person_id: number } | undefined;
      if (!row) throw new FacerecError('NOT_FOUND', `There is no face with id ${faceId} in the gallery "${this.path}".`);
      db.prepare(`DELETE FROM faces WHERE id = ?`).run(faceId);
      db.prepare(`DELETE FROM persons WHERE id = ? AND NOT EXISTS (SELECT 1 FROM faces WHERE person_id = ?)`).run(row.person_id, row.person_id);
    });
  }

  async deletePerson(name: string): Promise<void> {
    const n = normalizePersonName(name);
    return this.#write('delete a person', (db) => {
      const person = this.#requirePerson(db, n, 'name');
      db.prepare(`DELETE FROM persons WHERE id = ?`).run(person.id); // faces cascade
    });
  }

  /** Renames a person (ALREADY_EXISTS if `to` is taken, NOT_FOUND if `from` is unknown). */
  async renamePerson(from: string, to: string): Promise<PersonRecord> {
    const f = normalizePersonName(from, 'from');
    const t = normalizePersonName(to, 'to');
    return this.#write('rename a person', (db) => {
      const person = this.#requirePerson(db, f, 'from');
      if (f === t) return person;
      if (this.#person(db, t)) throw new FacerecError('ALREADY_EXISTS', `Cannot rename "${f}" to "${t}": a person named "${t}" already exists; use merge to combine them.`);
      db.prepare(`UPDATE persons SET name = ? WHERE id = ?`).run(t, person.id);
      return this.#person(db, t)!;
    });
  }

  async mergePersons(from: string, into: string): Promise<PersonRecord> {
    const f = normalizePersonName(from, 'from');
    const t = normalizePersonName(into, 'into');
    if (f === t) throw invalidArgument('into', `a person other than "from"`, t);
    return this.#write('merge persons', (db) => {
      const src = this.#requirePerson(db, f, 'from');
      const dst = this.#requirePerson(db, t, 'into');
      db.prepare(`UPDATE faces SET person_id = ? WHERE person_id = ?`).run(dst.id, src.id);
      db.prepare(`DELETE FROM persons WHERE id = ?`).run(src.id);
      return this.#person(db, t)!;
    });
  }

  async addUnknownFaces(faces: readonly NewFace[], modelId: string): Promise<number[]> {
    checkModelId(modelId);
    if (!Array.isArray(faces) || faces.length === 0) throw invalidArgument('faces', 'a non-empty array of faces', faces);
    return this.#write('add unknown faces', (db) => {
      const known = this.#anyModelId(db);
      if (known !== null && known !== modelId) throw modelMismatch(modelId, known, 'The unknown faces');
      const dimension = this.#dimension(db) ?? this.#unknownDimension(db);
      const checked = faces.map((f, i) => checkNewFace(f, `faces[${i}]`, dimension));
      const dim = checked[0]!.embedding.length;
      checked.forEach((f, i) => {
        if (f.embedding.length !== dim) throw invalidArgument(`faces[${i}].embedding`, `an embedding of length ${dim} like faces[0]`, `length ${f.embedding.length}`);
      });
      const now = new Date().toISOString();
      const find = db.prepare(`SELECT id FROM unknown_faces WHERE source_sha256 = ? AND box IS ?`);
      const insert = db.prepare(
        `INSERT INTO unknown_faces (embedding, model_id, source_path, source_sha256, box, landmarks, quality, cluster_id, created_at, thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      );
      return checked.map((f) => {
        const box = f.box && JSON.stringify(f.box);
        // Same photo + same box seen again (a re-run, a repeated video frame file): stored once.
        const existing = f.sourceSha256 === null ? undefined : (find.get(f.sourceSha256, box) as { id: number } | undefined);
        if (existing) return existing.id;
        return Number(
          insert.run(embeddingToBytes(f.embedding), modelId, f.sourcePath, f.sourceSha256, box, f.landmarks && JSON.stringify(f.landmarks), f.quality, now, thumbnailBytes(f.thumbnail)).lastInsertRowid,
        );
      });
    });
  }

  async listUnknownFaces(): Promise<UnknownFaceRecord[]> {
    return this.#run('list unknown faces', (db) => (db.prepare(`${UNKNOWN_SELECT} ORDER BY id`).all() as UnknownRow[]).map(toUnknown));
  }

  async setUnknownClusters(labels: ReadonlyMap<number, number | null>): Promise<void> {
    if (!(labels instanceof Map)) throw invalidArgument('labels', 'a Map from unknown face id to cluster label (or null)', labels);
    for (const [id, label] of labels) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalidArgument('labels key', 'an integer unknown face id', id);
      if (label !== null && (typeof label !== 'number' || !Number.isSafeInteger(label))) throw invalidArgument(`labels[${id}]`, 'an integer cluster label or null', label);
    }
    return this.#write('set unknown face clusters', (db) => {
      const update = db.prepare(`UPDATE unknown_faces SET cluster_id = ? WHERE id = ?`);
      for (const [id, label] of labels) {
        if (update.run(label, id).changes === 0) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} in the gallery "${this.path}".`);
      }
    });
  }

  async enrolUnknownFaces(ids: readonly number[], personName: string): Promise<AddFacesResult> {
    const name = normalizePersonName(personName, 'personName');
    const list = checkIds(ids);
    if (list.length === 0) throw invalidArgument('ids', 'a non-empty array of unknown face ids', ids);
    return this.#write('enrol unknown faces', (db) => {
      const select = db.prepare(`${UNKNOWN_SELECT} WHERE id = ?`);
      const rows = list.map((id) => {
        const row = select.get(id) as UnknownRow | undefined;
        if (!row) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} in the gallery "${this.path}".`);
        return toUnknown(row);
      });
      const galleryModel = this.#modelId(db);
      for (const r of rows) if (galleryModel !== null && r.modelId !== galleryModel) throw modelMismatch(r.modelId, galleryModel, `Unknown face ${r.id}`);
      // One gallery face per source photo (faces.source_sha256 is unique): a second face of
      // an enrolled photo is reported in `duplicates` and, being named, leaves the unknown list too.
      const result = this.#insertFaces(
        db,
        name,
        rows.map((r) => ({ embedding: r.embedding, sourcePath: r.sourcePath, sourceSha256: r.sourceSha256, box: r.box, landmarks: r.landmarks, quality: r.quality, thumbnail: r.thumbnail ?? null, createdAt: null })),
        rows[0]!.modelId,
        null,
      );
      const del = db.prepare(`DELETE FROM unknown_faces WHERE id = ?`);
      for (const id of list) del.run(id);
      return result;
    });
  }

  async deleteUnknownFaces(ids: readonly number[]): Promise<void> {
    const list = checkIds(ids);
    return this.#write('delete unknown faces', (db) => {
      const del = db.prepare(`DELETE FROM unknown_faces WHERE id = ?`);
      for (const id of list) {
        if (del.run(id).changes === 0) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} in the gallery "${this.path}".`);
      }
    });
  }

  async getSetting(key: string): Promise<string | null> {
    const k = checkSettingKey(key);
    return this.#run('read a setting', (db) => (db.prepare(`SELECT value FROM settings WHERE key = ?`).get(k) as { value: string } | undefined)?.value ?? null);
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    const k = checkSettingKey(key);
    if (value !== null && typeof value !== 'string') throw invalidArgument(`setting "${k}"`, 'a string or null', value);
    return this.#write('write a setting', (db) => {
      if (value === null) db.prepare(`DELETE FROM settings WHERE key = ?`).run(k);
      else db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`).run(k, value, new Date().toISOString());
    });
  }

  async exportGallery(): Promise<GalleryExport> {
    return this.#run('export the gallery', (db) =>
      // One read transaction: a consistent snapshot even while another process writes.
      db.transaction((): GalleryExport => {
        const persons = db.prepare(`SELECT id, name, created_at FROM persons ORDER BY id`).all() as { id: number; name: string; created_at: string }[];
        const faces = (db.prepare(`${FACE_SELECT} ORDER BY f.id`).all() as FaceRow[]).map(toFace);
        const byPerson = new Map<number, FaceRecord[]>();
        for (const f of faces) byPerson.set(f.personId, [...(byPerson.get(f.personId) ?? []), f]);
        return {
          format: 'facerec-gallery',
          version: 1,
          modelId: this.#modelId(db),
          exportedAt: new Date().toISOString(),
          persons: persons.map((p) => ({
            name: p.name,
            createdAt: p.created_at,
            faces: (byPerson.get(p.id) ?? []).map((f) => ({
              embedding: encodeEmbedding(f.embedding),
              sourcePath: f.sourcePath,
              sourceSha256: f.sourceSha256,
              box: f.box,
              landmarks: f.landmarks,
              quality: f.quality,
              createdAt: f.createdAt,
              ...(f.thumbnail ? { thumbnail: encodeThumbnail(f.thumbnail) } : {}),
            })),
          })),
        };
      })(),
    );
  }

  /**
   * Adds an export's persons and faces in one transaction. Persons that already
   * exist receive the faces; faces whose sha256 is stored are skipped. Returns
   * the number of persons that received at least one face, the faces added and
   * the duplicates skipped. MODEL_MISMATCH if the export's model differs.
   */
  async importGallery(data: GalleryExport): Promise<{ persons: number; faces: number; duplicates: number }> {
    const checked = validateGalleryExport(data, 'import');
    return this.#write('import a gallery', (db) => {
      const result = { persons: 0, faces: 0, duplicates: 0 };
      if (checked.modelId === null) return result;
      const galleryModel = this.#modelId(db);
      if (galleryModel !== null && galleryModel !== checked.modelId) throw modelMismatch(checked.modelId, galleryModel, 'The imported faces');
      const dim = this.#dimension(db);
      checked.persons.forEach((p, i) => {
        if (p.faces.length === 0) return;
        const faces = p.faces.map((f, j) => {
          const embedding = decodeEmbedding(f.embedding, `import: persons[${i}].faces[${j}].embedding`);
          if (dim !== null && embedding.length !== dim) throw invalidArgument(`import: persons[${i}].faces[${j}].embedding`, `an embedding of length ${dim} (the gallery's dimension)`, `length ${embedding.length}`);
          const thumbnail = f.thumbnail ? decodeThumbnail(f.thumbnail, `import: persons[${i}].faces[${j}].thumbnail`) : null;
          return { embedding, sourcePath: f.sourcePath ?? null, sourceSha256: f.sourceSha256 ?? null, box: f.box ?? null, landmarks: f.landmarks ?? null, quality: f.quality ?? null, thumbnail, createdAt: f.createdAt };
        });
        const r = this.#insertFaces(db, p.name, faces, checked.modelId!, p.createdAt);
        if (r.added.length > 0) result.persons++;
        result.faces += r.added.length;
        result.duplicates += r.duplicates.length;
      });
      return result;
    });
  }

  async close(): Promise<void> {
    if (!this.#db) return;
    const db = this.#db;
    this.#db = null;
    if (db.open) {
      try {
        if (!this.readonly) db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // another connection is busy: the WAL is checkpointed later
      }
      db.close();
    }
  }

  // -------------------------------------------------------------------------

  #open(): Database.Database {
    if (!this.#db) throw new FacerecError('DATABASE_ERROR', `The gallery database "${this.path}" is closed.`);
    return this.#db;
  }

  #run<T>(what: string, fn: (db: Database.Database) => T): Promise<T> {
    try {
      return Promise.resolve(fn(this.#open()));
    } catch (cause) {
      if (cause instanceof FacerecError) return Promise.reject(cause);
      return Promise.reject(new FacerecError('DATABASE_ERROR', `Cannot ${what} in the gallery database "${this.path}": ${describeSqliteError(cause)}`, { cause }));
    }
  }

  /** A write in one IMMEDIATE transaction (takes the write lock up front: no deadlock-prone lock upgrade). */
  #write<T>(what: string, fn: (db: Database.Database) => T): Promise<T> {
    if (this.readonly) return Promise.reject(new FacerecError('DATABASE_ERROR', `Cannot ${what}: the gallery database "${this.path}" is open read-only.`));
    return this.#run(what, (db) => db.transaction(fn).immediate(db));
  }

  #modelId(db: Database.Database): string | null {
    const row = db.prepare(`SELECT model_id FROM faces LIMIT 1`).get() as { model_id: string } | undefined;
    return row?.model_id ?? null;
  }

  /** The model of the enrolled faces, else of the unknown faces: both must agree. */
  #anyModelId(db: Database.Database): string | null {
    if (this.#modelId(db) !== null) return this.#modelId(db);
    const row = db.prepare(`SELECT model_id FROM unknown_faces LIMIT 1`).get() as { model_id: string } | undefined;
    return row?.model_id ?? null;
  }

  #unknownDimension(db: Database.Database): number | null {
    const row = db.prepare(`SELECT length(embedding) AS n FROM unknown_faces LIMIT 1`).get() as { n: number } | undefined;
    return row ? row.n / 4 : null;
  }

  #dimension(db: Database.Database): number | null {
    const row = db.prepare(`SELECT length(embedding) AS n FROM faces LIMIT 1`).get() as { n: number } | undefined;
    return row ? row.n / 4 : null;
  }

  #person(db: Database.Database, name: string): PersonRecord | undefined {
    const row = db.prepare(`${PERSON_SELECT} WHERE p.name = ?`).get(name) as PersonRow | undefined;
    return row && toPerson(row);
  }

  #requirePerson(db: Database.Database, name: string, field: string): PersonRecord {
    const person = this.#person(db, name);
    if (!person) throw new FacerecError('NOT_FOUND', `There is no person named "${name}" (${field}) in the gallery "${this.path}".`);
    return person;
  }

  /** Inside a transaction: creates the person if needed (only if a face is added) and inserts the new faces. */
  #insertFaces(db: Database.Database, name: string, faces: (CheckedFace & { createdAt: string | null })[], modelId: string, personCreatedAt: string | null): AddFacesResult {
    const now = new Date().toISOString();
    const existing = this.#person(db, name);
    const duplicates: string[] = [];
    const seen = new Set<string>();
    const fresh = faces.filter((f) => {
      if (f.sourceSha256 === null) return true;
      const dup = seen.has(f.sourceSha256) || db.prepare(`SELECT 1 FROM faces WHERE source_sha256 = ?`).get(f.sourceSha256) !== undefined;
      seen.add(f.sourceSha256);
      if (dup) duplicates.push(f.sourceSha256);
      return !dup;
    });
    if (fresh.length === 0) {
      // Nothing to add: a new person is not created (every person has a face); id 0 marks "not stored".
      return { person: existing ?? { id: 0, name, createdAt: now, faceCount: 0 }, added: [], duplicates };
    }
    const personId = existing?.id ?? Number(db.prepare(`INSERT INTO persons (name, created_at) VALUES (?, ?)`).run(name, personCreatedAt ?? now).lastInsertRowid);
    const insert = db.prepare(
      `INSERT INTO faces (person_id, embedding, model_id, source_path, source_sha256, box, landmarks, quality, created_at, thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const ids = fresh.map((f) =>
      Number(
        insert.run(personId, embeddingToBytes(f.embedding), modelId, f.sourcePath, f.sourceSha256, f.box && JSON.stringify(f.box), f.landmarks && JSON.stringify(f.landmarks), f.quality, f.createdAt ?? now, f.thumbnail && Buffer.from(f.thumbnail.buffer, f.thumbnail.byteOffset, f.thumbnail.byteLength))
          .lastInsertRowid,
      ),
    );
    const select = db.prepare(`${FACE_SELECT} WHERE f.id = ?`);
    return { person: this.#person(db, name)!, added: ids.map((id) => toFace(select.get(id) as FaceRow)), duplicates };
  }
}

function checkIds(ids: unknown): number[] {
  if (!Array.isArray(ids)) throw invalidArgument('ids', 'an array of unknown face ids', ids);
  return ids.map((id, i) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalidArgument(`ids[${i}]`, 'an integer unknown face id', id);
    return id;
  });
}

function checkSettingKey(key: unknown): string {
  if (typeof key !== 'string' || !/^[a-z][a-z0-9._-]{0,99}$/.test(key)) throw invalidArgument('setting key', 'a lower-case name like "identify.tolerance"', key);
  return key;
}

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    return buf.subarray(0, readSync(fd, buf, 0, 16, 0)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

function migrate(db: Database.Database, from: number): void {
  for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
    db.transaction(() => {
      // Re-check inside the write lock: another process may have migrated meanwhile.
      if ((db.pragma('user_version', { simple: true }) as number) >= v) return;
      db.exec(MIGRATIONS[v - 1]!);
      db.pragma(`user_version = ${v}`);
    }).immediate();
  }
}

function describeSqliteError(cause: unknown, timeoutMs = 5000): string {
  const code = sqliteCode(cause);
  const msg = cause instanceof Error ? cause.message : String(cause);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `the database is locked by another process (waited ${timeoutMs} ms); try again when it is done.`;
  }
  if (code.startsWith('SQLITE_READONLY')) return 'the file or its folder is read-only; make it writable or open it read-only.';
  if (code === 'SQLITE_NOTADB') return 'the file is not a SQLite database (is it the right file?).';
  if (code.startsWith('SQLITE_CORRUPT')) return `the database file is corrupt (${msg}); restore it from a backup or an export.`;
  if (code === 'SQLITE_FULL') return 'the disk is full.';
  if (code.startsWith('SQLITE_CANTOPEN')) return `the file cannot be opened (${msg}).`;
  if (code.startsWith('SQLITE_IOERR')) return `a disk I/O error occurred (${msg}).`;
  return msg.endsWith('.') ? msg : `${msg}.`;
}
