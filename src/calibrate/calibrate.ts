/**
 * Calibrating the match tolerance from a gallery's own faces: genuine distances
 * (two faces of one person) and impostor distances (faces of two persons) give
 * the tolerance at which a target share of impostor pairs would be accepted
 * (the false accept rate, FAR), and the share of genuine pairs accepted there
 * (TAR). An empirical quantile needs many impostor pairs for a small FAR
 * (1e-3 needs ≥ 10,000 to rest on 10 pairs); below that, a normal distribution
 * fitted to the impostors' lower tail extrapolates, and the report says which.
 */
import { invalidArgument } from '../errors.js';
import { euclideanDistance } from '../match/face-distance.js';

export interface LabelledEmbedding {
  label: string;
  embedding: Float32Array;
}

export interface PairDistances {
  genuine: Float64Array;
  impostor: Float64Array;
  /** Persons with ≥ 2 faces (the genuine pairs' sources). */
  personsWithPairs: number;
  /** True when impostor pairs were sampled rather than all taken. */
  impostorSampled: boolean;
}

export interface PairDistanceOptions {
  /** Most impostor pairs to compute (all when there are fewer); default 2,000,000. */
  maxImpostorPairs?: number;
  /** Seed of the impostor sampling (deterministic). */
  seed?: number;
}

/** xorshift32: a small deterministic generator for sampling. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** All genuine pairs; all impostor pairs, or a seeded uniform sample of them when more than maxImpostorPairs. */
export function pairDistances(faces: readonly LabelledEmbedding[], options: PairDistanceOptions = {}): PairDistances {
  const maxImpostor = options.maxImpostorPairs ?? 2_000_000;
  const genuine: number[] = [];
  const counts = new Map<string, number>();
  for (const f of faces) counts.set(f.label, (counts.get(f.label) ?? 0) + 1);
  const n = faces.length;
  let totalImpostor = (n * (n - 1)) / 2;
  for (const c of counts.values()) totalImpostor -= (c * (c - 1)) / 2;
  const sample = totalImpostor > maxImpostor;
  const impostor: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (faces[i]!.label !== faces[j]!.label) {
        if (!sample) impostor.push(euclideanDistance(faces[i]!.embedding, faces[j]!.embedding));
      } else genuine.push(euclideanDistance(faces[i]!.embedding, faces[j]!.embedding));
    }
  }
  if (sample) {
    const next = rng(options.seed ?? 1);
    while (impostor.length < maxImpostor) {
      const i = Math.floor(next() * n);
      const j = Math.floor(next() * n);
      if (faces[i]!.label === faces[j]!.label) continue;
      impostor.push(euclideanDistance(faces[i]!.embedding, faces[j]!.embedding));
    }
  }
  return {
    genuine: Float64Array.from(genuine).sort(),
    impostor: Float64Array.from(impostor).sort(),
    personsWithPairs: [...counts.values()].filter((c) => c >= 2).length,
    impostorSampled: sample,
  };
}

/** The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The standard normal CDF (erf via Abramowitz–Stegun 7.1.26 is too coarse in the tail: use the complementary series). */
export function normalCdf(z: number): number {
  // W. J. Cody's erfc rational approximation is long; a continued fraction is accurate enough here (|error| < 1e-7).
  const t = 1 / (1 + 0.5 * Math.abs(z) / Math.SQRT2);
  const x = Math.abs(z) / Math.SQRT2;
  const erfc =
    t *
    Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Share of sorted values ≤ t. */
export function fractionAtMost(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length === 0 ? NaN : lo / sorted.length;
}

/** Value at quantile p of sorted values (linear interpolation, type 7). */
export function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

export interface TailFit {
  mean: number;
  std: number;
  /** The impostor quantiles the fit was matched to. */
  fittedQuantiles: [number, number];
}

/**
 * A normal distribution through the impostors' 1st and 10th percentiles (the lower
 * tail is what matters for the FAR; the bulk is often skewed). With fewer than 200
 * pairs: through the 10th and 50th.
 */
export function fitImpostorTail(impostor: Float64Array): TailFit {
  const [pa, pb]: [number, number] = impostor.length >= 200 ? [0.01, 0.1] : [0.1, 0.5];
  const qa = quantile(impostor, pa);
  const qb = quantile(impostor, pb);
  const za = normalQuantile(pa);
  const zb = normalQuantile(pb);
  const std = Math.max(1e-9, (qb - qa) / (zb - za));
  return { mean: qb - std * zb, std, fittedQuantiles: [pa, pb] };
}

export interface Calibration {
  targetFar: number;
  /** The recommended tolerance: the empirical one when enough impostor pairs back it, else the fitted one. */
  tolerance: number;
  method: 'empirical' | 'fitted-tail';
  /** Largest tolerance whose observed FAR is ≤ the target (null when even the closest impostor pair is beyond the target). */
  empiricalTolerance: number | null;
  fittedTolerance: number;
  fit: TailFit;
  /** Impostor pairs at or below the empirical tolerance: how many pairs back the quantile. */
  impostorPairsBelow: number;
  /** Impostor pairs needed for an empirical estimate resting on `minPairsBelow` pairs. */
  impostorPairsNeeded: number;
  genuinePairs: number;
  impostorPairs: number;
  /** Share of genuine pairs accepted at the tolerance. */
  expectedTar: number;
  /** FAR predicted at the tolerance: observed (empirical) or from the fit (fitted-tail). */
  predictedFar: number;
  /** Observed FAR of the gallery's own impostor pairs at the tolerance. */
  observedFar: number;
}

export interface CalibrateOptions {
  /** Impostor pairs below the tolerance needed to trust the empirical quantile (default 10). */
  minPairsBelow?: number;
}

/** The tolerance for `targetFar` from genuine and impostor distances (each sorted ascending). */
export function calibrateTolerance(distances: Pick<PairDistances, 'genuine' | 'impostor'>, targetFar: number, options: CalibrateOptions = {}): Calibration {
  if (!(typeof targetFar === 'number' && targetFar > 0 && targetFar < 1)) throw invalidArgument('far', 'a false accept rate between 0 and 1 (e.g. 0.001)', targetFar);
  const { genuine, impostor } = distances;
  if (genuine.length === 0) throw invalidArgument('genuine pairs', 'at least one person with 2 or more faces', 'none');
  if (impostor.length < 2) throw invalidArgument('impostor pairs', 'at least 2 persons', `${impostor.length} pairs`);
  const minBelow = options.minPairsBelow ?? 10;
  const n = impostor.length;
  // Largest t with #{d ≤ t} / n ≤ target: just below the (k+1)-th smallest impostor distance.
  const k = Math.floor(targetFar * n + 1e-9);
  const empirical = k === 0 ? null : k >= n ? impostor[n - 1]! : (impostor[k - 1]! + impostor[k]!) / 2;
  const fit = fitImpostorTail(impostor);
  const fitted = fit.mean + fit.std * normalQuantile(targetFar);
  const method = empirical !== null && k >= minBelow ? 'empirical' : 'fitted-tail';
  const tolerance = method === 'empirical' ? empirical! : fitted;
  const observedFar = fractionAtMost(impostor, tolerance);
  return {
    targetFar,
    tolerance,
    method,
    empiricalTolerance: empirical,
    fittedTolerance: fitted,
    fit,
    impostorPairsBelow: k,
    impostorPairsNeeded: Math.ceil(minBelow / targetFar),
    genuinePairs: genuine.length,
    impostorPairs: n,
    expectedTar: fractionAtMost(genuine, tolerance),
    predictedFar: method === 'empirical' ? observedFar : normalCdf((tolerance - fit.mean) / fit.std),
    observedFar,
  };
}

/** Where `facerec calibrate` stores its result (GalleryStore settings). */
export const TOLERANCE_SETTING = 'identify.tolerance';
export const CALIBRATION_SETTING = 'identify.tolerance.calibration';

/** The calibrated tolerance stored in a gallery, or null. A malformed value is an error naming the setting. */
export async function readCalibratedTolerance(store: { getSetting(key: string): Promise<string | null> }): Promise<number | null> {
  const raw = await store.getSetting(TOLERANCE_SETTING);
  if (raw === null) return null;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || v > 2) throw invalidArgument(`the gallery setting "${TOLERANCE_SETTING}"`, 'a distance in (0, 2] (run facerec calibrate again)', raw);
  return v;
}
