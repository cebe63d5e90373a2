/**
 * FaceIndex: exact nearest-neighbour search over every enrolled face, in memory.
 *
 * Storage: all embeddings in ONE contiguous Float32Array (row-major, `dimension`
 * floats per face, capacity grown by doubling), with face ids (Float64Array),
 * person ordinals (Int32Array) and the person-name table alongside. The array is
 * a view on a WebAssembly.Memory so a tiny hand-assembled WASM SIMD kernel
 * (./distance-kernels.ts) computes squared distances; where WASM SIMD is missing
 * or the dimension is not a multiple of 16 a plain JS loop computes the same thing.
 *
 * Distances are computed directly, Σ(q−x)², not as ‖q‖²+‖x‖²−2q·x, so there is
 * no cancellation error for near-duplicates. Results are ranked by that float32
 * value, ties by insertion order (row), persons ties by first enrolment.
 *
 * A float32 scan of 1M×128 reads 512 MB per query and is bound by memory
 * bandwidth (≈ 65 ms on the 2-core dev VM). So, with the SIMD kernel, every row
 * also has an int8 copy (codes round(x/SCALE), clamped to ±127) plus its error
 * norm e_x = ‖x − SCALE·code(x)‖, and searches run in two stages that return
 * exactly what the float32 scan returns:
 *   1. scan the int8 codes (128 MB) for the exact integer D = ‖code(q) − code(x)‖²
 *      (as ‖code(q)‖² + ‖code(x)‖² − 2·code(q)·code(x), the row's ‖code(x)‖² stored);
 *      by the triangle inequality ‖q − x‖ lies within SCALE·√D ± (e_q + e_x), and
 *      the float32 kernel's Σ(q−x)² within a relative GAMMA of ‖q − x‖². Keep the
 *      k smallest UPPER bounds; every row whose LOWER bound is ≤ the k-th of them
 *      is a candidate — any other row is beaten by k rows for sure.
 *   2. re-check the candidates with the float32 kernel, lowest lower bound
 *      first, until the next lower bound exceeds the exact k-th distance.
 * Clamped outliers need no special case: the clamping error is part of e_x.
 * `searchBatch` blocks both scans over queries (32 at a time): each gallery row
 * is read from memory once per block, compared with all queries of the block
 * while it sits in L1, so a batched query costs a fraction of a single one.
 *
 * Large galleries: from `annThreshold` faces on (default 500,000), searches ask
 * an HNSW index (./ann-index.ts, usearch) for the max(k, 32) nearest candidates
 * and rank those with the same float32 kernel, so an answer differs from the
 * exact one only when the ANN missed a true neighbour (recall in
 * docs/benchmarks.md). `approximate: false` or `scan: 'float32'` stay exact.
 */
import { checkNumber, FacerecError, invalidArgument } from '../errors.js';
import type { FaceRecord } from '../gallery/gallery-store.js';
import { DEFAULT_TOLERANCE } from './face-distance.js';
import { instantiateSimd, jsKernel, newMemory, type Kernel, type WasmMemory } from './distance-kernels.js';
import { AnnIndex, type AnnOptions, type AnnSource, type AnnSyncReport } from './ann-index.js';

/** What the index needs of a face: `FaceRecord`s fit as they are. */
export type IndexableFace = Pick<FaceRecord, 'id' | 'personName' | 'embedding'> & { modelId?: string };

export interface SearchHit {
  faceId: number;
  personName: string;
  distance: number;
}

export interface SearchOptions {
  /**
   * 'int8' (default): the two-stage search (int8 prefilter with proven bounds,
   * float32 re-check) where the index keeps int8 codes, else the float32 scan.
   * 'float32': scan every float32 row. Both return identical results; 'float32'
   * is the reference the benchmark and tests compare against.
   */
  scan?: 'int8' | 'float32';
  /**
   * false: always the exact search. Default: the ANN index (./ann-index.ts) finds
   * candidates once the index holds `annThreshold` faces or more; they are
   * re-ranked with exact float32 distances. `scan: 'float32'` is always exact.
   */
  approximate?: boolean;
}

/**
 * Faces from which searches go through the ANN index (0 turns the ANN off). Below
 * ~500k the exact two-stage search is about as fast as the ANN at the ef needed
 * for recall (100k: 1.4 ms exact vs 3.6 ms ANN at ef 512; 1M: 24.5 vs 10.1 ms,
 * docs/benchmarks.md) and always exact.
 */
export const DEFAULT_ANN_THRESHOLD = 500_000;
/** An ANN search fetches at least this many candidates, re-ranked exactly. */
export const ANN_CANDIDATES = 32;

export interface FaceIndexOptions {
  /** Fix the embedding length up front (else the first added face fixes it). */
  dimension?: number;
  /** The embedding model the faces come from (checked by fromRecords / checkModel). */
  modelId?: string | null;
  /** 'wasm-simd' (default where available) or 'js'. */
  kernel?: 'wasm-simd' | 'js';
  /** Searches go through the ANN index when the index holds at least this many faces (default 500,000); 0 = always exact. */
  annThreshold?: number;
  /** HNSW parameters of the ANN index. */
  ann?: AnnOptions;
}

export interface IdentifyOptions extends SearchOptions {
  /** A person is only recognised at or under this distance (default 0.6). */
  tolerance?: number;
  /**
   * Without `knn`: the person with the nearest face wins (unknown beyond `tolerance`).
   * With `knn: K`: the K nearest faces within `tolerance` vote, each with weight
   * 1/(d+ε); the person with the largest total wins (unknown when none of the K
   * is within tolerance).
   */
  knn?: number;
  /** How many candidate persons to report (default 5). */
  topK?: number;
}

export interface Identification {
  /** The recognised person, or null for unknown. */
  name: string | null;
  /** Distance to the nearest face of the chosen person (of the nearest person when unknown; Infinity for an empty index). */
  distance: number;
  /** distanceToConfidence(distance, tolerance): ≥ 0.5 exactly when the chosen person is within tolerance. */
  confidence: number;
  /** The nearest persons, each by their nearest face, nearest first (at most topK). */
  candidates: { name: string; distance: number }[];
}

/**
 * Maps a face distance to a 0..1 confidence, monotonically decreasing, 0.5 exactly
 * at the tolerance:
 *
 *   confidence = 1 / (1 + exp(6 · (d − tolerance) / tolerance))
 *
 * A logistic whose steepness scales with the tolerance. At the default 0.6:
 * d = 0 → 0.998, 0.3 → 0.95, 0.4 → 0.88, 0.6 → 0.5, 0.8 → 0.12, 1.0 → 0.018.
 * A tolerance of 0 gives 0.5 at d = 0 and 0 beyond.
 */
export function distanceToConfidence(distance: number, tolerance: number = DEFAULT_TOLERANCE): number {
  if (!(tolerance > 0)) return distance <= 0 ? 0.5 : 0;
  if (distance === Infinity) return 0;
  return 1 / (1 + Math.exp((6 * (distance - tolerance)) / tolerance));
}


// ---------------------------------------------------------------------------
// Selections fed (distance², row) pairs. Both can also run on upper bounds
// (stage 1): worst() is then a distance no final result can exceed.

interface Selection {
  /** The value beyond which a pair cannot enter (Infinity until full). */
  worst(): number;
  push(dist: number, row: number): void;
}
const worstOf = (s: readonly Selection[]): number => s.reduce((w, x) => Math.max(w, x.worst()), -Infinity);
/** (d1, t1) ranks before (d2, t2): by distance, ties by the tie-breaker (row or person ordinal). */
const before = (d1: number, t1: number, d2: number, t2: number) => d1 < d2 || (d1 === d2 && t1 < t2);

/** The k nearest rows, as a bounded max-heap of (distance², row). */
class TopK implements Selection {
  readonly d: Float64Array;
  readonly row: Int32Array;
  size = 0;
  constructor(readonly k: number) {
    this.d = new Float64Array(k);
    this.row = new Int32Array(k);
  }
  worst(): number {
    return this.size < this.k ? Infinity : this.d[0]!;
  }
  push(dist: number, row: number): void {
    const { d, row: rows } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(d[p]!, rows[p]!, dist, row)) break;
        d[i] = d[p]!;
        rows[i] = rows[p]!;
        i = p;
      }
      d[i] = dist;
      rows[i] = row;
      return;
    }
    if (!before(dist, row, d[0]!, rows[0]!)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && before(d[l]!, rows[l]!, d[l + 1]!, rows[l + 1]!) ? l + 1 : l;
      if (before(d[c]!, rows[c]!, dist, row)) break;
      d[i] = d[c]!;
      rows[i] = rows[c]!;
      i = c;
    }
    d[i] = dist;
    rows[i] = row;
  }
  /** (distance², row) pairs, nearest first; ties by row. */
  sorted(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) out.push([this.d[i]!, this.row[i]!]);
    return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
}

/** The k persons whose nearest face is nearest, each with that distance². k is small: linear scans. */
class TopPersons implements Selection {
  readonly d: number[] = [];
  readonly p: number[] = [];
  readonly #slot = new Map<number, number>();
  #w = 0; // slot of the worst
  constructor(
    readonly k: number,
    readonly person: Int32Array,
  ) {}
  worst(): number {
    return this.p.length < this.k ? Infinity : this.d[this.#w]!;
  }
  push(dist: number, row: number): void {
    const p = this.person[row]!;
    let s = this.#slot.get(p);
    if (s !== undefined) {
      if (dist >= this.d[s]!) return;
    } else if (this.p.length < this.k) {
      s = this.p.length;
      this.p.push(p);
      this.#slot.set(p, s);
    } else {
      s = this.#w;
      if (!before(dist, p, this.d[s]!, this.p[s]!)) return;
      this.#slot.delete(this.p[s]!);
      this.p[s] = p;
      this.#slot.set(p, s);
    }
    this.d[s] = dist;
    this.#w = 0;
    for (let i = 1; i < this.p.length; i++) if (before(this.d[this.#w]!, this.p[this.#w]!, this.d[i]!, this.p[i]!)) this.#w = i;
  }
  /** (distance², person) pairs, nearest first; ties by person ordinal. */
  sorted(): [number, number][] {
    return this.d.map((d, i): [number, number] => [d, this.p[i]!]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
}

// ---------------------------------------------------------------------------
// The int8 prefilter.

/** Codes are round(x / SCALE) clamped to ±Q_MAX: ±0.5 per dimension is covered (dlib/face-api embeddings, unit vectors in 128-d). */
const Q_MAX = 127;
const SCALE = 0.5 / Q_MAX;
/**
 * Relative error bound of the float32 kernels' Σ(q−x)² against the real ‖q−x‖²:
 * per term ≤ 3 roundings (sub, mul, the term itself), summation depth ≤ dim/16 + 6
 * (SIMD tree; the JS kernel rounds once), so (dim/16 + 9)·2⁻²⁴ suffices. Taking
 * (dim + 16)·2⁻²⁴ leaves a margin far above the float64 rounding of the bound arithmetic.
 */
const gammaFor = (dim: number) => (dim + 16) * 2 ** -24;
/** Absolute slack for float32 underflow (subnormal) errors on near-duplicates. */
const TINY = 1e-30;

/**
 * Writes v's codes to out[off..]; returns their squared norm (exact) and the
 * error norm ‖v − SCALE·codes‖, rounded up (also through a later float32 store).
 */
function quantize(v: Float32Array, out: Int8Array | Int16Array, off: number): { norm2: number; err: number } {
  let e2 = 0, norm2 = 0;
  for (let j = 0; j < v.length; j++) {
    const c = Math.max(-Q_MAX, Math.min(Q_MAX, Math.round(v[j]! / SCALE)));
    out[off + j] = c;
    norm2 += c * c;
    const r = v[j]! - c * SCALE;
    e2 += r * r;
  }
  return { norm2, err: Math.sqrt(e2) * (1 + 2 ** -20) + 1e-12 };
}

/**
 * Stage 1 for one query. For a row with code distance D (the kernel gives D − ‖code(q)‖²) and error norm e_x,
 * with a = SCALE·√D and e = e_q + e_x, the float32 distance² F satisfies
 *   lo = (1−γ)·max(0, a − e)² − TINY  ≤  F  ≤  up = (1+γ)·(a + e)² + TINY.
 * `upper` selects on `up`; its worst() t bounds every final result, so a row
 * with lo > t can be dropped. Rows are dropped on the integer D alone while
 * D > cut (lo > t even for the largest e_x); the rest are checked precisely.
 */
class Prefilter {
  readonly rows: number[] = [];
  readonly lows: number[] = [];
  #t = Infinity;
  #cut = Infinity;
  constructor(
    readonly upper: Selection[],
    readonly q2: number,
    readonly eq: number,
    readonly errMax: number,
    readonly gamma: number,
  ) {}
  visit(partial: Int32Array, off: number, row0: number, count: number, err: Float32Array): void {
    const { q2, eq, gamma } = this;
    let t = this.#t, cut = this.#cut; // cut is on the partial distance D − q2
    for (let r = 0; r < count; r++) {
      const P = partial[off + r]!;
      if (P > cut) continue;
      const row = row0 + r;
      const a = SCALE * Math.sqrt(P + q2), e = eq + err[row]!;
      const lo = (1 - gamma) * Math.max(0, a - e) ** 2 - TINY;
      if (lo > t) continue;
      const up = (1 + gamma) * (a + e) ** 2 + TINY;
      if (up <= t) {
        for (const s of this.upper) s.push(up, row);
        t = worstOf(this.upper);
        // lo > t holds whenever a − eq − errMax > √((t + TINY)/(1−γ)); 1e-9 absorbs float64 rounding.
        cut = t === Infinity ? Infinity : ((Math.sqrt((t + TINY) / (1 - gamma)) + eq + this.errMax) / SCALE) ** 2 * (1 + 1e-9) - q2;
      }
      this.rows.push(row);
      this.lows.push(lo);
    }
    this.#t = t;
    this.#cut = cut;
  }
  /** Indices into rows/lows of the candidates left after the whole scan, lowest lower bound first. */
  candidates(): number[] {
    const t = this.#t;
    const idx: number[] = [];
    for (let i = 0; i < this.lows.length; i++) if (this.lows[i]! <= t) idx.push(i);
    return idx.sort((x, y) => this.lows[x]! - this.lows[y]!);
  }
}

// ---------------------------------------------------------------------------

const PAGE = 65536;
/** Queries compared per pass over the gallery in searchBatch. */
const BLOCK = 32;
/** Rows per kernel call: BLOCK×CHUNK distances of scratch (256 KiB). */
const CHUNK = 2048;
const KNN_EPSILON = 1e-6;
/** Above this dimension an int8 code distance (≤ dim·254²) could overflow int32: no int8 copy. */
const MAX_CODE_DIM = 32768;
/** The int8 kernel steps 32 dimensions at a time. */
const CODE_STEP = 32;

export class FaceIndex {
  #dim: number | null;
  #modelId: string | null;
  #size = 0;
  #capacity = 0;
  #memory: WasmMemory | null = null;
  #f32 = new Float32Array(0);
  #kernel: Kernel | null = null;
  #simd = false;
  #qOff = 0; // float offsets into #f32
  #outOff = 0;
  #baseOff = 0;
  // The int8 copy (SIMD kernel only), in a second WASM memory so either can grow in place:
  // [query codes: BLOCK·dim int16][code distances: BLOCK·CHUNK int32][row codes: capacity·dim int8][‖codes‖²: capacity int32].
  #codeMemory: WasmMemory | null = null;
  #codeKernel: ((nq: number, row0: number, n: number) => void) | null = null;
  #codes = new Int8Array(0);
  #queryCodes = new Int16Array(0);
  #codeDist = new Int32Array(0);
  #codeDistOff = 0; // int32 offset
  #codesOff = 0; // byte offset
  #normsOff = 0; // int32 offset (moves when the capacity grows)
  #err = new Float32Array(0); // per-row error norm ‖x − SCALE·codes‖, rounded up
  #errMax = 0;
  #ids = new Float64Array(0);
  #person = new Int32Array(0);
  #names: (string | undefined)[] = [];
  #ordinals = new Map<string, number>();
  #facesOf: number[] = []; // faces per person ordinal
  #persons = 0; // persons with at least one face
  #exactChecks = 0;
  readonly #preferSimd: boolean;
  readonly annThreshold: number;
  readonly #annOptions: AnnOptions;
  #ann: AnnIndex | null = null; // kept in sync by add/#compact once it exists
  #rowOf: Map<number, number> | null = null; // face id → row, for ANN hits; dropped by #compact

  constructor(options: FaceIndexOptions = {}) {
    this.#dim = options.dimension === undefined ? null : checkNumber('dimension', options.dimension, { min: 1, integer: true });
    this.#modelId = options.modelId ?? null;
    this.#preferSimd = options.kernel !== 'js';
    this.annThreshold = checkNumber('annThreshold', options.annThreshold ?? DEFAULT_ANN_THRESHOLD, { min: 0, integer: true });
    this.#annOptions = options.ann ?? {};
  }

  /**
   * Builds an index of `records` (typically `await store.listFaces()`). With
   * `options.modelId`, every record that carries a modelId must match it
   * (MODEL_MISMATCH otherwise): a query encoded by one model is never searched
   * against faces of another.
   */
  static fromRecords(records: Iterable<IndexableFace>, options: Omit<FaceIndexOptions, 'dimension'> = {}): FaceIndex {
    const list = [...records];
    let modelId = options.modelId ?? null;
    for (const r of list) {
      if (r.modelId === undefined) continue;
      if (modelId === null) modelId = r.modelId;
      else if (r.modelId !== modelId) {
        throw new FacerecError(
          'MODEL_MISMATCH',
          `Face ${r.id} of "${r.personName}" was encoded by model "${r.modelId}" but the query model is "${modelId}"; re-enrol the gallery with one model.`,
        );
      }
    }
    const index = new FaceIndex({ ...options, modelId });
    index.add(list);
    return index;
  }

  /** Embedding length, fixed by the first face (null while empty and unset). */
  get dimension(): number | null {
    return this.#dim;
  }
  get modelId(): string | null {
    return this.#modelId;
  }
  get size(): number {
    return this.#size;
  }
  /** Which distance kernel runs: 'wasm-simd' or 'js'. */
  get kernel(): 'wasm-simd' | 'js' {
    return this.#simd ? 'wasm-simd' : 'js';
  }
  /** Whether rows have an int8 copy, i.e. searches run in two stages (SIMD kernel only). */
  get quantized(): boolean {
    return this.#codeKernel !== null;
  }
  /** Rows re-checked on float32 by two-stage searches so far (how tight the int8 bounds are). */
  get exactChecks(): number {
    return this.#exactChecks;
  }
  /** Bytes held per stored face slot: float32 row; when quantized int8 row, ‖codes‖² (4), error norm (4); id (8); person ordinal (4). */
  get bytesPerFace(): number {
    const d = this.#dim ?? 0;
    return d * 4 + (this.quantized ? d + 8 : 0) + 8 + 4;
  }
  /** Bytes of the index's typed storage (capacity, not just size), scratch included. */
  get storageBytes(): number {
    return (this.#memory?.buffer.byteLength ?? 0) + (this.#codeMemory?.buffer.byteLength ?? 0) + this.#err.byteLength + this.#ids.byteLength + this.#person.byteLength;
  }

  /** Whether searches (without `approximate: false`) go through the ANN index now. */
  get annActive(): boolean {
    return this.annThreshold > 0 && this.#size >= this.annThreshold;
  }
  /** The ANN index once built (by prepareAnn or the first approximate search), else null. */
  get ann(): AnnIndex | null {
    return this.#ann;
  }

  /**
   * Readies the ANN index when the gallery is at or over `annThreshold`: loads
   * the one persisted at `path` and applies the faces changed since (or
   * rebuilds it, logging why), then saves it back. Without this the first
   * approximate search builds it in memory (minutes at 1M faces). Returns null
   * when the gallery is under the threshold.
   */
  async prepareAnn(path: string | null, log?: (message: string) => void, onProgress?: (done: number, total: number) => void): Promise<AnnSyncReport | null> {
    if (!this.annActive) return null;
    if (this.#ann) {
      if (path !== null) await this.#ann.save(path);
      return { rebuildReason: null, added: 0, removed: 0 };
    }
    const ann = new AnnIndex(this.#dim!, { ...this.#annOptions, modelId: this.#modelId });
    const report = await ann.sync(this.#annSource(), path, log, onProgress);
    this.#ann = ann;
    return report;
  }

  /** Uses `ann` (built or loaded elsewhere, e.g. with other search parameters); it must hold exactly this index's faces. */
  attachAnn(ann: AnnIndex): void {
    if (!(ann instanceof AnnIndex)) throw invalidArgument('ann', 'an AnnIndex', ann);
    if (ann.dimension !== this.#dim || ann.modelId !== this.#modelId) {
      throw invalidArgument('ann', `an ANN index of dimension ${this.#dim} and model ${this.#modelId}`, `dimension ${ann.dimension}, model ${ann.modelId}`);
    }
    let same = ann.size === this.#size;
    for (let row = 0; same && row < this.#size; row++) same = ann.has(this.#ids[row]!);
    if (!same) throw invalidArgument('ann', `an ANN index of this gallery's ${this.#size} faces`, `an index of ${ann.size} faces, other ids`);
    this.#ann = ann;
  }

  /** Throws MODEL_MISMATCH unless `modelId` is this index's model (or the index has none). */
  checkModel(modelId: string): void {
    if (this.#modelId !== null && modelId !== this.#modelId) {
      throw new FacerecError('MODEL_MISMATCH', `The query was encoded by model "${modelId}" but the gallery holds faces of model "${this.#modelId}"; encode with the gallery's model.`);
    }
  }

  /** Adds faces. Ids must be new; embeddings must all have the index's dimension and finite values. */
  add(records: readonly IndexableFace[]): void {
    if (records.length === 0) return;
    const dim = this.#dim ?? records[0]!.embedding?.length;
    const seen = new Set<number>();
    records.forEach((r, i) => {
      if (!r || typeof r !== 'object') throw invalidArgument(`records[${i}]`, 'a face record {id, personName, embedding}', r);
      if (typeof r.id !== 'number' || !Number.isSafeInteger(r.id)) throw invalidArgument(`records[${i}].id`, 'an integer face id', r.id);
      if (typeof r.personName !== 'string') throw invalidArgument(`records[${i}].personName`, 'a string', r.personName);
      if (!(r.embedding instanceof Float32Array)) throw invalidArgument(`records[${i}].embedding`, 'a Float32Array', r.embedding);
      if (r.embedding.length !== dim || dim === 0) throw invalidArgument(`records[${i}].embedding`, `an embedding of length ${dim}`, `length ${r.embedding.length}`);
      for (const v of r.embedding) if (!Number.isFinite(v)) throw invalidArgument(`records[${i}].embedding`, 'finite numbers', v);
      if (seen.has(r.id)) throw invalidArgument(`records[${i}].id`, 'a face id not already in the index', r.id);
      seen.add(r.id);
    });
    for (let i = 0; i < this.#size; i++) {
      if (seen.has(this.#ids[i]!)) throw invalidArgument('records[].id', 'face ids not already in the index', this.#ids[i]!);
    }
    if (this.#dim === null) this.#dim = dim!;
    this.#reserve(this.#size + records.length);
    const d = this.#dim;
    for (const r of records) {
      const row = this.#size++;
      this.#f32.set(r.embedding, this.#baseOff + row * d);
      if (this.quantized) {
        const { norm2, err } = quantize(r.embedding, this.#codes, this.#codesOff + row * d);
        this.#codeDist[this.#normsOff + row] = norm2;
        this.#err[row] = err;
        this.#errMax = Math.max(this.#errMax, this.#err[row]!);
      }
      this.#ids[row] = r.id;
      const p = (this.#person[row] = this.#ordinal(r.personName));
      if ((this.#facesOf[p] = (this.#facesOf[p] ?? 0) + 1) === 1) this.#persons++;
      this.#rowOf?.set(r.id, row);
    }
    if (this.#ann) {
      const vectors = new Float32Array(records.length * d);
      records.forEach((r, i) => vectors.set(r.embedding, i * d));
      this.#ann.add(records.map((r) => r.id), vectors);
    }
  }

  /** Removes the faces with these ids (unknown ids are ignored); returns how many were removed. */
  remove(faceIds: Iterable<number>): number {
    const drop = new Set(faceIds);
    return this.#compact((row) => drop.has(this.#ids[row]!));
  }

  /** Removes every face of a person; returns how many were removed. */
  removePerson(name: string): number {
    const ord = this.#ordinals.get(name);
    if (ord === undefined) return 0;
    const removed = this.#compact((row) => this.#person[row] === ord);
    this.#ordinals.delete(name);
    this.#names[ord] = undefined;
    return removed;
  }

  /** The k faces nearest to `query` by Euclidean distance, nearest first (ties: first added first). */
  search(query: Float32Array, k = 5, options: SearchOptions = {}): SearchHit[] {
    return this.searchBatch([query], k, options)[0]!;
  }

  /**
   * `search` for many queries at once; per query much cheaper than single
   * searches (the gallery is scanned once per block of 32 queries). Results are
   * identical to `search`.
   */
  searchBatch(queries: readonly Float32Array[], k = 5, options: SearchOptions = {}): SearchHit[][] {
    checkNumber('k', k, { min: 1, integer: true });
    queries.forEach((q, i) => this.#checkQuery(q, queries.length === 1 ? 'query' : `queries[${i}]`));
    const kk = Math.min(k, Math.max(this.#size, 1));
    return this.#select(queries, () => [new TopK(kk)] as const, options, k).map(([heap]) =>
      heap.sorted().map(([d2, row]) => ({ faceId: this.#ids[row]!, personName: this.#names[this.#person[row]!]!, distance: Math.sqrt(d2) })),
    );
  }

  /**
   * Who is this? Default rule: the person with the nearest face, unknown (null)
   * if that face is farther than `tolerance`. With `knn: K`: a vote of the K
   * nearest faces within tolerance, weighted 1/(d+ε) (unknown if none is within
   * tolerance) — face_recognition's KNN-classifier example with its unknown rule.
   */
  identify(query: Float32Array, options: IdentifyOptions = {}): Identification {
    return this.identifyBatch([query], options)[0]!;
  }

  /** identify() for many queries, with searchBatch's blocking. */
  identifyBatch(queries: readonly Float32Array[], options: IdentifyOptions = {}): Identification[] {
    const { tolerance = DEFAULT_TOLERANCE, knn, topK = 5 } = options;
    checkNumber('tolerance', tolerance, { min: 0 });
    checkNumber('topK', topK, { min: 1, integer: true });
    if (knn !== undefined) checkNumber('knn', knn, { min: 1, integer: true });
    queries.forEach((q, i) => this.#checkQuery(q, queries.length === 1 ? 'query' : `queries[${i}]`));
    // Capped by what exists, so that the selections fill and bound the candidates.
    const nPersons = Math.min(topK, Math.max(this.#persons, 1));
    const nFaces = Math.min(knn ?? 1, Math.max(this.#size, 1));
    const make = (): [TopPersons] | [TopPersons, TopK] =>
      knn === undefined ? [new TopPersons(nPersons, this.#person)] : [new TopPersons(nPersons, this.#person), new TopK(nFaces)];
    return this.#select(queries, make, options, Math.max(knn ?? 1, topK)).map(([persons, faces]) => {
      const candidates = persons.sorted().map(([d2, p]) => ({ name: this.#names[p]!, distance: Math.sqrt(d2) }));
      const nearest = candidates[0];
      let name: string | null = null;
      let distance = nearest?.distance ?? Infinity;
      if (faces) {
        // The voters' nearest faces are among the K (ties aside, at equal distance).
        const votes = new Map<number, number>();
        const own = new Map<number, number>();
        for (const [d2, row] of faces.sorted()) {
          const p = this.#person[row]!;
          if (!own.has(p)) own.set(p, d2);
          const d = Math.sqrt(d2);
          if (d > tolerance) continue;
          votes.set(p, (votes.get(p) ?? 0) + 1 / (d + KNN_EPSILON));
        }
        let winner = -1;
        let top = -Infinity;
        for (const [p, w] of votes) {
          if (w > top || (w === top && own.get(p)! < own.get(winner)!)) [winner, top] = [p, w];
        }
        if (winner >= 0) {
          name = this.#names[winner]!;
          distance = Math.sqrt(own.get(winner)!);
        }
      } else if (nearest && nearest.distance <= tolerance) {
        name = nearest.name;
      }
      return { name, distance, confidence: distanceToConfidence(distance, tolerance), candidates };
    });
  }

  // -------------------------------------------------------------------------

  #checkQuery(q: Float32Array, field: string): void {
    if (!(q instanceof Float32Array)) throw invalidArgument(field, 'a Float32Array embedding', q);
    if (this.#dim !== null && q.length !== this.#dim) {
      throw invalidArgument(field, `an embedding of length ${this.#dim} (the gallery's dimension)`, `length ${q.length}`);
    }
  }

  /** Per query, `make()`'s selections fed the exact float32 distance² of every row that can matter. */
  #select<S extends readonly Selection[]>(queries: readonly Float32Array[], make: () => S, options: SearchOptions, wanted: number): S[] {
    const { scan = 'int8', approximate = true } = options;
    if (this.#size === 0) return queries.map(make);
    if (approximate && scan !== 'float32' && this.annActive) return this.#annSelect(queries, make, Math.max(wanted, ANN_CANDIDATES));
    if (scan === 'int8' && this.#codeKernel) return this.#twoStage(queries, make);
    const sels = queries.map(make);
    this.#scan(queries, (qi, row0, count, dOff) => {
      const s = sels[qi]!;
      const f = this.#f32;
      let worst = worstOf(s);
      for (let r = 0; r < count; r++) {
        const v = f[dOff + r]!;
        if (v <= worst) {
          for (const x of s) x.push(v, row0 + r);
          worst = worstOf(s);
        }
      }
    });
    return sels;
  }

  /**
   * Runs the float32 kernel over all rows for blocks of BLOCK queries and hands each
   * (query, chunk of rows) to `visit` with the squared distances at #f32[dOff..dOff+count).
   */
  #scan(queries: readonly Float32Array[], visit: (qi: number, row0: number, count: number, dOff: number) => void): void {
    const d = this.#dim!;
    const kernel = this.#kernel!;
    for (let b0 = 0; b0 < queries.length; b0 += BLOCK) {
      const nq = Math.min(BLOCK, queries.length - b0);
      for (let i = 0; i < nq; i++) this.#f32.set(queries[b0 + i]!, this.#qOff + i * d);
      // A lone query gets longer chunks: fewer calls, same per-row arithmetic.
      const chunk = (CHUNK * BLOCK) / nq;
      for (let row0 = 0; row0 < this.#size; row0 += chunk) {
        const count = Math.min(chunk, this.#size - row0);
        kernel(this.#qOff, nq, this.#baseOff + row0 * d, count, d, this.#outOff);
        for (let i = 0; i < nq; i++) visit(b0 + i, row0, count, this.#outOff + i * count);
      }
    }
  }

  /**
   * #select's ANN path: the ANN index's `candidates` nearest faces per query,
   * fed to the selections with the same float32 kernel distances the exact path
   * computes, so the answer equals the exact one whenever the true neighbours
   * are among the candidates.
   */
  #annSelect<S extends readonly Selection[]>(queries: readonly Float32Array[], make: () => S, candidates: number): S[] {
    if (!this.#ann) {
      this.#ann = new AnnIndex(this.#dim!, { ...this.#annOptions, modelId: this.#modelId });
      this.#ann.build(this.#annSource());
    }
    if (!this.#rowOf) {
      this.#rowOf = new Map();
      for (let row = 0; row < this.#size; row++) this.#rowOf.set(this.#ids[row]!, row);
    }
    const d = this.#dim!;
    const found = this.#ann.searchBatch(queries, Math.min(candidates, this.#size));
    return queries.map((q, qi) => {
      const sels = make();
      this.#f32.set(q, this.#qOff);
      for (const id of found[qi]!.ids) {
        const row = this.#rowOf!.get(id);
        if (row === undefined) continue; // never expected: add/#compact keep the ANN in step
        this.#kernel!(this.#qOff, 1, this.#baseOff + row * d, 1, d, this.#outOff);
        const v = this.#f32[this.#outOff]!;
        if (v <= worstOf(sels)) for (const s of sels) s.push(v, row);
      }
      return sels;
    });
  }

  /** Row i's face id and embedding (a view), for building the ANN index. */
  #annSource(): AnnSource {
    const d = this.#dim!;
    return {
      count: this.#size,
      idAt: (i) => this.#ids[i]!,
      vectorAt: (i) => this.#f32.subarray(this.#baseOff + i * d, this.#baseOff + (i + 1) * d),
    };
  }

  /** #select's two-stage path: an int8 scan for candidates (Prefilter), then float32 re-checks. */
  #twoStage<S extends readonly Selection[]>(queries: readonly Float32Array[], make: () => S): S[] {
    const d = this.#dim!;
    const gamma = gammaFor(d);
    const results: S[] = [];
    for (let b0 = 0; b0 < queries.length; b0 += BLOCK) {
      const nq = Math.min(BLOCK, queries.length - b0);
      const pre: Prefilter[] = [];
      for (let i = 0; i < nq; i++) {
        const q = queries[b0 + i]!;
        this.#f32.set(q, this.#qOff + i * d);
        const { norm2, err } = quantize(q, this.#queryCodes, i * d);
        pre.push(new Prefilter([...make()], norm2, err, this.#errMax, gamma));
      }
      const chunk = (CHUNK * BLOCK) / nq;
      for (let row0 = 0; row0 < this.#size; row0 += chunk) {
        const count = Math.min(chunk, this.#size - row0);
        this.#codeKernel!(nq, row0, count);
        for (let i = 0; i < nq; i++) pre[i]!.visit(this.#codeDist, this.#codeDistOff + i * count, row0, count, this.#err);
      }
      for (let i = 0; i < nq; i++) {
        const p = pre[i]!;
        const exact = make();
        let worst = Infinity;
        for (const c of p.candidates()) {
          if (p.lows[c]! > worst) break; // every later candidate is beaten by the exact selection already
          const row = p.rows[c]!;
          this.#kernel!(this.#qOff + i * d, 1, this.#baseOff + row * d, 1, d, this.#outOff);
          const v = this.#f32[this.#outOff]!;
          for (const s of exact) s.push(v, row);
          worst = worstOf(exact);
          this.#exactChecks++;
        }
        results.push(exact);
      }
    }
    return results;
  }

  #ordinal(name: string): number {
    let ord = this.#ordinals.get(name);
    if (ord === undefined) {
      ord = this.#names.length;
      this.#names.push(name);
      this.#ordinals.set(name, ord);
    }
    return ord;
  }

  /** Drops rows for which `drop(row)` holds, keeping the others in order. */
  #compact(drop: (row: number) => boolean): number {
    const d = this.#dim ?? 0;
    let w = 0;
    this.#errMax = 0;
    const dropped: number[] = [];
    for (let r = 0; r < this.#size; r++) {
      if (drop(r)) {
        dropped.push(this.#ids[r]!);
        const p = this.#person[r]!;
        if (--this.#facesOf[p]! === 0) this.#persons--;
        continue;
      }
      if (w !== r) {
        this.#f32.copyWithin(this.#baseOff + w * d, this.#baseOff + r * d, this.#baseOff + (r + 1) * d);
        if (this.quantized) {
          this.#codes.copyWithin(this.#codesOff + w * d, this.#codesOff + r * d, this.#codesOff + (r + 1) * d);
          this.#codeDist[this.#normsOff + w] = this.#codeDist[this.#normsOff + r]!;
          this.#err[w] = this.#err[r]!;
        }
        this.#ids[w] = this.#ids[r]!;
        this.#person[w] = this.#person[r]!;
      }
      this.#errMax = Math.max(this.#errMax, this.#err[w] ?? 0);
      w++;
    }
    const removed = this.#size - w;
    this.#size = w;
    if (removed > 0) {
      this.#rowOf = null;
      this.#ann?.remove(dropped);
    }
    return removed;
  }

  /** Makes room for `rows` faces, doubling the capacity as needed. */
  #reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    const d = this.#dim!;
    let cap = Math.max(this.#capacity, 256);
    while (cap < rows) cap *= 2;
    const scratchFloats = BLOCK * d + BLOCK * CHUNK;
    if (!this.#memory) {
      const simd = this.#preferSimd && d % 16 === 0 ? instantiateSimd() : null;
      if (simd) {
        this.#memory = simd.memory;
        this.#kernel = (qOff, nq, baseOff, n, dim, outOff) => simd.f32dists(qOff * 4, nq, baseOff * 4, n, dim * 4, outOff * 4, 0);
        this.#simd = true;
        const codes = d % CODE_STEP === 0 && d <= MAX_CODE_DIM ? instantiateSimd()! : null;
        if (codes) {
          this.#codeMemory = codes.memory;
          this.#codeDistOff = (BLOCK * d) / 2; // after BLOCK·d int16 query codes
          this.#codesOff = (this.#codeDistOff + BLOCK * CHUNK) * 4;
          this.#codeKernel = (nq, row0, n) => codes.i8dists(0, nq, this.#codesOff + row0 * d, n, d, this.#codeDistOff * 4, (this.#normsOff + row0) * 4);
        }
      } else {
        this.#memory = newMemory();
        this.#kernel = jsKernel(() => this.#f32);
      }
      this.#qOff = 0;
      this.#outOff = BLOCK * d;
      this.#baseOff = scratchFloats;
    }
    this.#grow(this.#memory, (scratchFloats + cap * d) * 4, rows);
    this.#f32 = new Float32Array(this.#memory.buffer);
    if (this.#codeMemory) {
      const normsOff = (this.#codesOff + cap * d) / 4;
      this.#grow(this.#codeMemory, (normsOff + cap) * 4, rows);
      const buffer = this.#codeMemory.buffer;
      [this.#codes, this.#queryCodes, this.#codeDist] = [new Int8Array(buffer), new Int16Array(buffer), new Int32Array(buffer)];
      this.#codeDist.copyWithin(normsOff, this.#normsOff, this.#normsOff + this.#size);
      this.#normsOff = normsOff;
      const err = new Float32Array(cap);
      err.set(this.#err.subarray(0, this.#size));
      this.#err = err;
    }
    const ids = new Float64Array(cap);
    ids.set(this.#ids.subarray(0, this.#size));
    this.#ids = ids;
    const person = new Int32Array(cap);
    person.set(this.#person.subarray(0, this.#size));
    this.#person = person;
    this.#capacity = cap;
  }

  #grow(memory: WasmMemory, bytes: number, rows: number): void {
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch (cause) {
      throw new FacerecError('INVALID_ARGUMENT', `The face index cannot grow to ${rows} faces of dimension ${this.#dim} (${(bytes / 2 ** 30).toFixed(1)} GiB, over the 4 GiB WebAssembly limit or out of memory).`, { cause });
    }
  }
}
