/**
 * The converted age_gender and face_expression nets against face-api's own
 * (tfjs, pure-JS CPU backend) on the same 112×112 face crops of real photos.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import { faceApiModelDir } from '../models/tfjs-weights.js';
import { loadFaceApiReference } from '../test-support/face-api-reference.js';
import { sampleImagePath } from '../test-support/fixtures.js';
import type { FaceBox, RgbImage } from '../types.js';
import { FaceAttributesNet, toAttributes } from './face-attributes.js';
import { EXPRESSION_LABELS } from './graphs.js';

let net: FaceAttributesNet;
let image: RgbImage;
let boxes: FaceBox[];

before(async () => {
  net = await FaceAttributesNet.create();
  image = await loadImage(sampleImagePath(1));
  const recognizer = await FaceRecognizer.create();
  boxes = (await recognizer.faceLocations(image)).map((d) => d.box);
  await recognizer.dispose();
});

after(() => net?.dispose());

test('age, gender and expression match face-api on tfjs for every face of a real group photo', async () => {
  assert.ok(boxes.length >= 3);
  const input = FaceAttributesNet.input(image, boxes);
  const ours = await net.runBatch(input, boxes.length);

  const faceapi = await loadFaceApiReference('cpu');
  if (!faceapi.nets.ageGenderNet.isLoaded) await faceapi.nets.ageGenderNet.loadFromDisk(faceApiModelDir());
  if (!faceapi.nets.faceExpressionNet.isLoaded) await faceapi.nets.faceExpressionNet.loadFromDisk(faceApiModelDir());
  const tf = faceapi.tf;
  // Our input is NCHW 0–255; face-api takes the same 112×112 crops as an NHWC batch (already 112: no resize, no padding).
  const n = boxes.length;
  const nhwc = new Float32Array(input.length);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < 3; c++) for (let p = 0; p < 112 * 112; p++) nhwc[b * 112 * 112 * 3 + p * 3 + c] = input[b * 3 * 112 * 112 + c * 112 * 112 + p]!;
  const batch = tf.tensor4d(nhwc, [n, 112, 112, 3]);
  // forward() wraps the tensor in a NetInput, so the nets run their own feature extractors on it.
  const faces = tf.unstack(batch);
  const ag = await faceapi.nets.ageGenderNet.forward(faces);
  const ex = await faceapi.nets.faceExpressionNet.forward(faces);
  const [age, gender, expression] = [await ag.age.data(), await ag.gender.data(), await ex.data()] as Float32Array[];
  tf.dispose([batch, ...faces, ag.age, ag.gender, ex]);

  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  const dAge = maxDiff(ours.age, age!);
  const dGender = maxDiff(ours.gender, gender!);
  const dExpr = maxDiff(ours.expression, expression!);
  console.log(`# ${n} faces: age max |Δ| ${dAge.toExponential(2)} years, gender ${dGender.toExponential(2)}, expression ${dExpr.toExponential(2)}`);
  assert.ok(dAge < 1e-3, `age max |Δ| ${dAge}`);
  assert.ok(dGender < 1e-5, `gender max |Δ| ${dGender}`);
  assert.ok(dExpr < 1e-5, `expression max |Δ| ${dExpr}`);
});

test('attributes(): plausible values, probabilities that sum to 1, one entry per box', async () => {
  const list = await net.attributes(image, boxes);
  assert.equal(list.length, boxes.length);
  for (const a of list) {
    assert.ok(a.age > 0 && a.age < 100, `age ${a.age}`);
    assert.ok(a.gender === 'male' || a.gender === 'female');
    assert.ok(a.genderProbability >= 0.5 && a.genderProbability <= 1);
    assert.deepEqual(Object.keys(a.expression), [...EXPRESSION_LABELS]);
    const sum = Object.values(a.expression).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `expression sums to ${sum}`);
  }
  assert.deepEqual(await net.attributes(image, []), []);
  assert.equal(toAttributes({ age: Float32Array.of(30), gender: Float32Array.of(0.2, 0.8), expression: new Float32Array(7) }, 0).gender, 'female');
});
