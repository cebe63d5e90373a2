import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AnnIndex, type AnnSource } from './ann-index.js';
import { FaceIndex, type IndexableFace } from './face-index.js';

const DIM = 128;
const dir = mkdtempSync(join(tmpdir(), 'facerec-ann-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded face-like data: persons = a shared mean + an offset, faces = person + small noise (same-person ≈ 0.35, others ≈ 0.9). */
function faceData(persons: number, perPerson: number, seed = 7) {
  let s = seed;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const unit = (norm: number) => {
    const v = Float32Array.from({ length: DIM }, gauss);
    const n = Math.hypot(...v) / norm;
    return v.map((x) => x / n);
  };
  const mean = unit(0.75);
  const centres = Array.from({ length: persons }, () => unit(0.6).map((x, i) => x + mean[i]!));
  const faceOf = (c: Float32Array) => c.map((x) => x + 0.022 * gauss());
  const faces: IndexableFace[] = [];
  centres.forEach((c, p) => {
    for (let j = 0; j < perPerson; j++) faces.push({ id: faces.length + 1, personName: `person ${p}`, embedding: faceOf(c) });
  });
  return { faces, newFaceOf: (p: number) => faceOf(centres[p]!), unknownFace: () => faceOf(unit(0.6).map((x, i) => x + mean[i]!)), u };
}

const sourceOf = (faces: readonly IndexableFace[]): AnnSource => ({ count: faces.length, idAt: (i) => faces[i]!.id, vectorAt: (i) => faces[i]!.embedding });
const flat = (faces: readonly IndexableFace[]) => {
  const v = new Float32Array(faces.length * DIM);
  faces.forEach((f, i) => v.set(f.embedding, i * DIM));
  return v;
};
const dist2 = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
};

describe('AnnIndex', () => {
  const data = faceData(600, 5);
  const byId = new Map(data.faces.map((f) => [f.id, f]));

  test('finds the exact nearest face for ≥ 99% of queries of stored persons (3000 faces, top 32 re-ranked)', () => {
    const ann = new AnnIndex(DIM, { threads: 2 });
    ann.build(sourceOf(data.faces));
    assert.equal(ann.size, 3000);
    let agree = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const q = data.newFaceOf(Math.floor(data.u() * 600));
      let exact = data.faces[0]!, bestD = Infinity;
      for (const f of data.faces) {
        const d = dist2(q, f.embedding);
        if (d < bestD) [exact, bestD] = [f, d];
      }
      const { ids, distances2 } = ann.search(q, 32);
      assert.ok(ids.length === 32 && distances2.every((d, j) => j === 0 || d >= distances2[j - 1]!), 'sorted candidates');
      const top = ids.reduce((best, id) => (dist2(q, byId.get(id)!.embedding) < dist2(q, byId.get(best)!.embedding) ? id : best));
      if (top === exact.id) agree++;
    }
    assert.ok(agree / n >= 0.99, `recall@1 ${agree / n}`);
  });

  test('add, remove and search keep to the face ids; bad input is refused by name', () => {
    const ann = new AnnIndex(DIM);
    const few = data.faces.slice(0, 50);
    ann.add(few.map((f) => f.id), flat(few));
    assert.deepEqual(ann.search(few[7]!.embedding, 1).ids, [few[7]!.id]);
    assert.equal(ann.search(few[7]!.embedding, 1).distances2[0], 0);
    assert.equal(ann.remove([few[7]!.id, 999_999]), 1);
    assert.equal(ann.size, 49);
    assert.equal(ann.has(few[7]!.id), false);
    assert.ok(!ann.search(few[7]!.embedding, 10).ids.includes(few[7]!.id));
    assert.throws(() => ann.add([few[0]!.id], few[0]!.embedding), /face id not already in the ANN index for ids\[0\]/);
    assert.throws(() => ann.add([1, 2], few[0]!.embedding), /2×128 floats for vectors/);
    assert.throws(() => ann.add([-1], few[0]!.embedding), /non-negative integer face id for ids\[0\]/);
    assert.throws(() => ann.search(new Float32Array(3), 1), /length 128 for queries\[0\]/);
    assert.throws(() => new AnnIndex(DIM, { quantization: 'f8' as 'f32' }), /ann\.quantization/);
  });

  test('save → sync from the file gives the same results without re-adding anything', async () => {
    const path = join(dir, 'same.usearch');
    const faces = data.faces.slice(0, 1000);
    const built = new AnnIndex(DIM);
    const first = await built.sync(sourceOf(faces), path);
    assert.deepEqual(first, { rebuildReason: null, added: 1000, removed: 0 });
    const loaded = new AnnIndex(DIM);
    const report = await loaded.sync(sourceOf(faces), path);
    assert.deepEqual(report, { rebuildReason: null, added: 0, removed: 0 });
    assert.equal(loaded.vectorsAdded, 0);
    for (let i = 0; i < 20; i++) {
      const q = data.newFaceOf(i);
      assert.deepEqual(loaded.search(q, 10), built.search(q, 10));
    }
  });

  test('catch-up after adds and removes applies only the delta and saves it', async () => {
    const path = join(dir, 'delta.usearch');
    await new AnnIndex(DIM).sync(sourceOf(data.faces.slice(0, 1000)), path);
    const now = [...data.faces.slice(5, 1000), ...data.faces.slice(1000, 1010)]; // 5 removed, 10 added
    const ann = new AnnIndex(DIM);
    const report = await ann.sync(sourceOf(now), path);
    assert.deepEqual(report, { rebuildReason: null, added: 10, removed: 5 });
    assert.equal(ann.vectorsAdded, 10);
    assert.equal(ann.size, 1005);
    assert.deepEqual(ann.search(data.faces[1003]!.embedding, 1).ids, [data.faces[1003]!.id]);
    assert.ok(!ann.search(data.faces[2]!.embedding, 32).ids.includes(data.faces[2]!.id));
    const again = new AnnIndex(DIM);
    assert.deepEqual(await again.sync(sourceOf(now), path), { rebuildReason: null, added: 0, removed: 0 });
  });

  test('a corrupt, truncated or mismatched index file is rebuilt with the reason logged, never trusted', async () => {
    const path = join(dir, 'bad.usearch');
    const faces = data.faces.slice(0, 300);
    const cases: [string, () => void, RegExp, ConstructorParameters<typeof AnnIndex>[1]?][] = [
      ['flipped bytes', () => {
        const b = readFileSync(path);
        for (let i = 200; i < 400; i++) b[i] = b[i]! ^ 0xff;
        writeFileSync(path, b);
      }, /index file changed since it was saved/],
      ['truncated', () => writeFileSync(path, readFileSync(path).subarray(0, 1000)), /index file changed since it was saved \(1000 bytes/],
      ['garbage sidecar', () => writeFileSync(`${path}.meta.json`, '{"format": "facerec-ann/1", "dim'), /sidecar .*meta\.json is unreadable/],
      ['other parameters', () => {}, /built with connectivity 16, this gallery needs 8/, { connectivity: 8 }],
      ['no sidecar', () => rmSync(`${path}.meta.json`), /sidecar .*meta\.json is missing/],
    ];
    for (const [what, damage, reason, options] of cases) {
      await new AnnIndex(DIM).sync(sourceOf(faces), path);
      damage();
      const logs: string[] = [];
      const ann = new AnnIndex(DIM, options);
      const report = await ann.sync(sourceOf(faces), path, (m) => logs.push(m));
      assert.match(report.rebuildReason ?? '', reason, what);
      assert.equal(logs.length, 1, what);
      assert.match(logs[0]!, /^Rebuilding the ANN index .*bad\.usearch: /, what);
      assert.equal(ann.vectorsAdded, 300, `${what}: rebuilt from the gallery`);
      assert.deepEqual(ann.search(faces[42]!.embedding, 1).ids, [faces[42]!.id], what);
      // The rebuilt index was saved: the next start trusts it.
      assert.equal((await new AnnIndex(DIM, options).sync(sourceOf(faces), path)).rebuildReason, null, what);
    }
  });

  test('an index of another model is not loaded', async () => {
    const path = join(dir, 'model.usearch');
    const faces = data.faces.slice(0, 100);
    await new AnnIndex(DIM, { modelId: 'dlib' }).sync(sourceOf(faces), path);
    const report = await new AnnIndex(DIM, { modelId: 'other' }).sync(sourceOf(faces), path);
    assert.match(report.rebuildReason ?? '', /built with modelId "dlib", this gallery needs "other"/);
  });
});

describe('FaceIndex with an ANN index', () => {
  const data = faceData(500, 5, 11);

  test('identify and search through the ANN (tiny annThreshold) equal the exact results on clustered data', () => {
    const index = FaceIndex.fromRecords(data.faces, { annThreshold: 100 });
    assert.equal(index.annActive, true);
    const queries = [...Array.from({ length: 150 }, (_, i) => data.newFaceOf((i * 7) % 500)), ...Array.from({ length: 30 }, data.unknownFace)];
    let same = 0;
    for (const q of queries) {
      const exact = index.identify(q, { approximate: false });
      const approx = index.identify(q);
      assert.equal(approx.name, exact.name);
      if (approx.distance === exact.distance) same++;
    }
    assert.ok(index.ann !== null, 'the ANN index was built by the first search');
    assert.ok(same / queries.length >= 0.99, `same distance for ${same}/${queries.length}`);
    const q = data.newFaceOf(3);
    assert.deepEqual(index.search(q, 5), index.search(q, 5, { approximate: false }));
    const q2 = data.newFaceOf(4);
    assert.deepEqual(index.searchBatch([q, q2], 5), [index.search(q, 5), index.search(q2, 5)]);
  });

  test('adds and removes after the ANN is built reach it; annThreshold 0 never uses it', () => {
    const index = FaceIndex.fromRecords(data.faces.slice(0, 1000), { annThreshold: 1 });
    index.search(data.faces[0]!.embedding);
    const ann = index.ann!;
    index.add(data.faces.slice(1000, 1010));
    assert.equal(ann.size, 1010);
    assert.equal(index.search(data.faces[1005]!.embedding, 1)[0]!.faceId, data.faces[1005]!.id);
    index.removePerson('person 0');
    index.remove([data.faces[10]!.id]);
    assert.equal(ann.size, 1004);
    assert.ok(!index.search(data.faces[0]!.embedding, 10).some((h) => h.personName === 'person 0'));
    assert.notEqual(index.search(data.faces[10]!.embedding, 1)[0]!.faceId, data.faces[10]!.id);
    assert.throws(() => index.attachAnn(new AnnIndex(DIM)), /an ANN index of this gallery's 1004 faces for ann/);

    const exactOnly = FaceIndex.fromRecords(data.faces.slice(0, 1000), { annThreshold: 0 });
    exactOnly.search(data.faces[0]!.embedding);
    assert.equal(exactOnly.annActive, false);
    assert.equal(exactOnly.ann, null);
    assert.throws(() => new FaceIndex({ annThreshold: -1 }), /integer of at least 0 for annThreshold/);
  });

  test('prepareAnn persists the index and the next start catches up from the file', async () => {
    const path = join(dir, 'gallery.usearch');
    const first = FaceIndex.fromRecords(data.faces.slice(0, 800), { annThreshold: 500, modelId: 'dlib' });
    assert.deepEqual(await first.prepareAnn(path), { rebuildReason: null, added: 800, removed: 0 });
    const second = FaceIndex.fromRecords(data.faces.slice(3, 820), { annThreshold: 500, modelId: 'dlib' });
    assert.deepEqual(await second.prepareAnn(path), { rebuildReason: null, added: 20, removed: 3 });
    assert.equal(second.ann!.vectorsAdded, 20);
    assert.equal(second.search(data.faces[815]!.embedding, 1)[0]!.faceId, data.faces[815]!.id);
    const small = FaceIndex.fromRecords(data.faces.slice(0, 100), { annThreshold: 500 });
    assert.equal(await small.prepareAnn(path), null);
  });
});
