import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEmbedding } from '../gallery/gallery-contract.js';
import { chineseWhispers, dbscan, normaliseLabels, scoreClustering } from './cluster.js';

/** `persons` random unit centres far apart; each face = centre + small noise, renormalised; shuffled. */
function syntheticClusters(persons: number, perPerson: (p: number) => number, noise: number, seed = 5): { embeddings: Float32Array[]; truth: string[] } {
  const items: { e: Float32Array; label: string; key: number }[] = [];
  let k = 0;
  for (let p = 0; p < persons; p++) {
    const centre = testEmbedding(1000 + p);
    for (let j = 0; j < perPerson(p); j++) {
      const jitter = testEmbedding(seed * 7919 + k);
      const e = centre.map((v, i) => v + noise * jitter[i]!);
      const norm = Math.hypot(...e);
      items.push({ e: e.map((v) => v / norm), label: `person-${p}`, key: testEmbedding(k + 77)[0]! });
      k++;
    }
  }
  items.sort((a, b) => a.key - b.key);
  return { embeddings: items.map((i) => i.e), truth: items.map((i) => i.label) };
}

test('Chinese Whispers recovers well-separated synthetic persons exactly (any visiting seed)', () => {
  const { embeddings, truth } = syntheticClusters(6, (p) => 2 + p * 3, 0.35);
  for (const seed of [1, 2, 99]) {
    const labels = chineseWhispers(embeddings, { threshold: 0.6, seed });
    const s = scoreClustering(labels, truth);
    assert.equal(s.clusters, 6, `seed ${seed}`);
    assert.equal(s.pairwisePrecision, 1);
    assert.equal(s.pairwiseRecall, 1);
    assert.equal(s.bcubedF, 1);
    // Labels are ordered by size: the largest person (17 faces) is cluster 0.
    assert.equal(labels.filter((l) => l === 0).length, 17);
  }
  assert.deepEqual(chineseWhispers(embeddings, { threshold: 0.6, seed: 4 }), chineseWhispers(embeddings, { threshold: 0.6, seed: 4 }), 'deterministic');
});

test('DBSCAN recovers them too; an isolated face is noise (null); minClusterSize drops small clusters', () => {
  const { embeddings, truth } = syntheticClusters(4, () => 5, 0.35);
  const outlier = testEmbedding(424242);
  const labels = dbscan([...embeddings, outlier], { threshold: 0.6 });
  assert.equal(labels[labels.length - 1], null);
  assert.equal(scoreClustering(labels.slice(0, -1), truth).bcubedF, 1);
  const cw = chineseWhispers([...embeddings, outlier], { threshold: 0.6, minClusterSize: 2 });
  assert.equal(cw[cw.length - 1], null, 'a singleton is below minClusterSize 2');
  assert.equal(new Set(cw.slice(0, -1)).size, 4);
});

test('a threshold too large merges everything; scores show the precision loss', () => {
  const { embeddings, truth } = syntheticClusters(3, () => 4, 0.35);
  const labels = chineseWhispers(embeddings, { threshold: 2 });
  const s = scoreClustering(labels, truth);
  assert.equal(s.clusters, 1);
  assert.equal(s.pairwiseRecall, 1);
  assert.ok(Math.abs(s.pairwisePrecision - 18 / 66) < 1e-12);
  assert.throws(() => chineseWhispers(embeddings, { threshold: 0 }), /threshold/);
});

test('scoreClustering: BCubed and pairwise on a hand-worked example', () => {
  // truth: a a a b b; predicted: {0,1} {2,3} {4}
  const s = scoreClustering([0, 0, 1, 1, null], ['a', 'a', 'a', 'b', 'b']);
  assert.ok(Math.abs(s.pairwisePrecision - 1 / 2) < 1e-12); // pairs (0,1) ok, (2,3) wrong
  assert.ok(Math.abs(s.pairwiseRecall - 1 / 4) < 1e-12); // true pairs: 01 02 12 34 → only 01
  // BCubed precision per item: 1, 1, 1/2, 1/2, 1 → 0.8; recall: 2/3, 2/3, 1/3, 1/2, 1/2 → 8/15
  assert.ok(Math.abs(s.bcubedPrecision - 0.8) < 1e-12);
  assert.ok(Math.abs(s.bcubedRecall - 8 / 15) < 1e-12);
  assert.deepEqual(normaliseLabels([5, 5, 9, 7, 7, 7]), [1, 1, 2, 0, 0, 0]);
});
