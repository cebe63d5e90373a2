/**
 * facerec migrate: SQLite → PostgreSQL → SQLite round trip without loss (equal
 * counts and checksums, embeddings and thumbnails bit-exact, unknown faces with
 * their clusters, the calibrated tolerance), refusal of a non-empty target unless
 * --append, and no password in the output. Skips without PostgreSQL.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MODEL_A, testFace } from '../gallery/gallery-contract.js';
import { summarizeGallery } from '../gallery/gallery-migrate.js';
import { PostgresGalleryStore } from '../gallery/postgres-gallery-store.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { createDatabase, startPostgresDatabase } from '../test-support/postgres-server.js';
import { runCli, tempDir } from '../test-support/test-datasets.js';

const pgServer = await startPostgresDatabase();

describe('facerec migrate', { skip: 'skip' in pgServer ? pgServer.skip : false }, () => {
  const server = pgServer as Exclude<typeof pgServer, { skip: string }>;
  let dir: string;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await server.stop();
  });

  test('SQLite → PostgreSQL → SQLite keeps everything; the checksums match on both sides', async () => {
    dir = await tempDir('facerec-migrate-');
    const src = join(dir, 'src.db');
    const store = await SqliteGalleryStore.open(src);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    await store.addFaces('Ann', [testFace(1, { thumbnail: jpeg }), testFace(2)], MODEL_A);
    await store.addFaces('李 Bob', [testFace(3, { sourceSha256: null })], MODEL_A);
    const unknown = await store.addUnknownFaces([testFace(10), testFace(11)], MODEL_A);
    await store.setUnknownClusters(new Map([[unknown[0]!, 4]]));
    await store.setSetting('identify.tolerance', '0.52');
    const before = await summarizeGallery(store);
    await store.close();

    // A password in the URL never reaches the output.
    const url = new URL(server.url);
    url.password = 'pw-not-needed';
    const r = await runCli(['migrate', '--from', src, '--to', url.toString()]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out + r.err, /pw-not-needed/);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^from .*src\\.db: 2 persons, 3 faces, 2 unknown faces, embeddings sha256 ${before.checksum}$`));
    assert.match(lines[1]!, new RegExp(`^to   postgres://${url.username}:\\*\\*\\*@.*: 2 persons, 3 faces, 2 unknown faces, embeddings sha256 ${before.checksum}$`));

    const pgStore = await PostgresGalleryStore.open(server.url);
    try {
      const faces = await pgStore.listFaces('Ann');
      assert.deepEqual([...faces[0]!.thumbnail!], [...jpeg]);
      assert.deepEqual((await pgStore.listUnknownFaces()).map((u) => u.clusterId), [4, null]);
      assert.equal(await pgStore.getSetting('identify.tolerance'), '0.52');
    } finally {
      await pgStore.close();
    }

    // Again into the now non-empty target: refused without --append, a no-op with it.
    const again = await runCli(['migrate', '--from', src, '--to', server.url]);
    assert.equal(again.code, 1);
    assert.match(again.err, /not empty \(2 persons, 3 faces, 2 unknown faces\).*--append/);
    const appended = await runCli(['migrate', '--from', src, '--to', server.url, '--append', '--json']);
    assert.equal(appended.code, 0, appended.err);
    const report = JSON.parse(appended.out) as { added: { faces: number; duplicates: number }; target: { faces: number } };
    assert.equal(report.added.duplicates, 2, 'the two hashed photos are skipped');
    assert.equal(report.target.faces, 4, 'the face without a photo hash cannot be recognised as a duplicate');

    // And back into a new SQLite file, from a fresh PostgreSQL copy.
    const fresh = await createDatabase(server.server, 'facerec_migrate');
    try {
      assert.equal((await runCli(['migrate', '--from', src, '--to', fresh.url])).code, 0);
      const back = join(dir, 'back.db');
      const r2 = await runCli(['migrate', '--from', fresh.url, '--to', back]);
      assert.equal(r2.code, 0, r2.err);
      const copy = await SqliteGalleryStore.open(back);
      assert.deepEqual(await summarizeGallery(copy), before);
      await copy.close();
    } finally {
      await fresh.drop();
    }
  });

  test('usage errors name the missing option; --help has an example', async () => {
    assert.match((await runCli(['migrate', '--to', 'x.db'])).err, /--from DB is required/);
    assert.match((await runCli(['migrate', '--from', 'x.db'])).err, /--to DB is required/);
    assert.match((await runCli(['migrate', '--from', 'x.db', '--to', 'x.db'])).err, /same database/);
    const missing = await runCli(['migrate', '--from', join(dir ?? '/tmp', 'nope.db'), '--to', 'y.db']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.db" does not exist/);
    assert.match((await runCli(['migrate', '--help'])).out, /facerec migrate --from facerec\.db --to postgres:\/\//);
  });
});
