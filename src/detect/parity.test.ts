/**
 * Parity with face-api (tfjs CPU backend) on its own demo photos: same faces,
 * scores within 1e-5, boxes within 0.01 px. Tiny on all six photos; SSD on two
 * (face-api's SSD on the pure-JS backend takes ~20 s per photo).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { imageTensor, loadFaceApiReference, type FaceApi } from '../test-support/face-api-reference.js';
import type { FaceDetection, RgbImage } from '../types.js';
import { FaceDetector, finalizeDetections } from './face-detector.js';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

async function loadImage(n: number): Promise<RgbImage> {
  const file = join(demoDir, `sample${n}.jpg`);
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source: file };
}

interface RefDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}

function fromReference(ref: RefDetection[]): FaceDetection[] {
  return ref.map((d) => ({ score: d.score, box: { top: d.box.y, left: d.box.x, right: d.box.x + d.box.width, bottom: d.box.y + d.box.height } }));
}

const SCORE_TOL = 1e-5;
const BOX_TOL = 0.01;

function compare(label: string, ours: FaceDetection[], ref: FaceDetection[]): { score: number; box: number } {
  assert.equal(ours.length, ref.length, `${label}: ${ours.length} faces, face-api finds ${ref.length}`);
  let score = 0;
  let box = 0;
  ours.forEach((o, i) => {
    const r = ref[i]!;
    score = Math.max(score, Math.abs(o.score - r.score));
    for (const k of ['top', 'right', 'bottom', 'left'] as const) box = Math.max(box, Math.abs(o.box[k] - r.box[k]));
  });
  assert.ok(score <= SCORE_TOL, `${label}: score differs by ${score}`);
  assert.ok(box <= BOX_TOL, `${label}: box differs by ${box} px`);
  return { score, box };
}

let faceapi: FaceApi;
const detectors: Partial<Record<'fast' | 'accurate', FaceDetector>> = {};

before(async () => {
  faceapi = await loadFaceApiReference('cpu');
  detectors.fast = await FaceDetector.create('fast');
  detectors.accurate = await FaceDetector.create('accurate');
});

after(async () => {
  await detectors.fast?.dispose();
  await detectors.accurate?.dispose();
});

async function checkImage(t: { diagnostic(msg: string): void }, kind: 'fast' | 'accurate', n: number, options: { inputSize?: number } = {}) {
  const det = detectors[kind]!;
  const image = await loadImage(n);
  const tensor = imageTensor(faceapi, image);
  let ref: RefDetection[];
  try {
    ref =
      kind === 'fast'
        ? await faceapi.nets.tinyFaceDetector.locateFaces(tensor, new faceapi.TinyFaceDetectorOptions({ inputSize: options.inputSize ?? 416 }))
        : await faceapi.nets.ssdMobilenetv1.locateFaces(tensor, new faceapi.SsdMobilenetv1Options({}));
  } finally {
    tensor.dispose();
  }
  const refFaces = fromReference(ref);
  // face-api's own output (before our additions), in face-api's order.
  const opts = det.resolveOptions(options);
  const [pass] = det.plan(image, opts);
  const raw = det.decode(await det.forward(det.preprocess(image, pass!)), image, pass!, opts);
  const d = compare(`${kind} sample${n} raw`, raw, refFaces);
  // The public result: face-api's faces with our clip + order applied to both.
  const ours = await det.detect(image, options);
  compare(`${kind} sample${n} detect`, ours, finalizeDetections(refFaces, image.width, image.height, { minFaceSize: 0, maxFaces: Infinity }));
  t.diagnostic(`${kind} sample${n}${options.inputSize ? ` inputSize ${options.inputSize}` : ''}: ${ours.length} faces, max |Δscore| ${d.score.toExponential(2)}, max |Δbox| ${d.box.toExponential(2)} px`);
  return ours.length;
}

test('fast (Tiny) detector matches face-api on sample1–6', async (t) => {
  let faces = 0;
  for (const n of [1, 2, 3, 4, 5, 6]) faces += await checkImage(t, 'fast', n);
  assert.ok(faces > 0, 'the demo photos contain faces');
});

test('fast (Tiny) detector matches face-api at inputSize 608', async (t) => {
  await checkImage(t, 'fast', 2, { inputSize: 608 });
});

test('accurate (SSD) detector matches face-api on sample1 and sample6', async (t) => {
  for (const n of [1, 6]) assert.ok((await checkImage(t, 'accurate', n)) > 0, `sample${n} has faces`);
});
