/**
 * Opening the gallery database named by --db: a SQLite file, or a PostgreSQL
 * URL (postgres:// or postgresql://) for a gallery shared by several machines.
 * SqliteGalleryStore.open names
 * the path and the problem (a folder, a missing folder, not a database, locked);
 * identification additionally refuses to create a database that does not exist.
 */
import { existsSync } from 'node:fs';
import { FacerecError } from '../errors.js';
import type { GalleryStore } from '../gallery/gallery-store.js';

export const DEFAULT_DB = 'facerec.db';

/** A --db value naming a PostgreSQL gallery (postgres://user:password@host:5432/db) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The --db value for messages and logs: a URL's password replaced by ***. */
export function redactDb(db: string): string {
  return db.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * Opens the SQLite gallery at `path`: created if missing for enrolment
 * (`create: true`); otherwise it must exist, and is opened read-only unless
 * `writable` (gallery edits).
 */
export async function openGalleryDb(path: string, options: { create: boolean; writable?: boolean }): Promise<GalleryStore> {
  if (isPostgresUrl(path)) {
    // Loaded on demand, like SQLite: only PostgreSQL users load pg.
    const { PostgresGalleryStore } = await import('../gallery/postgres-gallery-store.js');
    return PostgresGalleryStore.open(path, { readonly: !options.create && !options.writable });
  }
  if (!options.create && !existsSync(path)) {
    throw new FacerecError('NOT_FOUND', `The gallery database "${path}" does not exist; enrol some persons first with facerec enroll DATASET_DIR --db ${path}`);
  }
  // Loaded on demand: commands that need no gallery never load the native SQLite module.
  const { SqliteGalleryStore } = await import('../gallery/sqlite-gallery-store.js');
  try {
    return await SqliteGalleryStore.open(path, { readonly: !options.create && !options.writable });
  } catch (err) {
    if (err instanceof FacerecError) throw err;
    throw new FacerecError('IO_ERROR', `Cannot open the gallery database "${path}": ${(err as Error).message}`, { cause: err });
  }
}
