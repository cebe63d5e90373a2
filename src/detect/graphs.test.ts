import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTfjsWeights } from '../models/tfjs-weights.js';
import { OnnxSession } from '../runtime/onnx-session.js';
import { SSD_HEADS, ssdMobilenetV1Converter } from './ssd-mobilenet-v1/graph.js';
import { tinyFaceDetectorConverter } from './tiny-face-detector/graph.js';

test('detector converters are deterministic and their graphs take NCHW `image` and give the expected shapes', async () => {
  const ssdWeights = loadTfjsWeights('ssd_mobilenetv1');
  const ssd = ssdMobilenetV1Converter.build(ssdWeights);
  assert.deepEqual(ssdMobilenetV1Converter.build(ssdWeights), ssd, 'SSD bytes are reproducible');
  const ssdSession = await OnnxSession.create('ssd', ssd);
  assert.deepEqual(ssdSession.inputNames, ['image']);
  const ssdOut = await ssdSession.run({ image: { data: new Float32Array(3 * 512 * 512), dims: [1, 3, 512, 512] } });
  SSD_HEADS.forEach((h, i) => assert.deepEqual(ssdOut[`head${i}`]!.dims, [1, h.anchors * 5, h.grid, h.grid]));
  await ssdSession.dispose();

  const tinyWeights = loadTfjsWeights('tiny_face_detector');
  const tiny = tinyFaceDetectorConverter.build(tinyWeights);
  assert.deepEqual(tinyFaceDetectorConverter.build(tinyWeights), tiny, 'Tiny bytes are reproducible');
  const tinySession = await OnnxSession.create('tiny', tiny);
  for (const size of [32, 416, 608]) {
    const out = await tinySession.run({ image: { data: new Float32Array(3 * size * size), dims: [1, 3, size, size] } });
    assert.deepEqual(out['grid']!.dims, [1, 25, size / 32, size / 32], `inputSize ${size}`);
  }
  await tinySession.dispose();
});
