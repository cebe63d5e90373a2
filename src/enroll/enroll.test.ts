import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import type { GalleryStore, NewFace } from '../gallery/gallery-store.js';
import { createPipelinePool, type PipelinePool } from '../pool/pipeline-pool.js';
import { scanDataset } from './dataset-layout.js';
import { enrollPersons } from './enroll.js';
import { tempDir, writeSyntheticDataset } from '../test-support/test-datasets.js';

let pool: PipelinePool;
before(async () => {
  pool = await createPipelinePool({ detector: 'accurate' }, 1);
});
after(async () => {
  await pool.close();
});

/** Counts addFaces calls per person, so the test sees the commit pattern. */
function spy(store: GalleryStore, calls: string[]): GalleryStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'addFaces') {
        return (name: string, faces: readonly NewFace[], modelId: string) => {
          calls.push(`${name}:${faces.length}`);
          return target.addFaces(name, faces, modelId);
        };
      }
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test('one addFaces per person, written as soon as that person is done; an interruption keeps finished persons and no half person', async () => {
  const dir = await tempDir('enroll-lib');
  await writeSyntheticDataset(join(dir, 'ds'), 3, 2);
  const scan = await scanDataset(join(dir, 'ds'));
  const store = await SqliteGalleryStore.open(join(dir, 'g.db'));
  try {
    const calls: string[] = [];
    const controller = new AbortController();
    const seenWhenCommitted: number[] = [];
    const report = await enrollPersons(spy(store, calls), pool, scan.persons, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind !== 'person') return;
        seenWhenCommitted.push(calls.length);
        // Ctrl-C while the second person is in progress.
        if (e.outcome.name === 'person-a') queueMicrotask(() => controller.abort());
      },
    });
    assert.deepEqual(seenWhenCommitted, [1], 'person-a was written before person-b was finished');
    assert.equal(report.interrupted, true);
    assert.deepEqual(calls, ['person-a:2']);
    assert.deepEqual((await store.listPersons()).map((p) => [p.name, p.faceCount]), [['person-a', 2]]);

    // Running again goes on where it stopped: person-a is all duplicates, b and c are enrolled.
    calls.length = 0;
    const again = await enrollPersons(spy(store, calls), pool, scan.persons);
    assert.equal(again.interrupted, false);
    assert.deepEqual(calls, ['person-b:2', 'person-c:2']);
    assert.equal(again.enrolled, 4);
    assert.equal(again.skipped.duplicate, 2);
    assert.deepEqual(again.persons.map((p) => p.noUsablePhoto), [false, false, false]);
  } finally {
    await store.close();
  }
});

test('the same bytes twice in one run: the first file (in dataset order) is enrolled, the other is a duplicate naming it', async () => {
  const dir = await tempDir('enroll-dup');
  const ds = join(dir, 'ds');
  await writeSyntheticDataset(ds, 2, 1);
  await copyFile(join(ds, 'person-a', 'photo1.jpg'), join(ds, 'person-b', 'photo0.jpg'));
  const store = await SqliteGalleryStore.open(join(dir, 'g.db'));
  try {
    const report = await enrollPersons(store, pool, (await scanDataset(ds)).persons);
    assert.equal(report.enrolled, 2);
    const b = report.persons.find((p) => p.name === 'person-b')!;
    assert.deepEqual(b.skipped.map((s) => [s.reason, s.message]), [['duplicate', `same bytes as ${join(ds, 'person-a', 'photo1.jpg')}`]]);
  } finally {
    await store.close();
  }
});
