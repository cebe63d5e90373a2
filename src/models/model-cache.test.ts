import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tinyFaceDetectorConverter } from '../detect/index.js';
import { loadConvertedModel } from './model-cache.js';
import { loadTfjsWeights, tfjsWeightsSha256 } from './tfjs-weights.js';

test('hashing the weight files alone gives the same sha256 as loading them', () => {
  assert.equal(tfjsWeightsSha256('tiny_face_detector'), loadTfjsWeights('tiny_face_detector').sha256);
});

test('the model cache converts once, then serves the cache; a corrupted or stale cache is rebuilt', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facerec-cache-'));
  const first = loadConvertedModel(tinyFaceDetectorConverter, dir);
  assert.equal(first.converted, true);
  const second = loadConvertedModel(tinyFaceDetectorConverter, dir);
  assert.equal(second.converted, false);
  assert.deepEqual(new Uint8Array(second.bytes), new Uint8Array(first.bytes), 'conversion is deterministic and cached as is');
  assert.equal(second.sourceSha256, tfjsWeightsSha256('tiny_face_detector'));

  await writeFile(join(dir, 'tiny_face_detector.onnx'), 'truncated');
  const repaired = loadConvertedModel(tinyFaceDetectorConverter, dir);
  assert.equal(repaired.converted, true, 'a corrupted model file is rebuilt');
  assert.deepEqual(new Uint8Array(repaired.bytes), new Uint8Array(first.bytes));

  const bumped = { ...tinyFaceDetectorConverter, version: tinyFaceDetectorConverter.version + 1 };
  assert.equal(loadConvertedModel(bumped, dir).converted, true, 'a new converter version is rebuilt');
});
