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
      assert.equal(index.quantized, index.kernel === 'wasm-simd');
      assert.equal(index.bytesPerFace, index.quantized ? 128 * 4 + 128 + 4 + 4 + 8 + 4 : dim * 4 + 8 + 4);
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

// ---------------------------------------------------------------------------
// The two-stage (int8 prefilter + float32 re-check) search must return exactly
// what the float32 scan returns. The reference below redoes the SIMD kernel's
// float32 arithmetic in JS (Math.fround after each operation gives the float32
// result), so distances are compared bit for bit, ties broken by insertion order.

const f32 = Math.fround;
/** Σ(q−x)² as the f32x4 kernel computes it: 16 lane sums, then (a0+a1)+(a2+a3) lane-wise, then (l0+l1)+(l2+l3). */
function kernelDist2(q: Float32Array, x: Float32Array): number {
  const lane = new Array<number>(16).fill(0);
  for (let j = 0; j < q.length; j += 16) {
    for (let l = 0; l < 16; l++) {
      const d = f32(q[j + l]! - x[j + l]!);
      lane[l] = f32(lane[l]! + f32(d * d));
    }
  }
  const s = [0, 1, 2, 3].map((m) => f32(f32(lane[m]! + lane[4 + m]!) + f32(lane[8 + m]! + lane[12 + m]!)));
  return f32(f32(s[0]! + s[1]!) + f32(s[2]! + s[3]!));
}
const exactSearch = (faces: IndexableFace[], q: Float32Array, k: number) =>
  faces
    .map((f, row) => ({ row, d2: kernelDist2(q, f.embedding), f }))
    .sort((a, b) => a.d2 - b.d2 || a.row - b.row)
    .slice(0, k)
    .map(({ d2, f }) => ({ faceId: f.id, personName: f.personName, distance: Math.sqrt(d2) }));
/** identify's candidates: persons by their nearest face, ties by first enrolment. */
function exactPersons(faces: IndexableFace[], q: Float32Array, topK: number) {
  const best = new Map<string, number>();
  for (const f of faces) best.set(f.personName, Math.min(best.get(f.personName) ?? Infinity, kernelDist2(q, f.embedding)));
  const order = [...best.keys()];
  return [...best]
    .sort((a, b) => a[1] - b[1] || order.indexOf(a[0]) - order.indexOf(b[0]))
    .slice(0, topK)
    .map(([name, d2]) => ({ name, distance: Math.sqrt(d2) }));
}

/** Two-stage = float32 scan = the bit-exact reference, for search, searchBatch and identify. */
function assertExact(faces: IndexableFace[], queries: Float32Array[], ks: number[], label: string) {
  const index = FaceIndex.fromRecords(faces);
  assert.ok(index.quantized, 'dimension 128 with WASM SIMD keeps an int8 copy');
  for (const k of ks) {
    const batch = index.searchBatch(queries, k);
    assert.deepEqual(batch, index.searchBatch(queries, k, { scan: 'float32' }), `${label}: batch k=${k}`);
    queries.forEach((q, i) => {
      const want = exactSearch(faces, q, k);
      assert.deepEqual(index.search(q, k), want, `${label}: query ${i}, k=${k}`);
      assert.deepEqual(index.search(q, k, { scan: 'float32' }), want, `${label}: float32 scan, query ${i}, k=${k}`);
      assert.deepEqual(batch[i], want, `${label}: searchBatch, query ${i}, k=${k}`);
    });
  }
  for (const opts of [{}, { topK: 1 }, { topK: 40 }, { knn: 1 }, { knn: 7, topK: 3 }, { knn: 60, tolerance: 100 }]) {
    const got = index.identifyBatch(queries, opts);
    assert.deepEqual(got, index.identifyBatch(queries, { ...opts, scan: 'float32' }), `${label}: identify ${JSON.stringify(opts)}`);
    queries.forEach((q, i) => assert.deepEqual(got[i]!.candidates, exactPersons(faces, q, opts.topK ?? 5), `${label}: identify candidates, query ${i}`));
  }
}

test('two-stage search equals the float32 scan bit for bit on random data (k 1..100, batches, identify)', () => {
  const faces = randomFaces(4000, 128, 21, 300);
  const queries = [...randomFaces(30, 128, 22).map((f) => f.embedding), faces[7]!.embedding, faces[3999]!.embedding];
  assertExact(faces, queries, [1, 5, 100], 'random');
  const index = FaceIndex.fromRecords(faces);
  index.searchBatch(queries, 5);
  assert.ok(index.exactChecks < queries.length * 200, `the int8 bounds are tight: ${index.exactChecks} float32 re-checks for ${queries.length} queries over 4000 faces`);
});

test('two-stage search is exact on adversarial near-ties', () => {
  const r = rng(99);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const unit = () => {
    const v = Float32Array.from({ length: 128 }, gauss);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const q0 = unit().map((x) => x * 0.9);
  const faces: IndexableFace[] = [];
  const push = (personName: string, embedding: Float32Array) => faces.push({ id: 1 + faces.length, personName, embedding });
  // A shell: 600 faces at the same real distance 0.3 from q0 (float32 rounding decides their order).
  for (let i = 0; i < 600; i++) push(`shell${i % 40}`, Float32Array.from(unit(), (u, j) => q0[j]! + 0.3 * u));
  // Exact duplicates: equal float32 distances, ranked by insertion order.
  const dup = Float32Array.from(unit(), (u, j) => q0[j]! + 0.3 * u);
  for (let i = 0; i < 50; i++) push(`dup${i % 7}`, dup);
  // Perturbations far below the int8 step (0.5/127): identical codes, distinct float32 distances.
  for (let i = 0; i < 300; i++) push(`tiny${i % 30}`, Float32Array.from(dup, (x) => x + (r() - 0.5) * 1e-4));
  // Outliers beyond the ±0.5 code range (clamped codes, large error norms).
  for (let i = 0; i < 100; i++) push(`big${i % 10}`, Float32Array.from(q0, (x) => x + (r() - 0.5) * 6 * (r() < 0.1 ? 1 : 0.05)));
  // Near-duplicates of the queries, and filler.
  push('near', Float32Array.from(q0, (x) => x + 1e-7));
  push('same', q0);
  for (let i = 0; i < 2000; i++) push(`far${i % 100}`, unit());
  const queries = [q0, dup, faces[0]!.embedding, Float32Array.from(q0, (x) => x * 4), Float32Array.from(dup, (x) => x + 2e-5), faces[700]!.embedding];
  assertExact(faces, queries, [1, 5, 64, 700], 'near-ties');
});

test('two-stage search is exact when quantization errors line up with the query direction (bounds nearly tight)', () => {
  // On the index's int8 grid (step 0.5/127), a vector s·c + δ·unit(c − c_q) has error norm δ and lies
  // exactly δ farther from (or nearer to) the grid query s·c_q than its codes say. "near" faces have
  // codes farther than the "decoy" faces' but are truly nearer: an undersized bound would drop them.
  const s = 0.5 / 127;
  const r = rng(5);
  const sign = () => Float32Array.from({ length: 128 }, () => (r() < 0.5 ? -1 : 1));
  const cq = Float32Array.from({ length: 128 }, () => Math.round(r() * 120 - 60));
  const m = 10;
  /** s·(c_q + step) moved by δ along ±step, |δ per coordinate| < s/2 so the codes stay c_q + step. */
  const place = (step: Float32Array, along: number, base = cq) => {
    const n = Math.hypot(...step);
    const maxShare = Math.max(...step.map(Math.abs)) / n;
    const delta = 0.45 * s / maxShare;
    return Float32Array.from(step, (v, j) => s * (base[j]! + v) + along * delta * (v / n));
  };
  const nearStep = (sg: Float32Array) => sg.map((v, j) => v * (j < 112 ? m + 1 : m)); // ≈ 118.06·s true, 0.15 % nearer than decoys
  const faces: IndexableFace[] = [];
  for (let i = 0; i < 100; i++) faces.push({ id: 1 + faces.length, personName: `decoy${i % 20}`, embedding: place(sign().map((v) => v * m), +1) });
  for (let i = 0; i < 100; i++) faces.push({ id: 1 + faces.length, personName: `near${i % 20}`, embedding: place(nearStep(sign()), -1) });
  const q = Float32Array.from(cq, (c) => c * s);
  // The query's own error aligned: on-grid faces, an off-grid query moved towards one of them.
  const sg = sign();
  const target = Float32Array.from(nearStep(sg), (v, j) => s * (cq[j]! + v));
  const q2 = place(nearStep(sg).map((v) => -v), -1, Float32Array.from(target, (v) => v / s));
  const onGrid: IndexableFace[] = [{ id: 1, personName: 'target', embedding: target }];
  // Decoys whose code distance (≈ 120.3·s) lies between the target's true (≈ 118.1·s) and code (≈ 123.1·s) distances.
  for (let i = 0; i < 50; i++) onGrid.push({ id: 2 + i, personName: `decoy${i % 5}`, embedding: Float32Array.from(sign(), (v, j) => s * (cq[j]! + v * (j < 80 ? m + 1 : m))) });
  assert.ok(FaceIndex.fromRecords(faces).search(q, 5).every((h) => h.personName.startsWith('near')), 'the truly nearest faces have the farther codes');
  assert.equal(FaceIndex.fromRecords(onGrid).search(q2, 1)[0]!.personName, 'target');
  assertExact(faces, [q], [1, 5, 100, 150], 'aligned row errors');
  assertExact(onGrid, [q2], [1, 5, 40], 'aligned query error');
});

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
