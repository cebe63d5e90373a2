import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadFaceApiReference, imageTensor, type FaceApi } from '../test-support/face-api-reference.js';
import type { Point, RgbImage } from '../types.js';
import { FaceEncoder } from './face-encoder.js';

const require = createRequire(import.meta.url);
const faceApiDir = dirname(require.resolve('@vladmandic/face-api/package.json'));
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const examplesDir = join(repoRoot, '..', 'shared', 'data', 'face_recognition_examples');

async function decode(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source: file };
}

const detected = new Map<RgbImage, Promise<any[]>>();

/** face-api's detections + landmarks (SSD, 68-point net) on its fast WASM backend; both sides then use these exact landmarks. */
function referenceFaces(faceapi: FaceApi, image: RgbImage): Promise<any[]> {
  if (!detected.has(image)) detected.set(image, detectFaces(faceapi, image));
  return detected.get(image)!;
}

async function detectFaces(faceapi: FaceApi, image: RgbImage) {
  await loadFaceApiReference('wasm');
  const tensor = imageTensor(faceapi, image);
  try {
    const results = await faceapi.detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })).withFaceLandmarks();
    // Largest faces first.
    return (results as any[]).sort((a, b) => b.detection.box.area - a.detection.box.area);
  } finally {
    tensor.dispose();
  }
}

function landmarksOf(result: any): Point[] {
  return result.landmarks.positions.map((p: Point) => ({ x: p.x, y: p.y }));
}

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

let faceapi: FaceApi;
let encoder: FaceEncoder;
let sample1: Promise<RgbImage> | undefined;
const loadSample1 = () => (sample1 ??= decode(join(faceApiDir, 'demo', 'sample1.jpg')));

before(async () => {
  faceapi = await loadFaceApiReference('wasm');
  encoder = await FaceEncoder.create();
});

after(async () => {
  await encoder?.dispose();
});

test("descriptors with alignment 'face-api' match face-api's withFaceDescriptors on the tfjs CPU backend (max abs diff ≤ 1e-5)", async () => {
  const image = await loadSample1();
  const faces = (await referenceFaces(faceapi, image)).slice(0, 3);
  assert.ok(faces.length >= 2, `face-api found ${faces.length} faces in sample1.jpg`);

  // face-api's own descriptor step (ComputeAllFaceDescriptorsTask) on the CPU backend, fed the same landmarks.
  await loadFaceApiReference('cpu');
  const tensor = imageTensor(faceapi, image);
  let reference: any[];
  try {
    reference = await new faceapi.ComputeAllFaceDescriptorsTask(Promise.resolve(faces), tensor).run();
  } finally {
    tensor.dispose();
    await loadFaceApiReference('wasm');
  }

  const ours = await encoder.encode(image, faces.map(landmarksOf), { alignment: 'face-api' });
  assert.equal(ours.length, faces.length);
  let maxDiff = 0;
  for (let f = 0; f < faces.length; f++) {
    const ref = reference[f].descriptor as Float32Array;
    assert.equal(ours[f]!.length, 128);
    for (let i = 0; i < 128; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - ours[f]![i]!));
  }
  console.log(`  parity on ${faces.length} faces of sample1.jpg: max abs diff ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-5, `max abs difference ${maxDiff}`);
});

test('same person ≤ 0.6 apart and different persons > 0.6, with both alignments (face_recognition example photos)', async (t) => {
  if (!existsSync(examplesDir)) {
    t.skip(`../shared/data/face_recognition_examples is absent (looked in ${examplesDir})`);
    return;
  }
  const files = {
    obama1: join(examplesDir, 'examples', 'obama.jpg'),
    obama2: join(examplesDir, 'examples', 'obama2.jpg'),
    obama3: join(examplesDir, 'examples', 'knn_examples', 'train', 'obama', 'obama.jpg'),
    biden1: join(examplesDir, 'examples', 'biden.jpg'),
    biden2: join(examplesDir, 'examples', 'knn_examples', 'train', 'biden', 'biden2.jpg'),
  };
  const faces: Record<string, { image: RgbImage; landmarks: Point[] }> = {};
  for (const [name, file] of Object.entries(files)) {
    const image = await decode(file);
    const found = await referenceFaces(faceapi, image);
    assert.ok(found.length >= 1, `no face found in ${file}`);
    faces[name] = { image, landmarks: landmarksOf(found[0]) };
  }
  for (const alignment of ['dlib', 'face-api'] as const) {
    for (const flip of [false, true]) {
      const enc: Record<string, Float32Array> = {};
      for (const [name, f] of Object.entries(faces)) enc[name] = (await encoder.encode(f.image, [f.landmarks], { alignment, flip }))[0]!;
      const same = [
        ['obama1', 'obama2'],
        ['obama1', 'obama3'],
        ['obama2', 'obama3'],
        ['biden1', 'biden2'],
      ].map(([a, b]) => distance(enc[a!]!, enc[b!]!));
      const different = ['obama1', 'obama2', 'obama3'].flatMap((o) => ['biden1', 'biden2'].map((b) => distance(enc[o]!, enc[b]!)));
      console.log(
        `  ${alignment}${flip ? ' + flip' : ''}: same max ${Math.max(...same).toFixed(3)}, different min ${Math.min(...different).toFixed(3)}`,
      );
      for (const d of same) assert.ok(d <= 0.6, `${alignment}: same-person distance ${d}`);
      for (const d of different) assert.ok(d > 0.6, `${alignment}: different-person distance ${d}`);
    }
  }
});

test('all faces of an image are encoded in one call, in order, and match encoding them one by one', async () => {
  const image = await loadSample1();
  const faces = (await referenceFaces(faceapi, image)).slice(0, 4).map(landmarksOf);
  const together = await encoder.encode(image, faces, { alignment: 'dlib' });
  for (let i = 0; i < faces.length; i++) {
    const alone = (await encoder.encode(image, [faces[i]!], { alignment: 'dlib' }))[0]!;
    assert.ok(distance(alone, together[i]!) < 1e-4, `face ${i} differs when batched`);
  }
  assert.deepEqual(await encoder.encode(image, []), []);
});

test('jittered and flipped encodings are deterministic, stay close to the plain one, and chips from several images share a run', async () => {
  const image = await loadSample1();
  const faces = (await referenceFaces(faceapi, image)).slice(0, 2).map(landmarksOf);
  const plain = await encoder.encode(image, faces);
  const a = await encoder.encode(image, faces, { numJitters: 5, seed: 7 });
  const b = await encoder.encode(image, faces, { numJitters: 5, seed: 7 });
  const c = await encoder.encode(image, faces, { numJitters: 5, seed: 8 });
  assert.deepEqual(a, b, 'same seed, same result');
  assert.notDeepEqual(a, c, 'another seed, other jitters');
  const flipped = await encoder.encode(image, faces, { flip: true });
  for (let i = 0; i < faces.length; i++) {
    assert.ok(distance(a[i]!, plain[i]!) < 0.25, `jittered face ${i} drifted ${distance(a[i]!, plain[i]!)}`);
    assert.ok(distance(flipped[i]!, plain[i]!) < 0.25, `flipped face ${i} drifted ${distance(flipped[i]!, plain[i]!)}`);
    assert.ok(distance(flipped[i]!, plain[i]!) > 0, 'flip averaging changes the encoding');
  }
  // A face's jitters do not depend on which other faces are in the call.
  const single = await encoder.encode(image, [faces[1]!], { numJitters: 5, seed: 7 });
  assert.ok(distance(single[0]!, a[1]!) < 1e-4);
  // Chips from different images in one encodeChips call.
  const chips = [...encoder.extractChips(image, [faces[0]!]), ...encoder.extractChips(image, [faces[1]!], 'face-api')];
  const mixed = await encoder.encodeChips(chips);
  assert.ok(distance(mixed[0]!, plain[0]!) < 1e-4);
});

test('bad inputs are refused with a sentence saying what is wrong', async () => {
  const image: RgbImage = { width: 4, height: 4, data: new Uint8Array(48) };
  const landmarks = Array.from({ length: 68 }, (_, i) => ({ x: 1 + (i % 2), y: 1 + (i % 3) }));
  await assert.rejects(encoder.encode(image, [landmarks.slice(0, 5)]), /expected the 68 face landmarks of one face, got 5/);
  await assert.rejects(encoder.encode(image, [landmarks], { alignment: 'mtcnn' as never }), /Unknown alignment "mtcnn": use one of 'dlib', 'face-api' or 'dlib\+face-api'\./);
  await assert.rejects(encoder.encode(image, [landmarks], { numJitters: 1.5 }), /numJitters must be a whole number/);
  await assert.rejects(encoder.encode({ width: 4, height: 4, data: new Uint8Array(10) }, [landmarks]), /image data has 10 bytes/);
  await assert.rejects(encoder.encodeChips([new Float32Array(10)]), /chip 0 has 10 values/);
  const nan = landmarks.map((p, i) => (i === 7 ? { x: NaN, y: 0 } : p));
  await assert.rejects(encoder.encode(image, [nan]), /landmark 7 is not a finite point/);
});
