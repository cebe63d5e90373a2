import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Point } from '../types.js';
import {
  FIVE_POINT_INDICES,
  fivePointSourceIndices,
  LANDMARK_GROUP_INDICES,
  LANDMARK_GROUP_NAMES,
  toFivePoints,
  toLandmarkGroups,
  toSmallLandmarkGroups,
} from './landmark-groups.js';

// Point i sits at (i, 1000 + i) so every output point names its source index.
const points: Point[] = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 1000 + i }));
const indicesOf = (pts: Point[]) => pts.map((p) => p.x);

test('named groups are face_recognition’s face_landmarks() slices, keys in its order', () => {
  const groups = toLandmarkGroups(points);
  assert.deepEqual(Object.keys(groups), [...LANDMARK_GROUP_NAMES]);
  const span = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  // Written out independently of the module's table, straight from face_recognition/api.py.
  const expected: Record<string, number[]> = {
    chin: span(0, 17),
    left_eyebrow: span(17, 22),
    right_eyebrow: span(22, 27),
    nose_bridge: span(27, 31),
    nose_tip: span(31, 36),
    left_eye: span(36, 42),
    right_eye: span(42, 48),
    top_lip: [...span(48, 55), 64, 63, 62, 61, 60],
    bottom_lip: [...span(54, 60), 48, 60, 67, 66, 65, 64],
  };
  for (const [name, idx] of Object.entries(expected)) {
    assert.deepEqual(indicesOf(groups[name as keyof typeof groups]), idx, name);
    assert.deepEqual(LANDMARK_GROUP_INDICES[name as keyof typeof LANDMARK_GROUP_INDICES], idx, name);
  }
  const sizes = Object.values(groups).map((g) => g.length);
  assert.deepEqual(sizes, [17, 5, 5, 4, 5, 6, 6, 12, 12]);
  assert.ok(groups.chin[0]!.y === 1000, 'y comes along');
  groups.chin[0]!.x = 99;
  assert.equal(points[0]!.x, 0, 'groups hold copies, not the caller’s points');
});

test('five points follow dlib’s 5-point order and face_recognition’s small model', () => {
  assert.deepEqual([...fivePointSourceIndices()], [45, 42, 36, 39, 33]);
  assert.deepEqual([...FIVE_POINT_INDICES], [45, 42, 36, 39, 33]);
  assert.deepEqual(indicesOf(toFivePoints(points)), [45, 42, 36, 39, 33]);
  const small = toSmallLandmarkGroups(points);
  assert.deepEqual(Object.keys(small).sort(), ['left_eye', 'nose_tip', 'right_eye']);
  assert.deepEqual(indicesOf(small.nose_tip), [33]);
  assert.deepEqual(indicesOf(small.left_eye), [36, 39]);
  assert.deepEqual(indicesOf(small.right_eye), [45, 42]);
  // Each small group's points belong to the large group of the same name.
  const large = toLandmarkGroups(points);
  for (const name of ['left_eye', 'right_eye'] as const) {
    for (const p of small[name]) assert.ok(indicesOf(large[name]).includes(p.x), `${name} ${p.x}`);
  }
});

test('group functions reject anything but one face’s 68 points', () => {
  assert.throws(() => toLandmarkGroups(points.slice(0, 5)), /expected the 68 landmarks of one face, got 5 points/);
  assert.throws(() => toFivePoints([]), /got 0 points/);
});
