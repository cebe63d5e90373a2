import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateIdentification, identificationSweep, splitGalleryProbes, type ProbeResult } from './identification-metrics.js';

const items = [
  { label: 'bob', path: 'bob/2.jpg' },
  { label: 'amy', path: 'amy/1.jpg' },
  { label: 'bob', path: 'bob/1.jpg' },
  { label: 'cat', path: 'cat/1.jpg' },
  { label: 'amy', path: 'amy/3.jpg' },
  { label: 'amy', path: 'amy/2.jpg' },
  { label: 'dan', path: 'dan/1.jpg' },
  { label: 'dan', path: 'dan/2.jpg' },
];

test('hold-out split: first images by path enrol, the rest probe; held-out persons are unknown probes', () => {
  const s = splitGalleryProbes(items, { unknown: ['cat'] });
  assert.deepEqual(s.galleryLabels, ['amy', 'bob', 'dan']);
  assert.deepEqual(s.unknownLabels, ['cat']);
  assert.deepEqual(s.gallery.map((i) => i.path), ['amy/1.jpg', 'bob/1.jpg', 'dan/1.jpg']);
  assert.deepEqual(s.knownProbes.map((i) => i.path), ['amy/2.jpg', 'amy/3.jpg', 'bob/2.jpg', 'dan/2.jpg']);
  assert.deepEqual(s.unknownProbes.map((i) => i.path), ['cat/1.jpg']);
  // Every 2nd person in sorted order (amy, cat) held out; two gallery images per person leave bob and dan no probes.
  const e = splitGalleryProbes([...items].reverse(), { unknown: { every: 2 }, galleryPerPerson: 2 });
  assert.deepEqual(e.unknownLabels, ['amy', 'cat']);
  assert.deepEqual(e.gallery.map((i) => i.path), ['bob/1.jpg', 'bob/2.jpg', 'dan/1.jpg', 'dan/2.jpg']);
  assert.deepEqual(e.knownProbes, []);
  assert.equal(e.unknownProbes.length, 4);
  assert.throws(() => splitGalleryProbes(items, { unknown: ['eve'] }), /"eve" is not in the dataset/);
});

const results: ProbeResult[] = [
  { label: 'amy', predicted: 'amy', distance: 0.3 }, // right, close
  { label: 'amy', predicted: 'amy', distance: 0.55 }, // right, far
  { label: 'bob', predicted: 'dan', distance: 0.5 }, // wrong identity
  { label: 'dan', predicted: null, distance: null }, // no face found
  { label: 'cat', predicted: 'bob', distance: 0.45 }, // unknown person, close to bob
  { label: 'cat', predicted: 'amy', distance: 0.7 }, // unknown person, far
];

test('top-1 accuracy of known probes and rejection of unknown probes at a tolerance', () => {
  const r = evaluateIdentification(results, ['amy', 'bob', 'dan'], 0.6);
  assert.deepEqual(r.known, { total: 4, correct: 2, misidentified: 1, rejected: 1, top1Accuracy: 0.5, closedSetTop1: 0.5 });
  assert.deepEqual(r.unknown, { total: 2, rejected: 1, falselyAccepted: 1, rejectionRate: 0.5 });
  const strict = evaluateIdentification(results, ['amy', 'bob', 'dan'], 0.4);
  assert.equal(strict.known.correct, 1);
  assert.equal(strict.known.rejected, 3, 'amy at 0.55 and bob→dan at 0.5 now rejected too');
  assert.equal(strict.known.top1Accuracy, 0.25);
  assert.equal(strict.known.closedSetTop1, 0.5, 'closed-set top-1 ignores the tolerance');
  assert.equal(strict.unknown.rejectionRate, 1);
});

test('without a tolerance the predicted labels are taken as they are', () => {
  const r = evaluateIdentification(results, new Set(['amy', 'bob', 'dan']));
  assert.equal(r.tolerance, null);
  assert.equal(r.known.correct, 3 - 1);
  assert.equal(r.known.rejected, 1);
  assert.equal(r.unknown.rejected, 0);
  assert.equal(r.unknown.rejectionRate, 0);
  assert.ok(Number.isNaN(evaluateIdentification([], ['amy']).known.top1Accuracy), 'no probes: rate is NaN, not 0');
  assert.throws(() => evaluateIdentification([{ label: 'amy', predicted: 'amy', distance: null }], ['amy'], 0.6), /probe 0 \(amy\): predicted "amy" without a distance/);
});

test('a tolerance sweep trades known-probe accuracy for unknown rejection', () => {
  const sweep = identificationSweep(results, ['amy', 'bob', 'dan'], [0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(sweep.map((r) => r.known.top1Accuracy), [0, 0.25, 0.5, 0.5]);
  assert.deepEqual(sweep.map((r) => r.unknown.rejectionRate), [1, 1, 0.5, 0]);
});
