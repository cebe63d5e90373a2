/**
 * npm run bench:search — exact top-5 search in FaceIndex over galleries of 10k,
 * 100k and 1M random unit 128-d vectors (seeded PRNG), single-threaded, both
 * ways in the same run on the same index: the float32 scan (`scan: 'float32'`,
 * the peer) and the two-stage int8-prefilter search (the default). Median ms per
 * query for `search` (one query at a time; the two alternate query by query),
 * for `searchBatch` (batches of 32, time per query) and for `identify`; float32
 * re-checks per query; memory per stored face (the typed storage and the process
 * RSS delta). Every query's results must be identical both ways (and batch =
 * single, and on the smallest gallery = brute force), else the bench throws.
 * Writes bench-results/search.md. Sizes can be given: `npm run bench:search -- 10000 100000`.
 *
 * Then the ANN part (./ann-bench.ts) at 100k and 1M, or at `--ann-sizes 100000,1000000`.
 * Flags: `--ann-only` (skip the exact part), `--no-ann`, `--ann-data uniform,faces`,
 * `--ann-m 16`, `--ann-ef-add 64`, `--ann-ef 32,64,128`, `--ann-quantization f32|f16|i8`,
 * `--ann-threads 2`, `--ann-queries 500`. Example:
 *   npm run bench:search -- --ann-only --ann-sizes 100000 --ann-data faces
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cpus, loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { FaceIndex, type IndexableFace } from '../src/match/face-index.js';
import { euclideanDistance } from '../src/match/face-distance.js';
import { fmt, markdownTable, median } from './bench-support.js';
import { runAnnBench, type AnnDataSet } from './ann-bench.js';
import type { AnnQuantization } from '../src/match/ann-index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const DIM = 128;
const QUERIES = 32; // ≥ 20 timed single queries; one batch of 32
const BATCH = 32;
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value, e.g. ${name} ${fallback}`);
  return v;
};
const numbers = (name: string, fallback: string) => option(name, fallback).split(',').map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected positive integers separated by commas, got "${x}"`);
  return n;
});
const valued = new Set(['--ann-sizes', '--ann-data', '--ann-m', '--ann-ef-add', '--ann-ef', '--ann-quantization', '--ann-threads', '--ann-queries']);
const sizes = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? '')).map(Number).filter((n) => n > 0);
const SIZES = flag('--ann-only') ? [] : sizes.length ? sizes : [10_000, 100_000, 1_000_000];

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
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();
const same = (what: string, a: unknown, b: unknown) => {
  if (!isDeepStrictEqual(a, b)) throw new Error(`${what} differ`);
};
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
  const f32 = { scan: 'float32' } as const;

  // Warm up (WASM tier-up), then time each single query both ways, alternating.
  for (let i = 0; i < 5; i++) index.search(queries[i]!), index.search(queries[i]!, 5, f32);
  const single: ReturnType<FaceIndex['search']>[] = [];
  const scanMs: number[] = [], twoStageMs: number[] = [];
  const checks0 = index.exactChecks;
  for (const [i, q] of queries.entries()) {
    const [want, ms0] = time(() => index.search(q, 5, f32));
    const [got, ms1] = time(() => index.search(q, 5));
    same(`search results for query ${i}`, got, want);
    scanMs.push(ms0);
    twoStageMs.push(ms1);
    single.push(got);
  }
  const checksPerQuery = (index.exactChecks - checks0) / QUERIES;

  const batchRuns = size >= 1_000_000 ? 3 : 5;
  const batchScanMs: number[] = [], batchTwoStageMs: number[] = [];
  for (let i = 0; i < batchRuns; i++) {
    const [want, ms0] = time(() => index.searchBatch(queries.slice(0, BATCH), 5, f32));
    const [got, ms1] = time(() => index.searchBatch(queries.slice(0, BATCH), 5));
    same('searchBatch (float32 scan) and search', want, single.slice(0, BATCH));
    same('searchBatch (two-stage) and search', got, single.slice(0, BATCH));
    batchScanMs.push(ms0 / BATCH);
    batchTwoStageMs.push(ms1 / BATCH);
  }
  const identifyScanMs: number[] = [], identifyTwoStageMs: number[] = [];
  for (const [i, q] of queries.slice(0, 20).entries()) {
    const [want, ms0] = time(() => index.identify(q, f32));
    const [got, ms1] = time(() => index.identify(q));
    same(`identify results for query ${i}`, got, want);
    identifyScanMs.push(ms0);
    identifyTwoStageMs.push(ms1);
  }

  if (keep.length) {
    for (const [i, q] of queries.entries()) {
      const want = keep
        .map((f) => ({ id: f.id, d: euclideanDistance(f.embedding, q) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 5)
        .map((x) => x.id);
      same(`search and brute force for query ${i}`, single[i]!.map((h) => h.faceId), want);
    }
    notes.push(`${size.toLocaleString('en')}: search = brute force (float64 distances) for all ${QUERIES} queries`);
  }
  notes.push(`${size.toLocaleString('en')}: two-stage = float32 scan (same faces, same distances) for all ${QUERIES} searches, ${batchRuns}×${BATCH} batched, 20 identify; searchBatch = search`);

  const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(1)}×`;
  rows.push([
    size.toLocaleString('en'),
    fmt(median(scanMs)),
    fmt(median(twoStageMs)),
    ratio(scanMs, twoStageMs),
    fmt(median(batchScanMs)),
    fmt(median(batchTwoStageMs)),
    ratio(batchScanMs, batchTwoStageMs),
    fmt(median(identifyScanMs)),
    fmt(median(identifyTwoStageMs)),
    checksPerQuery.toFixed(1),
    `${(buildMs / 1000).toFixed(1)} s`,
    index.bytesPerFace,
    (index.storageBytes / size).toFixed(0),
    (rssDelta / size).toFixed(0),
  ]);
  console.log(
    `${size}: search ${fmt(median(scanMs))} → ${fmt(median(twoStageMs))} ms, batch ${fmt(median(batchScanMs))} → ${fmt(median(batchTwoStageMs))} ms/query, identify ${fmt(median(identifyScanMs))} → ${fmt(median(identifyTwoStageMs))} ms (load ${load()})`,
  );
}

const header = [
  'faces',
  'search: float32 scan ms/q',
  'search: two-stage ms/q',
  'speed-up',
  `batch(${BATCH}): float32 scan ms/q`,
  `batch(${BATCH}): two-stage ms/q`,
  'speed-up',
  'identify: float32 scan ms/q',
  'identify: two-stage ms/q',
  'float32 re-checks/q',
  'build',
  'bytes/face (stored)',
  'bytes/face (allocated)',
  'bytes/face (RSS Δ)',
];
const table = markdownTable(header, rows);
const annSection = flag('--no-ann')
  ? ''
  : await runAnnBench(
      {
        sizes: numbers('--ann-sizes', '100000,1000000'),
        dataSets: option('--ann-data', 'faces,uniform').split(',').map((d) => {
          if (d !== 'faces' && d !== 'uniform') throw new Error(`--ann-data: expected faces and/or uniform, got "${d}"`);
          return d as AnnDataSet;
        }),
        connectivity: numbers('--ann-m', '16')[0]!,
        expansionAdd: numbers('--ann-ef-add', '64')[0]!,
        efs: numbers('--ann-ef', '32,64,128,256,512'),
        quantization: option('--ann-quantization', 'f32') as AnnQuantization,
        threads: numbers('--ann-threads', '2')[0]!,
        queries: numbers('--ann-queries', '500')[0]!,
        gc,
      },
      (line) => console.log(`${line} (load ${load()})`),
    );
const report = [
  '# FaceIndex search benchmark',
  '',
  `Exact top-5, ${DIM}-d random unit vectors (seeded), single-threaded, ${QUERIES} queries, medians; ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'} shared with other work (load average ${loadBefore} before, ${load()} after), Node ${process.version}, ${new Date().toISOString()}.`,
  '',
  '- float32 scan: every float32 row through the WASM SIMD f32x4 kernel (the previous search, `scan: \'float32\'`).',
  '- two-stage (default): int8 codes scanned with the WASM SIMD i8 kernel, candidates kept by a proven error bound, re-checked on the float32 rows; same index, same run.',
  '- bytes/face (stored): float32 row 512 + int8 row 128 + ‖codes‖² 4 + error norm 4 + id 8 + person 4. Allocated adds the doubling slack and the fixed scratch; RSS Δ includes the JS heap after GC.',
  '',
  ...(rows.length ? [table, '', 'Correctness checks passed:', ...notes.map((n) => `- ${n}`), ''] : ['(exact part skipped: --ann-only)', '']),
  annSection,
].join('\n');
console.log(`\n${table}\n`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/search.md', report);
console.log('wrote bench-results/search.md');
