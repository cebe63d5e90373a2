import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FaceBox } from '../types.js';
import { FaceTracker, iou } from './tracker.js';

const box = (x: number, y: number, size = 60): FaceBox => ({ left: x, top: y, right: x + size, bottom: y + size });
const det = (x: number, y: number, size = 60) => ({ box: box(x, y, size), score: 0.9 });

test('iou: identical boxes 1, disjoint 0, half-overlapping 1/3', () => {
  assert.equal(iou(box(0, 0), box(0, 0)), 1);
  assert.equal(iou(box(0, 0), box(100, 0)), 0);
  assert.ok(Math.abs(iou(box(0, 0), box(30, 0)) - 1 / 3) < 1e-12);
});

test('IoU association keeps each face on its own track and starts new ones for unmatched detections', () => {
  const tracker = new FaceTracker();
  tracker.predict(0);
  const first = tracker.update([det(10, 10), det(300, 10)]);
  assert.equal(first.created.length, 2);
  const [a, b] = first.created.map((t) => t.id);
  tracker.predict(1);
  // Given in the other order, shifted a little: matched by overlap, not by position in the list.
  const second = tracker.update([det(305, 12), det(14, 10), det(150, 300)]);
  const byDetection = new Map(second.matched.map((m) => [m.detection.box.left, m.track.id]));
  assert.equal(byDetection.get(14), a);
  assert.equal(byDetection.get(305), b);
  assert.equal(second.created.length, 1, 'the third face starts a track');
  assert.notEqual(second.created[0]!.id, a);
  assert.notEqual(second.created[0]!.id, b);
});

/** A moves right along y=100, B left along y=110; B is hidden behind A for frames 16–24 (the detector sees one face). */
function crossWithOcclusion(velocityGain: number) {
  const tracker = new FaceTracker({ velocityGain });
  let aId = 0;
  let bId = 0;
  const swaps: number[] = [];
  for (let f = 0; f <= 40; f++) {
    tracker.predict(f);
    const ax = 20 + 12 * f;
    const bx = 500 - 12 * f;
    const hidden = f >= 16 && f <= 24;
    const u = tracker.update(hidden ? [det(ax, 100)] : [det(bx, 110), det(ax, 100)]);
    if (f === 0) {
      aId = u.created.find((t) => t.box.top === 100)!.id;
      bId = u.created.find((t) => t.box.top === 110)!.id;
      continue;
    }
    // Told apart by their rows (at f = 20 they share the same x).
    const a = u.matched.find((m) => m.detection.box.top === 100)?.track.id;
    const b = u.matched.find((m) => m.detection.box.top === 110)?.track.id;
    if (a !== aId || (!hidden && b !== bId)) swaps.push(f);
  }
  return swaps;
}

test('crossing faces keep their identities through an occlusion thanks to the constant-velocity prediction', () => {
  assert.deepEqual(crossWithOcclusion(0.5), []);
  // The same scene without motion model (boxes stay where last seen) loses B after the crossing.
  assert.notDeepEqual(crossWithOcclusion(0), []);
});

test('a track survives missed frames (predicted along its velocity) and ends after maxMissed', () => {
  const tracker = new FaceTracker({ maxMissed: 3 });
  for (let f = 0; f < 10; f++) {
    tracker.predict(f);
    tracker.update([det(10 + 5 * f, 50)]);
  }
  const id = tracker.tracks[0]!.id;
  // Three rounds without detections: still alive, box predicted ahead.
  for (let f = 10; f < 13; f++) {
    tracker.predict(f);
    assert.deepEqual(tracker.update([]).ended, []);
  }
  const predictedLeft = tracker.tracks[0]!.box.left;
  assert.ok(predictedLeft > 10 + 5 * 9 + 5, `box moved on: ${predictedLeft}`);
  // The face reappears where the motion says: same track.
  tracker.predict(13);
  const back = tracker.update([det(10 + 5 * 13, 50)]);
  assert.equal(back.matched[0]?.track.id, id);
  // Then gone for good: ends on the 4th missed round.
  for (let f = 14; f < 17; f++) {
    tracker.predict(f);
    assert.equal(tracker.update([]).ended.length, 0);
  }
  tracker.predict(17);
  const end = tracker.update([]);
  assert.deepEqual(end.ended.map((t) => t.id), [id]);
  assert.equal(tracker.tracks.length, 0);
});

test('detections every N frames: boxes are predicted in between and still associate', () => {
  const tracker = new FaceTracker();
  const every = 5;
  let id = 0;
  for (let f = 0; f <= 60; f++) {
    tracker.predict(f);
    if (f % every !== 0) continue;
    const u = tracker.update([det(20 + 4 * f, 200)]);
    if (f === 0) id = u.created[0]!.id;
    else assert.equal(u.matched[0]?.track.id, id, `frame ${f}`);
  }
  // Velocity learned: 4 px per frame.
  assert.ok(Math.abs(tracker.tracks[0]!.vx - 4) < 0.5, `vx ${tracker.tracks[0]!.vx}`);
  tracker.predict(62);
  assert.ok(Math.abs(tracker.tracks[0]!.box.left - (20 + 4 * 62)) < 3);
});

test('flush ends all live tracks', () => {
  const tracker = new FaceTracker();
  tracker.predict(0);
  tracker.update([det(0, 0), det(200, 200)]);
  assert.equal(tracker.flush().length, 2);
  assert.equal(tracker.tracks.length, 0);
});
