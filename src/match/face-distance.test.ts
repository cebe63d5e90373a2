import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareFaces, DEFAULT_TOLERANCE, faceDistance } from './face-distance.js';

const enc = (...v: number[]) => Float32Array.from(v);

test('faceDistance is Euclidean, one value per known encoding, in order', () => {
  const d = faceDistance([enc(0, 0), enc(3, 4), enc(1, 0)], enc(0, 0));
  assert.deepEqual(d, [0, 5, 1]);
  assert.deepEqual(faceDistance([], enc(1, 2)), []);
});

test('compareFaces calls a face the same person at or under the tolerance (default 0.6)', () => {
  assert.equal(DEFAULT_TOLERANCE, 0.6);
  assert.deepEqual(compareFaces([enc(0.59, 0), enc(0.61, 0), enc(0, 0)], enc(0, 0)), [true, false, true]);
  assert.deepEqual(compareFaces([enc(0.5, 0)], enc(0, 0), 0.4), [false], 'a lower tolerance is stricter');
});

test('mismatched encoding lengths and bad tolerances are clear errors', () => {
  assert.throws(() => faceDistance([enc(1, 2, 3)], enc(1, 2)), /Expected an encoding of length 3 for faceEncoding but received "length 2"/);
  assert.throws(() => compareFaces([enc(1)], enc(1), -1), /Expected a number of at least 0 for tolerance but received -1/);
  assert.throws(() => compareFaces([enc(1)], enc(1), Number.NaN), /for tolerance but received NaN/);
});
