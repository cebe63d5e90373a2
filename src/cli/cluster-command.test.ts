import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { testEmbedding, testFace } from '../gallery/gallery-contract.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { copyExamples, examplesSkip, KNN_TRAIN, runCli, tempDir } from '../test-support/test-datasets.js';

/** biden, obama and rose_leslie: 2 photos each, a folder per person. */
async function threePersons(): Promise<string> {
  const dir = await tempDir('cluster-cli');
  await copyExamples(
    ['biden', 'obama', 'rose_leslie'].map((p) => [`${KNN_TRAIN}/${p}`, `photos/${p}`] as [string, string]),
    dir,
  );
  return dir;
}

test('cluster DIR groups real photos of 3 persons exactly, writes crop folders, scores against folder names', { skip: examplesSkip }, async () => {
  const dir = await threePersons();
  const out = join(dir, 'groups');
  const r = await runCli(['cluster', join(dir, 'photos'), '--json', '--score-by-folder', '--out', out, '--workers', '1']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { clusters: { id: number; size: number; faces: { file: string }[] }[]; scores: { bcubedF: number; pairwisePrecision: number; pairwiseRecall: number; clusters: number }; copies: boolean };
  assert.deepEqual(j.clusters.map((c) => c.size), [2, 2, 2]);
  for (const c of j.clusters) {
    const persons = new Set(c.faces.map((f) => f.file.split('/').at(-2)));
    assert.equal(persons.size, 1, `cluster ${c.id} mixes ${[...persons].join(', ')}`);
  }
  assert.equal(j.scores.bcubedF, 1);
  assert.equal(j.scores.pairwisePrecision, 1);
  assert.equal(j.scores.pairwiseRecall, 1);
  assert.equal(j.copies, true);
  const folders = (await readdir(out)).sort();
  assert.deepEqual(folders, ['cluster-001', 'cluster-002', 'cluster-003']);
  for (const f of folders) {
    const crops = await readdir(join(out, f));
    assert.equal(crops.length, 2);
    assert.ok(crops.every((c) => c.endsWith('.jpg')));
  }
});

test('cluster DIR --db leaves out the gallery\'s persons: only people not in the gallery are grouped', { skip: examplesSkip }, async () => {
  const dir = await threePersons();
  const db = join(dir, 'g.db');
  const enrolled = await runCli(['enroll', '--db', db, '--person', 'Joe Biden', join(dir, 'photos', 'biden'), '--workers', '1']);
  assert.equal(enrolled.code, 0, enrolled.err);
  const r = await runCli(['cluster', join(dir, 'photos'), '--db', db, '--workers', '1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /leaving out faces of the .* gallery's persons/);
  assert.match(r.out, /^6 faces in 6 photos; 2 of gallery persons left out; 4 clustered into 2 clusters/);
  assert.doesNotMatch(r.out.split('\n').slice(1).join('\n'), /biden/);
  const missing = await runCli(['cluster', join(dir, 'photos'), '--db', join(dir, 'nope.db')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\.db" does not exist/);
});

test('cluster --unknown clusters the stored unknown faces and saves the labels; usage errors', async () => {
  const dir = await tempDir('cluster-unknown');
  const db = join(dir, 'g.db');
  const store = await SqliteGalleryStore.open(db);
  // Two tight groups of 3 and one stray face.
  const near = (seed: number, k: number) => testEmbedding(seed).map((v, i) => v + 0.02 * testEmbedding(seed * 100 + k)[i]!);
  const faces = [...[0, 1, 2].map((k) => testFace(10 + k, { embedding: near(1, k) })), ...[0, 1, 2].map((k) => testFace(20 + k, { embedding: near(2, k) })), testFace(30)];
  await store.addUnknownFaces(faces, 'dlib-resnet128:c2cf51e4:dlib+flip');
  await store.close();
  const r = await runCli(['cluster', '--unknown', '--db', db]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /clustered 7 unknown faces of .* into 3 clusters \(sizes 3, 3, 1\)/);
  const again = await SqliteGalleryStore.open(db);
  try {
    const labels = (await again.listUnknownFaces()).map((f) => f.clusterId);
    assert.equal(new Set(labels.slice(0, 3)).size, 1);
    assert.equal(new Set(labels.slice(3, 6)).size, 1);
    assert.notEqual(labels[0], labels[3]);
    assert.equal(labels[6], 2, 'the stray face is the smallest cluster');
  } finally {
    await again.close();
  }
  assert.equal((await runCli(['cluster', '--unknown', '--db', db, '--json'])).code, 2);
  assert.equal((await runCli(['cluster'])).code, 2);
  const bad = await runCli(['cluster', '--unknown', '--db', db, '--algorithm', 'kmeans']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--algorithm expects chinese-whispers or dbscan, got "kmeans"/);
  const help = await runCli(['cluster', '--help']);
  assert.match(help.out, /Examples:\n {2}facerec cluster/);
});
