import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTfjsWeights } from '../models/tfjs-weights.js';
import { OnnxSession } from '../runtime/onnx-session.js';
import { faceLandmark68Converter, faceLandmark68TinyConverter, LANDMARK_INPUT_NAME, LANDMARK_OUTPUT_NAME } from './graph.js';

for (const converter of [faceLandmark68Converter, faceLandmark68TinyConverter]) {
  test(`${converter.model}: deterministic ONNX with a dynamic batch of [N,3,112,112] → [N,136]`, async () => {
    const weights = loadTfjsWeights(converter.model);
    const bytes = converter.build(weights);
    assert.deepEqual(converter.build(weights), bytes, 'same weights, same bytes');
    assert.ok(Number.isInteger(converter.version) && converter.version >= 1);
    const text = Buffer.from(bytes).toString('latin1');
    assert.ok(!text.includes('Transpose'), 'no transposes in the graph');
    assert.ok(text.includes('GlobalAveragePool') && text.includes('Gemm'));

    const session = await OnnxSession.create(converter.model, bytes);
    assert.deepEqual(session.inputNames, [LANDMARK_INPUT_NAME]);
    assert.deepEqual(session.outputNames, [LANDMARK_OUTPUT_NAME]);
    const per = 3 * 112 * 112;
    const batch = new Float32Array(3 * per);
    for (let i = 0; i < batch.length; i++) batch[i] = (i * 37) % 256;
    const three = (await session.run({ image: { data: batch, dims: [3, 3, 112, 112] } }))[LANDMARK_OUTPUT_NAME]!;
    assert.deepEqual(three.dims, [3, 136]);
    const one = (await session.run({ image: { data: batch.subarray(per, 2 * per), dims: [1, 3, 112, 112] } }))[LANDMARK_OUTPUT_NAME]!;
    for (let k = 0; k < 136; k++) assert.ok(Math.abs(one.data[k]! - three.data[136 + k]!) < 1e-5, `face 1 of 3, value ${k}`);
    await session.dispose();
  });
}
