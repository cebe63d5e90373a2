/**
 * The generic converter against tfjs itself: small synthetic graph models, one
 * per op family, run by tfjs's GraphModel (pure-JS CPU) and by ORT on the
 * converted ONNX, on the same random input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FacerecError } from '../../errors.js';
import { OnnxSession } from '../../runtime/onnx-session.js';
import { loadGraphModelFrom, runGraphModel } from '../../test-support/tfjs-graph-reference.js';
import { convertTfjsGraph } from './convert.js';
import { parseTfjsGraphModel, type TfAttr, type TfNode } from './graph-model.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const s = (v: string): TfAttr => ({ s: b64(v) });
const ints = (...v: number[]): TfAttr => ({ list: { i: v.map(String) } });
const strs = (...v: string[]): TfAttr => ({ list: { s: v.map(b64) } });

/** Deterministic pseudo-random values in [-1, 1). */
function noise(count: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  });
}

interface Konst {
  name: string;
  shape: number[];
  values: number[] | Float32Array;
  dtype?: 'float32' | 'int32';
  /** Store as float16 (tests dequantisation). */
  half?: boolean;
}

function float32ToFloat16(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >> 16) & 0x8000;
  const exp = ((u >> 23) & 0xff) - 127 + 15;
  const mant = (u >> 13) & 0x3ff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | mant;
}

/** A graph model.json plus one weight shard, the way tfjs's converter writes them. */
function graphModel(input: { name: string; shape: number[] }, consts: Konst[], nodes: TfNode[]) {
  const chunks: Buffer[] = [];
  const weights = consts.map((c) => {
    const dtype = c.dtype ?? 'float32';
    if (c.half) {
      const b = Buffer.alloc(c.values.length * 2);
      Array.from(c.values).forEach((v, i) => b.writeUInt16LE(float32ToFloat16(v), i * 2));
      chunks.push(b);
      return { name: c.name, shape: c.shape, dtype, quantization: { dtype: 'float16', original_dtype: 'float32' } };
    }
    const arr = dtype === 'int32' ? Int32Array.from(c.values) : Float32Array.from(c.values);
    chunks.push(Buffer.from(arr.buffer));
    return { name: c.name, shape: c.shape, dtype };
  });
  const shard = Buffer.concat(chunks);
  const json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: input.name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: input.shape.map((d) => ({ size: String(d) })) } } } },
        ...consts.map((c) => ({ name: c.name, op: 'Const', attr: { dtype: { type: c.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } } })),
        ...nodes,
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ['w.bin'], weights }],
  };
  return { json, shard };
}

/** Converts, runs both, returns max |Δ| and the output shape agreement. */
async function parity(model: ReturnType<typeof graphModel>, inputShape: number[]): Promise<{ maxDiff: number; count: number }> {
  const parsed = parseTfjsGraphModel('synthetic', model.json, () => model.shard);
  const converted = convertTfjsGraph(parsed, { outputs: ['out'] });
  const data = noise(inputShape.reduce((a, b) => a * b, 1), 7);
  const session = await OnnxSession.create('synthetic', converted.bytes);
  try {
    const got = (await session.run({ [converted.inputs[0]!.name]: { data, dims: inputShape } }))[converted.outputs[0]!]!.data;
    const tfModel = await loadGraphModelFrom(model.json, () => model.shard);
    const want = await runGraphModel(tfModel, data, inputShape);
    assert.equal(got.length, want.length, 'output sizes differ');
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
    return { maxDiff, count: want.length };
  } finally {
    await session.dispose();
  }
}

const convAttrs = (padding: string, stride = 1, fused: string[] = []): Record<string, TfAttr> => ({
  padding: s(padding),
  strides: ints(1, stride, stride, 1),
  dilations: ints(1, 1, 1, 1),
  data_format: s('NHWC'),
  ...(fused.length ? { fused_ops: strs(...fused), num_args: { i: String(fused.includes('Prelu') ? 2 : 1) } } : {}),
});

describe('tfjs graph → ONNX converter (vs tfjs GraphModel on the CPU backend)', () => {
  it('_FusedConv2D with SAME padding on an even input and stride 2 (TF asymmetric padding), BiasAdd+Relu6, float16 weights', async () => {
    const m = graphModel(
      { name: 'x', shape: [-1, 8, 8, 3] },
      [
        { name: 'f', shape: [3, 3, 3, 4], values: noise(108, 1), half: true },
        { name: 'b', shape: [4], values: noise(4, 2) },
      ],
      [{ name: 'out', op: '_FusedConv2D', input: ['x', 'f', 'b'], attr: convAttrs('SAME', 2, ['BiasAdd', 'Relu6']) }],
    );
    const r = await parity(m, [2, 8, 8, 3]);
    assert.equal(r.count, 2 * 4 * 4 * 4);
    assert.ok(r.maxDiff < 1e-5, `max |Δ| ${r.maxDiff}`);
  });

  it('Conv2D VALID, depthwise (multiplier 2) SAME with Prelu, and a fused depthwise with BiasAdd+Relu', async () => {
    const m = graphModel(
      { name: 'x', shape: [-1, 9, 7, 3] },
      [
        { name: 'f', shape: [2, 2, 3, 4], values: noise(48, 3) },
        { name: 'dw', shape: [3, 3, 4, 2], values: noise(72, 4) },
        { name: 'dwb', shape: [8], values: noise(8, 5) },
        { name: 'alpha', shape: [8], values: noise(8, 6) },
        { name: 'dw2', shape: [3, 3, 8, 1], values: noise(72, 7) },
        { name: 'dwb2', shape: [8], values: noise(8, 8) },
      ],
      [
        { name: 'c', op: 'Conv2D', input: ['x', 'f'], attr: convAttrs('VALID') },
        { name: 'd', op: 'DepthwiseConv2dNative', input: ['c', 'dw'], attr: convAttrs('SAME', 2) },
        { name: 'db', op: 'BiasAdd', input: ['d', 'dwb'], attr: { data_format: s('NHWC') } },
        { name: 'p', op: 'Prelu', input: ['db', 'alpha'] },
        { name: 'out', op: 'FusedDepthwiseConv2dNative', input: ['p', 'dw2', 'dwb2'], attr: convAttrs('SAME', 1, ['BiasAdd', 'Relu']) },
      ],
    );
    const r = await parity(m, [1, 9, 7, 3]);
    assert.ok(r.maxDiff < 1e-5, `max |Δ| ${r.maxDiff}`);
  });

  it('elementwise and unary ops: Add, Sub, Mul, RealDiv, Maximum, Minimum, Sigmoid, Tanh, Rsqrt, Sqrt, Square, Relu, LeakyRelu', async () => {
    const m = graphModel(
      { name: 'x', shape: [-1, 4, 4, 2] },
      [
        { name: 'k', shape: [2], values: [0.5, -1.5] },
        { name: 'two', shape: [], values: [2] },
      ],
      [
        { name: 'a', op: 'AddV2', input: ['x', 'k'] },
        { name: 'b', op: 'Mul', input: ['a', 'two'] },
        { name: 'c', op: 'Sub', input: ['b', 'x'] },
        { name: 'sq', op: 'Square', input: ['c'] },
        { name: 'rs', op: 'Rsqrt', input: ['sq'] },
        { name: 'sqrt', op: 'Sqrt', input: ['sq'] },
        { name: 'dv', op: 'RealDiv', input: ['sqrt', 'two'] },
        { name: 'mx', op: 'Maximum', input: ['dv', 'x'] },
        { name: 'mn', op: 'Minimum', input: ['mx', 'rs'] },
        { name: 'sg', op: 'Sigmoid', input: ['mn'] },
        { name: 'th', op: 'Tanh', input: ['c'] },
        { name: 'lr', op: 'LeakyRelu', input: ['th'], attr: { alpha: { f: 0.1 } } },
        { name: 'rl', op: 'Relu', input: ['c'] },
        { name: 's1', op: 'Add', input: ['sg', 'lr'] },
        { name: 'out', op: 'Add', input: ['s1', 'rl'] },
      ],
    );
    const r = await parity(m, [2, 4, 4, 2]);
    assert.ok(r.maxDiff < 1e-5, `max |Δ| ${r.maxDiff}`);
  });

  it('MaxPool SAME, AvgPool SAME (padding excluded from the mean), Pad, Mean, Reshape, _FusedMatMul, Softmax', async () => {
    const m = graphModel(
      { name: 'x', shape: [-1, 7, 6, 3] },
      [
        { name: 'pads', shape: [4, 2], values: [0, 0, 1, 2, 0, 1, 0, 0], dtype: 'int32' },
        { name: 'axes', shape: [2], values: [1, 2], dtype: 'int32' },
        { name: 'shape', shape: [2], values: [-1, 3], dtype: 'int32' },
        { name: 'w', shape: [3, 5], values: noise(15, 9) },
        { name: 'wb', shape: [5], values: noise(5, 10) },
      ],
      [
        { name: 'mp', op: 'MaxPool', input: ['x'], attr: { ksize: ints(1, 3, 3, 1), strides: ints(1, 2, 2, 1), padding: s('SAME'), data_format: s('NHWC') } },
        { name: 'ap', op: 'AvgPool', input: ['mp'], attr: { ksize: ints(1, 2, 2, 1), strides: ints(1, 1, 1, 1), padding: s('SAME'), data_format: s('NHWC') } },
        { name: 'pd', op: 'Pad', input: ['ap', 'pads'] },
        { name: 'mean', op: 'Mean', input: ['pd', 'axes'], attr: { keep_dims: { b: false } } },
        { name: 'flat', op: 'Reshape', input: ['mean', 'shape'] },
        { name: 'fc', op: '_FusedMatMul', input: ['flat', 'w', 'wb'], attr: { fused_ops: strs('BiasAdd'), num_args: { i: '1' }, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: 'out', op: 'Softmax', input: ['fc'] },
      ],
    );
    const r = await parity(m, [2, 7, 6, 3]);
    assert.equal(r.count, 10);
    assert.ok(r.maxDiff < 1e-6, `max |Δ| ${r.maxDiff}`);
  });

  it('ResizeBilinear (plain and half-pixel), ConcatV2, ExpandDims, Squeeze, Transpose', async () => {
    const m = graphModel(
      { name: 'x', shape: [-1, 5, 4, 2] },
      [
        { name: 'size', shape: [2], values: [8, 7], dtype: 'int32' },
        { name: 'axis', shape: [], values: [3], dtype: 'int32' },
        { name: 'e', shape: [], values: [0], dtype: 'int32' },
        { name: 'perm', shape: [4], values: [0, 2, 1, 3], dtype: 'int32' },
      ],
      [
        { name: 'r1', op: 'ResizeBilinear', input: ['x', 'size'], attr: { align_corners: { b: false }, half_pixel_centers: { b: false } } },
        { name: 'r2', op: 'ResizeBilinear', input: ['x', 'size'], attr: { align_corners: { b: false }, half_pixel_centers: { b: true } } },
        { name: 'cat', op: 'ConcatV2', input: ['r1', 'r2', 'axis'], attr: { N: { i: '2' } } },
        { name: 'ex', op: 'ExpandDims', input: ['cat', 'e'] },
        { name: 'sq', op: 'Squeeze', input: ['ex'], attr: { squeeze_dims: ints(0) } },
        { name: 'out', op: 'Transpose', input: ['sq', 'perm'] },
      ],
    );
    const r = await parity(m, [1, 5, 4, 2]);
    assert.equal(r.count, 8 * 7 * 4);
    assert.ok(r.maxDiff < 1e-5, `max |Δ| ${r.maxDiff}`);
  });

  it('an unknown op is an error naming the op and the node', () => {
    const m = graphModel({ name: 'x', shape: [-1, 2] }, [], [{ name: 'weird/node', op: 'Cumprod', input: ['x'] }]);
    const parsed = parseTfjsGraphModel('synthetic', m.json, () => m.shard);
    assert.throws(
      () => convertTfjsGraph(parsed),
      (err: unknown) => err instanceof FacerecError && /node "weird\/node" \(Cumprod\)/.test(err.message) && /not supported/.test(err.message),
    );
  });

  it('a model.json without modelTopology.node is refused as not a graph model', () => {
    assert.throws(() => parseTfjsGraphModel('layers', { modelTopology: { class_name: 'Sequential' } }, () => new Uint8Array()), /not a tfjs graph model/);
  });

  it('conversion is deterministic: the same model gives the same bytes', () => {
    const m = graphModel({ name: 'x', shape: [-1, 4, 4, 1] }, [{ name: 'f', shape: [1, 1, 1, 1], values: [2] }], [
      { name: 'out', op: 'Conv2D', input: ['x', 'f'], attr: convAttrs('SAME') },
    ]);
    const a = convertTfjsGraph(parseTfjsGraphModel('m', m.json, () => m.shard)).bytes;
    const b = convertTfjsGraph(parseTfjsGraphModel('m', m.json, () => m.shard)).bytes;
    assert.deepEqual(Buffer.from(a), Buffer.from(b));
  });
});
