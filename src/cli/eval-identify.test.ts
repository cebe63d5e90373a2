import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyExamples, examplesSkip, KNN_TRAIN, runCli, tempDir } from '../test-support/test-datasets.js';

test('eval identify: in-memory gallery, held-out probes, every K-th person unknown; text and --json', { skip: examplesSkip }, async () => {
  const dir = await tempDir('eval-identify');
  await copyExamples([[KNN_TRAIN, 'train']], dir);
  const ds = join(dir, 'train');
  // Persons with ≥ 2 photos, by name: biden, kit_harington, obama, rose_leslie; with K = 2, biden and obama are unknown.
  const r = await runCli(['eval', 'identify', ds, '--holdout', '1', '--unknown-every', '2', '--workers', '1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^persons: 5; gallery 2 \(2 faces\), unknown 2 \(biden, obama\), 1 with ≤ 1 photo not used$/m);
  assert.match(r.out, /^known probes: {3}2, top-1 accuracy 100\.00% \(2 right, 0 wrong person, 0 called unknown\); closed-set top-1 100\.00%$/m);
  assert.match(r.out, /^unknown probes: 4, rejection rate 100\.00% \(4 rejected, 0 taken for someone\)$/m);

  const j = await runCli(['eval', 'identify', ds, '--json', '--workers', '2']);
  assert.equal(j.code, 0, j.err);
  const report = JSON.parse(j.out);
  assert.deepEqual(report.persons.unknown, ['biden']);
  assert.deepEqual(report.persons.gallery, ['kit_harington', 'obama', 'rose_leslie']);
  assert.equal(report.metrics.known.total, 3);
  assert.equal(report.metrics.unknown.total, 2);
  assert.equal(report.metrics.known.top1Accuracy, 1);
  assert.equal(report.probes.length, 5);
});

test('eval identify refuses a flat folder, too few photos and --unknown-every 1', { skip: examplesSkip }, async () => {
  const dir = await tempDir('eval-identify-bad');
  await copyExamples([['examples/obama.jpg', 'flat/obama.jpg']], dir);
  let r = await runCli(['eval', 'identify', join(dir, 'flat')]);
  assert.match(r.err, /needs one folder per person .* holds photos directly/);
  await copyExamples([['examples/obama.jpg', 'one/obama/a.jpg']], dir);
  r = await runCli(['eval', 'identify', join(dir, 'one')]);
  assert.match(r.err, /No person in ".*one" has more than 1 photo; lower --holdout or add photos/);
  r = await runCli(['eval', 'identify', join(dir, 'one'), '--unknown-every', '1']);
  assert.equal(r.code, 2);
  r = await runCli(['eval', 'frobnicate']);
  assert.match(r.err, /expected "pairs" or "identify"/);
});
