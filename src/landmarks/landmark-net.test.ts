import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { imageTensor, loadFaceApiReference, type FaceApi } from '../test-support/face-api-reference.js';
import { sampleImagePath } from '../test-support/fixtures.js';
import type { FaceBox, RgbImage } from '../types.js';
import { cropFace, writeFaceInput } from './face-crop.js';
import { LANDMARK_INPUT_SIZE } from './graph.js';
import { LandmarkDetector } from './landmark-net.js';

const SAMPLES = ([1, 2, 3, 4, 5, 6] as const).map((i) => sampleImagePath(i));
const PARITY_TOLERANCE_PX = 0.01;

async function loadRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data, source: file };
}

// face-api Box {x, y, width, height} → our {top, right, bottom, left}.
function toFaceBox(box: { x: number; y: number; width: number; height: number }): FaceBox {
  return { top: box.y, left: box.x, right: box.x + box.width, bottom: box.y + box.height };
}

let full: LandmarkDetector;
let tiny: LandmarkDetector;

before(async () => {
  [full, tiny] = await Promise.all([LandmarkDetector.create('full'), LandmarkDetector.create('tiny')]);
});

after(async () => {
  await Promise.all([full.dispose(), tiny.dispose()]);
});

/**
 * face-api's own landmark step (DetectAllFaceLandmarksTask: extractFaceTensors,
 * detectLandmarks, shift by the box) on the tfjs CPU backend, for given detections.
 */
async function referenceLandmarks(image: RgbImage, detections: unknown[], useTiny: boolean) {
  const faceapi = await loadFaceApiReference('cpu');
  const t = imageTensor(faceapi, image);
  try {
    const parents = Promise.resolve(detections.map((detection) => ({ detection })));
    const results = await new faceapi.DetectAllFaceLandmarksTask(parents, t, useTiny).run();
    return results.map((r: FaceApi) => r.landmarks.positions.map((p: FaceApi) => ({ x: p.x as number, y: p.y as number })));
  } finally {
    t.dispose();
  }
}

function maxDistance(a: { x: number; y: number }[][], b: { x: number; y: number }[][]): number {
  assert.equal(a.length, b.length);
  let max = 0;
  a.forEach((face, i) => {
    assert.equal(face.length, 68);
    face.forEach((p, j) => {
      const q = b[i]![j]!;
      max = Math.max(max, Math.hypot(p.x - q.x, p.y - q.y));
    });
  });
  return max;
}

test('landmarks match face-api (tfjs CPU backend) within 0.01 px on its sample photos, full and tiny nets', async (t) => {
  let faces = 0;
  const worst = { full: 0, tiny: 0 };
  for (const file of SAMPLES) {
    const image = await loadRgb(file);
    // Boxes from face-api's own SSD (on its WASM backend, only to save time: the CPU
    // backend takes ~20 s per photo); both sides get exactly these detections.
    const wasm = await loadFaceApiReference('wasm');
    const tw = imageTensor(wasm, image);
    const detections: FaceApi[] = await wasm.detectAllFaces(tw);
    tw.dispose();
    assert.ok(detections.length > 0, `face-api found no face in ${file}`);
    faces += detections.length;
    const boxes = detections.map((d) => toFaceBox(d.box));
    for (const kind of ['full', 'tiny'] as const) {
      const ours = await (kind === 'full' ? full : tiny).detect(image, boxes);
      const ref = await referenceLandmarks(image, detections, kind === 'tiny');
      const d = maxDistance(ours, ref);
      worst[kind] = Math.max(worst[kind], d);
      assert.ok(d <= PARITY_TOLERANCE_PX, `${kind} net on ${file}: max landmark difference ${d} px`);
    }
  }
  t.diagnostic(`${faces} faces; max landmark difference vs face-api: full ${worst.full.toExponential(2)} px, tiny ${worst.tiny.toExponential(2)} px`);
});

test('landmarks match face-api for wide, tall, small, exactly-112 and edge-clipped boxes', async () => {
  const image = await loadRgb(SAMPLES[0]!);
  const faceapi = await loadFaceApiReference('cpu');
  const { width: W, height: H } = image;
  const rects = [
    { x: 414.3, y: 380.6, width: 177.3, height: 120.2 }, // wide: padded top and bottom
    { x: 440.7, y: 350.2, width: 110.9, height: 190.4 }, // tall: padded left and right
    { x: 470.5, y: 420.5, width: 60.25, height: 61.75 }, // smaller than 112: enlarged
    { x: 460, y: 400, width: 112, height: 112 }, // exactly 112: no resize
    { x: W - 90.5, y: H - 70.25, width: 150, height: 150 }, // runs off the right and bottom
  ];
  const detections = rects.map((r) => new faceapi.FaceDetection(0.9, new faceapi.Rect(r.x / W, r.y / H, r.width / W, r.height / H), { width: W, height: H }));
  const boxes = detections.map((d: FaceApi) => toFaceBox(d.box));
  for (const kind of ['full', 'tiny'] as const) {
    const ours = await (kind === 'full' ? full : tiny).detect(image, boxes);
    const ref = await referenceLandmarks(image, detections, kind === 'tiny');
    const d = maxDistance(ours, ref);
    assert.ok(d <= PARITY_TOLERANCE_PX, `${kind}: max landmark difference ${d} px`);
  }
});

test('the net input is bit-identical to face-api’s extractFaceTensors + toBatchTensor(112, centred)', async () => {
  const image = await loadRgb(SAMPLES[1]!);
  const faceapi = await loadFaceApiReference('cpu');
  const tf = faceapi.tf;
  const full3d = imageTensor(faceapi, image);
  const boxes: FaceBox[] = [
    { left: 901.54, top: 219.84, right: 1052.5, bottom: 380.1 },
    { left: 10.2, top: 5.7, right: 95.1, bottom: 300.9 },
    { left: 1800.3, top: 1200.6, right: 1930, bottom: 1400 },
    { left: 100, top: 100, right: 212, bottom: 212 },
    { left: 300.5, top: 500.2, right: 500.9, bottom: 581.3 }, // wide, odd difference: 200×81
    { left: 640.2, top: 700.9, right: 670.1, bottom: 790.4 }, // tall and small: 29×89
  ];
  const per = 3 * LANDMARK_INPUT_SIZE * LANDMARK_INPUT_SIZE;
  for (const [i, box] of boxes.entries()) {
    const crop = cropFace(box, image.width, image.height);
    const ours = new Float32Array(per);
    writeFaceInput(image, crop, ours, 0);
    const [face] = await faceapi.extractFaceTensors(full3d, [new faceapi.Rect(box.left, box.top, box.right - box.left, box.bottom - box.top)]);
    const batch = new faceapi.NetInput([face]).toBatchTensor(112, true);
    const nchw = tf.transpose(batch, [0, 3, 1, 2]);
    const ref = nchw.dataSync() as Float32Array;
    let mismatches = 0;
    for (let k = 0; k < per; k++) if (ours[k] !== ref[k]) mismatches++;
    assert.equal(mismatches, 0, `box ${i}: ${mismatches} input values differ from face-api's`);
    tf.dispose([face, batch, nchw]);
  }
  full3d.dispose();
});

test('all faces run as one batch and give the same points as one face at a time', async () => {
  const image = await loadRgb(SAMPLES[4]!);
  const boxes: FaceBox[] = [
    { left: 787.28, top: 108.83, right: 943.4, bottom: 265 },
    { left: 1112.77, top: 198.13, right: 1271.2, bottom: 356.5 },
    { left: 597.87, top: 414.94, right: 764.1, bottom: 581.1 },
  ];
  const batched = await full.detect(image, boxes);
  const single = await Promise.all(boxes.map(async (b) => (await full.detect(image, [b]))[0]!));
  assert.ok(maxDistance(batched, single) < 1e-3);
  assert.deepEqual(await full.detect(image, []), []);
  // Concurrent calls on one detector do not share an input buffer.
  const [a, b] = await Promise.all([full.detect(image, boxes.slice(0, 2)), full.detect(image, boxes.slice(2))]);
  assert.ok(maxDistance([...a, ...b], batched) < 1e-3);
});

test('bad inputs: unknown kind, boxes outside the image, broken boxes and images', async () => {
  await assert.rejects(LandmarkDetector.create('huge' as never), /Unknown landmark model kind "huge": use 'full' \(face_landmark_68\) or 'tiny' \(face_landmark_68_tiny\)\./);
  await assert.rejects(LandmarkDetector.create('full', { threads: 1.5 }), /threads must be a non-negative integer/);
  const image: RgbImage = { width: 200, height: 100, data: new Uint8Array(200 * 100 * 3).fill(128), source: 'grey' };

  // Partly outside: clipped like face-api; points stay finite.
  const [clipped] = await full.detect(image, [{ left: -30, top: -20, right: 80, bottom: 90 }]);
  assert.equal(clipped!.length, 68);
  assert.ok(clipped!.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  const crop = cropFace({ left: -30.5, top: -20, right: 250, bottom: 90.7 }, 200, 100);
  assert.deepEqual({ x: crop.x, y: crop.y, width: crop.width, height: crop.height }, { x: 0, y: 0, width: 200, height: 90 });
  assert.deepEqual([crop.shiftX, crop.shiftY], [0, 0], 'the shift is clamped with the box, not left at the negative corner');

  // Wholly outside, degenerate, inverted or non-finite: a sentence naming the box.
  await assert.rejects(full.detect(image, [{ left: 10, top: 10, right: 50, bottom: 50 }, { left: 300, top: 10, right: 400, bottom: 60 }]), /face box 1 \{top: 10, right: 400, bottom: 60, left: 300\} leaves no whole pixel inside the 200×100 image/);
  await assert.rejects(full.detect(image, [{ left: 10, top: 10, right: 10.5, bottom: 50 }]), /face box 0 .* leaves no whole pixel/);
  await assert.rejects(full.detect(image, [{ left: 50, top: 10, right: 10, bottom: 50 }]), /face box 0 .* is inverted/);
  await assert.rejects(full.detect(image, [{ left: NaN, top: 10, right: 10, bottom: 50 }]), /face box 0 .* must have four finite numbers/);
  await assert.rejects(full.detect({ ...image, data: new Uint8Array(10) }, []), /image \(grey\) has 10 bytes but 200×100 RGB needs 60000/);

  const disposed = await LandmarkDetector.create('tiny');
  await disposed.dispose();
  await assert.rejects(disposed.detect(image, [{ left: 10, top: 10, right: 50, bottom: 50 }]), /after dispose/);
});
