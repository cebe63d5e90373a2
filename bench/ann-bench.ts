/**
 * The ANN part of `npm run bench:search` (bench/search.bench.ts calls runAnnBench).
 *
 * Per gallery size and data set: FaceIndex with the ANN index (usearch HNSW,
 * L2², built with the given threads), against the exact search on the same
 * FaceIndex in the same run (`approximate: false`, the peer):
 *   - build time, RSS growth over the build, file size of the saved index;
 *   - for each search ef: recall@1 (ANN+re-rank top-1 face = exact top-1 face),
 *     identify agreement (same name), median ms of single searches and of
 *     batches of 32 (ms per query), exact medians alongside.
 * Data sets:
 *   uniform — random unit vectors, queries new random unit vectors: the nearest
 *             neighbour is barely nearer than the rest (the hardest case);
 *   faces   — N/5 persons: a shared mean (norm 0.75, embeddings live in a cone),
 *             a person offset (norm 0.6) and per-face noise (σ 0.02–0.03 per
 *             dimension), so same-person distances ≈ 0.3–0.45, different ≈ 0.9,
 *             norms ≈ 1; queries: 90% new faces of stored persons, 10% unknown.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { AnnIndex, type AnnQuantization } from '../src/match/ann-index.js';
import { FaceIndex } from '../src/match/face-index.js';
import { fmt, markdownTable, median } from './bench-support.js';

export type AnnDataSet = 'uniform' | 'faces';
export interface AnnBenchOptions {
  sizes: number[];
  dataSets: AnnDataSet[];
  connectivity: number;
  expansionAdd: number;
  quantization: AnnQuantization;
  efs: number[];
  threads: number;
  queries: number;
  gc: () => void;
}

const DIM = 128;
const BATCH = 32;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const unit = (norm = 1) => {
    const v = new Float32Array(DIM);
    let n = 0;
    for (let i = 0; i < DIM; i++) n += (v[i] = gauss()) ** 2;
    n = Math.sqrt(n) / norm;
    for (let i = 0; i < DIM; i++) v[i]! /= n;
    return v;
  };
  return { u, gauss, unit };
}

/** Gallery faces in person order (5 per person) and queries, for one data set. */
function dataSet(kind: AnnDataSet, size: number, queries: number) {
  const r = rng(size * 7 + (kind === 'faces' ? 1 : 2));
  if (kind === 'uniform') {
    return { face: (_i: number) => r.unit(), queries: Array.from({ length: queries }, () => r.unit()), known: (_i: number) => false };
  }
  const mean = r.unit(0.75);
  const persons = Math.ceil(size / 5);
  const centres: Float32Array[] = [];
  const centre = () => {
    const c = r.unit(0.6);
    for (let i = 0; i < DIM; i++) c[i]! += mean[i]!;
    return c;
  };
  const faceOf = (c: Float32Array) => {
    const sigma = 0.02 + 0.01 * r.u();
    const v = new Float32Array(DIM);
    for (let i = 0; i < DIM; i++) v[i] = c[i]! + sigma * r.gauss();
    return v;
  };
  const face = (i: number) => {
    const p = Math.floor(i / 5);
    if (p === centres.length) centres.push(centre());
    return faceOf(centres[p]!);
  };
  return {
    face,
    known: (i: number) => i % 10 !== 9,
    // queries are drawn lazily, after the gallery, so centres exist
    get queries() {
      const q: Float32Array[] = [];
      for (let i = 0; i < queries; i++) q.push(i % 10 === 9 ? faceOf(centre()) : faceOf(centres[Math.floor(r.u() * Math.min(persons, centres.length))]!));
      return q;
    },
  };
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

export async function runAnnBench(o: AnnBenchOptions, log: (line: string) => void): Promise<string> {
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'facerec-ann-bench-'));
  try {
    for (const size of o.sizes) {
      for (const kind of o.dataSets) {
        o.gc();
        const data = dataSet(kind, size, o.queries);
        const annOpts = { connectivity: o.connectivity, expansionAdd: o.expansionAdd, quantization: o.quantization, threads: o.threads };
        const index = new FaceIndex({ annThreshold: 1, ann: { ...annOpts, expansionSearch: o.efs[0]! } });
        for (let i = 0; i < size; i += 10_000) {
          index.add(Array.from({ length: Math.min(10_000, size - i) }, (_, j) => ({ id: i + j + 1, personName: `person ${Math.floor((i + j) / 5)}`, embedding: data.face(i + j) })));
        }
        const queries = data.queries;
        o.gc();
        const rss0 = process.memoryUsage().rss;
        const t0 = performance.now();
        let lastLog = t0;
        await index.prepareAnn(null, log, (done, total) => {
          if (performance.now() - lastLog > 30_000) {
            lastLog = performance.now();
            log(`  ${kind} ${size}: built ${done}/${total} (${((lastLog - t0) / 1000).toFixed(0)} s)`);
          }
        });
        const buildS = (performance.now() - t0) / 1000;
        o.gc();
        const rssMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
        const path = join(dir, `${kind}-${size}.usearch`);
        await index.ann!.save(path);
        const fileMb = (await stat(path)).size / 2 ** 20;
        log(`${kind} ${size}: ANN build ${buildS.toFixed(1)} s (${o.threads} threads), RSS +${rssMb.toFixed(0)} MiB, file ${fileMb.toFixed(0)} MiB`);

        // Exact reference (the peer), timed single and batched.
        const exact = { approximate: false } as const;
        for (let i = 0; i < 3; i++) index.search(queries[i]!, 5, exact);
        const exactTop: number[] = [], exactNames: (string | null)[] = [], exactMs: number[] = [];
        for (const q of queries) {
          const [hits, ms] = time(() => index.search(q, 5, exact));
          exactTop.push(hits[0]!.faceId);
          exactMs.push(ms);
        }
        for (const q of queries) exactNames.push(index.identify(q, exact).name);
        const exactBatchMs: number[] = [];
        for (let b = 0; b + BATCH <= Math.min(queries.length, 4 * BATCH); b += BATCH) {
          exactBatchMs.push(time(() => index.searchBatch(queries.slice(b, b + BATCH), 5, exact))[1] / BATCH);
        }

        for (const ef of o.efs) {
          if (ef !== o.efs[0]) {
            // usearch fixes ef at construction: load the saved graph with another ef.
            const loaded = new AnnIndex(DIM, { ...annOpts, expansionSearch: ef });
            // The gallery's ids are 1..size; no vector is read unless the file disagrees (then the bench throws).
            const source = { count: index.size, idAt: (i: number) => i + 1, vectorAt: () => new Float32Array(DIM) };
            const sync = await loaded.sync(source, path);
            if (sync.rebuildReason !== null || sync.added || sync.removed) throw new Error(`reloading the saved index changed it: ${JSON.stringify(sync)}`);
            index.attachAnn(loaded);
          }
          for (let i = 0; i < 3; i++) index.search(queries[i]!, 5);
          let hits1 = 0, sameName = 0, knownHits = 0, known = 0;
          const annMs: number[] = [];
          const single: ReturnType<FaceIndex['search']>[] = [];
          queries.forEach((q, i) => {
            const [hits, ms] = time(() => index.search(q, 5));
            annMs.push(ms);
            single.push(hits);
            if (hits[0]!.faceId === exactTop[i]) hits1++;
            if (data.known(i)) {
              known++;
              if (hits[0]!.faceId === exactTop[i]) knownHits++;
            }
            if (index.identify(q).name === exactNames[i]) sameName++;
          });
          const annBatchMs: number[] = [];
          for (let b = 0; b + BATCH <= Math.min(queries.length, 4 * BATCH); b += BATCH) {
            const [got, ms] = time(() => index.searchBatch(queries.slice(b, b + BATCH), 5));
            if (!isDeepStrictEqual(got, single.slice(b, b + BATCH))) throw new Error('ANN searchBatch differs from search');
            annBatchMs.push(ms / BATCH);
          }
          const recall = hits1 / queries.length;
          rows.push([
            kind,
            size.toLocaleString('en'),
            `M ${o.connectivity}, efC ${o.expansionAdd}, ${o.quantization}`,
            ef,
            recall.toFixed(4),
            known ? `${(knownHits / known).toFixed(4)} / ${((hits1 - knownHits) / (queries.length - known)).toFixed(4)}` : '–',
            (sameName / queries.length).toFixed(4),
            fmt(median(annMs)),
            fmt(median(exactMs)),
            fmt(median(annBatchMs)),
            fmt(median(exactBatchMs)),
            `${buildS.toFixed(0)} s`,
            rssMb.toFixed(0),
            fileMb.toFixed(0),
          ]);
          log(`${kind} ${size} ef ${ef}: recall@1 ${recall.toFixed(4)} (known persons ${known ? (knownHits / known).toFixed(4) : '–'}), identify agreement ${(sameName / queries.length).toFixed(4)}, search ${fmt(median(annMs))} ms (exact ${fmt(median(exactMs))}), batch ${fmt(median(annBatchMs))} ms/q (exact ${fmt(median(exactBatchMs))})`);
        }
        notes.push(`${kind} ${size.toLocaleString('en')}: ${queries.length} queries; ANN searchBatch = ANN search for every batched query`);
        await rm(path, { force: true });
        await rm(`${path}.meta.json`, { force: true });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const header = [
    'data',
    'faces',
    'graph',
    'ef',
    'recall@1',
    'recall@1 known / unknown',
    'identify agrees',
    'search ms/q (ANN)',
    'search ms/q (exact)',
    `batch(${BATCH}) ms/q (ANN, ${o.threads} thr)`,
    `batch(${BATCH}) ms/q (exact, 1 thr)`,
    `build (${o.threads} thr)`,
    'RSS Δ MiB',
    'file MiB',
  ];
  return [
    '## ANN (usearch HNSW) vs exact',
    '',
    `FaceIndex with \`annThreshold: 1\`: the ANN's top ${32} candidates re-ranked with exact float32 distances, against \`approximate: false\` on the same index in the same run. recall@1 = share of queries whose top-1 face equals the exact top-1 (faces data: also split into the 90% queries of stored persons and the 10% unknown faces); identify agrees = same name (or both unknown).`,
    '',
    markdownTable(header, rows),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
