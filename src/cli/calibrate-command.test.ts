import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { TOLERANCE_SETTING } from '../calibrate/calibrate.js';
import { MODEL_A, testEmbedding, testFace } from '../gallery/gallery-contract.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { copyExamples, examplesDir, examplesSkip, KNN_TRAIN, runCli, tempDir } from '../test-support/test-datasets.js';

/** 40 synthetic persons × 4 faces: each face = the person's centre + noise (same-person ≈ 0.4 apart, others ≈ 1.4). */
async function syntheticGallery(db: string): Promise<void> {
  const store = await SqliteGalleryStore.open(db);
  try {
    for (let p = 0; p < 40; p++) {
      const centre = testEmbedding(5000 + p);
      const faces = [0, 1, 2, 3].map((k) => {
        const e = centre.map((v, i) => v + 0.3 * testEmbedding(90000 + p * 10 + k)[i]!);
        const n = Math.hypot(...e);
        return testFace(p * 10 + k + 1, { embedding: e.map((v) => v / n) });
      });
      await store.addFaces(`person ${p}`, faces, MODEL_A);
    }
  } finally {
    await store.close();
  }
}

test('calibrate stores a tolerance between the genuine and impostor distances, writes the histogram, says how many pairs back it', async () => {
  const dir = await tempDir('calibrate-cli');
  const db = join(dir, 'g.db');
  await syntheticGallery(db);
  const svg = join(dir, 'h.svg');
  const dry = await runCli(['calibrate', '--db', db, '--far', '0.01', '--svg', svg, '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /dry run: nothing stored/);
  let store = await SqliteGalleryStore.open(db);
  assert.equal(await store.getSetting(TOLERANCE_SETTING), null);
  await store.close();

  const r = await runCli(['calibrate', '--db', db, '--far', '0.01', '--svg', svg, '--json']);
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(r.out) as { tolerance: number; method: string; genuinePairs: number; impostorPairs: number; impostorPairsBelow: number; expectedTar: number; stored: boolean };
  assert.equal(c.genuinePairs, 40 * 6);
  assert.equal(c.impostorPairs, (160 * 159) / 2 - 240);
  assert.equal(c.method, 'empirical');
  assert.equal(c.impostorPairsBelow, Math.floor(0.01 * c.impostorPairs));
  assert.equal(c.expectedTar, 1, 'the synthetic persons are well separated');
  store = await SqliteGalleryStore.open(db);
  try {
    const faces = await store.listFaces();
    const d = (a: number, b: number) => Math.hypot(...faces[a]!.embedding.map((v, i) => v - faces[b]!.embedding[i]!));
    assert.ok(c.tolerance > d(0, 1) && c.tolerance < d(0, 4), `tolerance ${c.tolerance} between a genuine ${d(0, 1)} and an impostor ${d(0, 4)} distance`);
    assert.equal(Number(await store.getSetting(TOLERANCE_SETTING)), Number(c.tolerance.toFixed(4)));
  } finally {
    await store.close();
  }
  assert.match(await readFile(svg, 'utf8'), /same person \(240 pairs\)/);

  const strict = await runCli(['calibrate', '--db', db, '--far', '0.00001', '--svg', svg, '--dry-run']);
  assert.match(strict.out, /EXTRAPOLATED .* only 0 impostor pairs fall below/);
  const bad = await runCli(['calibrate', '--db', db, '--far', '2']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--far expects a number/);
});

test('calibrate refuses a gallery without persons of 2+ faces, naming it', async () => {
  const dir = await tempDir('calibrate-one');
  const db = join(dir, 'g.db');
  const store = await SqliteGalleryStore.open(db);
  await store.addFaces('Ann', [testFace(1)], MODEL_A);
  await store.addFaces('Bob', [testFace(2)], MODEL_A);
  await store.close();
  const r = await runCli(['calibrate', '--db', db, '--svg', join(dir, 'h.svg')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /has no person with 2 or more faces/);
});

test('identify uses the calibrated tolerance when --tolerance is not given, and says so; --save-unknown keeps the unmatched face', { skip: examplesSkip }, async () => {
  const dir = await tempDir('calibrated-identify');
  const db = join(dir, 'g.db');
  await copyExamples([[`${KNN_TRAIN}/obama`, 'obama']], dir);
  const enrolled = await runCli(['enroll', '--db', db, '--person', 'Obama', join(dir, 'obama', 'obama.jpg'), '--workers', '1']);
  assert.equal(enrolled.code, 0, enrolled.err);
  const probe = join(dir, 'obama', 'obama2.jpg');
  // A (deliberately absurd) calibrated tolerance of 0.05: nobody matches.
  const store = await SqliteGalleryStore.open(db);
  await store.setSetting(TOLERANCE_SETTING, '0.05');
  await store.close();
  const strict = await runCli(['identify', '--db', db, '--workers', '1', '--save-unknown', probe]);
  assert.equal(strict.code, 0, strict.err);
  assert.match(strict.err, /using the gallery's calibrated tolerance 0\.05/);
  assert.equal(strict.out.trim(), `${probe},unknown_person`);
  assert.match(strict.err, /saved 1 unknown face/);
  const flag = await runCli(['identify', '--db', db, '--workers', '1', '--tolerance', '0.6', probe]);
  assert.doesNotMatch(flag.err, /calibrated/);
  assert.equal(flag.out.trim(), `${probe},Obama`);
  const after = await SqliteGalleryStore.open(db);
  try {
    const unknown = await after.listUnknownFaces();
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0]!.sourcePath, probe);
    assert.ok(unknown[0]!.thumbnail && unknown[0]!.thumbnail.length > 100);
    assert.ok(typeof unknown[0]!.quality === 'number');
  } finally {
    await after.close();
  }
  assert.ok(examplesDir);
});
