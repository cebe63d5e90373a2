/**
 * The contract every GalleryStore keeps, as node:test tests. A store's test file
 * calls `runGalleryContract('SQLite', () => openAFreshEmptyStore())`; `open` must
 * return a new, empty store each call. The tests close the stores they open.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FacerecError } from '../errors.js';
import type { GalleryExport, GalleryStore, NewFace } from './gallery-store.js';

export const MODEL_A = 'dlib-resnet128:c2cf51e4:dlib+flip';
export const MODEL_B = 'dlib-resnet128:c2cf51e4:face-api';
const DIM = 128;

/** A deterministic pseudo-random unit embedding (seeded). */
export function testEmbedding(seed: number, dim = DIM): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const e = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    e[i] = s / 2 ** 32 - 0.5;
    norm += e[i]! * e[i]!;
  }
  for (let i = 0; i < dim; i++) e[i]! /= Math.sqrt(norm);
  return e;
}

export const sha = (n: number): string => n.toString(16).padStart(64, '0');

export function testFace(seed: number, extra: Partial<NewFace> = {}): NewFace {
  return {
    embedding: testEmbedding(seed),
    sourcePath: `photos/img-${seed}.jpg`,
    sourceSha256: sha(seed),
    box: { top: 10 + seed, right: 110, bottom: 120, left: 12 },
    landmarks: Array.from({ length: 68 }, (_, i) => ({ x: i + 0.25, y: seed + i / 3 })),
    quality: 0.5 + (seed % 10) / 20,
    ...extra,
  };
}

const bits = (e: Float32Array) => Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('hex');

const isCode = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof FacerecError, `expected a FacerecError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

export function runGalleryContract(name: string, open: () => Promise<GalleryStore>): void {
  const withStore = (title: string, fn: (store: GalleryStore) => Promise<void>) =>
    test(title, async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  describe(`GalleryStore contract: ${name}`, () => {
    withStore('an empty gallery has no model, persons or faces', async (store) => {
      assert.equal(await store.modelId(), null);
      assert.deepEqual(await store.listPersons(), []);
      assert.deepEqual(await store.listFaces(), []);
      assert.equal(await store.getPerson('Ann'), undefined);
      assert.equal(await store.hasSource(sha(1)), false);
    });

    withStore('addFaces creates the person and stores every field exactly', async (store) => {
      const faces = [testFace(1), testFace(2, { sourcePath: null, box: null, landmarks: null, quality: null })];
      const r = await store.addFaces('Ann', faces, MODEL_A);
      assert.equal(r.person.name, 'Ann');
      assert.equal(r.person.faceCount, 2);
      assert.ok(r.person.id > 0);
      assert.ok(!Number.isNaN(Date.parse(r.person.createdAt)));
      assert.deepEqual(r.duplicates, []);
      assert.equal(r.added.length, 2);
      assert.equal(await store.modelId(), MODEL_A);
      const listed = await store.listFaces();
      assert.deepEqual(listed.map((f) => f.id), r.added.map((f) => f.id));
      for (const [i, f] of listed.entries()) {
        const src = faces[i]!;
        assert.ok(f.embedding instanceof Float32Array);
        assert.equal(bits(f.embedding), bits(src.embedding), 'embedding bit-exact');
        assert.equal(f.personId, r.person.id);
        assert.equal(f.personName, 'Ann');
        assert.equal(f.modelId, MODEL_A);
        assert.equal(f.sourcePath, src.sourcePath ?? null);
        assert.equal(f.sourceSha256, src.sourceSha256);
        assert.deepEqual(f.box, src.box ?? null);
        assert.deepEqual(f.landmarks, src.landmarks ?? null);
        assert.equal(f.quality, src.quality ?? null);
        assert.ok(!Number.isNaN(Date.parse(f.createdAt)));
      }
      assert.deepEqual(r.added, listed);
      assert.deepEqual(await store.getPerson('Ann'), r.person);
      assert.deepEqual(await store.listPersons(), [r.person]);
    });

    withStore('addFaces to an existing person appends; listFaces filters by person, oldest first', async (store) => {
      const a1 = await store.addFaces('Ann', [testFace(1)], MODEL_A);
      await store.addFaces('Bob', [testFace(2)], MODEL_A);
      const a2 = await store.addFaces('Ann', [testFace(3), testFace(4)], MODEL_A);
      assert.equal(a2.person.id, a1.person.id);
      assert.equal(a2.person.faceCount, 3);
      assert.deepEqual((await store.listFaces('Ann')).map((f) => f.sourceSha256), [sha(1), sha(3), sha(4)]);
      assert.deepEqual((await store.listFaces('Bob')).map((f) => f.sourceSha256), [sha(2)]);
      assert.equal((await store.listFaces()).length, 4);
      assert.deepEqual((await store.listPersons()).map((p) => [p.name, p.faceCount]), [['Ann', 3], ['Bob', 1]]);
      await assert.rejects(store.listFaces('Nobody'), isCode('NOT_FOUND', /Nobody/));
    });

    withStore('duplicates by sha256 are skipped and reported, across persons and within one call', async (store) => {
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      assert.equal(await store.hasSource(sha(1)), true);
      assert.equal(await store.hasSource(sha(1).toUpperCase()), true, 'hex case does not matter');
      const r = await store.addFaces('Bob', [testFace(1), testFace(2), testFace(2, { embedding: testEmbedding(99) }), testFace(3, { sourceSha256: null }), testFace(4, { sourceSha256: null })], MODEL_A);
      assert.deepEqual(r.duplicates, [sha(1), sha(2)]);
      assert.equal(r.added.length, 3, 'faces without a sha256 are never duplicates');
      assert.equal(r.person.faceCount, 3);
      assert.equal((await store.listFaces()).length, 4);
    });

    withStore('a new person whose faces are all duplicates is not created', async (store) => {
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      const r = await store.addFaces('Bob', [testFace(1)], MODEL_A);
      assert.deepEqual(r.added, []);
      assert.deepEqual(r.duplicates, [sha(1)]);
      assert.equal(r.person.faceCount, 0);
      assert.equal(await store.getPerson('Bob'), undefined);
      assert.deepEqual((await store.listPersons()).map((p) => p.name), ['Ann']);
    });

    withStore('another model id is MODEL_MISMATCH naming both ids, and stores nothing', async (store) => {
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      const both = new RegExp(`${MODEL_B.replace(/[+]/g, '\\+')}.*${MODEL_A.replace(/[+]/g, '\\+')}`);
      await assert.rejects(store.addFaces('Bob', [testFace(2)], MODEL_B), isCode('MODEL_MISMATCH', both));
      await assert.rejects(store.addFaces('Ann', [testFace(3)], MODEL_B), isCode('MODEL_MISMATCH'));
      assert.equal(await store.getPerson('Bob'), undefined);
      assert.equal((await store.listFaces()).length, 1);
      assert.equal(await store.modelId(), MODEL_A);
    });

    withStore('addFaces is all or nothing: one bad face stores none and creates no person', async (store) => {
      const bad: NewFace[] = [
        testFace(1),
        testFace(2),
        { embedding: Float32Array.from({ length: DIM }, (_, i) => (i === 5 ? Number.NaN : 0)) },
      ];
      await assert.rejects(store.addFaces('Ann', bad, MODEL_A), isCode('INVALID_ARGUMENT', /faces\[2\]\.embedding/));
      await assert.rejects(store.addFaces('Ann', [testFace(1), { embedding: testEmbedding(2, 64) }], MODEL_A), isCode('INVALID_ARGUMENT', /faces\[1\]\.embedding/));
      assert.deepEqual(await store.listPersons(), []);
      assert.deepEqual(await store.listFaces(), []);
      assert.equal(await store.modelId(), null);
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      await assert.rejects(store.addFaces('Ann', [testFace(5), { embedding: testEmbedding(6, 64) }], MODEL_A), isCode('INVALID_ARGUMENT', /length 128/));
      assert.equal((await store.getPerson('Ann'))?.faceCount, 1);
      await assert.rejects(store.addFaces('Ann', [], MODEL_A), isCode('INVALID_ARGUMENT', /faces/));
      await assert.rejects(store.addFaces('Ann', [testFace(7, { sourceSha256: 'abc' })], MODEL_A), isCode('INVALID_ARGUMENT', /faces\[0\]\.sourceSha256/));
      await assert.rejects(store.addFaces('Ann', [testFace(7, { box: { top: 1 } as never })], MODEL_A), isCode('INVALID_ARGUMENT', /faces\[0\]\.box/));
      await assert.rejects(store.addFaces('Ann', [testFace(7)], ''), isCode('INVALID_ARGUMENT', /modelId/));
    });

    withStore('person names: trimmed, non-empty, at most 200 characters, no control characters', async (store) => {
      const r = await store.addFaces('  Ann Lee  ', [testFace(1)], MODEL_A);
      assert.equal(r.person.name, 'Ann Lee');
      assert.equal((await store.getPerson('Ann Lee '))?.id, r.person.id);
      for (const bad of ['', '   ', 'a\nb', 'tab\there', 'bell\u0007', 'x'.repeat(201)]) {
        await assert.rejects(store.addFaces(bad, [testFace(2)], MODEL_A), isCode('INVALID_ARGUMENT', /personName/), JSON.stringify(bad));
      }
      await assert.rejects(store.addFaces(42 as never, [testFace(2)], MODEL_A), isCode('INVALID_ARGUMENT', /personName/));
      await assert.rejects(store.renamePerson('Ann Lee', ''), isCode('INVALID_ARGUMENT', /\bto\b/));
      const long = 'é'.repeat(200);
      assert.equal((await store.addFaces(long, [testFace(3)], MODEL_A)).person.name, long);
      assert.equal((await store.listPersons()).length, 2);
    });

    withStore('unicode names, slashes and quotes are plain data', async (store) => {
      const names = ['Zoë Ådne', '李小龙', 'José/Ana', '..\\..\\etc', '../../etc/passwd', "Robert'); DROP TABLE persons;--", 'Ana 😀', 'ann', 'Ann'];
      for (const [i, n] of names.entries()) await store.addFaces(n, [testFace(i + 1)], MODEL_A);
      assert.deepEqual((await store.listPersons()).map((p) => p.name), names);
      for (const n of names) assert.equal((await store.listFaces(n)).length, 1, n);
      // NFC: a decomposed "ë" is the same person as the composed one.
      const r = await store.addFaces('Zoe\u0308 Ådne', [testFace(50)], MODEL_A);
      assert.equal(r.person.name, 'Zoë Ådne');
      assert.equal(r.person.faceCount, 2);
    });

    withStore('deleteFace removes one face; the last face takes the person with it', async (store) => {
      const r = await store.addFaces('Ann', [testFace(1), testFace(2)], MODEL_A);
      await store.deleteFace(r.added[0]!.id);
      assert.equal(await store.hasSource(sha(1)), false, 'the source can be enrolled again');
      assert.equal((await store.getPerson('Ann'))?.faceCount, 1);
      await store.deleteFace(r.added[1]!.id);
      assert.equal(await store.getPerson('Ann'), undefined);
      assert.equal(await store.modelId(), null, 'an emptied gallery has no model again');
      await assert.rejects(store.deleteFace(r.added[1]!.id), isCode('NOT_FOUND', new RegExp(String(r.added[1]!.id))));
    });

    withStore('deletePerson removes the person and all their faces', async (store) => {
      await store.addFaces('Ann', [testFace(1), testFace(2)], MODEL_A);
      await store.addFaces('Bob', [testFace(3)], MODEL_A);
      await store.deletePerson('Ann');
      assert.equal(await store.getPerson('Ann'), undefined);
      assert.deepEqual((await store.listFaces()).map((f) => f.personName), ['Bob']);
      assert.equal(await store.hasSource(sha(1)), false);
      await assert.rejects(store.deletePerson('Ann'), isCode('NOT_FOUND', /"Ann"/));
    });

    withStore('renamePerson keeps id and faces; refuses taken names and unknown persons', async (store) => {
      const ann = await store.addFaces('Ann', [testFace(1), testFace(2)], MODEL_A);
      await store.addFaces('Bob', [testFace(3)], MODEL_A);
      const renamed = await store.renamePerson('Ann', 'Anna / Ann');
      assert.equal(renamed.id, ann.person.id);
      assert.equal(renamed.name, 'Anna / Ann');
      assert.equal(renamed.faceCount, 2);
      assert.equal(await store.getPerson('Ann'), undefined);
      assert.deepEqual((await store.listFaces('Anna / Ann')).map((f) => f.personName), ['Anna / Ann', 'Anna / Ann']);
      await assert.rejects(store.renamePerson('Anna / Ann', 'Bob'), isCode('ALREADY_EXISTS', /Bob/));
      await assert.rejects(store.renamePerson('Nobody', 'Carl'), isCode('NOT_FOUND', /Nobody/));
      assert.equal((await store.renamePerson('Bob', ' Bob ')).name, 'Bob', 'renaming to the same name is a no-op');
      assert.equal((await store.renamePerson('Bob', 'bob')).name, 'bob', 'names are case-sensitive');
    });

    withStore('mergePersons moves every face into the target and deletes the source', async (store) => {
      await store.addFaces('Ann', [testFace(1), testFace(2)], MODEL_A);
      const bob = await store.addFaces('Bob', [testFace(3)], MODEL_A);
      const merged = await store.mergePersons('Ann', 'Bob');
      assert.equal(merged.id, bob.person.id);
      assert.equal(merged.faceCount, 3);
      assert.equal(await store.getPerson('Ann'), undefined);
      assert.deepEqual((await store.listFaces('Bob')).map((f) => f.sourceSha256), [sha(1), sha(2), sha(3)]);
      await assert.rejects(store.mergePersons('Ann', 'Bob'), isCode('NOT_FOUND', /Ann/));
      await assert.rejects(store.mergePersons('Bob', 'Carl'), isCode('NOT_FOUND', /Carl/));
      await assert.rejects(store.mergePersons('Bob', 'Bob'), isCode('INVALID_ARGUMENT'));
      assert.equal((await store.getPerson('Bob'))?.faceCount, 3);
    });

    withStore('export → import into an empty store round-trips every field, embeddings bit-exact', async (store) => {
      await store.addFaces('Zoë', [testFace(1), testFace(2, { box: null, landmarks: null, quality: null, sourcePath: null })], MODEL_A);
      await store.addFaces('李', [testFace(3, { sourceSha256: null })], MODEL_A);
      const exported = await store.exportGallery();
      assert.equal(exported.format, 'facerec-gallery');
      assert.equal(exported.version, 1);
      assert.equal(exported.modelId, MODEL_A);
      const json = JSON.parse(JSON.stringify(exported)) as GalleryExport; // survives a file
      const other = await open();
      try {
        assert.deepEqual(await other.importGallery(json), { persons: 2, faces: 3, duplicates: 0 });
        const [a, b] = [await store.listFaces(), await other.listFaces()];
        assert.equal(b.length, a.length);
        for (let i = 0; i < a.length; i++) {
          const { id: _ia, personId: _pa, ...fa } = a[i]!;
          const { id: _ib, personId: _pb, ...fb } = b[i]!;
          assert.equal(bits(fb.embedding), bits(fa.embedding));
          assert.deepEqual(fb, fa);
        }
        assert.deepEqual(
          (await other.listPersons()).map((p) => [p.name, p.createdAt, p.faceCount]),
          (await store.listPersons()).map((p) => [p.name, p.createdAt, p.faceCount]),
        );
        assert.equal(await other.modelId(), MODEL_A);
        assert.deepEqual((await other.exportGallery()).persons, exported.persons, 'export of the import is the same');
        // Again: the sha256'd faces are duplicates, the one without a sha256 is added again.
        assert.deepEqual(await other.importGallery(json), { persons: 1, faces: 1, duplicates: 2 });
      } finally {
        await other.close();
      }
    });

    withStore('importGallery is atomic and checks the model and every field', async (store) => {
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      const source = await open();
      let exported: GalleryExport;
      try {
        await source.addFaces('Bob', [testFace(2), testFace(3)], MODEL_B);
        exported = await source.exportGallery();
      } finally {
        await source.close();
      }
      await assert.rejects(store.importGallery(exported), isCode('MODEL_MISMATCH', /dlib\+flip/));
      const sameModel = { ...exported, modelId: MODEL_A };
      const broken = structuredClone(sameModel);
      broken.persons[0]!.faces[1]!.embedding = 'not base64!';
      await assert.rejects(store.importGallery(broken), isCode('INVALID_ARGUMENT', /persons\[0\]\.faces\[1\]\.embedding/));
      await assert.rejects(store.importGallery({ ...sameModel, version: 2 as never }), isCode('INVALID_ARGUMENT', /version/));
      await assert.rejects(store.importGallery({ ...sameModel, persons: [{ name: '\n', createdAt: exported.exportedAt, faces: [] }] }), isCode('INVALID_ARGUMENT', /persons\[0\]\.name/));
      assert.deepEqual((await store.listPersons()).map((p) => p.name), ['Ann'], 'nothing imported');
      assert.deepEqual(await store.importGallery(sameModel), { persons: 1, faces: 2, duplicates: 0 });
      assert.deepEqual((await store.listPersons()).map((p) => [p.name, p.faceCount]), [['Ann', 1], ['Bob', 2]]);
    });

    withStore('thumbnails round-trip: addFaces → listFaces → export (base64) → import, byte-exact; absent means null', async (store) => {
      const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff), 0xff, 0xd9]);
      const r = await store.addFaces('Ann', [testFace(1, { thumbnail: jpeg }), testFace(2)], MODEL_A);
      assert.deepEqual([...(r.added[0]!.thumbnail ?? [])], [...jpeg]);
      assert.equal(r.added[1]!.thumbnail ?? null, null);
      const listed = await store.listFaces('Ann');
      assert.ok(listed[0]!.thumbnail instanceof Uint8Array);
      assert.deepEqual([...listed[0]!.thumbnail!], [...jpeg]);
      assert.equal(listed[1]!.thumbnail ?? null, null);
      const exported = JSON.parse(JSON.stringify(await store.exportGallery())) as GalleryExport;
      assert.equal(exported.persons[0]!.faces[0]!.thumbnail, Buffer.from(jpeg).toString('base64'));
      assert.equal('thumbnail' in exported.persons[0]!.faces[1]!, false, 'no thumbnail: no field');
      const other = await open();
      try {
        await other.importGallery(exported);
        const back = await other.listFaces('Ann');
        assert.deepEqual([...back[0]!.thumbnail!], [...jpeg]);
        assert.equal(back[1]!.thumbnail ?? null, null);
      } finally {
        await other.close();
      }
      await assert.rejects(store.addFaces('Bob', [testFace(3, { thumbnail: 'jpeg' as never })], MODEL_A), isCode('INVALID_ARGUMENT', /faces\[0\]\.thumbnail/));
      const broken = structuredClone(exported);
      broken.persons[0]!.faces[0]!.thumbnail = 'not base64!';
      await assert.rejects(store.importGallery(broken), isCode('INVALID_ARGUMENT', /persons\[0\]\.faces\[0\]\.thumbnail/));
    });

    withStore('an empty gallery exports and imports as empty', async (store) => {
      const exported = await store.exportGallery();
      assert.equal(exported.modelId, null);
      assert.deepEqual(exported.persons, []);
      assert.deepEqual(await store.importGallery(exported), { persons: 0, faces: 0, duplicates: 0 });
    });
    withStore('unknown faces: stored with every field, listed oldest first, same photo + box stored once', async (store) => {
      const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 7, 0xff, 0xd9]);
      const ids = await store.addUnknownFaces([testFace(40, { thumbnail: jpeg }), testFace(41, { sourceSha256: null, box: null, landmarks: null, quality: null })], MODEL_A);
      assert.equal(ids.length, 2);
      assert.ok(ids[0]! > 0 && ids[1]! > ids[0]!);
      const again = await store.addUnknownFaces([testFace(40), testFace(40, { box: { top: 1, right: 50, bottom: 60, left: 2 } })], MODEL_A);
      assert.equal(again[0], ids[0], 'same sha256 + same box: the stored id');
      assert.notEqual(again[1], ids[0], 'same photo, another box: another face');
      const listed = await store.listUnknownFaces();
      assert.deepEqual(listed.map((f) => f.id), [ids[0], ids[1], again[1]]);
      const u = listed[0]!;
      const t = testFace(40);
      assert.equal(bits(u.embedding), bits(t.embedding));
      assert.equal(u.modelId, MODEL_A);
      assert.equal(u.sourcePath, t.sourcePath);
      assert.equal(u.sourceSha256, t.sourceSha256);
      assert.deepEqual(u.box, t.box);
      assert.deepEqual(u.landmarks, t.landmarks);
      assert.equal(u.quality, t.quality);
      assert.equal(u.clusterId, null);
      assert.ok(!Number.isNaN(Date.parse(u.createdAt)));
      assert.deepEqual([...u.thumbnail!], [...jpeg]);
      assert.equal(listed[1]!.box, null);
      assert.equal(listed[1]!.quality, null);
      assert.equal(listed[1]!.thumbnail ?? null, null);
      // Unknown faces are not gallery faces.
      assert.deepEqual(await store.listPersons(), []);
      assert.deepEqual(await store.listFaces(), []);
    });

    withStore('unknown faces: bad input and model mismatch are refused', async (store) => {
      await assert.rejects(store.addUnknownFaces([], MODEL_A), isCode('INVALID_ARGUMENT', /faces/));
      await assert.rejects(store.addUnknownFaces([testFace(1, { embedding: 'x' as never })], MODEL_A), isCode('INVALID_ARGUMENT', /faces\[0\]\.embedding/));
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      await assert.rejects(store.addUnknownFaces([testFace(2)], MODEL_B), isCode('MODEL_MISMATCH'));
      await assert.rejects(store.addUnknownFaces([testFace(2, { embedding: testEmbedding(2, 64) })], MODEL_A), isCode('INVALID_ARGUMENT', /faces\[0\]\.embedding/));
      assert.deepEqual(await store.listUnknownFaces(), []);
    });

    withStore('unknown faces: cluster labels are set atomically (NOT_FOUND changes nothing)', async (store) => {
      const ids = await store.addUnknownFaces([testFace(50), testFace(51), testFace(52)], MODEL_A);
      await store.setUnknownClusters(new Map([[ids[0]!, 3], [ids[1]!, 3], [ids[2]!, null]]));
      assert.deepEqual((await store.listUnknownFaces()).map((f) => f.clusterId), [3, 3, null]);
      await assert.rejects(store.setUnknownClusters(new Map([[ids[2]!, 7], [999999, 1]])), isCode('NOT_FOUND', /999999/));
      assert.deepEqual((await store.listUnknownFaces()).map((f) => f.clusterId), [3, 3, null], 'unchanged after the failed call');
      await store.setUnknownClusters(new Map([[ids[0]!, null]]));
      assert.deepEqual((await store.listUnknownFaces()).map((f) => f.clusterId), [null, 3, null]);
    });

    withStore('enrolUnknownFaces moves the faces to a person in one transaction', async (store) => {
      const ids = await store.addUnknownFaces([testFace(60), testFace(61), testFace(62)], MODEL_A);
      await assert.rejects(store.enrolUnknownFaces([ids[0]!, 424242], 'Cleo'), isCode('NOT_FOUND', /424242/));
      assert.equal((await store.listUnknownFaces()).length, 3, 'nothing moved after NOT_FOUND');
      assert.equal(await store.getPerson('Cleo'), undefined);
      await assert.rejects(store.enrolUnknownFaces([], 'Cleo'), isCode('INVALID_ARGUMENT', /ids/));
      const r = await store.enrolUnknownFaces([ids[0]!, ids[1]!], 'Cleo');
      assert.equal(r.person.name, 'Cleo');
      assert.equal(r.person.faceCount, 2);
      assert.equal(r.added.length, 2);
      assert.equal(bits(r.added[0]!.embedding), bits(testEmbedding(60)));
      assert.equal(r.added[1]!.sourceSha256, sha(61));
      assert.deepEqual(r.added[0]!.box, testFace(60).box);
      assert.equal(await store.modelId(), MODEL_A);
      assert.deepEqual((await store.listUnknownFaces()).map((f) => f.id), [ids[2]]);
      // An existing person receives them too.
      const r2 = await store.enrolUnknownFaces([ids[2]!], 'Cleo');
      assert.equal(r2.person.faceCount, 3);
      assert.deepEqual(await store.listUnknownFaces(), []);
    });

    withStore('deleteUnknownFaces removes them (NOT_FOUND changes nothing)', async (store) => {
      const ids = await store.addUnknownFaces([testFace(70), testFace(71)], MODEL_A);
      await assert.rejects(store.deleteUnknownFaces([ids[0]!, 777777]), isCode('NOT_FOUND', /777777/));
      assert.equal((await store.listUnknownFaces()).length, 2);
      await store.deleteUnknownFaces([ids[0]!]);
      assert.deepEqual((await store.listUnknownFaces()).map((f) => f.id), [ids[1]]);
      await assert.rejects(store.deleteUnknownFaces(['x' as never]), isCode('INVALID_ARGUMENT', /ids\[0\]/));
    });

    withStore('settings: unset is null, set, overwrite, remove; bad keys refused', async (store) => {
      assert.equal(await store.getSetting('identify.tolerance'), null);
      await store.setSetting('identify.tolerance', '0.52');
      assert.equal(await store.getSetting('identify.tolerance'), '0.52');
      await store.setSetting('identify.tolerance', '0.48');
      assert.equal(await store.getSetting('identify.tolerance'), '0.48');
      await store.setSetting('identify.tolerance', null);
      assert.equal(await store.getSetting('identify.tolerance'), null);
      await assert.rejects(store.getSetting('Bad Key'), isCode('INVALID_ARGUMENT', /setting key/));
      await assert.rejects(store.setSetting('a', 5 as never), isCode('INVALID_ARGUMENT', /setting "a"/));
    });
  });
}
