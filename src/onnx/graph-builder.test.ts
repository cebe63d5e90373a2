import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from './graph-builder.js';
import { conv2d, depthwiseConv2d } from './tfjs-layers.js';
import { OnnxSession } from '../runtime/onnx-session.js';

/** Naive NHWC convolution with TF 'SAME' padding, as a reference. */
function referenceConvSame(x: Float32Array, h: number, w: number, c: number, f: Float32Array, k: number, o: number, stride: number) {
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  const padH = Math.max((oh - 1) * stride + k - h, 0);
  const padW = Math.max((ow - 1) * stride + k - w, 0);
  const top = Math.floor(padH / 2);
  const left = Math.floor(padW / 2);
  const out = new Float32Array(oh * ow * o);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++)
      for (let co = 0; co < o; co++) {
        let s = 0;
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const iy = y * stride + ky - top;
            const ix = xx * stride + kx - left;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            for (let ci = 0; ci < c; ci++) s += x[(iy * w + ix) * c + ci]! * f[((ky * k + kx) * c + ci) * o + co]!;
          }
        out[(y * ow + xx) * o + co] = s;
      }
  return { out, oh, ow };
}

function nhwcToNchw(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) out[(ch * h + y) * w + xx] = x[(y * w + xx) * c + ch]!;
  return out;
}

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

test('a converted HWIO convolution with TF SAME padding matches a naive reference, stride 1 and 2 on even sizes', async () => {
  for (const stride of [1, 2]) {
    const [h, w, c, o, k] = [6, 8, 3, 4, 3];
    const x = pseudoRandom(h * w * c, 1);
    const f = pseudoRandom(k * k * c * o, 2);
    const g = new GraphBuilder('conv');
    g.input('x', [1, c, h, w]);
    const y = conv2d(g, 'x', { name: 'f', shape: [k, k, c, o], data: f }, undefined, { stride });
    g.output(y);
    const session = await OnnxSession.create('conv-test', g.toBytes());
    const result = (await session.run({ x: { data: nhwcToNchw(x, h, w, c), dims: [1, c, h, w] } }))[y]!;
    const ref = referenceConvSame(x, h, w, c, f, k, o, stride);
    assert.deepEqual(result.dims, [1, o, ref.oh, ref.ow]);
    const refNchw = nhwcToNchw(ref.out, ref.oh, ref.ow, o);
    for (let i = 0; i < refNchw.length; i++) assert.ok(Math.abs(refNchw[i]! - result.data[i]!) < 1e-5, `stride ${stride} value ${i}`);
    await session.dispose();
  }
});

test('a depthwise filter becomes a grouped convolution that keeps channels apart', async () => {
  const [h, w, c, k] = [4, 4, 2, 3];
  const x = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) x[i * c] = 1; // channel 0 all ones, channel 1 zeros
  const f = new Float32Array(k * k * c).fill(1);
  const g = new GraphBuilder('dw');
  g.input('x', [1, c, h, w]);
  const y = depthwiseConv2d(g, 'x', { name: 'dw', shape: [k, k, c, 1], data: f }, undefined);
  g.output(y);
  const session = await OnnxSession.create('dw-test', g.toBytes());
  const out = (await session.run({ x: { data: nhwcToNchw(x, h, w, c), dims: [1, c, h, w] } }))[y]!;
  assert.equal(out.data[5], 9, 'interior pixel of channel 0 sums a 3×3 window of ones');
  assert.equal(out.data[0], 4, 'corner pixel sees a 2×2 window inside the image');
  assert.equal(out.data[16 + 5], 0, 'channel 1 stays zero');
  await session.dispose();
});

test('the same graph calls produce byte-identical models', () => {
  const build = () => {
    const g = new GraphBuilder('det');
    g.input('x', [1, 3, 4, 4]);
    g.output(g.node('Relu', ['x']));
    return g.toBytes();
  };
  assert.deepEqual(build(), build());
});

test('a session reports the input name and shape when run with the wrong shape', async () => {
  const g = new GraphBuilder('shape');
  g.input('x', [1, 3, 4, 4]);
  g.output(g.node('Relu', ['x'], {}, 'y'));
  const session = await OnnxSession.create('shape-test', g.toBytes());
  await assert.rejects(session.run({ x: { data: new Float32Array(5), dims: [1, 3, 4, 4] } }), /input "x" has 5 values but shape \[1,3,4,4\]/);
  await assert.rejects(session.run({ x: { data: new Float32Array(8), dims: [1, 2, 2, 2] } }), /shape-test: inference failed for inputs x: float32\[1,2,2,2\]/);
  await session.dispose();
  await assert.rejects(session.run({ x: { data: new Float32Array(48), dims: [1, 3, 4, 4] } }), /after dispose/);
});
