import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qualityCurve } from './quality-curve.js';

test('dropping the lowest-quality pairs removes their errors; counts and cuts are exact', () => {
  // 10 pairs at threshold 0.6: the two lowest-quality ones are wrong, one mid-quality one too.
  const pairs = [
    { distance: 0.9, same: true, quality: 0.1 }, // wrong (rejected genuine)
    { distance: 0.3, same: false, quality: 0.2 }, // wrong (accepted impostor)
    { distance: 0.4, same: true, quality: 0.5 },
    { distance: 0.8, same: false, quality: 0.55 },
    { distance: 0.7, same: true, quality: 0.6 }, // wrong
    { distance: 0.2, same: true, quality: 0.7 },
    { distance: 1.0, same: false, quality: 0.8 },
    { distance: 0.5, same: true, quality: 0.85 },
    { distance: 0.95, same: false, quality: 0.9 },
    { distance: 0.6, same: true, quality: 0.95 }, // at the threshold: accepted, right
  ].reverse(); // input order must not matter
  const curve = qualityCurve(pairs, 0.6, [0, 0.1, 0.2, 0.5]);
  assert.deepEqual(curve.map((c) => [c.dropped, c.kept, c.errors]), [[0, 10, 3], [1, 9, 2], [2, 8, 1], [5, 5, 0]]);
  assert.deepEqual(curve.map((c) => c.accuracy), [0.7, 1 - 2 / 9, 7 / 8, 1]);
  assert.deepEqual(curve.map((c) => c.qualityCut), [null, 0.1, 0.2, 0.6]);
});

test('unknown quality counts as lowest; bad drops are refused', () => {
  const curve = qualityCurve([{ distance: 0.1, same: false, quality: null }, { distance: 0.1, same: true, quality: 0.3 }], 0.5, [0, 0.5]);
  assert.deepEqual(curve.map((c) => c.accuracy), [0.5, 1]);
  assert.throws(() => qualityCurve([], 0.5), /pairs/);
  assert.throws(() => qualityCurve([{ distance: 0.1, same: true, quality: 1 }], 0.5, [1]), /drop/);
});
