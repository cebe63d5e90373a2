/**
 * Accuracy measurements of issue 7 on LFW View 1 (not a speed benchmark):
 *  1. calibration: tolerance for FAR 1e-2 / 1e-3 estimated on DevTrain, FAR and TAR
 *     then measured on DevTest (its pairs, and every cross-person pair of its images);
 *  2. quality curve: DevTest pairs sorted by min(quality), lowest 0–30% dropped,
 *     accuracy at the DevTrain threshold; the quality distribution (for --min-quality).
 * Encodings are cached (FACEREC_LFW_CACHE, default /tmp/facerec-lfw-view1-quality.json)
 * so re-runs take seconds.
 *
 *   npx tsx bench/lfw-quality-calibration.ts [--svg-dir docs]
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { calibrateTolerance, fractionAtMost, pairDistances, type Calibration } from '../src/calibrate/calibrate.js';
import { renderHistogramSvg, renderLineSvg } from '../src/calibrate/histogram-svg.js';
import { DEFAULT_ENCODE_OPTIONS } from '../src/face-recognizer.js';
import { readLfwPairs, type LfwPair } from '../src/eval/lfw-pairs.js';
import { qualityCurve } from '../src/eval/quality-curve.js';
import { bestThreshold } from '../src/eval/verification-metrics.js';
import { euclideanDistance } from '../src/match/face-distance.js';
import { createPipelinePool, defaultWorkerCount } from '../src/pool/pipeline-pool.js';
import { sharedData } from '../src/test-support/fixtures.js';
import { markdownTable } from './bench-support.js';

const lfw = sharedData('lfw-view1');
if (!lfw) {
  console.error('skipped: ../shared/data/lfw-view1 is absent');
  process.exit(0);
}
const svgDir = process.argv.includes('--svg-dir') ? process.argv[process.argv.indexOf('--svg-dir') + 1]! : 'docs';
const root = join(lfw, 'lfw');
const train = await readLfwPairs(join(lfw, 'protocol', 'pairsDevTrain.txt'), root);
const test = await readLfwPairs(join(lfw, 'protocol', 'pairsDevTest.txt'), root);

interface Cached {
  embedding: number[];
  quality: number | null;
  components: Record<string, number> | null;
  reasons: string[];
}
const cachePath = process.env.FACEREC_LFW_CACHE ?? '/tmp/facerec-lfw-view1-quality.json';
const cache: Record<string, Cached> = existsSync(cachePath) ? (JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, Cached>) : {};
const files = [...new Set([...train.pairs, ...test.pairs].flatMap((p) => [p.pathA, p.pathB]))];
const missing = files.filter((f) => !cache[f]);
if (missing.length > 0) {
  const pool = await createPipelinePool({ detector: 'accurate' }, defaultWorkerCount());
  let done = 0;
  const t0 = Date.now();
  try {
    await Promise.all(
      missing.map((file) =>
        pool.run('verification-face', file, { variants: [DEFAULT_ENCODE_OPTIONS], lowScoreThreshold: 0.2, quality: true }).then((r) => {
          if (r.error || !r.encodings[0]) console.error(`unreadable: ${file}: ${r.error?.message}`);
          else cache[file] = { embedding: [...r.encodings[0]], quality: r.quality?.score ?? null, components: r.quality ? { ...r.quality.components } : null, reasons: r.quality?.reasons ?? [] };
          if (++done % 250 === 0) {
            console.error(`encoded ${done}/${missing.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
            // Saved as it goes: an interrupted run resumes where it stopped.
            void writeFile(cachePath, JSON.stringify(cache));
          }
        }),
      ),
    );
  } finally {
    await pool.close();
  }
  await writeFile(cachePath, JSON.stringify(cache));
}
const emb = (f: string) => Float32Array.from(cache[f]!.embedding);
const person = (f: string) => basename(dirname(f));
const pairDist = (pairs: readonly LfwPair[]) => pairs.map((p) => euclideanDistance(emb(p.pathA), emb(p.pathB)));
const sorted = (v: number[]) => Float64Array.from(v).sort();

// ---- 1. Calibration ---------------------------------------------------------
const imagesOf = (pairs: readonly LfwPair[]) => [...new Set(pairs.flatMap((p) => [p.pathA, p.pathB]))].filter((f) => cache[f]);
const trainImages = imagesOf(train.pairs);
const testImages = imagesOf(test.pairs);
const trainGallery = pairDistances(trainImages.map((f) => ({ label: person(f), embedding: emb(f) })), { maxImpostorPairs: 5_000_000 });
const testAll = pairDistances(testImages.map((f) => ({ label: person(f), embedding: emb(f) })), { maxImpostorPairs: 5_000_000 });
const trainD = pairDist(train.pairs);
const testD = pairDist(test.pairs);
const trainPairsOnly = {
  genuine: sorted(trainD.filter((_, i) => train.pairs[i]!.same)),
  impostor: sorted(trainD.filter((_, i) => !train.pairs[i]!.same)),
};
const testPairsImp = sorted(testD.filter((_, i) => !test.pairs[i]!.same));
const testPairsGen = sorted(testD.filter((_, i) => test.pairs[i]!.same));

const rows: (string | number)[][] = [];
const calRow = (source: string, c: Calibration) => {
  rows.push([
    source,
    c.targetFar,
    `${c.tolerance.toFixed(4)} (${c.method}; ${c.impostorPairsBelow} of ${c.impostorPairs.toLocaleString('en-US')} impostor pairs below)`,
    c.predictedFar.toExponential(2),
    `${fractionAtMost(testPairsImp, c.tolerance).toExponential(2)} (${Math.round(fractionAtMost(testPairsImp, c.tolerance) * testPairsImp.length)}/${testPairsImp.length})`,
    `${fractionAtMost(testAll.impostor, c.tolerance).toExponential(2)} (${Math.round(fractionAtMost(testAll.impostor, c.tolerance) * testAll.impostor.length)}/${testAll.impostor.length.toLocaleString('en-US')})`,
    `${(c.expectedTar * 100).toFixed(2)}%`,
    `${(fractionAtMost(testPairsGen, c.tolerance) * 100).toFixed(2)}% / ${(fractionAtMost(testAll.genuine, c.tolerance) * 100).toFixed(2)}%`,
  ]);
};
const calibrations: Calibration[] = [];
for (const far of [1e-2, 1e-3]) {
  const g = calibrateTolerance(trainGallery, far);
  calibrations.push(g);
  calRow(`DevTrain images as a gallery (${trainImages.length} faces)`, g);
  calRow('DevTrain pairs only (1,100 + 1,100)', calibrateTolerance(trainPairsOnly, far));
}
console.log('## Calibration (LFW View 1: calibrate on DevTrain, measure on DevTest)\n');
console.log(
  markdownTable(
    ['calibrated on', 'target FAR', 'tolerance (method)', 'predicted FAR', 'actual FAR, DevTest pairs', 'actual FAR, all DevTest cross-person pairs', 'expected TAR', 'actual TAR (DevTest pairs / all same-person pairs)'],
    rows,
  ),
);
console.log(`\nDevTest images: ${testImages.length}; genuine pairs among them ${testAll.genuine.length}, impostor pairs ${testAll.impostor.length}.`);
await writeFile(
  join(svgDir, 'calibration-lfw-devtrain.svg'),
  renderHistogramSvg(
    [
      { label: 'same person', values: trainGallery.genuine, color: '#2ca02c' },
      { label: 'different persons', values: trainGallery.impostor, color: '#d62728' },
    ],
    calibrations.map((c, i) => ({ label: `FAR ${c.targetFar}`, value: c.tolerance, color: i === 0 ? '#1f77b4' : '#111111' })),
    { title: `LFW View 1 DevTrain as a gallery: ${trainImages.length} faces`, min: 0, max: 1.3 },
  ),
);

// ---- 2. Quality -------------------------------------------------------------
const threshold = bestThreshold(trainD, train.pairs.map((p) => p.same)).threshold;
const qOf = (f: string) => cache[f]?.quality ?? null;
const minQ = (p: LfwPair) => {
  const a = qOf(p.pathA);
  const b = qOf(p.pathB);
  return a === null || b === null ? null : Math.min(a, b);
};
const curve = qualityCurve(
  test.pairs.map((p, i) => ({ distance: testD[i]!, same: p.same, quality: minQ(p) })),
  threshold,
);
console.log(`\n## Quality curve (DevTest, threshold ${threshold.toFixed(4)} from DevTrain)\n`);
console.log(markdownTable(['dropped', 'pairs kept', 'errors', 'accuracy', 'min(quality) cut'], curve.map((c) => [`${c.drop * 100}%`, c.kept, c.errors, `${(c.accuracy * 100).toFixed(2)}%`, c.qualityCut === null ? '–' : c.qualityCut.toFixed(3)])));
await writeFile(
  join(svgDir, 'quality-curve-lfw-devtest.svg'),
  renderLineSvg(
    curve.map((c) => ({ x: c.drop * 100, y: c.accuracy, label: `${c.drop * 100}%` })),
    { title: 'LFW View 1 DevTest: accuracy after dropping the lowest-quality pairs', xLabel: 'share of pairs dropped (lowest min(quality) first)', yLabel: 'accuracy', yAsPercent: true },
  ),
);

const qs = files.map(qOf).filter((q): q is number => q !== null).sort((a, b) => a - b);
const pctl = (p: number) => qs[Math.min(qs.length - 1, Math.floor(p * qs.length))]!.toFixed(3);
console.log(`\nQuality of the ${qs.length} View 1 faces: min ${qs[0]!.toFixed(3)}, 1% ${pctl(0.01)}, 5% ${pctl(0.05)}, 10% ${pctl(0.1)}, median ${pctl(0.5)}, max ${qs[qs.length - 1]!.toFixed(3)}`);
for (const cut of [0.3, 0.35, 0.4, 0.5]) {
  const below = qs.filter((q) => q < cut).length;
  const pairs = test.pairs.map((p, i) => ({ p, i })).filter(({ p }) => (minQ(p) ?? 0) < cut);
  const wrong = pairs.filter(({ p, i }) => (testD[i]! <= threshold) !== p.same).length;
  console.log(`  below ${cut}: ${below} faces (${((below / qs.length) * 100).toFixed(1)}%); DevTest pairs with such a face: ${pairs.length}, of them wrong: ${wrong}`);
}
const reasonCounts = new Map<string, number>();
for (const f of files) for (const r of cache[f]?.reasons ?? []) reasonCounts.set(r.replace(/\d+/g, 'N'), (reasonCounts.get(r.replace(/\d+/g, 'N')) ?? 0) + 1);
console.log(`  reasons: ${[...reasonCounts.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ×${n}`).join(', ')}`);
