import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { FaceIndex } from '../match/face-index.js';
import { GalleryService } from './gallery-service.js';

const dir = mkdtempSync(join(tmpdir(), 'facerec-ann-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded: 5 faces per person around a person centre (same person ≈ 0.35 apart, others ≈ 0.9). */
function people(persons: number, seed = 3) {
  let s = seed;
  const gauss = () => {
    const u = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), ((s >>> 0) + 0.5) / 2 ** 32);
    return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  };
  const centres = Array.from({ length: persons }, () => Float32Array.from({ length: 128 }, () => 0.055 * gauss()));
  return { centres, faceOf: (p: number) => centres[p]!.map((x) => x + 0.022 * gauss()) };
}

test('GalleryService over the ANN threshold persists the index beside the database and catches up on reopen', async () => {
  const db = join(dir, 'gallery.db');
  const annPath = `${db}.ann.usearch`;
  const { faceOf } = people(80);
  const store = (await SqliteGalleryStore.open(db)) as unknown as GalleryStore;
  for (let p = 0; p < 60; p++) await store.addFaces(`person ${p}`, Array.from({ length: 5 }, () => ({ embedding: faceOf(p) })), 'm1');
  const logs: string[] = [];
  const ann = { threshold: 100, path: annPath, log: (m: string) => logs.push(m) };
  const service = await GalleryService.open(store, 'm1', null, undefined, ann);
  assert.ok(existsSync(annPath) && existsSync(`${annPath}.meta.json`), 'saved beside the database');
  assert.equal(JSON.parse(readFileSync(`${annPath}.meta.json`, 'utf8')).count, 300);

  const exact = FaceIndex.fromRecords(await store.listFaces(), { annThreshold: 0 });
  for (let p = 0; p < 60; p += 3) {
    const q = faceOf(p);
    const got = service.identify(q, { tolerance: 0.6, topK: 3 });
    assert.deepEqual(got, exact.identify(q, { tolerance: 0.6, topK: 3 }));
    assert.equal(got.name, `person ${p}`);
  }

  // Faces enrolled while the service was down: the next start adds only those.
  for (let p = 60; p < 62; p++) await store.addFaces(`person ${p}`, Array.from({ length: 5 }, () => ({ embedding: faceOf(p) })), 'm1');
  const reopened = await GalleryService.open(store, 'm1', null, undefined, ann);
  assert.deepEqual(logs, [], 'the persisted index was trusted');
  assert.equal(JSON.parse(readFileSync(`${annPath}.meta.json`, 'utf8')).count, 310);
  assert.equal(reopened.identify(faceOf(61), { tolerance: 0.6, topK: 3 }).name, 'person 61');
  await store.close();
});

test('GalleryService under the ANN threshold writes no index file', async () => {
  const db = join(dir, 'small.db');
  const { faceOf } = people(10, 9);
  const store = (await SqliteGalleryStore.open(db)) as unknown as GalleryStore;
  for (let p = 0; p < 10; p++) await store.addFaces(`person ${p}`, [{ embedding: faceOf(p) }], 'm1');
  const service = await GalleryService.open(store, 'm1', null, undefined, { threshold: 100, path: `${db}.ann.usearch` });
  assert.equal(service.identify(faceOf(4), { tolerance: 0.6, topK: 1 }).name, 'person 4');
  assert.equal(existsSync(`${db}.ann.usearch`), false);
  await store.close();
});
