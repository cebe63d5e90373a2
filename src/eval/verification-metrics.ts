/**
 * Face-verification metrics on per-pair distances (smaller = more alike) and same/different labels.
 *
 * Decision rule everywhere: a pair is called "same" when `distance <= threshold`.
 * Candidate thresholds are `-Infinity` (call every pair different), the midpoints between
 * consecutive distinct sorted distances, and `+Infinity` (call every pair same).
 */

export type Labels = ArrayLike<boolean>;
export type Distances = ArrayLike<number>;

export interface Confusion {
  /** Same pairs called same. */
  tp: number;
  /** Different pairs called same (false accepts). */
  fp: number;
  /** Different pairs called different. */
  tn: number;
  /** Same pairs called different (false rejects). */
  fn: number;
}

export interface AccuracyResult extends Confusion {
  threshold: number;
  correct: number;
  total: number;
  accuracy: number;
}

export interface ThresholdResult {
  threshold: number;
  correct: number;
  total: number;
  accuracy: number;
}

export interface FoldResult extends AccuracyResult {
  /** The fold id as given. */
  fold: number;
  /** Accuracy of the chosen threshold on the other folds it was chosen on. */
  trainAccuracy: number;
}

export interface KFoldResult {
  folds: FoldResult[];
  /** Unweighted mean of the per-fold accuracies (the LFW convention). */
  mean: number;
  /** Sample standard deviation (n − 1) of the per-fold accuracies. */
  std: number;
  /** std / √k, the "standard error of the mean" that LFW results report. */
  standardError: number;
  /** All held-out pairs pooled: correct / total. */
  pooledAccuracy: number;
  /** Per pair (input order): was it classified correctly with its held-out fold's threshold? */
  correct: boolean[];
}

export interface SingleSplitResult {
  threshold: number;
  trainAccuracy: number;
  test: AccuracyResult;
  /** Per test pair (input order): classified correctly? */
  correct: boolean[];
}

export interface RocPoint {
  /** Pairs with `distance <= threshold` are accepted; -Infinity for the (0, 0) start. */
  threshold: number;
  /** False accept rate: accepted different pairs / all different pairs. */
  far: number;
  /** True accept rate: accepted same pairs / all same pairs. */
  tar: number;
}

export interface RocCurve {
  /** From (0, 0) to (1, 1), one point per distinct distance; FAR and TAR never decrease. */
  points: RocPoint[];
  positives: number;
  negatives: number;
}

export interface TarAtFarResult {
  targetFar: number;
  /** TAR read off the ROC by linear interpolation at `targetFar` (see {@link tarAtFar}). */
  tar: number;
  /** The best real operating point with FAR <= targetFar (no interpolation). */
  operating: RocPoint;
  /** 1 / negatives: FARs below it cannot be observed on this set. */
  minObservableFar: number;
  /** False when targetFar < 1 / negatives, i.e. the set has too few different pairs to measure it. */
  resolvable: boolean;
}

export interface PairedComparison {
  n: number;
  bothCorrect: number;
  /** Pairs only method A gets right (McNemar's b). */
  onlyA: number;
  /** Pairs only method B gets right (McNemar's c). */
  onlyB: number;
  bothWrong: number;
  accuracyA: number;
  accuracyB: number;
  /** Exact two-sided McNemar p-value (binomial test of onlyA vs onlyB with p = ½); 1 when they never disagree. */
  pValue: number;
}

function check(distances: Distances, same: Labels, what = 'pairs'): void {
  if (distances.length !== same.length)
    throw new RangeError(`${what}: ${distances.length} distances but ${same.length} labels`);
  for (let i = 0; i < distances.length; i++)
    if (!Number.isFinite(distances[i]!)) throw new RangeError(`${what}: distance ${i} is ${distances[i]}, expected a finite number`);
}

/** Confusion counts and accuracy when pairs with `distance <= threshold` are called same. */
export function accuracyAt(distances: Distances, same: Labels, threshold: number): AccuracyResult {
  check(distances, same);
  if (Number.isNaN(threshold)) throw new RangeError('threshold is NaN');
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < distances.length; i++) {
    const accept = distances[i]! <= threshold;
    if (same[i]) accept ? tp++ : fn++;
    else accept ? fp++ : tn++;
  }
  const total = distances.length;
  const correct = tp + tn;
  return { threshold, tp, fp, tn, fn, correct, total, accuracy: total === 0 ? NaN : correct / total };
}

/** Per pair: is it classified correctly at `threshold`? */
export function outcomesAt(distances: Distances, same: Labels, threshold: number): boolean[] {
  check(distances, same);
  const out: boolean[] = [];
  for (let i = 0; i < distances.length; i++) out.push(distances[i]! <= threshold === Boolean(same[i]));
  return out;
}

function sortedOrder(distances: Distances): number[] {
  const idx = Array.from({ length: distances.length }, (_, i) => i);
  idx.sort((a, b) => distances[a]! - distances[b]! || a - b);
  return idx;
}

/** A threshold strictly between a and b (a < b) such that `a <= t < b`, robust to adjacent doubles. */
function between(a: number, b: number): number {
  const t = a + (b - a) / 2;
  return t >= b ? a : t;
}

/**
 * The threshold with the highest accuracy on a set, searched over all candidates (see module doc).
 * Tie-break: among equally accurate candidates the smallest threshold wins (the most conservative:
 * fewest false accepts), so the result is deterministic and independent of the input order.
 */
export function bestThreshold(distances: Distances, same: Labels): ThresholdResult {
  check(distances, same);
  const n = distances.length;
  if (n === 0) throw new RangeError('bestThreshold: no pairs');
  const order = sortedOrder(distances);
  let correct = 0;
  for (let i = 0; i < n; i++) if (!same[i]) correct++; // threshold -Infinity: every pair called different
  let best = { threshold: -Infinity, correct };
  for (let k = 0; k < n; ) {
    const d = distances[order[k]!]!;
    while (k < n && distances[order[k]!]! === d) {
      correct += same[order[k]!] ? 1 : -1;
      k++;
    }
    if (correct > best.correct) best = { threshold: k < n ? between(d, distances[order[k]!]!) : Infinity, correct };
  }
  return { threshold: best.threshold, correct: best.correct, total: n, accuracy: best.correct / n };
}

function pick<T>(xs: ArrayLike<T>, idx: number[]): T[] {
  return idx.map((i) => xs[i]!);
}

/**
 * k-fold protocol: for each fold, the threshold is chosen ({@link bestThreshold}) on all other
 * folds and the accuracy is measured on the held-out fold. `folds[i]` is pair i's fold id (any
 * numbers; at least two distinct ids). For LFW View 2 pass the parsed `fold` of each pair.
 */
export function kFoldAccuracy(distances: Distances, same: Labels, folds: ArrayLike<number>): KFoldResult {
  check(distances, same);
  if (folds.length !== distances.length) throw new RangeError(`kFoldAccuracy: ${distances.length} distances but ${folds.length} fold ids`);
  const ids = [...new Set(Array.from(folds))].sort((a, b) => a - b);
  if (ids.length < 2) throw new RangeError(`kFoldAccuracy: need at least 2 folds, got ${ids.length}`);
  const correctPerPair: boolean[] = new Array<boolean>(distances.length).fill(false);
  const results: FoldResult[] = [];
  let pooledCorrect = 0;
  for (const fold of ids) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < folds.length; i++) (folds[i] === fold ? test : train).push(i);
    const chosen = bestThreshold(pick(distances, train), pick(same, train));
    const acc = accuracyAt(pick(distances, test), pick(same, test), chosen.threshold);
    for (const i of test) correctPerPair[i] = distances[i]! <= chosen.threshold === Boolean(same[i]);
    pooledCorrect += acc.correct;
    results.push({ fold, trainAccuracy: chosen.accuracy, ...acc });
  }
  const accs = results.map((r) => r.accuracy);
  const mean = accs.reduce((s, a) => s + a, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((s, a) => s + (a - mean) ** 2, 0) / (accs.length - 1));
  return { folds: results, mean, std, standardError: std / Math.sqrt(accs.length), pooledAccuracy: pooledCorrect / distances.length, correct: correctPerPair };
}

/** Fold ids 0..k-1 assigned round-robin (pair i → i mod k), which stratifies label-sorted lists. */
export function interleavedFolds(n: number, k: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`interleavedFolds: k must be an integer >= 2, got ${k}`);
  return Array.from({ length: n }, (_, i) => i % k);
}

/** Single split (e.g. LFW View 1): threshold chosen on `train`, accuracy measured on `test`. */
export function singleSplitAccuracy(
  train: { distances: Distances; same: Labels },
  test: { distances: Distances; same: Labels },
): SingleSplitResult {
  const chosen = bestThreshold(train.distances, train.same);
  return {
    threshold: chosen.threshold,
    trainAccuracy: chosen.accuracy,
    test: accuracyAt(test.distances, test.same, chosen.threshold),
    correct: outcomesAt(test.distances, test.same, chosen.threshold),
  };
}

/**
 * ROC curve over all thresholds: starts at (FAR 0, TAR 0) with threshold -Infinity, then one point
 * per distinct distance d (threshold d: all pairs with distance <= d accepted), ending at (1, 1).
 * Tied distances of both classes produce a diagonal segment, so ties count ½ in the {@link auc}.
 */
export function rocCurve(distances: Distances, same: Labels): RocCurve {
  check(distances, same);
  const n = distances.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (same[i]) positives++;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) throw new RangeError(`rocCurve: need both same and different pairs (got ${positives} same, ${negatives} different)`);
  const order = sortedOrder(distances);
  const points: RocPoint[] = [{ threshold: -Infinity, far: 0, tar: 0 }];
  let tp = 0, fp = 0;
  for (let k = 0; k < n; ) {
    const d = distances[order[k]!]!;
    while (k < n && distances[order[k]!]! === d) {
      if (same[order[k]!]) tp++;
      else fp++;
      k++;
    }
    points.push({ threshold: d, far: fp / negatives, tar: tp / positives });
  }
  return { points, positives, negatives };
}

/**
 * Area under the ROC curve by the trapezoid rule. With the ROC of {@link rocCurve} this equals the
 * Mann-Whitney probability P(distance of a same pair < distance of a different pair) + ½ P(equal).
 */
export function auc(curve: RocCurve): number {
  const p = curve.points;
  let area = 0;
  for (let i = 1; i < p.length; i++) area += (p[i]!.far - p[i - 1]!.far) * (p[i]!.tar + p[i - 1]!.tar) / 2;
  return area;
}

/**
 * TAR at a target FAR.
 *
 * Interpolation rule: `tar` is read off the ROC polyline (the same straight segments the AUC
 * integrates) at FAR = targetFar. If an ROC point lies exactly at targetFar, the highest TAR at that
 * FAR is taken; otherwise TAR is linearly interpolated between the last point with FAR < targetFar
 * and the first with FAR > targetFar. Such an interpolated value is reachable only by a randomised
 * threshold; `operating` is the conservative real operating point: the last ROC point with
 * FAR <= targetFar (highest TAR among thresholds that respect the target).
 * When targetFar < 1 / negatives the set cannot resolve it (`resolvable` = false).
 */
export function tarAtFar(curve: RocCurve, targetFar: number): TarAtFarResult {
  if (!(targetFar >= 0 && targetFar <= 1)) throw new RangeError(`tarAtFar: target FAR must be in [0, 1], got ${targetFar}`);
  const p = curve.points;
  let last = 0;
  while (last + 1 < p.length && p[last + 1]!.far <= targetFar) last++;
  const p0 = p[last]!;
  let tar = p0.tar;
  if (p0.far < targetFar && last + 1 < p.length) {
    const p1 = p[last + 1]!;
    tar = p0.tar + (p1.tar - p0.tar) * ((targetFar - p0.far) / (p1.far - p0.far));
  }
  const minObservableFar = 1 / curve.negatives;
  return { targetFar, tar, operating: p0, minObservableFar, resolvable: targetFar >= minObservableFar };
}

/**
 * Exact two-sided McNemar test: under H0 the b + c discordant pairs split Binomial(b + c, ½);
 * p = min(1, 2 · P(X <= min(b, c))). Computed in log space, so it works for any counts.
 */
export function mcnemarExactP(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) throw new RangeError(`mcnemarExactP: counts must be non-negative integers, got ${b}, ${c}`);
  const n = b + c;
  // |b − c| <= 1 means P(X <= min) >= ½, so p is exactly 1 (avoids rounding to 0.9999… for large n).
  if (Math.abs(b - c) <= 1) return 1;
  const m = Math.min(b, c);
  // log of C(n, k) / 2^n, for k = 0..m
  const logs: number[] = [];
  let logC = 0;
  for (let k = 0; k <= m; k++) {
    if (k > 0) logC += Math.log(n - k + 1) - Math.log(k);
    logs.push(logC - n * Math.LN2);
  }
  const max = Math.max(...logs);
  const tail = Math.exp(max) * logs.reduce((s, l) => s + Math.exp(l - max), 0);
  return Math.min(1, 2 * tail);
}

/**
 * Paired comparison of two methods on the same pairs from their per-pair outcomes (true = correct),
 * e.g. the `correct` arrays of two {@link kFoldAccuracy} or {@link singleSplitAccuracy} runs.
 */
export function pairedComparison(correctA: ArrayLike<boolean>, correctB: ArrayLike<boolean>): PairedComparison {
  if (correctA.length !== correctB.length) throw new RangeError(`pairedComparison: ${correctA.length} outcomes for A but ${correctB.length} for B`);
  let bothCorrect = 0, onlyA = 0, onlyB = 0, bothWrong = 0;
  for (let i = 0; i < correctA.length; i++) {
    if (correctA[i]) correctB[i] ? bothCorrect++ : onlyA++;
    else correctB[i] ? onlyB++ : bothWrong++;
  }
  const n = correctA.length;
  return {
    n,
    bothCorrect,
    onlyA,
    onlyB,
    bothWrong,
    accuracyA: (bothCorrect + onlyA) / n,
    accuracyB: (bothCorrect + onlyB) / n,
    pValue: mcnemarExactP(onlyA, onlyB),
  };
}
