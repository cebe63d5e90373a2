import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FaceBox, Point, RgbImage } from '../types.js';
import { describeQuality, estimatePose, faceQuality } from './face-quality.js';

/** A 200×200 image of seeded 10-px blocks (hard edges like a photo's, flat areas between), mid-grey on average. */
function texture(seed = 7, size = 200): RgbImage {
  let s = seed;
  const cells = Math.ceil(size / 10);
  const block = Array.from({ length: cells * cells }, () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return 60 + (s % 136);
  });
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = block[Math.floor(y / 10) * cells + Math.floor(x / 10)]!;
      data.fill(v, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return { width: size, height: size, data };
}

function boxBlur(img: RgbImage, radius: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= img.height || xx >= img.width) continue;
          sum += img.data[(yy * img.width + xx) * 3]!;
          n++;
        }
      }
      const i = (y * img.width + x) * 3;
      out[i] = out[i + 1] = out[i + 2] = Math.round(sum / n);
    }
  }
  return { ...img, data: out };
}

const scaleBrightness = (img: RgbImage, k: number): RgbImage => ({ ...img, data: img.data.map((v) => Math.min(255, Math.round(v * k))) });

/**
 * A frontal face's 68 landmarks: eye centres `iod` apart around (cx, cy), nose
 * tip below their midpoint, mouth corners lower, jaw ends level with the eyes.
 * Points the quality code does not read sit at the centre.
 */
function frontalLandmarks(cx: number, cy: number, iod: number, noseShift = 0): Point[] {
  const pts: Point[] = Array.from({ length: 68 }, () => ({ x: cx, y: cy + 0.5 * iod }));
  const eye = (ex: number, from: number) => {
    for (let k = 0; k < 6; k++) pts[from + k] = { x: ex + 0.2 * iod * Math.cos((k * Math.PI) / 3), y: cy + 0.08 * iod * Math.sin((k * Math.PI) / 3) };
  };
  eye(cx - iod / 2, 36);
  eye(cx + iod / 2, 42);
  pts[0] = { x: cx - iod, y: cy + 0.1 * iod };
  pts[16] = { x: cx + iod, y: cy + 0.1 * iod };
  pts[30] = { x: cx + noseShift * iod, y: cy + 0.58 * iod };
  pts[48] = { x: cx - 0.4 * iod, y: cy + iod };
  pts[54] = { x: cx + 0.4 * iod, y: cy + iod };
  return pts;
}

const rotate = (pts: Point[], c: Point, deg: number): Point[] => {
  const a = (deg * Math.PI) / 180;
  return pts.map((p) => ({ x: c.x + (p.x - c.x) * Math.cos(a) - (p.y - c.y) * Math.sin(a), y: c.y + (p.x - c.x) * Math.sin(a) + (p.y - c.y) * Math.cos(a) }));
};

const BOX: FaceBox = { top: 40, left: 40, right: 160, bottom: 160 };
const LM = frontalLandmarks(100, 90, 60);

test('a sharp, well-exposed, large frontal face scores high with no reasons', () => {
  const q = faceQuality(texture(), BOX, LM);
  assert.deepEqual(q.reasons, []);
  assert.ok(q.components.sharpness > 0.9, `sharpness ${q.components.sharpness}`);
  assert.equal(q.components.size, 1);
  assert.equal(q.components.pose, 1);
  assert.equal(q.components.exposure, 1);
  assert.ok(q.score > 0.9);
  assert.ok(Math.abs(q.interOcularPx - 60) < 1e-9);
  assert.ok(Math.abs(q.pose.yaw) < 1 && Math.abs(q.pose.roll) < 1e-9 && Math.abs(q.pose.pitch) < 1);
});

test('blurring lowers sharpness below 0.5 and says "blurred"', () => {
  const sharp = faceQuality(texture(), BOX, LM);
  const blurred = faceQuality(boxBlur(texture(), 10), BOX, LM);
  assert.ok(blurred.sharpnessRatio < sharp.sharpnessRatio / 5, `ratio ${blurred.sharpnessRatio} vs ${sharp.sharpnessRatio}`);
  assert.ok(blurred.components.sharpness < 0.5, `sharpness ${blurred.components.sharpness}`);
  assert.ok(blurred.components.sharpness < 0.5);
  assert.ok(blurred.reasons.includes('blurred'));
  assert.ok(blurred.score < sharp.score);
});

test('a dark face is "too dark", a bright one "too bright"; sharpness is contrast-independent', () => {
  const normal = faceQuality(texture(), BOX, LM);
  const dark = faceQuality(scaleBrightness(texture(), 0.2), BOX, LM);
  assert.ok(dark.meanLuminance < 30);
  assert.ok(dark.components.exposure < 0.2);
  assert.ok(dark.reasons.includes('too dark'));
  assert.ok(Math.abs(dark.sharpnessRatio - normal.sharpnessRatio) / normal.sharpnessRatio < 0.2, 'dimming alone is not blur');
  const bright = faceQuality(scaleBrightness(texture(), 2.2), BOX, LM);
  assert.ok(bright.reasons.includes('too bright'), bright.reasons.join('; '));
});

test('a small face is "too small" with its measured eye distance and the minimum', () => {
  const small = faceQuality(texture(), BOX, frontalLandmarks(100, 90, 22));
  assert.ok(small.reasons.includes('too small: 22 px between the eyes (min 30)'), small.reasons.join('; '));
  assert.ok(small.components.size < 0.5);
  assert.equal(faceQuality(texture(), BOX, frontalLandmarks(100, 90, 22), { minInterOcularPx: 20 }).reasons.length, 0);
});

test('rotated landmarks give the roll angle; a nose near one jaw end gives yaw and "turned … to the side"', () => {
  for (const deg of [-40, -10, 15, 35]) {
    const pose = estimatePose(rotate(LM, { x: 100, y: 90 }, deg));
    assert.ok(Math.abs(pose.roll - deg) < 1e-6, `roll ${pose.roll} for ${deg}`);
    assert.ok(Math.abs(pose.yaw) < 1, 'rotation in the image plane is not yaw');
  }
  const tilted = faceQuality(texture(), BOX, rotate(LM, { x: 100, y: 90 }, 65));
  assert.ok(tilted.reasons.some((r) => r.startsWith('head tilted 65°')), tilted.reasons.join('; '));
  const turned = faceQuality(texture(), BOX, frontalLandmarks(100, 90, 60, 0.7));
  assert.ok(turned.pose.yaw > 40, `yaw ${turned.pose.yaw}`);
  assert.ok(turned.reasons.some((r) => /^turned \d+° to the side$/.test(r)), turned.reasons.join('; '));
  assert.ok(turned.components.pose < 0.5);
  assert.ok(estimatePose(frontalLandmarks(100, 90, 60, -0.7)).yaw < -40, 'the other way is negative');
});

test('bad landmarks and a box outside the image are refused by name; describeQuality is one line', () => {
  assert.throws(() => faceQuality(texture(), BOX, LM.slice(0, 5)), /landmarks/);
  assert.throws(() => faceQuality(texture(), { top: 300, left: 300, right: 400, bottom: 400 }, LM), /box/);
  assert.equal(describeQuality({ score: 0.4123, reasons: ['blurred', 'too dark'] }), 'quality 0.41: blurred; too dark');
});
