/**
 * The gallery in PostgreSQL (node-postgres), shared by several API nodes and
 * workers. Same contract as the SQLite store (gallery-contract.ts):
 *
 * - numbered migrations recorded in `schema_migrations`, applied under an
 *   advisory lock (two nodes starting together migrate once); a database written
 *   by a newer facerec is refused without being touched;
 * - every write is one transaction that first takes ONE gallery-wide advisory
 *   lock: writers run one at a time, exactly like SQLite's single writer, so the
 *   model check, duplicate check and "every person has a face" invariant hold
 *   across nodes (unique constraints on names and sha256 back this up);
 * - every write appends to `changes` in the same transaction and NOTIFYs
 *   `facerec_gallery`; because writers are serialised, change numbers commit in
 *   order, so "all changes after seq N" never skips one that commits later.
 *   watchChanges() turns that feed into index updates for other nodes;
 * - an unreachable server: open() retries with exponential backoff; afterwards
 *   queries fail fast (connection and statement timeouts) with UNAVAILABLE.
 *   Messages name the URL without its password.
 */
import pg from 'pg';
import { FacerecError, invalidArgument } from '../errors.js';
import type { FaceBox, Point } from '../types.js';
import { decodeEmbedding, decodeThumbnail, encodeEmbedding, encodeThumbnail, validateGalleryExport } from './gallery-file.js';
import type {
  AddFacesResult,
  FaceRecord,
  GalleryExport,
  GalleryStore,
  GalleryUpdate,
  NewFace,
  PersonRecord,
  UnknownFaceRecord,
  WatchChangesOptions,
} from './gallery-store.js';
import { bytesToEmbedding, checkModelId, checkNewFace, embeddingToBytes, modelMismatch, normalizePersonName, type CheckedFace } from './gallery-validation.js';

/** Migration n brings the schema from version n−1 to n. Never edit a released one: append. */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE persons (
     id BIGSERIAL PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE TABLE faces (
     id BIGSERIAL PRIMARY KEY,
     person_id BIGINT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
     embedding BYTEA NOT NULL,
     model_id TEXT NOT NULL,
     source_path TEXT,
     source_sha256 TEXT UNIQUE,
     box TEXT,
     landmarks TEXT,
     quality DOUBLE PRECISION,
     created_at TEXT NOT NULL,
     thumbnail BYTEA
   );
   CREATE INDEX faces_person_id ON faces(person_id);
   CREATE TABLE unknown_faces (
     id BIGSERIAL PRIMARY KEY,
     embedding BYTEA NOT NULL,
     model_id TEXT NOT NULL,
     source_path TEXT,
     source_sha256 TEXT,
     box TEXT,
     landmarks TEXT,
     quality DOUBLE PRECISION,
     cluster_id INTEGER,
     created_at TEXT NOT NULL,
     thumbnail BYTEA
   );
   CREATE INDEX unknown_faces_source_sha256 ON unknown_faces(source_sha256);
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE changes (
     seq BIGSERIAL PRIMARY KEY,
     kind TEXT NOT NULL,
     person_id BIGINT NOT NULL,
     face_ids BIGINT[] NOT NULL,
     created_at TIMESTAMPTZ NOT NULL DEFAULT now()
   );`,
];
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** The NOTIFY channel of gallery changes (payload: the last change seq of the transaction). */
export const CHANGE_CHANNEL = 'facerec_gallery';
/** Advisory lock keys: 'FREC' (gallery writes) and 'FRMG' (migrations). */
const WRITE_LOCK = 0x46524543;
const MIGRATION_LOCK = 0x46524d47;

export interface PostgresGalleryOptions {
  /** Refuse every write (identification only). */
  readonly?: boolean;
  /** Connections in the pool (default 6: a node's writes are serialised, its reads are short). */
  poolSize?: number;
  /** Attempts to reach the server in open() before giving up (default 6, backoff 250 ms doubling: about 8 s). */
  connectAttempts?: number;
  /** First retry delay of open() (default 250 ms; doubles each attempt, at most 4 s). */
  retryDelayMs?: number;
  /** How long to wait for a connection before failing with UNAVAILABLE (default 3000 ms). */
  connectionTimeoutMs?: number;
  /** Server-side statement_timeout and client-side query timeout (default 15000 ms). */
  statementTimeoutMs?: number;
}

/** The URL without its password, for messages and logs. */
export function redactPostgresUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

/** True for errors that mean "the server cannot be reached right now" (retrying later may work). */
export function isUnavailableError(err: unknown): boolean {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (NETWORK_CODES.has(code) || code.startsWith('08')) return true;
  const msg = err instanceof Error ? err.message : String(err);
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Query read timeout|ECONNREFUSED|Client has encountered a connection error/i.test(msg);
}

interface FaceRow {
  id: string;
  person_id: string;
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
  id: string;
  name: string;
  created_at: string;
  face_count: number;
}
interface UnknownRow {
  id: string;
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

const FACE_SELECT = `SELECT f.id, f.person_id, p.name AS person_name, f.embedding, f.model_id, f.source_path, f.source_sha256,
  f.box, f.landmarks, f.quality, f.created_at, f.thumbnail FROM faces f JOIN persons p ON p.id = f.person_id`;
const PERSON_SELECT = `SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM faces f WHERE f.person_id = p.id)::int AS face_count FROM persons p`;
const UNKNOWN_SELECT = `SELECT id, embedding, model_id, source_path, source_sha256, box, landmarks, quality, cluster_id, created_at, thumbnail FROM unknown_faces`;

const toPerson = (r: PersonRow): PersonRecord => ({ id: Number(r.id), name: r.name, createdAt: r.created_at, faceCount: r.face_count });
const toFace = (r: FaceRow): FaceRecord => ({
  id: Number(r.id),
  personId: Number(r.person_id),
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
const toUnknown = (r: UnknownRow): UnknownFaceRecord => ({
  id: Number(r.id),
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
const bytes = (t: Uint8Array | null): Buffer | null => t && Buffer.from(t.buffer, t.byteOffset, t.byteLength);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Client = pg.PoolClient;

export class PostgresGalleryStore implements GalleryStore {
  /** The URL without its password. */
  readonly path: string;
  readonly readonly: boolean;
  #pool: pg.Pool | null;
  readonly #url: string;
  readonly #options: PostgresGalleryOptions;
  readonly #watchers = new Set<() => Promise<void>>();

  private constructor(pool: pg.Pool, url: string, options: PostgresGalleryOptions) {
    this.#pool = pool;
    this.#url = url;
    this.path = redactPostgresUrl(url);
    this.readonly = options.readonly ?? false;
    this.#options = options;
  }

  /**
   * Connects (retrying with exponential backoff while the server is unreachable)
   * and brings the schema up to date. UNAVAILABLE when the server never answered;
   * DATABASE_ERROR for anything else (bad password, no such database, newer schema).
   */
  static async open(url: string, options: PostgresGalleryOptions = {}): Promise<PostgresGalleryStore> {
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url)) throw invalidArgument('database URL', 'a postgres:// or postgresql:// URL', url);
    const shown = redactPostgresUrl(url);
    const statementTimeout = options.statementTimeoutMs ?? 15_000;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 6,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 3000,
      idleTimeoutMillis: 30_000,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 1000,
      application_name: 'facerec',
    });
    // An idle connection dropped by the server: the next query reconnects (or reports UNAVAILABLE).
    pool.on('error', () => {});
    const attempts = Math.max(1, options.connectAttempts ?? 6);
    let delay = options.retryDelayMs ?? 250;
    for (let attempt = 1; ; attempt++) {
      try {
        await migrate(pool, shown, options.readonly ?? false);
        return new PostgresGalleryStore(pool, url, options);
      } catch (err) {
        if (attempt < attempts && isUnavailableError(err)) {
          await sleep(delay);
          delay = Math.min(delay * 2, 4000);
          continue;
        }
        await pool.end().catch(() => {});
        if (err instanceof FacerecError) throw err;
        if (isUnavailableError(err)) {
          throw new FacerecError('UNAVAILABLE', `Cannot reach the gallery database ${shown} (tried ${attempt} time${attempt > 1 ? 's' : ''}): ${(err as Error).message}; is the PostgreSQL server running?`, { cause: err });
        }
        throw new FacerecError('DATABASE_ERROR', `Cannot open the gallery database ${shown}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** The schema version of the database (highest row of schema_migrations). */
  async schemaVersion(): Promise<number> {
    return this.#run('read the schema version', async (c) => Number((await c.query(`SELECT coalesce(max(version), 0) AS v FROM schema_migrations`)).rows[0].v));
  }

  /** The newest change number (0 when none): load the gallery AFTER reading it, then watchChanges({ afterSeq }). */
  async changeSeq(): Promise<number> {
    return this.#run('read the change feed', async (c) => Number((await c.query(`SELECT coalesce(max(seq), 0) AS s FROM changes`)).rows[0].s));
  }

  async modelId(): Promise<string | null> {
    return this.#run('read the model id', (c) => modelOf(c));
  }

  async listPersons(): Promise<PersonRecord[]> {
    return this.#run('list persons', async (c) => (await c.query<PersonRow>(`${PERSON_SELECT} ORDER BY p.id`)).rows.map(toPerson));
  }

  async getPerson(name: string): Promise<PersonRecord | undefined> {
    const n = normalizePersonName(name);
    return this.#run('read a person', (c) => personOf(c, n));
  }

  async addFaces(personName: string, faces: readonly NewFace[], modelId: string): Promise<AddFacesResult> {
    const name = normalizePersonName(personName, 'personName');
    checkModelId(modelId);
    if (!Array.isArray(faces) || faces.length === 0) throw invalidArgument('faces', 'a non-empty array of faces', faces);
    return this.#write('add faces', async (c, change) => {
      const galleryModel = await modelOf(c);
      if (galleryModel !== null && galleryModel !== modelId) throw modelMismatch(modelId, galleryModel);
      const dimension = await dimensionOf(c, 'faces');
      const checked = faces.map((f, i) => checkNewFace(f, `faces[${i}]`, dimension));
      const dim = checked[0]!.embedding.length;
      checked.forEach((f, i) => {
        if (f.embedding.length !== dim) throw invalidArgument(`faces[${i}].embedding`, `an embedding of length ${dim} like faces[0]`, `length ${f.embedding.length}`);
      });
      return this.#insertFaces(c, name, checked.map((f) => ({ ...f, createdAt: null })), modelId, null, change);
    });
  }

  async hasSource(sourceSha256: string): Promise<boolean> {
    if (typeof sourceSha256 !== 'string') throw invalidArgument('sourceSha256', 'a sha256 hex string', sourceSha256);
    return this.#run('look up a source', async (c) => (await c.query(`SELECT 1 FROM faces WHERE source_sha256 = $1`, [sourceSha256.toLowerCase()])).rowCount! > 0);
  }

  async listFaces(personName?: string): Promise<FaceRecord[]> {
    const name = personName === undefined ? undefined : normalizePersonName(personName, 'personName');
    return this.#run('list faces', async (c) => {
      if (name === undefined) return (await c.query<FaceRow>(`${FACE_SELECT} ORDER BY f.id`)).rows.map(toFace);
      const person = await this.#requirePerson(c, name, 'personName');
      return (await c.query<FaceRow>(`${FACE_SELECT} WHERE f.person_id = $1 ORDER BY f.id`, [person.id])).rows.map(toFace);
    });
  }

  async deleteFace(faceId: number): Promise<void> {
    if (typeof faceId !== 'number' || !Number.isSafeInteger(faceId)) throw invalidArgument('faceId', 'an integer face id', faceId);
    return this.#write('delete a face', async (c, change) => {
      const row = (await c.query<{ person_id: string }>(`DELETE FROM faces WHERE id = $1 RETURNING person_id`, [faceId])).rows[0];
      if (!row) throw new FacerecError('NOT_FOUND', `There is no face with id ${faceId} in the gallery ${this.path}.`);
      await c.query(`DELETE FROM persons WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM faces WHERE person_id = $1)`, [row.person_id]);
      await change('face-deleted', Number(row.person_id), [faceId]);
    });
  }

  async deletePerson(name: string): Promise<void> {
    const n = normalizePersonName(name);
    return this.#write('delete a person', async (c, change) => {
      const person = await this.#requirePerson(c, n, 'name');
      const ids = (await c.query<{ id: string }>(`DELETE FROM faces WHERE person_id = $1 RETURNING id`, [person.id])).rows.map((r) => Number(r.id));
      await c.query(`DELETE FROM persons WHERE id = $1`, [person.id]);
      await change('person-deleted', person.id, ids);
    });
  }

  async renamePerson(from: string, to: string): Promise<PersonRecord> {
    const f = normalizePersonName(from, 'from');
    const t = normalizePersonName(to, 'to');
    return this.#write('rename a person', async (c, change) => {
      const person = await this.#requirePerson(c, f, 'from');
      if (f === t) return person;
      if (await personOf(c, t)) throw new FacerecError('ALREADY_EXISTS', `Cannot rename "${f}" to "${t}": a person named "${t}" already exists; use merge to combine them.`);
      await c.query(`UPDATE persons SET name = $1 WHERE id = $2`, [t, person.id]);
      await change('person-renamed', person.id, await faceIdsOf(c, person.id));
      return (await personOf(c, t))!;
    });
  }

  async mergePersons(from: string, into: string): Promise<PersonRecord> {
    const f = normalizePersonName(from, 'from');
    const t = normalizePersonName(into, 'into');
    if (f === t) throw invalidArgument('into', `a person other than "from"`, t);
    return this.#write('merge persons', async (c, change) => {
      const src = await this.#requirePerson(c, f, 'from');
      const dst = await this.#requirePerson(c, t, 'into');
      const moved = (await c.query<{ id: string }>(`UPDATE faces SET person_id = $1 WHERE person_id = $2 RETURNING id`, [dst.id, src.id])).rows.map((r) => Number(r.id));
      await c.query(`DELETE FROM persons WHERE id = $1`, [src.id]);
      await change('persons-merged', dst.id, moved);
      return (await personOf(c, t))!;
    });
  }

  async addUnknownFaces(faces: readonly NewFace[], modelId: string): Promise<number[]> {
    checkModelId(modelId);
    if (!Array.isArray(faces) || faces.length === 0) throw invalidArgument('faces', 'a non-empty array of faces', faces);
    return this.#write('add unknown faces', async (c) => {
      const known = (await modelOf(c)) ?? (await modelOf(c, 'unknown_faces'));
      if (known !== null && known !== modelId) throw modelMismatch(modelId, known, 'The unknown faces');
      const dimension = (await dimensionOf(c, 'faces')) ?? (await dimensionOf(c, 'unknown_faces'));
      const checked = faces.map((f, i) => checkNewFace(f, `faces[${i}]`, dimension));
      const dim = checked[0]!.embedding.length;
      checked.forEach((f, i) => {
        if (f.embedding.length !== dim) throw invalidArgument(`faces[${i}].embedding`, `an embedding of length ${dim} like faces[0]`, `length ${f.embedding.length}`);
      });
      const now = new Date().toISOString();
      const ids: number[] = [];
      for (const f of checked) {
        const box = f.box && JSON.stringify(f.box);
        // Same photo + same box seen again (a re-run, a repeated video frame file): stored once.
        if (f.sourceSha256 !== null) {
          const existing = (await c.query<{ id: string }>(`SELECT id FROM unknown_faces WHERE source_sha256 = $1 AND box IS NOT DISTINCT FROM $2 LIMIT 1`, [f.sourceSha256, box])).rows[0];
          if (existing) {
            ids.push(Number(existing.id));
            continue;
          }
        }
        const r = await c.query<{ id: string }>(
          `INSERT INTO unknown_faces (embedding, model_id, source_path, source_sha256, box, landmarks, quality, cluster_id, created_at, thumbnail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9) RETURNING id`,
          [embeddingToBytes(f.embedding), modelId, f.sourcePath, f.sourceSha256, box, f.landmarks && JSON.stringify(f.landmarks), f.quality, now, bytes(f.thumbnail)],
        );
        ids.push(Number(r.rows[0]!.id));
      }
      return ids;
    });
  }

  async listUnknownFaces(): Promise<UnknownFaceRecord[]> {
    return this.#run('list unknown faces', async (c) => (await c.query<UnknownRow>(`${UNKNOWN_SELECT} ORDER BY id`)).rows.map(toUnknown));
  }

  async setUnknownClusters(labels: ReadonlyMap<number, number | null>): Promise<void> {
    if (!(labels instanceof Map)) throw invalidArgument('labels', 'a Map from unknown face id to cluster label (or null)', labels);
    for (const [id, label] of labels) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalidArgument('labels key', 'an integer unknown face id', id);
      if (label !== null && (typeof label !== 'number' || !Number.isSafeInteger(label))) throw invalidArgument(`labels[${id}]`, 'an integer cluster label or null', label);
    }
    return this.#write('set unknown face clusters', async (c) => {
      for (const [id, label] of labels) {
        const r = await c.query(`UPDATE unknown_faces SET cluster_id = $1 WHERE id = $2`, [label, id]);
        if (r.rowCount === 0) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} in the gallery ${this.path}.`);
      }
    });
  }

  async enrolUnknownFaces(ids: readonly number[], personName: string): Promise<AddFacesResult> {
    const name = normalizePersonName(personName, 'personName');
    const list = checkIds(ids);
    if (list.length === 0) throw invalidArgument('ids', 'a non-empty array of unknown face ids', ids);
    return this.#write('enrol unknown faces', async (c, change) => {
      const rows: UnknownFaceRecord[] = [];
      for (const id of list) {
        const row = (await c.query<UnknownRow>(`${UNKNOWN_SELECT} WHERE id = $1`, [id])).rows[0];
        if (!row) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} in the gallery ${this.path}.`);
        rows.push(toUnknown(row));
      }
      const galleryModel = await modelOf(c);
      for (const r of rows) if (galleryModel !== null && r.modelId !== galleryModel) throw modelMismatch(r.modelId, galleryModel, `Unknown face ${r.id}`);
      const result = await this.#insertFaces(
        c,
        name,
        rows.map((r) => ({ embedding: r.embedding, sourcePath: r.sourcePath, sourceSha256: r.sourceSha256, box: r.box, landmarks: r.landmarks, quality: r.quality, thumbnail: r.thumbnail ?? null, createdAt: null })),
        rows[0]!.modelId,
        null,
        change,
      );
      await c.query(`DELETE FROM unknown_faces WHERE id = ANY($1::bigint[])`, [list]);
      return result;
    });
  }

  async deleteUnknownFaces(ids: readonly number[]): Promise<void> {
    const list = checkIds(ids);
    return this.#write('delete unknown faces', async (c) => {
      for (const id of list) {
        const r = await c.query(`DELETE FROM unknown_faces WHERE id = $1`, [id]);
        if (r.rowCount === 0) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} in the gallery ${this.path}.`);
      }
    });
  }

  async getSetting(key: string): Promise<string | null> {
    const k = checkSettingKey(key);
    return this.#run('read a setting', async (c) => (await c.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [k])).rows[0]?.value ?? null);
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    const k = checkSettingKey(key);
    if (value !== null && typeof value !== 'string') throw invalidArgument(`setting "${k}"`, 'a string or null', value);
    return this.#write('write a setting', async (c) => {
      if (value === null) await c.query(`DELETE FROM settings WHERE key = $1`, [k]);
      else {
        await c.query(`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, [
          k,
          value,
          new Date().toISOString(),
        ]);
      }
    });
  }

  async exportGallery(): Promise<GalleryExport> {
    return this.#run('export the gallery', async (c) => {
      // One REPEATABLE READ transaction: a consistent snapshot while other nodes write.
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const persons = (await c.query<{ id: string; name: string; created_at: string }>(`SELECT id, name, created_at FROM persons ORDER BY id`)).rows;
        const faces = (await c.query<FaceRow>(`${FACE_SELECT} ORDER BY f.id`)).rows.map(toFace);
        const modelId = await modelOf(c);
        await c.query('COMMIT');
        const byPerson = new Map<number, FaceRecord[]>();
        for (const f of faces) byPerson.set(f.personId, [...(byPerson.get(f.personId) ?? []), f]);
        return {
          format: 'facerec-gallery',
          version: 1,
          modelId,
          exportedAt: new Date().toISOString(),
          persons: persons.map((p) => ({
            name: p.name,
            createdAt: p.created_at,
            faces: (byPerson.get(Number(p.id)) ?? []).map((f) => ({
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
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async importGallery(data: GalleryExport): Promise<{ persons: number; faces: number; duplicates: number }> {
    const checked = validateGalleryExport(data, 'import');
    return this.#write('import a gallery', async (c, change) => {
      const result = { persons: 0, faces: 0, duplicates: 0 };
      if (checked.modelId === null) return result;
      const galleryModel = await modelOf(c);
      if (galleryModel !== null && galleryModel !== checked.modelId) throw modelMismatch(checked.modelId, galleryModel, 'The imported faces');
      const dim = await dimensionOf(c, 'faces');
      for (const [i, p] of checked.persons.entries()) {
        if (p.faces.length === 0) continue;
        const faces = p.faces.map((f, j) => {
          const embedding = decodeEmbedding(f.embedding, `import: persons[${i}].faces[${j}].embedding`);
          if (dim !== null && embedding.length !== dim) throw invalidArgument(`import: persons[${i}].faces[${j}].embedding`, `an embedding of length ${dim} (the gallery's dimension)`, `length ${embedding.length}`);
          const thumbnail = f.thumbnail ? decodeThumbnail(f.thumbnail, `import: persons[${i}].faces[${j}].thumbnail`) : null;
          return { embedding, sourcePath: f.sourcePath ?? null, sourceSha256: f.sourceSha256 ?? null, box: f.box ?? null, landmarks: f.landmarks ?? null, quality: f.quality ?? null, thumbnail, createdAt: f.createdAt };
        });
        const r = await this.#insertFaces(c, p.name, faces, checked.modelId, p.createdAt, change);
        if (r.added.length > 0) result.persons++;
        result.faces += r.added.length;
        result.duplicates += r.duplicates.length;
      }
      return result;
    });
  }

  /**
   * Follows other processes' changes: LISTENs on a dedicated connection and, on
   * each notification, on (re)connection and every `pollIntervalMs` as a safety
   * net, reads the changes after the last one seen and hands `listener` the
   * current state of every face they touched. A lost connection is retried with
   * backoff and caught up from the `changes` table, so no change is missed.
   * Updates are delivered one at a time, in order. Returns a stop function.
   */
  watchChanges(listener: (update: GalleryUpdate) => Promise<void> | void, options: WatchChangesOptions = {}): () => Promise<void> {
    const pool = this.#open();
    const pollMs = options.pollIntervalMs ?? 5000;
    const onError = options.onError ?? (() => {});
    let lastSeq = options.afterSeq ?? -1;
    let stopped = false;
    let client: pg.Client | null = null;
    let running: Promise<void> | null = null;
    let again = false;
    let reconnectDelay = 250;
    let reconnectTimer: NodeJS.Timeout | null = null;

    const catchUp = async (): Promise<void> => {
      if (lastSeq < 0) lastSeq = Number((await pool.query(`SELECT coalesce(max(seq), 0) AS s FROM changes`)).rows[0].s);
      for (;;) {
        const changes = (await pool.query<{ seq: string; face_ids: string[] }>(`SELECT seq, face_ids FROM changes WHERE seq > $1 ORDER BY seq LIMIT 5000`, [lastSeq])).rows;
        if (changes.length === 0 || stopped) return;
        const ids = [...new Set(changes.flatMap((ch) => ch.face_ids.map(Number)))];
        const faces = ids.length === 0 ? [] : (await pool.query<FaceRow>(`${FACE_SELECT} WHERE f.id = ANY($1::bigint[]) ORDER BY f.id`, [ids])).rows.map(toFace);
        const seq = Number(changes[changes.length - 1]!.seq);
        await listener({ seq, faceIds: ids, faces: faces.map(({ id, personName, embedding }) => ({ id, personName, embedding })) });
        lastSeq = seq;
      }
    };
    /** One catch-up at a time; a request during a run schedules one more. */
    const poke = (): void => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = catchUp()
        .catch((err) => onError(this.#wrap('follow the change feed', err)))
        .finally(() => {
          running = null;
          if (again) {
            again = false;
            poke();
          }
        });
    };
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const c = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: this.#options.connectionTimeoutMs ?? 3000, application_name: 'facerec-listen' });
      const lost = (err?: unknown) => {
        if (client !== c) return;
        client = null;
        c.removeAllListeners('notification');
        void c.end().catch(() => {});
        if (stopped) return;
        if (err) onError(this.#wrap('listen for gallery changes', err));
        reconnectTimer = setTimeout(() => void connect(), reconnectDelay);
        reconnectDelay = Math.min(reconnectDelay * 2, 5000);
      };
      c.on('error', (err) => lost(err));
      c.on('end', () => lost(new Error('the LISTEN connection was closed')));
      c.on('notification', () => poke());
      client = c;
      try {
        await c.connect();
        await c.query(`LISTEN ${CHANGE_CHANNEL}`);
        if (stopped) return void (await c.end().catch(() => {}));
        reconnectDelay = 250;
        poke(); // whatever happened while we were not listening
      } catch (err) {
        lost(err);
      }
    };
    void connect();
    const timer = setInterval(poke, pollMs);
    timer.unref();
    const stop = async () => {
      stopped = true;
      clearInterval(timer);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
      await running;
      this.#watchers.delete(stop);
    };
    this.#watchers.add(stop);
    return stop;
  }

  /** The backend pid of the LISTEN connections (for tests that cut them with pg_terminate_backend). */
  async listenerPids(): Promise<number[]> {
    return this.#run('list listeners', async (c) =>
      (await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'facerec-listen'`)).rows.map((r) => r.pid),
    );
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    for (const stop of [...this.#watchers]) await stop();
    this.#pool = null;
    await pool.end();
  }

  // -------------------------------------------------------------------------

  #open(): pg.Pool {
    if (!this.#pool) throw new FacerecError('DATABASE_ERROR', `The gallery database ${this.path} is closed.`);
    return this.#pool;
  }

  #wrap(what: string, cause: unknown): FacerecError {
    if (cause instanceof FacerecError) return cause;
    if (isUnavailableError(cause)) {
      return new FacerecError('UNAVAILABLE', `Cannot ${what}: the gallery database ${this.path} is unreachable (${(cause as Error).message}); try again shortly.`, { cause });
    }
    if (cause && typeof cause === 'object' && (cause as { code?: string }).code === '57014') {
      return new FacerecError('UNAVAILABLE', `Cannot ${what}: the gallery database ${this.path} did not answer in time (statement timeout); try again shortly.`, { cause });
    }
    return new FacerecError('DATABASE_ERROR', `Cannot ${what} in the gallery database ${this.path}: ${(cause as Error).message}`, { cause });
  }

  async #run<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await this.#open().connect();
    } catch (cause) {
      throw this.#wrap(what, cause);
    }
    let broken = false;
    // A connection lost while checked out is emitted as an 'error' event besides failing the query: never an uncaught exception.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      return await fn(client);
    } catch (cause) {
      broken = isUnavailableError(cause);
      throw this.#wrap(what, cause);
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  /**
   * A write transaction under the gallery-wide advisory lock. `change` records a
   * change-feed row; one NOTIFY per transaction carries the last seq.
   */
  #write<T>(what: string, fn: (c: Client, change: ChangeFn) => Promise<T>): Promise<T> {
    if (this.readonly) return Promise.reject(new FacerecError('DATABASE_ERROR', `Cannot ${what}: the gallery database ${this.path} is open read-only.`));
    return this.#run(what, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
        let lastSeq = 0;
        const change: ChangeFn = async (kind, personId, faceIds) => {
          if (faceIds.length === 0) return;
          const r = await c.query<{ seq: string }>(`INSERT INTO changes (kind, person_id, face_ids) VALUES ($1, $2, $3::bigint[]) RETURNING seq`, [kind, personId, faceIds]);
          lastSeq = Number(r.rows[0]!.seq);
        };
        const result = await fn(c, change);
        if (lastSeq > 0) await c.query(`SELECT pg_notify($1, $2)`, [CHANGE_CHANNEL, String(lastSeq)]);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async #requirePerson(c: Client, name: string, field: string): Promise<PersonRecord> {
    const person = await personOf(c, name);
    if (!person) throw new FacerecError('NOT_FOUND', `There is no person named "${name}" (${field}) in the gallery ${this.path}.`);
    return person;
  }

  /** Inside a write: creates the person if needed (only if a face is added) and inserts the new faces. */
  async #insertFaces(
    c: Client,
    name: string,
    faces: (CheckedFace & { createdAt: string | null })[],
    modelId: string,
    personCreatedAt: string | null,
    change: ChangeFn,
  ): Promise<AddFacesResult> {
    const now = new Date().toISOString();
    const existing = await personOf(c, name);
    const duplicates: string[] = [];
    const seen = new Set<string>();
    const fresh: typeof faces = [];
    for (const f of faces) {
      if (f.sourceSha256 === null) {
        fresh.push(f);
        continue;
      }
      const dup = seen.has(f.sourceSha256) || (await c.query(`SELECT 1 FROM faces WHERE source_sha256 = $1`, [f.sourceSha256])).rowCount! > 0;
      seen.add(f.sourceSha256);
      if (dup) duplicates.push(f.sourceSha256);
      else fresh.push(f);
    }
    if (fresh.length === 0) return { person: existing ?? { id: 0, name, createdAt: now, faceCount: 0 }, added: [], duplicates };
    const personId = existing?.id ?? Number((await c.query<{ id: string }>(`INSERT INTO persons (name, created_at) VALUES ($1, $2) RETURNING id`, [name, personCreatedAt ?? now])).rows[0]!.id);
    const ids: number[] = [];
    for (const f of fresh) {
      const r = await c.query<{ id: string }>(
        `INSERT INTO faces (person_id, embedding, model_id, source_path, source_sha256, box, landmarks, quality, created_at, thumbnail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [personId, embeddingToBytes(f.embedding), modelId, f.sourcePath, f.sourceSha256, f.box && JSON.stringify(f.box), f.landmarks && JSON.stringify(f.landmarks), f.quality, f.createdAt ?? now, bytes(f.thumbnail)],
      );
      ids.push(Number(r.rows[0]!.id));
    }
    await change('face-added', personId, ids);
    const added = (await c.query<FaceRow>(`${FACE_SELECT} WHERE f.id = ANY($1::bigint[]) ORDER BY f.id`, [ids])).rows.map(toFace);
    return { person: (await personOf(c, name))!, added, duplicates };
  }
}

type ChangeFn = (kind: 'face-added' | 'face-deleted' | 'person-deleted' | 'person-renamed' | 'persons-merged', personId: number, faceIds: number[]) => Promise<void>;

async function modelOf(c: Client, table: 'faces' | 'unknown_faces' = 'faces'): Promise<string | null> {
  return (await c.query<{ model_id: string }>(`SELECT model_id FROM ${table} LIMIT 1`)).rows[0]?.model_id ?? null;
}

async function dimensionOf(c: Client, table: 'faces' | 'unknown_faces'): Promise<number | null> {
  const row = (await c.query<{ n: number }>(`SELECT length(embedding) AS n FROM ${table} LIMIT 1`)).rows[0];
  return row ? row.n / 4 : null;
}

async function personOf(c: Client, name: string): Promise<PersonRecord | undefined> {
  const row = (await c.query<PersonRow>(`${PERSON_SELECT} WHERE p.name = $1`, [name])).rows[0];
  return row && toPerson(row);
}

async function faceIdsOf(c: Client, personId: number): Promise<number[]> {
  return (await c.query<{ id: string }>(`SELECT id FROM faces WHERE person_id = $1 ORDER BY id`, [personId])).rows.map((r) => Number(r.id));
}

/** Applies the missing migrations under an advisory lock (one node migrates; the others wait, then see it done). */
async function migrate(pool: pg.Pool, shown: string, readonly: boolean): Promise<void> {
  const c = await pool.connect();
  const ignore = () => {};
  c.on('error', ignore);
  try {
    const exists = (await c.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`)).rows[0]!.t !== null;
    const current = exists ? Number((await c.query(`SELECT coalesce(max(version), 0) AS v FROM schema_migrations`)).rows[0].v) : 0;
    // Read-only checks first: a database we refuse is never modified.
    if (current > PG_SCHEMA_VERSION) {
      throw new FacerecError('DATABASE_ERROR', `Cannot open the gallery database ${shown}: it was written by a newer facerec (schema v${current}, this one knows up to v${PG_SCHEMA_VERSION}); upgrade facerec.`);
    }
    if (current === PG_SCHEMA_VERSION) return;
    if (readonly) throw new FacerecError('DATABASE_ERROR', `Cannot open the gallery database ${shown}: its schema (v${current}) needs an upgrade to v${PG_SCHEMA_VERSION}; open it once without read-only.`);
    await c.query('BEGIN');
    try {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const now = Number((await c.query(`SELECT coalesce(max(version), 0) AS v FROM schema_migrations`)).rows[0].v);
      for (let v = now + 1; v <= PG_SCHEMA_VERSION; v++) {
        await c.query(PG_MIGRATIONS[v - 1]!);
        await c.query(`INSERT INTO schema_migrations (version) VALUES ($1)`, [v]);
      }
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    c.off('error', ignore);
    c.release();
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
