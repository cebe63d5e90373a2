/** One suite for both JobResultStore implementations: idempotent per-photo writes, no-face rows, clear errors. */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FacerecError } from '../errors.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../test-support/postgres-server.js';
import { tempDir } from '../test-support/test-datasets.js';
import { openJobResultStore, type JobResultStore } from './job-result-store.js';

const box = { top: 1, right: 20, bottom: 30, left: 2 };

function contract(name: string, skip: string | false, open: () => Promise<{ db: string; cleanup(): Promise<void> }>) {
  describe(`JobResultStore on ${name}`, { skip }, () => {
    let db: string;
    let cleanup: () => Promise<void>;
    let store: JobResultStore;
    before(async () => {
      ({ db, cleanup } = await open());
      store = await openJobResultStore(db);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    test('writing a photo twice leaves one set of rows (the second)', async () => {
      await store.writePhotoResults('j1', '/p/a.jpg', 'sha-a', [
        { faceIndex: 0, name: 'Ann', distance: 0.31, box },
        { faceIndex: 1, name: null, distance: 0.7, box },
      ]);
      await store.writePhotoResults('j1', '/p/a.jpg', 'sha-a', [{ faceIndex: 0, name: 'Ann', distance: 0.3, box }]);
      const rows = await store.listResults('j1');
      assert.deepEqual(rows, [{ jobId: 'j1', path: '/p/a.jpg', faceIndex: 0, sha256: 'sha-a', name: 'Ann', distance: 0.3, box }]);
    });

    test('a photo without a face gets one row with face index -1; jobs are kept apart', async () => {
      await store.writePhotoResults('j2', '/p/b.jpg', 'sha-b', []);
      await store.writePhotoResults('j2', '/p/b.jpg', 'sha-b', []);
      assert.deepEqual(await store.listResults('j2'), [{ jobId: 'j2', path: '/p/b.jpg', faceIndex: -1, sha256: 'sha-b', name: null, distance: null, box: null }]);
      assert.equal((await store.listResults('j1')).length, 1);
      assert.deepEqual(await store.listResults('nope'), []);
    });

    test('a second store on the same database sees the rows (table created once)', async () => {
      const other = await openJobResultStore(db);
      try {
        assert.equal((await other.listResults('j1'))[0]!.name, 'Ann');
      } finally {
        await other.close();
      }
    });
  });
}

contract('SQLite', false, async () => {
  const dir = await tempDir('facerec-jobres-');
  return { db: join(dir, 'g.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

let pg: PostgresServer | undefined;
contract('PostgreSQL', process.env.FACEREC_TEST_POSTGRES_URL ? false : postgresSkip(), async () => {
  if (process.env.FACEREC_TEST_POSTGRES_URL) {
    const db = process.env.FACEREC_TEST_POSTGRES_URL;
    // Shared server: job ids above are reused, so start from an empty table.
    const client = new (await import('pg')).default.Client({ connectionString: db });
    await client.connect();
    await client.query('DROP TABLE IF EXISTS job_results');
    await client.end();
    return { db, cleanup: async () => {} };
  }
  pg = await startPostgres();
  return { db: pg.connectionString, cleanup: () => pg!.stop() };
});

describe('openJobResultStore errors', () => {
  test('a file that is not a database is named in the error', async () => {
    const dir = await tempDir('facerec-jobres-');
    try {
      const bad = join(dir, 'not-a-db.db');
      await writeFile(bad, 'hello, I am text'.repeat(100));
      await assert.rejects(openJobResultStore(bad), (err: unknown) => err instanceof FacerecError && err.code === 'DATABASE_ERROR' && err.message.includes(bad));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an unreachable PostgreSQL server fails with the URL, password hidden', async () => {
    const url = 'postgres://u:secret@127.0.0.1:1/db';
    await assert.rejects(openJobResultStore(url), (err: unknown) => err instanceof FacerecError && err.message.includes('postgres://u:***@127.0.0.1:1/db') && !err.message.includes('secret'));
  });
});
