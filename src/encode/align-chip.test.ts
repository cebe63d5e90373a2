import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Point, RgbImage } from '../types.js';
import { DLIB_TEMPLATE_LANDMARKS, applyAffine, dlibChip, dlibChipTransform, similarityTransform, templateChipPoints, type Affine } from './align-chip.js';
import { CHIP_SIZE } from './chip.js';
import { clipAtImageBorders, faceApiAlignedBox, faceApiCrop } from './face-api-crop.js';

function invert(t: Affine): Affine {
  const det = t.a * t.e - t.b * t.d;
  const a = t.e / det,
    b = -t.b / det,
    d = -t.d / det,
    e = t.a / det;
  return { a, b, c: -(a * t.c + b * t.f), d, e, f: -(d * t.c + e * t.f) };
}

/** 68 landmarks whose five template points are the template chip points put through a known similarity (angle, scale, offset). */
function syntheticFace(angleDeg: number, scale: number, ox: number, oy: number): Point[] {
  const th = (angleDeg * Math.PI) / 180;
  const place = (p: Point): Point => {
    const x = (p.x - 75) * scale;
    const y = (p.y - 75) * scale;
    return { x: ox + Math.cos(th) * x - Math.sin(th) * y, y: oy + Math.sin(th) * x + Math.cos(th) * y };
  };
  const landmarks: Point[] = Array.from({ length: 68 }, () => place({ x: 75, y: 75 }));
  templateChipPoints().forEach((p, k) => (landmarks[DLIB_TEMPLATE_LANDMARKS[k]!] = place(p)));
  return landmarks;
}

/** A grey image with a bright Gaussian blob at each eye (midpoints of landmarks 36/39 and 42/45). */
function eyesImage(width: number, height: number, landmarks: Point[], sigma: number): RgbImage {
  const eyes = [
    { x: (landmarks[36]!.x + landmarks[39]!.x) / 2, y: (landmarks[36]!.y + landmarks[39]!.y) / 2 },
    { x: (landmarks[42]!.x + landmarks[45]!.x) / 2, y: (landmarks[42]!.y + landmarks[45]!.y) / 2 },
  ];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = 40;
      for (const e of eyes) v += 215 * Math.exp(-((x - e.x) ** 2 + (y - e.y) ** 2) / (2 * sigma * sigma));
      data.fill(Math.min(255, Math.round(v)), (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  return { width, height, data };
}

/** Intensity-weighted centroid of the bright pixels in the left or right half of a chip. */
function blobCentre(chip: Float32Array, half: 'left' | 'right'): Point {
  let sx = 0,
    sy = 0,
    sw = 0;
  for (let y = 0; y < CHIP_SIZE; y++)
    for (let x = half === 'left' ? 0 : CHIP_SIZE / 2; x < (half === 'left' ? CHIP_SIZE / 2 : CHIP_SIZE); x++) {
      const w = Math.max(0, chip[(y * CHIP_SIZE + x) * 3]! - 60);
      sx += w * x;
      sy += w * y;
      sw += w;
    }
  return { x: sx / sw, y: sy / sw };
}

test('the similarity fit recovers a known rotation, scale and shift exactly', () => {
  const from = templateChipPoints();
  const th = 0.3;
  const to = from.map((p) => ({ x: 2 * (Math.cos(th) * p.x - Math.sin(th) * p.y) + 10, y: 2 * (Math.sin(th) * p.x + Math.cos(th) * p.y) - 5 }));
  const t = similarityTransform(from, to);
  assert.ok(Math.abs(t.a - 2 * Math.cos(th)) < 1e-12 && Math.abs(t.d - 2 * Math.sin(th)) < 1e-12);
  assert.ok(Math.abs(t.c - 10) < 1e-9 && Math.abs(t.f + 5) < 1e-9);
});

test("template points are dlib's: (0.25 + t) / 1.5 × 150", () => {
  const p = templateChipPoints();
  assert.ok(Math.abs(p[0]!.x - ((0.25 + 0.8595674595992) / 1.5) * 150) < 1e-9);
  assert.ok(Math.abs(p[4]!.y - ((0.25 + 0.6277975316475) / 1.5) * 150) < 1e-9);
});

test('the chip transform maps the five source landmarks onto the template positions', () => {
  for (const [angle, scale] of [
    [0, 1],
    [20, 1.3],
    [-35, 2.6],
    [90, 0.7],
  ] as const) {
    const landmarks = syntheticFace(angle, scale, 400, 300);
    const { chipToImage, scale: s, angle: a } = dlibChipTransform(landmarks);
    assert.ok(Math.abs(s - scale) < 1e-9, `scale ${s} vs ${scale}`);
    assert.ok(Math.abs(a - (angle * Math.PI) / 180) < 1e-9, `angle ${a}`);
    const toChip = invert(chipToImage);
    const template = templateChipPoints();
    DLIB_TEMPLATE_LANDMARKS.forEach((idx, k) => {
      const q = applyAffine(toChip, landmarks[idx]!);
      // dlib centres its chip rectangle on tform(75,75) with corner pixels 0 and 149: within a pixel of the template.
      assert.ok(Math.hypot(q.x - template[k]!.x, q.y - template[k]!.y) < 1, `angle ${angle}: landmark ${idx} lands at ${q.x},${q.y}`);
    });
  }
});

test('eyes come out level and at the template eye positions for a face rotated by 25°, small and large (pyramid) alike', () => {
  const template = templateChipPoints();
  const leftEye = { x: (template[2]!.x + template[3]!.x) / 2, y: (template[2]!.y + template[3]!.y) / 2 };
  const rightEye = { x: (template[0]!.x + template[1]!.x) / 2, y: (template[0]!.y + template[1]!.y) / 2 };
  for (const scale of [1.2, 3.5]) {
    const landmarks = syntheticFace(25, scale, 330, 300);
    const image = eyesImage(660, 600, landmarks, 4 * scale);
    const chip = dlibChip(image, landmarks);
    const l = blobCentre(chip, 'left');
    const r = blobCentre(chip, 'right');
    assert.ok(Math.abs(l.y - r.y) < 0.3, `scale ${scale}: eye heights ${l.y} and ${r.y}`);
    assert.ok(Math.hypot(l.x - leftEye.x, l.y - leftEye.y) < 1, `scale ${scale}: left eye at ${l.x},${l.y}`);
    assert.ok(Math.hypot(r.x - rightEye.x, r.y - rightEye.y) < 1, `scale ${scale}: right eye at ${r.x},${r.y}`);
  }
});

test("face-api's crop box follows FaceLandmarks.alignDlib and clipAtImageBorders", () => {
  const landmarks: Point[] = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  for (let i = 36; i < 42; i++) landmarks[i] = { x: 100, y: 100 };
  for (let i = 42; i < 48; i++) landmarks[i] = { x: 160, y: 100 };
  for (let i = 48; i < 68; i++) landmarks[i] = { x: 130, y: 160 };
  // eye→mouth = hypot(30, 60) = 67.08; size = floor(67.08 / 0.45) = 149; centre (130, 120)
  const box = faceApiAlignedBox(landmarks);
  assert.deepEqual(box, { x: Math.floor(130 - 0.5 * 149), y: Math.floor(120 - 0.43 * 149), width: 149, height: 149 });
  assert.deepEqual(clipAtImageBorders({ x: 10, y: 20, width: 100, height: 100 }, 80, 200), { x: 10, y: 20, width: 70, height: 100 });
  const image: RgbImage = { width: 200, height: 150, data: new Uint8Array(200 * 150 * 3).fill(9) };
  const chip = faceApiCrop(image, landmarks);
  assert.equal(chip.length, CHIP_SIZE * CHIP_SIZE * 3);
  // The box is 149 wide but only 150 - 55 = 95 rows fit: the crop is padded square, centred (zeros at top and bottom).
  assert.equal(chip[0], 0);
  assert.equal(chip[(75 * CHIP_SIZE + 75) * 3], 9);
});
