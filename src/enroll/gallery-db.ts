/**
 * Opening the gallery database file named by --db. SqliteGalleryStore.open names
 * the path and the problem (a folder, a missing folder, not a database, locked);
 * identification additionally refuses to create a database that does not exist.
 */
import { existsSync } from 'node:fs';
import { FacerecError } from '../errors.js';
import type { GalleryStore } from '../gallery/gallery-store.js';

export const DEFAULT_DB = 'facerec.db';

/**
 * Opens the SQLite gallery at `path`: created if missing for enrolment
 * (`create: true`); otherwise it must exist, and is opened read-only unless
 * `writable` (gallery edits).
 */
export async function openGalleryDb(path: string, options: { create: boolean; writable?: boolean }): Promise<GalleryStore> {
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
