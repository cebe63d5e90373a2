/**
 * AnnIndex: approximate nearest-neighbour search (HNSW, the `usearch` native
 * library) over face embeddings, keyed by face id, persisted to a file and
 * caught up incrementally on the next start.
 *
 * Metric: squared L2 on the raw embeddings (our distances are Euclidean: callers
 * take the square root, and FaceIndex re-ranks the candidates with its own exact
 * float32 distances, so the ANN only has to FIND the neighbours).
 *
 * Persistence: `<path>` holds usearch's own file; `<path>.meta.json` holds what
 * usearch cannot tell us — the face ids inside (usearch has no key listing), the
 * build parameters, the model id and a SHA-1 of the index file. On `sync`, a
 * sidecar that doesn't match (missing, unreadable, other model/dimension/
 * parameters, index file changed or truncated, usearch refusing the file, size
 * disagreeing with the id list) means a rebuild from the gallery, with the reason
 * logged; otherwise only the faces added or removed since the save are applied.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { checkChoice, checkNumber, FacerecError, invalidArgument } from '../errors.js';

export type AnnQuantization = 'f32' | 'f16' | 'i8';

export interface AnnOptions {
  /** HNSW graph degree M (default 16): higher = better recall, more memory, slower build. */
  connectivity?: number;
  /** Candidate list size while inserting, efConstruction (default 64). */
  expansionAdd?: number;
  /**
   * Candidate list size while searching, ef (default 512; a search for k results
   * uses max(ef, k)). 512 is where 1M face-like vectors reached recall@1 0.989 on
   * queries of stored persons and the same identify answer as exact search for
   * all 500 queries (docs/benchmarks.md); 64 suffices at 100k.
   */
  expansionSearch?: number;
  /** How usearch stores the vectors (default 'f32'). */
  quantization?: AnnQuantization;
  /** Threads for building and batched search (default: all cores). */
  threads?: number;
}

/** What a rebuild or catch-up reads the gallery through: row i's face id and embedding. */
export interface AnnSource {
  readonly count: number;
  idAt(i: number): number;
  vectorAt(i: number): Float32Array;
}

export interface AnnSyncReport {
  /** Why the persisted index was not used (null when it was, or when there was no path). */
  rebuildReason: string | null;
  /** Faces added to the loaded index (or all faces, on a rebuild). */
  added: number;
  /** Faces removed from the loaded index. */
  removed: number;
}

interface Meta {
  format: 'facerec-ann/1';
  dimension: number;
  modelId: string | null;
  quantization: AnnQuantization;
  connectivity: number;
  expansionAdd: number;
  count: number;
  indexBytes: number;
  indexSha1: string;
  /** Face ids in the index, Float64 little-endian, base64. */
  ids: string;
}

const DEFAULTS = { connectivity: 16, expansionAdd: 64, expansionSearch: 512, quantization: 'f32' as AnnQuantization };
const SCALARS: Record<AnnQuantization, ScalarKind> = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 };
/** Rows handed to usearch per add() call during a rebuild (bounds the staging copy). */
const ADD_BATCH = 65536;

export class AnnIndex {
  readonly dimension: number;
  readonly modelId: string | null;
  readonly connectivity: number;
  readonly expansionAdd: number;
  readonly expansionSearch: number;
  readonly quantization: AnnQuantization;
  readonly threads: number;
  #index: Index;
  /** The face ids inside (usearch has no key listing; needed for the catch-up and the sidecar). */
  #ids = new Set<number>();
  #vectorsAdded = 0;

  constructor(dimension: number, options: AnnOptions & { modelId?: string | null } = {}) {
    this.dimension = checkNumber('dimension', dimension, { min: 1, integer: true });
    this.modelId = options.modelId ?? null;
    this.connectivity = checkNumber('ann.connectivity', options.connectivity ?? DEFAULTS.connectivity, { min: 2, max: 256, integer: true });
    this.expansionAdd = checkNumber('ann.expansionAdd', options.expansionAdd ?? DEFAULTS.expansionAdd, { min: 1, max: 4096, integer: true });
    this.expansionSearch = checkNumber('ann.expansionSearch', options.expansionSearch ?? DEFAULTS.expansionSearch, { min: 1, max: 4096, integer: true });
    this.quantization = checkChoice('ann.quantization', options.quantization ?? DEFAULTS.quantization, ['f32', 'f16', 'i8']);
    this.threads = checkNumber('ann.threads', options.threads ?? availableParallelism(), { min: 1, max: 1024, integer: true });
    this.#index = this.#newNative();
  }

  get size(): number {
    return this.#ids.size;
  }
  /** Vectors handed to usearch since construction: evidence that a catch-up added only the delta. */
  get vectorsAdded(): number {
    return this.#vectorsAdded;
  }
  has(faceId: number): boolean {
    return this.#ids.has(faceId);
  }

  /** Adds faces: `ids[i]`'s embedding is `vectors[i·dim .. (i+1)·dim)`. Ids must be new non-negative integers. */
  add(ids: ArrayLike<number>, vectors: Float32Array): void {
    const n = ids.length;
    if (vectors.length !== n * this.dimension) throw invalidArgument('vectors', `${n}×${this.dimension} floats`, `${vectors.length} floats`);
    if (n === 0) return;
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (!Number.isSafeInteger(id) || id < 0) throw invalidArgument(`ids[${i}]`, 'a non-negative integer face id', id);
      if (this.#ids.has(id)) throw invalidArgument(`ids[${i}]`, 'a face id not already in the ANN index', id);
      keys[i] = BigInt(id);
    }
    this.#index.add(keys, vectors, this.threads);
    for (let i = 0; i < n; i++) this.#ids.add(ids[i]!);
    this.#vectorsAdded += n;
  }

  /** Removes these faces (unknown ids are ignored); returns how many were removed. */
  remove(ids: Iterable<number>): number {
    const present = [...new Set(ids)].filter((id) => this.#ids.has(id));
    if (present.length === 0) return 0;
    this.#index.remove(BigUint64Array.from(present, (id) => BigInt(id)));
    for (const id of present) this.#ids.delete(id);
    return present.length;
  }

  /**
   * The (approximately) k nearest faces of each query, nearest first: face ids
   * and squared L2 distances as usearch computed them (quantized when
   * `quantization` isn't f32). Batches use `threads` threads.
   */
  searchBatch(queries: readonly Float32Array[], k: number): { ids: number[]; distances2: number[] }[] {
    checkNumber('k', k, { min: 1, integer: true });
    if (queries.length === 0) return [];
    const d = this.dimension;
    queries.forEach((q, i) => {
      if (!(q instanceof Float32Array) || q.length !== d) throw invalidArgument(`queries[${i}]`, `a Float32Array of length ${d}`, q);
    });
    if (this.#ids.size === 0) return queries.map(() => ({ ids: [], distances2: [] }));
    const flat = new Float32Array(queries.length * d);
    queries.forEach((q, i) => flat.set(q, i * d));
    // usearch returns Matches for one query and BatchMatches for several.
    const raw = this.#index.search(flat, k, queries.length === 1 ? 1 : this.threads) as unknown as {
      keys: BigUint64Array;
      distances: Float32Array;
      counts?: BigUint64Array;
    };
    return queries.map((_, qi) => {
      const off = raw.counts ? qi * k : 0;
      const count = raw.counts ? Number(raw.counts[qi]) : raw.keys.length;
      const ids: number[] = [];
      const distances2: number[] = [];
      for (let j = 0; j < count; j++) {
        ids.push(Number(raw.keys[off + j]!));
        distances2.push(raw.distances[off + j]!);
      }
      return { ids, distances2 };
    });
  }

  search(query: Float32Array, k: number): { ids: number[]; distances2: number[] } {
    return this.searchBatch([query], k)[0]!;
  }

  /** Writes `<path>` and `<path>.meta.json` (each to a temporary name first, then renamed). */
  async save(path: string): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      this.#index.save(tmp);
    } catch (cause) {
      throw new FacerecError('IO_ERROR', `Cannot write the ANN index file ${tmp}: ${(cause as Error).message}`, { cause });
    }
    const { bytes, sha1 } = await fileDigest(tmp);
    const ids = Float64Array.from(this.#ids);
    const meta: Meta = {
      format: 'facerec-ann/1',
      dimension: this.dimension,
      modelId: this.modelId,
      quantization: this.quantization,
      connectivity: this.connectivity,
      expansionAdd: this.expansionAdd,
      count: ids.length,
      indexBytes: bytes,
      indexSha1: sha1,
      ids: Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength).toString('base64'),
    };
    renameSync(tmp, path);
    writeFileSync(`${path}.meta.json.tmp-${process.pid}`, JSON.stringify(meta));
    renameSync(`${path}.meta.json.tmp-${process.pid}`, `${path}.meta.json`);
  }

  /** Makes this index hold exactly the faces of `source`, built from scratch, nothing persisted. */
  build(source: AnnSource, onProgress?: (done: number, total: number) => void): void {
    this.#index = this.#newNative();
    this.#ids.clear();
    this.#addRows(source, Array.from({ length: source.count }, (_, i) => i), onProgress);
  }

  /**
   * Makes this (empty) index hold exactly the faces of `source`: loads `path`
   * when its sidecar matches and applies the difference, else builds from
   * `source` (logging why the file was not used). Saves afterwards when
   * anything changed and `path` is given.
   */
  async sync(source: AnnSource, path: string | null, log: (message: string) => void = () => {}, onProgress?: (done: number, total: number) => void): Promise<AnnSyncReport> {
    if (this.#ids.size > 0) throw new FacerecError('INVALID_ARGUMENT', 'AnnIndex.sync() needs an empty index (it loads or builds the whole gallery).');
    let rebuildReason: string | null = null;
    let added = 0, removed = 0;
    const loaded = path === null ? null : await this.#tryLoad(path);
    if (loaded !== null && typeof loaded === 'string') rebuildReason = loaded;
    if (loaded !== null && typeof loaded !== 'string') {
      const wanted = new Map<number, number>(); // face id → source row
      for (let i = 0; i < source.count; i++) wanted.set(source.idAt(i), i);
      const stale = [...loaded].filter((id) => !wanted.has(id));
      removed = this.remove(stale);
      const rows: number[] = [];
      for (const [id, row] of wanted) if (!this.#ids.has(id)) rows.push(row);
      added = this.#addRows(source, rows, onProgress);
    } else {
      if (rebuildReason !== null) log(`Rebuilding the ANN index ${path}: ${rebuildReason}`);
      this.build(source, onProgress);
      added = source.count;
    }
    if (path !== null && (rebuildReason !== null || loaded === null || added > 0 || removed > 0)) await this.save(path);
    return { rebuildReason, added, removed };
  }

  // -------------------------------------------------------------------------

  #newNative(): Index {
    return new Index({
      dimensions: this.dimension,
      metric: MetricKind.L2sq,
      quantization: SCALARS[this.quantization],
      connectivity: this.connectivity,
      expansion_add: this.expansionAdd,
      expansion_search: this.expansionSearch,
      multi: false,
    });
  }

  #addRows(source: AnnSource, rows: readonly number[], onProgress?: (done: number, total: number) => void): number {
    const d = this.dimension;
    for (let b = 0; b < rows.length; b += ADD_BATCH) {
      const part = rows.slice(b, b + ADD_BATCH);
      const vectors = new Float32Array(part.length * d);
      const ids = part.map((row, i) => {
        const v = source.vectorAt(row);
        if (v.length !== d) throw invalidArgument(`embedding of face ${source.idAt(row)}`, `length ${d}`, `length ${v.length}`);
        vectors.set(v, i * d);
        return source.idAt(row);
      });
      this.add(ids, vectors);
      onProgress?.(b + part.length, rows.length);
    }
    return rows.length;
  }

  /**
   * Loads `path` into a fresh native index. Returns the ids it holds, null when
   * there is no file (a first start: nothing to log), or the reason not to trust it.
   */
  async #tryLoad(path: string): Promise<Set<number> | string | null> {
    const metaPath = `${path}.meta.json`;
    if (!existsSync(path) && !existsSync(metaPath)) return null;
    if (!existsSync(path)) return `the index file is missing (only ${metaPath} exists)`;
    if (!existsSync(metaPath)) return `its sidecar ${metaPath} is missing`;
    let meta: Meta;
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Meta;
    } catch (err) {
      return `its sidecar ${metaPath} is unreadable (${(err as Error).message})`;
    }
    if (meta?.format !== 'facerec-ann/1') return `its sidecar ${metaPath} has an unknown format ${JSON.stringify(meta?.format)}`;
    const mismatch = (['dimension', 'modelId', 'quantization', 'connectivity', 'expansionAdd'] as const).find((f) => meta[f] !== this[f]);
    if (mismatch) return `it was built with ${mismatch} ${JSON.stringify(meta[mismatch])}, this gallery needs ${JSON.stringify(this[mismatch])}`;
    const { bytes, sha1 } = await fileDigest(path);
    if (bytes !== meta.indexBytes || sha1 !== meta.indexSha1) return `the index file changed since it was saved (${bytes} bytes, SHA-1 ${sha1}; the sidecar says ${meta.indexBytes} bytes, ${meta.indexSha1})`;
    const buf = Buffer.from(typeof meta.ids === 'string' ? meta.ids : '', 'base64');
    if (buf.length !== meta.count * 8) return `its sidecar lists ${buf.length / 8} face ids but says ${meta.count}`;
    const ids = new Float64Array(new Uint8Array(buf).buffer);
    const native = this.#newNative();
    try {
      native.load(path);
    } catch (err) {
      return `usearch cannot load it (${(err as Error).message})`;
    }
    if (native.size() !== meta.count || native.dimensions() !== this.dimension) {
      return `it holds ${native.size()} vectors of dimension ${native.dimensions()}, the sidecar says ${meta.count} of dimension ${this.dimension}`;
    }
    this.#index = native;
    this.#ids = new Set(ids);
    if (this.#ids.size !== meta.count) return `its sidecar lists duplicate face ids`;
    return this.#ids;
  }
}

async function fileDigest(path: string): Promise<{ bytes: number; sha1: string }> {
  const hash = createHash('sha1');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha1: hash.digest('hex') };
}
