import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FacerecError } from '../errors.js';
import { euclideanDistance } from './face-distance.js';
import { distanceToConfidence, FaceIndex, type IndexableFace } from './face-index.js';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
function randomFaces(n: number, dim: number, seed: number, persons = 50): IndexableFace[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ id: 1000 + i, personName: `p${i % persons}`, embedding: Float32Array.from({ length: dim }, () => r() - 0.5) }));
}
const enc = (...v: number[]) => Float32Array.from(v);
const face = (id: number, personName: string, ...v: number[]): IndexableFace => ({ id, personName, embedding: enc(...v) });
const bruteForce = (faces: IndexableFace[], q: Float32Array, k: number) =>
  faces
    .map((f) => ({ faceId: f.id, personName: f.personName, distance: euclideanDistance(f.embedding, q) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);

for (const kernel of ['wasm-simd', 'js'] as const) {
  test(`search returns the exact top-k of brute force (${kernel} kernel, dims 128 and 20)`, () => {
    for (const dim of [128, 20]) {
      const faces = randomFaces(3000, dim, dim);
      const index = FaceIndex.fromRecords(faces, { kernel });
      assert.equal(index.kernel, kernel === 'wasm-simd' && dim % 16 === 0 ? 'wasm-simd' : 'js');
      assert.equal(index.size, 3000);
      assert.equal(index.dimension, dim);
      const queries = randomFaces(40, dim, 7).map((f) => f.embedding);
      queries.push(faces[123]!.embedding);
      const batch = index.searchBatch(queries, 7);
      queries.forEach((q, i) => {
        const got = index.search(q, 7);
        const want = bruteForce(faces, q, 7);
        assert.deepEqual(got.map((h) => h.faceId), want.map((h) => h.faceId), `query ${i}`);
        got.forEach((h, j) => assert.ok(Math.abs(h.distance - want[j]!.distance) < 1e-5));
        assert.deepEqual(batch[i], got, 'searchBatch equals search');
      });
      assert.equal(index.search(faces[123]!.embedding, 1)[0]!.faceId, 1123);
      assert.equal(index.search(queries[0]!, 10_000).length, 3000, 'k beyond the size returns every face');
    }
  });
}

test('the index grows by doubling without losing rows', () => {
  const index = new FaceIndex();
  const faces = randomFaces(1500, 128, 3);
  for (let i = 0; i < faces.length; i += 100) index.add(faces.slice(i, i + 100));
  assert.equal(index.size, 1500);
  for (const i of [0, 255, 256, 1023, 1499]) assert.equal(index.search(faces[i]!.embedding, 1)[0]!.faceId, faces[i]!.id);
});

test('remove and removePerson drop exactly those faces', () => {
  const faces = randomFaces(500, 128, 11, 10);
  const index = FaceIndex.fromRecords(faces);
  assert.equal(index.remove([1000, 1001, 999_999]), 2);
  assert.equal(index.removePerson('p3'), 50);
  assert.equal(index.removePerson('nobody'), 0);
  const left = faces.filter((f) => f.id !== 1000 && f.id !== 1001 && f.personName !== 'p3');
  assert.equal(index.size, left.length);
  const q = faces[0]!.embedding;
  assert.deepEqual(index.search(q, 20).map((h) => h.faceId), bruteForce(left, q, 20).map((h) => h.faceId));
  assert.ok(index.identify(faces[3]!.embedding, { tolerance: 10 }).candidates.every((c) => c.name !== 'p3'));
  index.add([{ ...faces[3]!, id: 5 }]);
  assert.equal(index.search(faces[3]!.embedding, 1)[0]!.personName, 'p3', 'a removed person can come back');
});

test('identify: nearest person by their nearest face; unknown beyond the tolerance', () => {
  const index = FaceIndex.fromRecords([face(1, 'Ann', 0, 0), face(2, 'Ann', 0.3, 0), face(3, 'Bob', 0.5, 0), face(4, 'Cy', 3, 0)]);
  const r = index.identify(enc(0.45, 0));
  assert.equal(r.name, 'Bob');
  assert.ok(Math.abs(r.distance - 0.05) < 1e-6);
  assert.deepEqual(r.candidates.map((c) => c.name), ['Bob', 'Ann', 'Cy']);
  assert.ok(Math.abs(r.candidates[1]!.distance - 0.15) < 1e-6, 'a person is ranked by their nearest face');
  assert.ok(r.confidence > 0.5);
  assert.deepEqual(index.identify(enc(0.45, 0), { topK: 1 }).candidates.map((c) => c.name), ['Bob']);
  const far = index.identify(enc(1.5, 0));
  assert.equal(far.name, null);
  assert.ok(Math.abs(far.distance - 1) < 1e-6, 'unknown reports the nearest distance');
  assert.ok(far.confidence < 0.5);
  assert.equal(index.identify(enc(1.5, 0), { tolerance: 1.01 }).name, 'Bob');
  assert.equal(index.identify(enc(0, 0.5), { tolerance: 0.5 }).name, 'Ann', 'exactly at the tolerance is a match');
});

test('identify with knn: a weighted vote, which can differ from the nearest face', () => {
  // Ann has the single nearest face; Bob has three faces just behind it.
  const index = FaceIndex.fromRecords([face(1, 'Ann', 0.1, 0), face(2, 'Bob', 0, 0.15), face(3, 'Bob', 0, -0.15), face(4, 'Bob', -0.16, 0), face(5, 'Ann', 5, 5)]);
  const q = enc(0, 0);
  assert.equal(index.identify(q).name, 'Ann');
  const vote = index.identify(q, { knn: 4 });
  assert.equal(vote.name, 'Bob');
  assert.ok(Math.abs(vote.distance - 0.15) < 1e-6, 'distance to the chosen person’s nearest face');
  assert.equal(index.identify(q, { knn: 1 }).name, 'Ann');
  // Neighbours beyond the tolerance do not vote; none within it → unknown.
  assert.equal(index.identify(q, { knn: 4, tolerance: 0.12 }).name, 'Ann');
  assert.equal(index.identify(enc(2, 2), { knn: 3 }).name, null);
});

test('an empty index finds nothing and calls everyone unknown', () => {
  const index = new FaceIndex();
  assert.deepEqual(index.search(enc(1, 2)), []);
  assert.deepEqual(index.identify(enc(1, 2)), { name: null, distance: Infinity, confidence: 0, candidates: [] });
});

test('dimension, id and option errors are clear', () => {
  const index = FaceIndex.fromRecords([face(1, 'Ann', 0, 0, 0)]);
  const invalid = (re: RegExp) => (e: unknown) => e instanceof FacerecError && e.code === 'INVALID_ARGUMENT' && re.test(e.message);
  assert.throws(() => index.search(enc(1, 2)), invalid(/length 3 \(the gallery's dimension\) for query but received "length 2"/));
  assert.throws(() => index.searchBatch([enc(1, 2, 3), enc(1)]), invalid(/queries\[1\]/));
  assert.throws(() => index.identify(enc(1, 2, 3, 4)), invalid(/length 3/));
  assert.throws(() => index.search([1, 2, 3] as never), invalid(/Float32Array/));
  assert.throws(() => index.add([face(2, 'Bob', 1, 2)]), invalid(/records\[0\]\.embedding/));
  assert.throws(() => index.add([face(1, 'Bob', 1, 2, 3)]), invalid(/not already in the index/));
  assert.throws(() => index.add([face(2, 'Bob', 1, Number.NaN, 3)]), invalid(/finite/));
  assert.throws(() => index.search(enc(1, 2, 3), 0), invalid(/\bk\b/));
  assert.throws(() => index.identify(enc(1, 2, 3), { tolerance: -1 }), invalid(/tolerance/));
  assert.throws(() => index.identify(enc(1, 2, 3), { knn: 0 }), invalid(/knn/));
  assert.equal(index.size, 1, 'failed adds add nothing');
});

test('fromRecords refuses faces of another model (MODEL_MISMATCH naming both ids)', () => {
  const recs = [{ ...face(1, 'Ann', 0, 0), modelId: 'm:a' }, { ...face(2, 'Bob', 1, 0), modelId: 'm:b' }];
  assert.throws(() => FaceIndex.fromRecords(recs), (e: unknown) => e instanceof FacerecError && e.code === 'MODEL_MISMATCH' && /m:b.*m:a/.test(e.message));
  assert.throws(() => FaceIndex.fromRecords(recs.slice(0, 1), { modelId: 'm:b' }), /MODEL_MISMATCH|m:a/);
  const index = FaceIndex.fromRecords(recs.slice(0, 1));
  assert.equal(index.modelId, 'm:a');
  assert.throws(() => index.checkModel('m:b'), (e: unknown) => e instanceof FacerecError && e.code === 'MODEL_MISMATCH');
  index.checkModel('m:a');
});

test('distanceToConfidence is 0.5 at the tolerance and decreases with distance', () => {
  assert.equal(distanceToConfidence(0.6, 0.6), 0.5);
  assert.equal(distanceToConfidence(0.4, 0.4), 0.5);
  let prev = 1;
  for (let d = 0; d <= 2; d += 0.05) {
    const c = distanceToConfidence(d, 0.6);
    assert.ok(c < prev && c > 0 && c < 1, `d=${d}`);
    prev = c;
  }
  assert.ok(distanceToConfidence(0, 0.6) > 0.99);
  assert.equal(distanceToConfidence(Infinity, 0.6), 0);
});
