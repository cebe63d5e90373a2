import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFaceApiReference } from '../test-support/face-api-reference.js';
import { padToSquare, resizeBilinear } from '../image/resize.js';
import { prepareInput, type Normalisation } from './preprocess.js';
import { TINY_MEAN_RGB } from './tiny-face-detector/graph.js';

function randomImage(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s >>> 23;
  }
  return { width, height, data };
}

const SHAPES: [number, number][] = [
  [37, 23], // landscape, upscaled
  [23, 61], // portrait, upscaled
  [640, 427], // landscape, downscaled
  [301, 530], // portrait, downscaled
  [64, 64], // square, no resize at size 64
];

test('prepareInput is bit-identical to face-api toBatchTensor(size, false) + normalisation on tfjs', async () => {
  const faceapi = await loadFaceApiReference('cpu');
  const tf = faceapi.tf;
  const norms: [Normalisation, (x: unknown) => unknown][] = [
    [{ kind: 'ssd' }, (x) => tf.sub(tf.div(x, 127.5), 1)],
    [{ kind: 'mean', mean: TINY_MEAN_RGB }, (x) => tf.div(faceapi.normalize(x, TINY_MEAN_RGB), 255)],
  ];
  for (const [w, h] of SHAPES) {
    const img = randomImage(w, h, w * 31 + h);
    for (const size of [64, 96]) {
      for (const [norm, tfNorm] of norms) {
        const ref = tf.tidy(() => {
          const input = tf.tensor3d(Int32Array.from(img.data), [h, w, 3], 'int32');
          const batch = tf.cast(new faceapi.NetInput([input]).toBatchTensor(size, false), 'float32');
          return tf.transpose(tfNorm(batch), [0, 3, 1, 2]);
        });
        const expected = ref.dataSync() as Float32Array;
        ref.dispose();
        const ours = prepareInput(img, size, norm);
        let mismatches = 0;
        for (let i = 0; i < ours.length; i++) if (ours[i] !== expected[i]) mismatches++;
        assert.equal(mismatches, 0, `${w}×${h} → ${size} ${norm.kind}: ${mismatches} values differ`);
      }
    }
  }
});

test('a window reaching past the image reads zeros, like padding then cropping', () => {
  const img = randomImage(50, 30, 7);
  // Reference: pad to 50×50 (face-api style, bottom), crop the window, resize, normalise.
  const padded = padToSquare(img.data, 50, 30, 3, false);
  const win = { x: 20, y: 10, size: 30 };
  const crop = new Float32Array(30 * 30 * 3);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 30; x++) for (let c = 0; c < 3; c++) crop[(y * 30 + x) * 3 + c] = padded.data[((y + win.y) * 50 + x + win.x) * 3 + c]!;
  const resized = resizeBilinear(crop, 30, 30, 3, 64, 64);
  const ours = prepareInput(img, 64, { kind: 'ssd' }, win);
  for (let i = 0; i < 64 * 64; i++) {
    for (let c = 0; c < 3; c++) {
      assert.equal(ours[c * 64 * 64 + i], Math.fround(Math.fround(resized[i * 3 + c]! / 127.5) - 1), `pixel ${i} channel ${c}`);
    }
  }
});
