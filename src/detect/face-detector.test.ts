import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { FaceDetection, RgbImage } from '../types.js';
import { FaceDetector, finalizeDetections, parseDetectorKind, planPasses, resolveDetectOptions } from './face-detector.js';
import { ssdNonMaxSuppression, nonMaxSuppression, mergeDetections } from './nms.js';
import { loadImage as loadImageFile } from '../image/load-image.js';
import { sampleImagePath } from '../test-support/fixtures.js';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

async function loadImage(n: number): Promise<RgbImage> {
  const file = join(demoDir, `sample${n}.jpg`);
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source: file };
}

test('unknown detector names throw and never fall back', async () => {
  for (const name of ['x', 'ssd', 'tiny', 'Fast', '', undefined]) {
    assert.throws(() => parseDetectorKind(name), new RegExp(`^FacerecError: Unknown detector ${name === undefined ? 'undefined' : `"${name}"`}: expected "fast" or "accurate"$`));
  }
  await assert.rejects(FaceDetector.create('x' as 'fast'), { message: 'Unknown detector "x": expected "fast" or "accurate"' });
});

test('bad option values throw a sentence naming the option and what is accepted', async () => {
  const bad: [string, 'fast' | 'accurate', object, RegExp][] = [
    ['minScore 0', 'fast', { minScore: 0 }, /^minScore must be a number greater than 0 and less than 1, got 0$/],
    ['minScore 1', 'accurate', { minScore: 1 }, /^minScore must be a number greater than 0 and less than 1, got 1$/],
    ['minScore string', 'fast', { minScore: '0.5' }, /^minScore must be .* got "0.5"$/],
    ['minScore NaN', 'fast', { minScore: NaN }, /^minScore must be .* got NaN$/],
    ['minFaceSize negative', 'fast', { minFaceSize: -1 }, /^minFaceSize must be a finite number of pixels, 0 or more, got -1$/],
    ['minFaceSize Infinity', 'accurate', { minFaceSize: Infinity }, /^minFaceSize must be .* got Infinity$/],
    ['inputSize not /32', 'fast', { inputSize: 400 }, /^inputSize must be a multiple of 32 from 32 to 4096, got 400$/],
    ['inputSize 0', 'fast', { inputSize: 0 }, /^inputSize must be a multiple of 32/],
    ['inputSize huge', 'fast', { inputSize: 8192 }, /^inputSize must be a multiple of 32/],
    ['inputSize on SSD', 'accurate', { inputSize: 416 }, /^inputSize is fixed at 512 for the "accurate" detector, got 416; use upsample/],
    ['inputSize × upsample', 'fast', { inputSize: 2048, upsample: 3 }, /^inputSize × upsample must be at most 4096, got 2048 × 3 = 6144$/],
    ['maxFaces 0', 'fast', { maxFaces: 0 }, /^maxFaces must be a positive integer, got 0$/],
    ['maxFaces 1.5', 'accurate', { maxFaces: 1.5 }, /^maxFaces must be a positive integer, got 1.5$/],
    ['upsample 5', 'accurate', { upsample: 5 }, /^upsample must be an integer from 1 to 4, got 5$/],
    ['upsample 0.5', 'fast', { upsample: 0.5 }, /^upsample must be an integer from 1 to 4, got 0.5$/],
    ['unknown option', 'fast', { scoreThreshold: 0.3 }, /^Unknown detect option "scoreThreshold": expected one of minScore, minFaceSize, inputSize, maxFaces, upsample, zoomOut$/],
  ];
  for (const [label, kind, options, re] of bad) assert.throws(() => resolveDetectOptions(kind, options as never), { message: re }, label);
  assert.deepEqual(resolveDetectOptions('accurate'), { minScore: 0.5, minFaceSize: 0, inputSize: 512, maxFaces: Infinity, upsample: 1, zoomOut: 'auto' });
  assert.deepEqual(resolveDetectOptions('fast'), { minScore: 0.5, minFaceSize: 0, inputSize: 416, maxFaces: Infinity, upsample: 1, zoomOut: 'auto' });
  assert.equal(resolveDetectOptions('fast', { inputSize: 320, upsample: 2 }).inputSize, 640);
  assert.equal(resolveDetectOptions('accurate', { inputSize: 512 }).inputSize, 512);
  await assert.rejects(FaceDetector.create('fast', { threads: -1 }), /^FacerecError: threads must be a non-negative integer/);
  await assert.rejects(FaceDetector.create('fast', { thread: 1 } as never), /^FacerecError: Unknown FaceDetector option "thread": expected threads$/);
});

test('finalizeDetections clips to the image, filters by size, sorts by score then top/left, and cuts at maxFaces', () => {
  const f = (score: number, top: number, left: number, bottom: number, right: number): FaceDetection => ({ score, box: { top, left, bottom, right } });
  const faces = [f(0.7, 50, 60, 90, 100), f(0.9, -10, -5, 30, 40), f(0.7, 50, 10, 90, 50), f(0.8, 70, 180, 130, 230), f(0.95, 10, 10, 15, 15), f(0.99, 300, 300, 400, 400)];
  const out = finalizeDetections(faces, 200, 100, { minFaceSize: 10, maxFaces: Infinity });
  assert.deepEqual(out, [
    f(0.9, 0, 0, 30, 40), // clipped at top/left
    f(0.8, 70, 180, 100, 200), // clipped at right/bottom
    f(0.7, 50, 10, 90, 50), // equal score: same top, smaller left first
    f(0.7, 50, 60, 90, 100),
  ]); // the 5-px face is below minFaceSize; the face outside the image is dropped
  assert.deepEqual(finalizeDetections(faces, 200, 100, { minFaceSize: 0, maxFaces: 2 }).map((d) => d.score), [0.95, 0.9]);
});

test('NMS variants reproduce face-api tie-breaking', () => {
  // SSD: stable descending sort, so the earlier of two equal scores wins.
  const boxes: [number, number, number, number][] = [[0, 0, 1, 1], [0, 0, 1, 1], [0.5, 0.5, 1.5, 1.5], [2, 2, 3, 3]];
  assert.deepEqual(ssdNonMaxSuppression(boxes, [0.8, 0.8, 0.9, 0.4], 100, 0.5, 0.5), [2, 0]);
  // Generic: stable ascending sort + pop, so the later of two equal scores wins.
  const xy = boxes.map(([y0, x0, y1, x1]) => ({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }));
  assert.deepEqual(nonMaxSuppression(xy, [0.8, 0.8, 0.9, 0.4], 0.4), [2, 1, 3]);
  const d = (score: number, top: number) => ({ score, box: { top, left: 0, bottom: top + 10, right: 10 } });
  assert.deepEqual(mergeDetections([d(0.6, 0), d(0.9, 1), d(0.5, 30)], 0.5), [d(0.9, 1), d(0.5, 30)]);
});

test('accurate upsampling covers the padded square with overlapping tiles that each touch the image', () => {
  const opts = resolveDetectOptions('accurate', { upsample: 2 });
  const passes = planPasses('accurate', 1000, 500, opts);
  assert.equal(passes[0]!.whole, true);
  // 3×3 tiles of side 500 at steps of 250 over the 1000×1000 padded square; the bottom row (y=500) is all padding.
  assert.deepEqual(passes.slice(1).map((p) => [p.window.x, p.window.y, p.window.size]), [
    [0, 0, 500], [250, 0, 500], [500, 0, 500],
    [0, 250, 500], [250, 250, 500], [500, 250, 500],
  ]);
  assert.equal(planPasses('fast', 1000, 500, resolveDetectOptions('fast', { upsample: 2 })).length, 1);
});

const detectors: Partial<Record<'fast' | 'accurate', FaceDetector>> = {};
before(async () => {
  detectors.fast = await FaceDetector.create('fast');
  detectors.accurate = await FaceDetector.create('accurate', { threads: 1 });
});
after(async () => {
  await detectors.fast?.dispose();
  await detectors.accurate?.dispose();
});

function assertClippedAndSorted(faces: FaceDetection[], image: RgbImage, label: string) {
  for (const { box, score } of faces) {
    assert.ok(box.left >= 0 && box.top >= 0 && box.right <= image.width && box.bottom <= image.height, `${label}: box inside the image`);
    assert.ok(box.right > box.left && box.bottom > box.top, `${label}: box not empty`);
    assert.ok(score > 0 && score < 1, `${label}: score in (0,1)`);
  }
  for (let i = 1; i < faces.length; i++) {
    const a = faces[i - 1]!;
    const b = faces[i]!;
    assert.ok(a.score > b.score || (a.score === b.score && (a.box.top < b.box.top || (a.box.top === b.box.top && a.box.left <= b.box.left))), `${label}: sorted`);
  }
}

test('both detectors: boxes clipped and sorted, identical results on repeated runs, options applied', async () => {
  const image = await loadImage(5);
  for (const kind of ['fast', 'accurate'] as const) {
    const det = detectors[kind]!;
    const a = await det.detect(image);
    const b = await det.detect(image);
    assert.ok(a.length >= 3, `${kind}: sample5 shows several faces`);
    assertClippedAndSorted(a, image, kind);
    assert.deepEqual(b, a, `${kind}: deterministic`);
    assert.deepEqual(await det.detect(image, { maxFaces: 2 }), a.slice(0, 2), `${kind}: maxFaces keeps the best`);
    const sizes = a.map((f) => Math.min(f.box.right - f.box.left, f.box.bottom - f.box.top)).sort((x, y) => x - y);
    const cut = (sizes[0]! + sizes[sizes.length - 1]!) / 2;
    assert.deepEqual(await det.detect(image, { minFaceSize: cut }), a.filter((f) => Math.min(f.box.right - f.box.left, f.box.bottom - f.box.top) >= cut), `${kind}: minFaceSize`);
    const lower = await det.detect(image, { minScore: 0.3 });
    assert.ok(lower.length >= a.length, `${kind}: a lower minScore finds at least as many faces`);
    const { faces, timings } = await det.detectWithTimings(image);
    assert.deepEqual(faces, a);
    assert.equal(timings.passes, 1);
    assert.ok(timings.forwardMs > 0 && timings.preprocessMs > 0 && timings.postprocessMs >= 0);
  }
});

test('a face cut by the image border gets a clipped box; upsampling runs and stays clipped and sorted', async () => {
  const full = await loadImage(1);
  const fast = detectors.fast!;
  const faces = await fast.detect(full);
  // Crop the image so that its right edge passes through the middle of the first face.
  const f = faces[0]!.box;
  const width = Math.round((f.left + f.right) / 2);
  const data = new Uint8Array(width * full.height * 3);
  for (let y = 0; y < full.height; y++) data.set(full.data.subarray(y * full.width * 3, (y * full.width + width) * 3), y * width * 3);
  const crop: RgbImage = { width, height: full.height, data };
  for (const kind of ['fast', 'accurate'] as const) {
    const cropped = await detectors[kind]!.detect(crop, { minScore: 0.2 });
    assertClippedAndSorted(cropped, crop, `${kind} crop`);
    const up = await detectors[kind]!.detectWithTimings(crop, { upsample: 2 });
    assertClippedAndSorted(up.faces, crop, `${kind} upsample`);
    assert.equal(up.timings.passes, kind === 'fast' ? 1 : 10);
  }
});

test('malformed images are rejected with the reason', async () => {
  const det = detectors.fast!;
  await assert.rejects(det.detect({ width: 10, height: 10, data: new Uint8Array(299) }), /data must be a Uint8Array of width×height×3 = 300 RGB bytes, got 299/);
  await assert.rejects(det.detect({ width: 0, height: 10, data: new Uint8Array(0) }), /width and height must be positive integers, got 0×10/);
});

test('zoomOut finds faces that fill the frame, which the plain SSD pass mostly misses', async (t) => {
  // Close-ups: each face of three demo photos cut out with a 5% margin, so it fills the frame.
  const det = await FaceDetector.create('accurate');
  let plainFound = 0;
  let zoomFound = 0;
  let total = 0;
  for (const n of [3, 4, 5] as const) {
    const full = await loadImageFile(sampleImagePath(n));
    for (const face of await det.detect(full)) {
      const b = face.box;
      const w = b.right - b.left;
      const left = Math.max(0, Math.round(b.left - 0.05 * w));
      const top = Math.max(0, Math.round(b.top - 0.05 * w));
      const width = Math.min(full.width - left, Math.round(1.1 * w));
      const height = Math.min(full.height - top, Math.round(1.1 * (b.bottom - b.top)));
      const crop = await sharp(sampleImagePath(n)).extract({ left, top, width, height }).raw().toBuffer({ resolveWithObject: true });
      const image = { width: crop.info.width, height: crop.info.height, data: new Uint8Array(crop.data) };
      total++;
      if ((await det.detect(image, { zoomOut: 'never' })).length > 0) plainFound++;
      const auto = await det.detect(image);
      if (auto.length > 0 && auto[0]!.box.right - auto[0]!.box.left > 0.6 * width) zoomFound++;
    }
  }
  t.diagnostic(`close-ups: plain SSD finds ${plainFound}/${total}, with zoomOut 'auto' ${zoomFound}/${total}`);
  assert.ok(total >= 10);
  assert.ok(zoomFound >= 0.9 * total, `zoomOut finds at least 90% of close-ups (${zoomFound}/${total})`);
  assert.ok(zoomFound > plainFound + total / 3, 'and far more than the plain pass');
  await assert.rejects(det.detect(full0(), { zoomOut: 'sometimes' as never }), /zoomOut must be one of "auto", "always", "never", got "sometimes"/);
  await det.dispose();
});

function full0(): RgbImage {
  return { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) };
}
