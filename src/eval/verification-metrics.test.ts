import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accuracyAt,
  auc,
  bestThreshold,
  interleavedFolds,
  kFoldAccuracy,
  mcnemarExactP,
  outcomesAt,
  pairedComparison,
  rocCurve,
  singleSplitAccuracy,
  tarAtFar,
} from './verification-metrics.js';

const T = true;
const F = false;
const close = (a: number, b: number, eps = 1e-12, msg?: string) => assert.ok(Math.abs(a - b) <= eps, `${msg ?? ''} expected ${b}, got ${a}`);

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Synthetic verification set: same pairs around 0.4, different around 0.7, overlapping; quantised to create ties. */
function synthetic(n: number, seed: number) {
  const r = lcg(seed);
  const distances: number[] = [];
  const same: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const s = i % 2 === 0;
    distances.push(Math.round(((s ? 0.4 : 0.7) + (r() + r() + r() - 1.5) * 0.3) * 100) / 100);
    same.push(s);
  }
  return { distances, same };
}

/** Independent brute force: accuracy of every candidate threshold, best by (accuracy, then smallest threshold). */
function bruteBest(d: number[], s: boolean[]) {
  const u = [...new Set(d)].sort((a, b) => a - b);
  const cands = [-Infinity, ...u.slice(1).map((v, i) => (u[i]! + v) / 2), Infinity];
  let best = { t: NaN, acc: -1 };
  for (const t of cands) {
    let c = 0;
    for (let i = 0; i < d.length; i++) if ((d[i]! <= t) === s[i]) c++;
    if (c / d.length > best.acc) best = { t, acc: c / d.length };
  }
  return best;
}

function bruteMannWhitney(d: number[], s: boolean[]) {
  let num = 0, den = 0;
  for (let i = 0; i < d.length; i++)
    for (let j = 0; j < d.length; j++)
      if (s[i] && !s[j]) {
        den++;
        num += d[i]! < d[j]! ? 1 : d[i] === d[j] ? 0.5 : 0;
      }
  return num / den;
}

test('best threshold separates perfectly separable pairs at the midpoint of the gap', () => {
  const r = bestThreshold([0.1, 0.2, 0.3, 0.4], [T, T, F, F]);
  close(r.threshold, 0.25, 1e-15);
  assert.equal(r.accuracy, 1);
  assert.equal(r.correct, 4);
});

test('best threshold breaks accuracy ties towards the smallest threshold, whatever the input order', () => {
  // Candidates: -inf → 2/4, 0.2 → 3/4, 0.35 → 2/4, 0.5 → 3/4, +inf → 2/4.
  const d = [0.1, 0.3, 0.4, 0.6];
  const s = [T, F, T, F];
  const r = bestThreshold(d, s);
  close(r.threshold, 0.2, 1e-15);
  assert.equal(r.accuracy, 0.75);
  const r2 = bestThreshold([0.6, 0.4, 0.3, 0.1], [F, T, F, T]);
  assert.equal(r2.threshold, r.threshold);
});

test('with all distances tied nothing beats calling every pair different (threshold -Infinity)', () => {
  const r = bestThreshold([0.5, 0.5, 0.5], [T, F, F]);
  assert.equal(r.threshold, -Infinity);
  close(r.accuracy, 2 / 3);
  const allSame = bestThreshold([0.5, 0.7], [T, T]);
  assert.equal(allSame.threshold, Infinity, 'only same pairs: accept everything');
  assert.equal(allSame.accuracy, 1);
});

test('best threshold agrees with a brute-force search on tied synthetic data', () => {
  for (const seed of [1, 2, 3]) {
    const { distances, same } = synthetic(301, seed);
    const r = bestThreshold(distances, same);
    const b = bruteBest(distances, same);
    close(r.accuracy, b.acc, 1e-12, `seed ${seed}`);
    close(r.threshold, b.t, 1e-12, `seed ${seed}`);
    assert.equal(accuracyAt(distances, same, r.threshold).correct, r.correct);
  }
});

test('accuracy at a threshold counts a distance equal to the threshold as "same"', () => {
  const r = accuracyAt([0.2, 0.6, 0.6, 0.9], [T, T, F, F], 0.6);
  assert.deepEqual({ tp: r.tp, fp: r.fp, tn: r.tn, fn: r.fn, correct: r.correct, total: r.total }, { tp: 2, fp: 1, tn: 1, fn: 0, correct: 3, total: 4 });
  assert.equal(r.accuracy, 0.75);
  assert.deepEqual(outcomesAt([0.2, 0.6, 0.6, 0.9], [T, T, F, F], 0.6), [T, T, F, T]);
  assert.throws(() => accuracyAt([0.1, NaN], [T, F], 0.5), /distance 1 is NaN/);
  assert.throws(() => accuracyAt([0.1], [T, F], 0.5), /1 distances but 2 labels/);
});

test('k-fold: the threshold comes from the other folds (hand-computed 2-fold example)', () => {
  // Fold 0: same 0.1, diff 0.9. Fold 1: same 0.2, diff 0.3.
  // Held-out fold 0: threshold from fold 1 = 0.25 → both right. Held-out fold 1: threshold from fold 0 = 0.5 → diff 0.3 wrongly accepted.
  const r = kFoldAccuracy([0.1, 0.9, 0.2, 0.3], [T, F, T, F], [0, 0, 1, 1]);
  assert.equal(r.folds.length, 2);
  close(r.folds[0]!.threshold, 0.25, 1e-15);
  assert.equal(r.folds[0]!.accuracy, 1);
  close(r.folds[1]!.threshold, 0.5, 1e-15);
  assert.equal(r.folds[1]!.accuracy, 0.5);
  assert.equal(r.folds[1]!.fp, 1);
  close(r.mean, 0.75);
  close(r.std, Math.sqrt(0.125), 1e-12, 'sample std (n-1)');
  close(r.standardError, Math.sqrt(0.125) / Math.sqrt(2));
  assert.deepEqual(r.correct, [T, T, T, F]);
  close(r.pooledAccuracy, 0.75);
});

test('10-fold on synthetic data matches a brute-force per-fold evaluation and is a sensible accuracy', () => {
  const { distances, same } = synthetic(600, 7);
  const folds = interleavedFolds(distances.length, 10);
  const r = kFoldAccuracy(distances, same, folds);
  assert.equal(r.folds.length, 10);
  const accs: number[] = [];
  for (let f = 0; f < 10; f++) {
    const tr = distances.map((_, i) => i).filter((i) => folds[i] !== f);
    const te = distances.map((_, i) => i).filter((i) => folds[i] === f);
    const b = bruteBest(tr.map((i) => distances[i]!), tr.map((i) => same[i]!));
    let c = 0;
    for (const i of te) if ((distances[i]! <= b.t) === same[i]) c++;
    accs.push(c / te.length);
    close(r.folds[f]!.accuracy, c / te.length, 1e-12, `fold ${f}`);
    assert.equal(r.folds[f]!.total, 60);
  }
  const mean = accs.reduce((a, b) => a + b, 0) / 10;
  close(r.mean, mean);
  close(r.std, Math.sqrt(accs.reduce((a, v) => a + (v - mean) ** 2, 0) / 9));
  assert.ok(r.mean > 0.75 && r.mean < 0.99, `overlapping classes give a realistic accuracy, got ${r.mean}`);
  assert.ok(r.std > 0);
  assert.equal(r.correct.filter(Boolean).length, Math.round(r.pooledAccuracy * 600));
  // Perfectly separable: every fold is perfect.
  const sep = kFoldAccuracy(same.map((s, i) => (s ? 0.1 : 0.8) + (i % 7) * 0.01), same, folds);
  assert.equal(sep.mean, 1);
  assert.equal(sep.std, 0);
  assert.throws(() => kFoldAccuracy([0.1, 0.2], [T, F], [0, 0]), /at least 2 folds/);
});

test('single split: threshold from train, accuracy on test', () => {
  const r = singleSplitAccuracy({ distances: [0.1, 0.2, 0.5, 0.6], same: [T, T, F, F] }, { distances: [0.3, 0.4, 0.34, 0.9], same: [T, T, F, F] });
  close(r.threshold, 0.35, 1e-15);
  assert.equal(r.trainAccuracy, 1);
  assert.equal(r.test.accuracy, 0.5, '0.3 accepted and 0.9 rejected are right; 0.4 rejected and 0.34 accepted are wrong');
  assert.deepEqual(r.correct, [T, F, F, T]);
});

test('ROC points step through every distinct distance from (0,0) to (1,1)', () => {
  const roc = rocCurve([0.1, 0.2, 0.3, 0.4], [T, F, T, F]);
  assert.deepEqual(
    roc.points.map((p) => [p.far, p.tar]),
    [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]],
  );
  assert.equal(roc.points[0]!.threshold, -Infinity);
  assert.equal(roc.points[2]!.threshold, 0.2);
  assert.equal(auc(roc), 0.75, 'three of the four same/different orderings are right');
  assert.throws(() => rocCurve([0.1, 0.2], [T, T]), /need both same and different/);
});

test('AUC: perfect separation = 1, reversed = 0, all ties = 0.5, and equals the Mann-Whitney probability', () => {
  assert.equal(auc(rocCurve([0.1, 0.2, 0.7, 0.8], [T, T, F, F])), 1);
  assert.equal(auc(rocCurve([0.1, 0.2, 0.7, 0.8], [F, F, T, T])), 0);
  assert.equal(auc(rocCurve([0.5, 0.5, 0.5, 0.5, 0.5], [T, F, F, T, F])), 0.5);
  for (const seed of [3, 4]) {
    const { distances, same } = synthetic(400, seed);
    close(auc(rocCurve(distances, same)), bruteMannWhitney(distances, same), 1e-12, `seed ${seed}`);
  }
});

test('TAR at FAR reads the ROC polyline, with a conservative real operating point', () => {
  // Negatives 1,2,3,4; positives 0.5, 2.5: points (0,0) (0,.5) (.25,.5) (.5,.5) (.5,1) (.75,1) (1,1).
  const roc = rocCurve([1, 2, 3, 4, 0.5, 2.5], [F, F, F, F, T, T]);
  const a = tarAtFar(roc, 0.1);
  assert.equal(a.tar, 0.5);
  assert.equal(a.operating.threshold, 0.5);
  assert.equal(a.resolvable, false, '4 negatives cannot measure FAR 0.1');
  assert.equal(a.minObservableFar, 0.25);
  const b = tarAtFar(roc, 0.5);
  assert.equal(b.tar, 1, 'at a FAR with a vertical ROC step, the top of the step');
  assert.equal(b.operating.threshold, 2.5);
  assert.equal(b.resolvable, true);
  // All ties → diagonal ROC: linear interpolation gives TAR = FAR, but the only real point below is (0,0).
  const diag = tarAtFar(rocCurve([1, 3, 1, 3], [T, T, F, F]), 0.25);
  assert.equal(diag.tar, 0.25);
  assert.equal(diag.operating.far, 0);
  assert.equal(diag.operating.threshold, -Infinity);
  assert.throws(() => tarAtFar(roc, 1.5), /\[0, 1\]/);
});

test('TAR at FAR 1e-3 on 2000 different pairs uses the allowed two false accepts', () => {
  // Different pairs at 1..2000; same pairs at 0.5 (×3), 1.5 (×3), 2.5 (×3), 3.5 (×1).
  const d: number[] = [];
  const s: boolean[] = [];
  for (let i = 1; i <= 2000; i++) d.push(i), s.push(F);
  for (const v of [0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5]) d.push(v), s.push(T);
  const r = tarAtFar(rocCurve(d, s), 1e-3);
  close(r.tar, 0.9, 1e-12);
  assert.equal(r.operating.threshold, 2.5);
  assert.equal(r.operating.far, 1e-3);
  assert.equal(r.resolvable, true);
});

test('McNemar exact p-values match hand-computed binomial tails', () => {
  assert.equal(mcnemarExactP(0, 0), 1);
  close(mcnemarExactP(5, 0), 2 / 32);
  close(mcnemarExactP(0, 10), 2 / 1024);
  close(mcnemarExactP(3, 7), (2 * (1 + 10 + 45 + 120)) / 1024);
  assert.equal(mcnemarExactP(4, 4), 1);
  assert.equal(mcnemarExactP(3000, 3001), 1);
  const big = mcnemarExactP(1000, 1200);
  assert.ok(big > 1e-5 && big < 5e-5, `normal approximation z ≈ 4.24 gives p ≈ 2e-5, got ${big}`);
  assert.equal(mcnemarExactP(1200, 1000), big);
  assert.throws(() => mcnemarExactP(-1, 2), /non-negative integers/);
});

test('paired comparison counts discordant pairs and tests them', () => {
  const a = [T, T, T, T, T, T, T, F, F, T];
  const b = [T, F, F, F, F, F, T, F, T, T];
  const r = pairedComparison(a, b);
  assert.deepEqual([r.bothCorrect, r.onlyA, r.onlyB, r.bothWrong], [3, 5, 1, 1]);
  close(r.accuracyA, 0.8);
  close(r.accuracyB, 0.4);
  close(r.pValue, (2 * (1 + 6)) / 64, 1e-12, 'b=5, c=1: 2·P(X≤1 | n=6)');
  assert.throws(() => pairedComparison([T], [T, F]), /1 outcomes for A but 2 for B/);
  // End to end: a better-separating method beats a worse one on the same pairs with a tiny p.
  const { distances, same } = synthetic(2000, 11);
  const r2 = lcg(5);
  const worse = distances.map((x) => x + (r2() - 0.5) * 0.5);
  const folds = interleavedFolds(2000, 10);
  const cmp = pairedComparison(kFoldAccuracy(distances, same, folds).correct, kFoldAccuracy(worse, same, folds).correct);
  assert.ok(cmp.accuracyA > cmp.accuracyB);
  assert.ok(cmp.pValue < 1e-3, `p = ${cmp.pValue}`);
});
