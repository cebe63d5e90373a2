/**
 * The gallery named by a job's --db, for workers: a SQLite file or a PostgreSQL
 * URL. The PostgreSQL store is loaded on demand by its module path, so workers on
 * SQLite never load pg.
 */
import { openGalleryDb } from '../enroll/gallery-db.js';
import { FacerecError } from '../errors.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { isPostgresUrl } from './job-result-store.js';

const POSTGRES_STORE_MODULE = '../gallery/postgres-gallery-store.js';

type PostgresModule = { PostgresGalleryStore?: { open(url: string, options?: unknown): Promise<GalleryStore> } };

export async function openJobGallery(db: string, options: { create: boolean }): Promise<GalleryStore> {
  if (!isPostgresUrl(db)) return openGalleryDb(db, { create: options.create, writable: true });
  let mod: PostgresModule;
  try {
    mod = (await import(POSTGRES_STORE_MODULE)) as PostgresModule;
  } catch (err) {
    throw new FacerecError('NOT_FOUND', `--db ${db.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} names PostgreSQL, but this build has no PostgreSQL gallery store (${(err as Error).message})`);
  }
  if (!mod.PostgresGalleryStore) throw new FacerecError('NOT_FOUND', 'The PostgreSQL gallery store module does not export PostgresGalleryStore');
  return mod.PostgresGalleryStore.open(db);
}
