/**
 * Grouping faces of unknown people. Chinese Whispers (what dlib's
 * `chinese_whispers` and face_recognition's clustering example use): a graph with
 * an edge between every two faces closer than the threshold; every face starts
 * as its own label, then, in seeded random order, takes the label that weighs
 * most among its neighbours, until a whole pass changes nothing. DBSCAN is the
 * density-based alternative (faces with too few neighbours become noise).
 * Both are deterministic for a given seed/input order.
 */
import { invalidArgument } from '../errors.js';
import { euclideanDistance } from '../match/face-distance.js';

export interface ClusterOptions {
  /** Two faces closer than this are linked (default 0.5, dlib's example value). */
  threshold?: number;
  /** Clusters smaller than this get label null (noise); default 1 (every face keeps a cluster). */
  minClusterSize?: number;
}

export interface ChineseWhispersOptions extends ClusterOptions {
  /** Seed of the visiting order (default 1). */
  seed?: number;
  /** Passes at most (default 100). */
  maxPasses?: number;
}

export interface DbscanOptions extends ClusterOptions {
  /** Neighbours (the face included) a core face needs (default 2). */
  minPoints?: number;
}

function checkThreshold(t: number): number {
  if (!(typeof t === 'number' && t > 0 && t <= 2)) throw invalidArgument('threshold', 'a distance in (0, 2]', t);
  return t;
}

/** Neighbour lists with weights: edges between faces closer than the threshold; weight 1 − d/threshold/2 ∈ (0.5, 1]. */
export function neighbourGraph(embeddings: readonly Float32Array[], threshold: number): { index: number; weight: number }[][] {
  const n = embeddings.length;
  const adj: { index: number; weight: number }[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = euclideanDistance(embeddings[i]!, embeddings[j]!);
      if (d < threshold) {
        // Closer faces pull harder (dlib's face example uses unit weights; this only breaks ties better).
        const w = 1 - d / threshold / 2;
        adj[i]!.push({ index: j, weight: w });
        adj[j]!.push({ index: i, weight: w });
      }
    }
  }
  return adj;
}

/** Labels 0..k−1 by cluster size (largest first, ties by first member), null for clusters below minClusterSize. */
export function normaliseLabels(raw: ArrayLike<number>, minClusterSize = 1): (number | null)[] {
  const members = new Map<number, number[]>();
  for (let i = 0; i < raw.length; i++) members.set(raw[i]!, [...(members.get(raw[i]!) ?? []), i]);
  const groups = [...members.values()].filter((g) => g.length >= minClusterSize).sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const out: (number | null)[] = Array.from({ length: raw.length }, () => null);
  groups.forEach((g, label) => g.forEach((i) => (out[i] = label)));
  return out;
}

export function chineseWhispers(embeddings: readonly Float32Array[], options: ChineseWhispersOptions = {}): (number | null)[] {
  const threshold = checkThreshold(options.threshold ?? 0.5);
  const n = embeddings.length;
  const adj = neighbourGraph(embeddings, threshold);
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  let s = (options.seed ?? 1) >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const maxPasses = options.maxPasses ?? 100;
  for (let pass = 0; pass < maxPasses; pass++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let changed = false;
    for (const v of order) {
      if (adj[v]!.length === 0) continue;
      const weights = new Map<number, number>();
      for (const e of adj[v]!) weights.set(labels[e.index]!, (weights.get(labels[e.index]!) ?? 0) + e.weight);
      let best = labels[v]!;
      let bestW = -1;
      for (const [label, w] of weights) if (w > bestW + 1e-12 || (Math.abs(w - bestW) <= 1e-12 && label < best)) [best, bestW] = [label, w];
      if (best !== labels[v]) {
        labels[v] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return normaliseLabels(labels, options.minClusterSize ?? 1);
}

/** DBSCAN with Euclidean distance < threshold as the neighbourhood; noise → null. */
export function dbscan(embeddings: readonly Float32Array[], options: DbscanOptions = {}): (number | null)[] {
  const threshold = checkThreshold(options.threshold ?? 0.5);
  const minPoints = options.minPoints ?? 2;
  const adj = neighbourGraph(embeddings, threshold);
  const n = embeddings.length;
  const raw = new Int32Array(n).fill(-1);
  const core = (i: number) => adj[i]!.length + 1 >= minPoints;
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (raw[i] !== -1 || !core(i)) continue;
    const label = next++;
    raw[i] = label;
    const queue = [i];
    while (queue.length > 0) {
      const v = queue.pop()!;
      if (!core(v)) continue;
      for (const e of adj[v]!) {
        if (raw[e.index] === -1) {
          raw[e.index] = label;
          queue.push(e.index);
        }
      }
    }
  }
  // Noise gets unique negative labels, then null.
  const labels = normaliseLabels(Array.from(raw, (l, i) => (l === -1 ? -1 - i : l)), options.minClusterSize ?? 1);
  return labels.map((l, i) => (raw[i] === -1 ? null : l));
}

export interface ClusterScores {
  /** Of the pairs put in one cluster, the share that are one person. */
  pairwisePrecision: number;
  /** Of the pairs of one person, the share put in one cluster. */
  pairwiseRecall: number;
  pairwiseF: number;
  bcubedPrecision: number;
  bcubedRecall: number;
  bcubedF: number;
  clusters: number;
  persons: number;
}

/** Pairwise and BCubed precision/recall/F of predicted labels against true ones (noise = a singleton each). */
export function scoreClustering(predicted: readonly (number | null)[], truth: readonly string[]): ClusterScores {
  if (predicted.length !== truth.length) throw invalidArgument('predicted', `${truth.length} labels (one per face)`, `${predicted.length}`);
  const n = truth.length;
  const pred = predicted.map((l, i) => (l === null ? `noise-${i}` : `c${l}`));
  let tp = 0;
  let predPairs = 0;
  let truePairs = 0;
  let bp = 0;
  let br = 0;
  for (let i = 0; i < n; i++) {
    let sameBoth = 1;
    let samePred = 1;
    let sameTrue = 1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const p = pred[i] === pred[j];
      const t = truth[i] === truth[j];
      if (p) samePred++;
      if (t) sameTrue++;
      if (p && t) sameBoth++;
      if (j > i) {
        if (p) predPairs++;
        if (t) truePairs++;
        if (p && t) tp++;
      }
    }
    bp += sameBoth / samePred;
    br += sameBoth / sameTrue;
  }
  const f = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
  const pairwisePrecision = predPairs > 0 ? tp / predPairs : 1;
  const pairwiseRecall = truePairs > 0 ? tp / truePairs : 1;
  const bcubedPrecision = bp / n;
  const bcubedRecall = br / n;
  return {
    pairwisePrecision,
    pairwiseRecall,
    pairwiseF: f(pairwisePrecision, pairwiseRecall),
    bcubedPrecision,
    bcubedRecall,
    bcubedF: f(bcubedPrecision, bcubedRecall),
    clusters: new Set(pred).size,
    persons: new Set(truth).size,
  };
}
