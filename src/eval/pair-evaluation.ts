/**
 * The LFW verification protocol end to end: read the pair files, encode every
 * distinct image once (with each encoding variant), then report accuracy the
 * way the field does — single split for View 1 (threshold from DevTrain,
 * accuracy on DevTest), 10-fold for View 2 — with ROC AUC, TAR at FAR 1e-3 and
 * how the faces were found.
 */
import { euclideanDistance } from '../match/face-distance.js';
import type { PipelinePool } from '../pool/pipeline-pool.js';
import type { EncodeOptions } from '../face-recognizer.js';
import { readLfwPairs, type LfwPair, type LfwPairSet } from './lfw-pairs.js';
import {
  auc,
  bestThreshold,
  kFoldAccuracy,
  pairedComparison,
  rocCurve,
  singleSplitAccuracy,
  tarAtFar,
  type PairedComparison,
  type RocPoint,
} from './verification-metrics.js';
import type { SubjectSource, VerificationFaceResult } from './verification-face-task.js';

export interface EncodingVariant {
  name: string;
  options: EncodeOptions;
}

export interface PairEvaluationOptions {
  /** The pairs accuracy is reported on (View 1 DevTest, or View 2 pairs.txt). */
  pairsFile: string;
  /** View 1 only: the pairs the threshold is chosen on (DevTrain). */
  trainPairsFile?: string;
  /** Folder holding the per-person folders. */
  root: string;
  variants: readonly EncodingVariant[];
  /** Accept faces scoring down to this when none reaches 0.5 (0 = off). */
  lowScoreThreshold: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface VariantReport {
  name: string;
  options: EncodeOptions;
  protocol: 'single-split' | '10-fold';
  /** Test accuracy (single split) or mean of the fold accuracies (k-fold). */
  accuracy: number;
  /** k-fold only: sample std and standard error of the fold accuracies. */
  std?: number;
  standardError?: number;
  /** The threshold chosen on the training pairs (single split) or the mean of the folds' thresholds. */
  threshold: number;
  /** The threshold that would be best on the reported pairs themselves (optimistic; for reference). */
  bestGlobalThreshold: number;
  bestGlobalAccuracy: number;
  auc: number;
  tarAtFar1e3: { tar: number; resolvable: boolean; minObservableFar: number };
  /** Accuracy had images without a face ≥ 0.5 used the centre-box fallback instead of a low-score face. */
  accuracyWithoutLowScoreRule?: number;
  roc: RocPoint[];
  /** Per reported pair, in file order. */
  correct: boolean[];
}

export interface PairEvaluationReport {
  pairsFile: string;
  trainPairsFile?: string;
  pairs: number;
  images: number;
  faces: Record<SubjectSource | 'unreadable', number>;
  lowScoreThreshold: number;
  fallback: string;
  variants: VariantReport[];
  /** Each variant against the first, on the same pairs (McNemar exact test). */
  comparisons: (PairedComparison & { a: string; b: string })[];
  unreadable: { file: string; message: string }[];
  seconds: number;
}

function distancesFor(pairs: readonly LfwPair[], encodings: Map<string, VerificationFaceResult>, variant: number, lowScoreRule: boolean): number[] {
  const enc = (path: string) => {
    const r = encodings.get(path)!;
    if (!r.encodings.length) return undefined;
    return !lowScoreRule && r.centreBoxEncodings ? r.centreBoxEncodings[variant]! : r.encodings[variant]!;
  };
  return pairs.map((p) => {
    const a = enc(p.pathA);
    const b = enc(p.pathB);
    // An unreadable image cannot be matched: count its pair as maximally distant.
    return a && b ? euclideanDistance(a, b) : 4;
  });
}

/** Reads at most ~400 ROC points into the report: enough for a picture, small as JSON. */
function thinRoc(points: readonly RocPoint[]): RocPoint[] {
  if (points.length <= 400) return [...points];
  const step = points.length / 400;
  const out: RocPoint[] = [];
  for (let i = 0; i < 400; i++) out.push(points[Math.floor(i * step)]!);
  out.push(points[points.length - 1]!);
  return out.map((p) => ({ ...p, threshold: Number.isFinite(p.threshold) ? p.threshold : p.threshold > 0 ? 99 : -99 }));
}

export async function evaluatePairs(pool: PipelinePool, options: PairEvaluationOptions): Promise<PairEvaluationReport> {
  const start = performance.now();
  const test: LfwPairSet = await readLfwPairs(options.pairsFile, options.root);
  const train: LfwPairSet | undefined = options.trainPairsFile ? await readLfwPairs(options.trainPairsFile, options.root) : undefined;
  if (test.format === 'view1' && !train) {
    throw new Error(`${options.pairsFile} is a View 1 pair file: give the training pairs too (--train-pairs pairsDevTrain.txt) so the threshold is chosen on them`);
  }
  const allPairs = [...(train?.pairs ?? []), ...test.pairs];
  const files = [...new Set(allPairs.flatMap((p) => [p.pathA, p.pathB]))];
  const variants = options.variants.map((v) => v.options);
  const results = new Map<string, VerificationFaceResult>();
  let done = 0;
  await Promise.all(
    files.map((file) =>
      pool.run('verification-face', file, { variants, lowScoreThreshold: options.lowScoreThreshold }).then((r) => {
        results.set(file, r);
        options.onProgress?.(++done, files.length, file);
      }),
    ),
  );

  const faces: PairEvaluationReport['faces'] = { detected: 0, 'low-score': 0, 'centre-box': 0, unreadable: 0 };
  const unreadable: PairEvaluationReport['unreadable'] = [];
  for (const r of results.values()) {
    if (r.error) {
      faces.unreadable++;
      unreadable.push({ file: r.file, message: r.error.message });
    } else faces[r.source!]++;
  }

  const testSame = test.pairs.map((p) => p.same);
  const reports: VariantReport[] = options.variants.map((variant, v) => {
    const testDist = distancesFor(test.pairs, results, v, true);
    const roc = rocCurve(testDist, testSame);
    const best = bestThreshold(testDist, testSame);
    const tar = tarAtFar(roc, 1e-3);
    const common = {
      name: variant.name,
      options: variant.options,
      bestGlobalThreshold: best.threshold,
      bestGlobalAccuracy: best.accuracy,
      auc: auc(roc),
      tarAtFar1e3: { tar: tar.tar, resolvable: tar.resolvable, minObservableFar: tar.minObservableFar },
      roc: thinRoc(roc.points),
    };
    const accuracyOf = (lowScoreRule: boolean) => {
      const d = distancesFor(test.pairs, results, v, lowScoreRule);
      if (train) {
        const trainDist = distancesFor(train.pairs, results, v, lowScoreRule);
        return singleSplitAccuracy({ distances: trainDist, same: train.pairs.map((p) => p.same) }, { distances: d, same: testSame });
      }
      return kFoldAccuracy(
        d,
        testSame,
        test.pairs.map((p) => p.fold),
      );
    };
    const main = accuracyOf(true);
    const withoutRule = faces['low-score'] > 0 && options.lowScoreThreshold > 0 ? accuracyOf(false) : undefined;
    const acc = (r: typeof main) => ('test' in r ? r.test.accuracy : r.mean);
    if ('test' in main) {
      return {
        ...common,
        protocol: 'single-split' as const,
        accuracy: main.test.accuracy,
        threshold: main.threshold,
        accuracyWithoutLowScoreRule: withoutRule && acc(withoutRule),
        correct: main.correct,
      };
    }
    return {
      ...common,
      protocol: '10-fold' as const,
      accuracy: main.mean,
      std: main.std,
      standardError: main.standardError,
      threshold: main.folds.reduce((s, f) => s + f.threshold, 0) / main.folds.length,
      accuracyWithoutLowScoreRule: withoutRule && acc(withoutRule),
      correct: main.correct,
    };
  });

  const comparisons = reports.slice(1).map((r) => ({ a: reports[0]!.name, b: r.name, ...pairedComparison(reports[0]!.correct, r.correct) }));
  return {
    pairsFile: options.pairsFile,
    trainPairsFile: options.trainPairsFile,
    pairs: test.pairs.length,
    images: files.length,
    faces,
    lowScoreThreshold: options.lowScoreThreshold,
    fallback:
      'the face nearest the image centre among detections scoring ≥ 0.5; if none, among those ≥ the low-score threshold; if none, a centred square box of 45% of the shorter side',
    variants: reports,
    comparisons,
    unreadable,
    seconds: (performance.now() - start) / 1000,
  };
}
