/**
 * npm run bench:search — exact top-5 search in FaceIndex over galleries of 10k,
 * 100k and 1M random unit 128-d vectors (seeded PRNG), single-threaded:
 * median ms per query for `search` (one query at a time) and for `searchBatch`
 * (batches of 32, time per query), plus `identify`; memory per stored face (the
 * typed storage and the process RSS delta). Checks that batch results equal
 * single results and, on the smallest gallery, brute force.
 * Writes bench-results/search.md. Sizes can be given: `npm run bench:search -- 10000 100000`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cpus } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { FaceIndex, type IndexableFace } from '../src/match/face-index.js';
import { euclideanDistance } from '../src/match/face-distance.js';
import { fmt, markdownTable, median } from './bench-support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const DIM = 128;
const QUERIES = 32; // ≥ 20 timed single queries; one batch of 32
const BATCH = 32;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [10_000, 100_000, 1_000_000];

/** xorshift32 + Box–Muller: Gaussian coordinates, normalised → uniform on the sphere. */
function unitVectors(seed: number) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
  return (): Float32Array => {
    const v = new Float32Array(DIM);
    let n = 0;
    for (let i = 0; i < DIM; i += 2) {
      const r = Math.sqrt(-2 * Math.log(u()));
      const t = 2 * Math.PI * u();
      v[i] = r * Math.cos(t);
      v[i + 1] = r * Math.sin(t);
      n += v[i]! * v[i]! + v[i + 1]! * v[i + 1]!;
    }
    n = Math.sqrt(n);
    for (let i = 0; i < DIM; i++) v[i]! /= n;
    return v;
  };
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

const rows: (string | number)[][] = [];
const notes: string[] = [];
for (const size of SIZES) {
  gc();
  const rss0 = process.memoryUsage().rss;
  const next = unitVectors(size);
  const index = new FaceIndex();
  const keep: IndexableFace[] = []; // only for the brute-force check on small galleries
  const [, buildMs] = time(() => {
    for (let i = 0; i < size; i += 10_000) {
      const chunk = Array.from({ length: Math.min(10_000, size - i) }, (_, j) => ({ id: i + j + 1, personName: `person ${(i + j) % (size / 5)}`, embedding: next() }));
      index.add(chunk);
      if (size <= 10_000) keep.push(...chunk);
    }
  });
  gc();
  const rssDelta = process.memoryUsage().rss - rss0;
  const queries = Array.from({ length: QUERIES }, unitVectors(size + 17));

  // Warm up (WASM tier-up), then time each single query.
  for (let i = 0; i < 5; i++) index.search(queries[i]!);
  const single: ReturnType<FaceIndex['search']>[] = [];
  const singleMs = queries.map((q) => {
    const [r, ms] = time(() => index.search(q, 5));
    single.push(r);
    return ms;
  });
  const batchRuns = size >= 1_000_000 ? 3 : 5;
  const batchMs: number[] = [];
  let batch: ReturnType<FaceIndex['searchBatch']> = [];
  for (let i = 0; i < batchRuns; i++) {
    const [r, ms] = time(() => index.searchBatch(queries.slice(0, BATCH), 5));
    batch = r;
    batchMs.push(ms / BATCH);
  }
  const identifyMs = queries.slice(0, 20).map((q) => time(() => index.identify(q))[1]);

  // Correctness: batched = single, and (small gallery) = brute force.
  if (!isDeepStrictEqual(batch, single.slice(0, BATCH))) throw new Error(`searchBatch differs from search at size ${size}`);
  if (keep.length) {
    for (const [i, q] of queries.entries()) {
      const want = keep
        .map((f) => ({ id: f.id, d: euclideanDistance(f.embedding, q) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 5)
        .map((x) => x.id);
      if (!isDeepStrictEqual(single[i]!.map((h) => h.faceId), want)) throw new Error(`search differs from brute force for query ${i}`);
    }
    notes.push(`${size.toLocaleString('en')}: search = brute force for all ${QUERIES} queries`);
  }
  notes.push(`${size.toLocaleString('en')}: searchBatch = search for all ${BATCH} queries`);

  rows.push([
    size.toLocaleString('en'),
    index.kernel,
    fmt(median(singleMs)),
    fmt(median(batchMs)),
    fmt(median(identifyMs)),
    `${(buildMs / 1000).toFixed(1)} s`,
    index.bytesPerFace,
    (index.storageBytes / size).toFixed(0),
    (rssDelta / size).toFixed(0),
  ]);
  console.log(`${size}: single ${fmt(median(singleMs))} ms, batch ${fmt(median(batchMs))} ms/query, identify ${fmt(median(identifyMs))} ms`);
}

const header = ['faces', 'kernel', 'search ms/query (median)', `searchBatch(${BATCH}) ms/query (median)`, 'identify ms/query', 'build', 'bytes/face (row+id+person)', 'bytes/face (allocated)', 'bytes/face (RSS Δ)'];
const table = markdownTable(header, rows);
const report = [
  '# FaceIndex search benchmark',
  '',
  `Exact top-5, ${DIM}-d random unit vectors (seeded), single-threaded, ${QUERIES} queries; ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}.`,
  'Allocated bytes/face include the doubling slack and the fixed scratch; RSS Δ includes the JS heap after GC.',
  '',
  table,
  '',
  'Correctness checks passed:',
  ...notes.map((n) => `- ${n}`),
  '',
].join('\n');
console.log(`\n${table}\n`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/search.md', report);
console.log('wrote bench-results/search.md');
