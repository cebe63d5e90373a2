/**
 * The face_recognition net (dlib's ResNet-34 variant as ported by face-api) as
 * an ONNX graph. Input `image` is NCHW float [N,3,150,150], already normalised
 * ((rgb - mean) / 255, see `chip.ts`); output `descriptor` is [N,128].
 *
 * Speed: every conv layer in face-api is `conv + bias`, then a per-channel
 * scale layer `x * w + b`. The scale layer is folded into the conv's weights
 * and bias here, so the graph is only Conv(+bias) [+Relu], residual Add+Relu,
 * pooling and one MatMul — the shapes ORT fuses and runs in its NCHWc kernels.
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import { hwioToOihw } from '../onnx/tfjs-layers.js';
import type { ModelConverter } from '../models/model-cache.js';
import type { TfjsWeights } from '../models/tfjs-weights.js';

export const DESCRIPTOR_INPUT = 'image';
export const DESCRIPTOR_OUTPUT = 'descriptor';

interface ConvLayer {
  weight: Float32Array; // OIHW, scale folded in
  bias: Float32Array; // scale folded in
  dims: number[];
}

/** conv(x) + bias, then * scale.weights + scale.biases, folded into one conv. */
export function foldedConvLayer(weights: TfjsWeights, prefix: string): ConvLayer {
  const filters = weights.get(`${prefix}/conv/filters`);
  const bias = weights.get(`${prefix}/conv/bias`).data;
  const scaleW = weights.get(`${prefix}/scale/weights`).data;
  const scaleB = weights.get(`${prefix}/scale/biases`).data;
  const oihw = hwioToOihw(filters);
  const outChannels = oihw.dims[0]!;
  if (bias.length !== outChannels || scaleW.length !== outChannels || scaleB.length !== outChannels) {
    throw new Error(`${prefix}: bias/scale sizes do not match ${outChannels} output channels`);
  }
  const perOut = oihw.data.length / outChannels;
  const weight = new Float32Array(oihw.data.length);
  const foldedBias = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const s = scaleW[o]!;
    for (let k = 0; k < perOut; k++) weight[o * perOut + k] = oihw.data[o * perOut + k]! * s;
    foldedBias[o] = bias[o]! * s + scaleB[o]!;
  }
  return { weight, bias: foldedBias, dims: oihw.dims };
}

function emitConv(g: GraphBuilder, x: string, layer: ConvLayer, name: string, stride: number, padding: 'same' | 'valid', relu: boolean): string {
  const w = g.constant(`${name}/w`, layer.weight, layer.dims);
  const b = g.constant(`${name}/b`, layer.bias, [layer.bias.length]);
  const k = layer.dims[2]!;
  const attrs =
    padding === 'same'
      ? // TF SAME with stride 1 and an odd kernel is symmetric: explicit pads keep ORT's fusions simple.
        { strides: { ints: [stride, stride] }, kernel_shape: { ints: [k, k] }, pads: { ints: sameStride1Pads(k, stride, name) } }
      : { strides: { ints: [stride, stride] }, kernel_shape: { ints: [k, k] }, pads: { ints: [0, 0, 0, 0] } };
  const y = g.node('Conv', [x, w, b], attrs, name);
  return relu ? g.node('Relu', [y], {}, `${name}/relu`) : y;
}

function sameStride1Pads(k: number, stride: number, name: string): number[] {
  if (stride !== 1 || k % 2 !== 1) throw new Error(`${name}: only stride-1 odd-kernel SAME convs occur in this net`);
  const p = (k - 1) / 2;
  return [p, p, p, p];
}

function residual(g: GraphBuilder, x: string, weights: TfjsWeights, prefix: string): string {
  let out = emitConv(g, x, foldedConvLayer(weights, `${prefix}/conv1`), `${prefix}/conv1`, 1, 'same', true);
  out = emitConv(g, out, foldedConvLayer(weights, `${prefix}/conv2`), `${prefix}/conv2`, 1, 'same', false);
  out = g.node('Add', [out, x], {}, `${prefix}/add`);
  return g.node('Relu', [out], {}, `${prefix}/relu`);
}

/**
 * face-api's residualDown: conv1 is 3×3 stride 2 VALID; the shortcut is a 2×2
 * average pool, zero-padded in channels when the width doubles; when the conv
 * path comes out one pixel smaller than the pool, it gets a zero row and
 * column appended (bottom/right), exactly as face-api concatenates zeros.
 */
function residualDown(
  g: GraphBuilder,
  x: string,
  weights: TfjsWeights,
  prefix: string,
  shape: { channels: number; size: number },
): { out: string; channels: number; size: number } {
  const conv1 = foldedConvLayer(weights, `${prefix}/conv1`);
  const outChannels = conv1.dims[0]!;
  let out = emitConv(g, x, conv1, `${prefix}/conv1`, 2, 'valid', true);
  out = emitConv(g, out, foldedConvLayer(weights, `${prefix}/conv2`), `${prefix}/conv2`, 1, 'same', false);
  const convSize = Math.floor((shape.size - 3) / 2) + 1;
  const poolSize = Math.floor(shape.size / 2);
  if (convSize !== poolSize) {
    if (convSize + 1 !== poolSize) throw new Error(`${prefix}: unexpected sizes conv ${convSize} vs pool ${poolSize}`);
    out = g.node('Pad', [out, g.int64s(`${prefix}/pad_hw`, [0, 0, 0, 0, 0, 0, 1, 1])], { mode: { s: 'constant' } }, `${prefix}/pad_hw`);
  }
  let pooled = g.node('AveragePool', [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, `${prefix}/pool`);
  if (outChannels !== shape.channels) {
    const extra = outChannels - shape.channels;
    pooled = g.node('Pad', [pooled, g.int64s(`${prefix}/pad_c`, [0, 0, 0, 0, 0, extra, 0, 0])], { mode: { s: 'constant' } }, `${prefix}/pad_c`);
  }
  out = g.node('Add', [pooled, out], {}, `${prefix}/add`);
  out = g.node('Relu', [out], {}, `${prefix}/relu`);
  return { out, channels: outChannels, size: poolSize };
}

/** Builds the ONNX bytes of face-api's FaceRecognitionNet. */
export function buildFaceRecognitionGraph(weights: TfjsWeights): Uint8Array {
  const g = new GraphBuilder('face_recognition');
  const input = g.input(DESCRIPTOR_INPUT, ['N', 3, 150, 150]);

  // 150 → 72 (7×7 stride 2 VALID) → 35 (3×3 stride 2 max pool VALID)
  let x = emitConv(g, input, foldedConvLayer(weights, 'conv32_down'), 'conv32_down', 2, 'valid', true);
  x = g.node('MaxPool', [x], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } }, 'maxpool');
  let shape = { channels: 32, size: 35 };

  for (const name of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, x, weights, name);
  const stages: [string, string[]][] = [
    ['conv64_down', ['conv64_1', 'conv64_2', 'conv64_3']],
    ['conv128_down', ['conv128_1', 'conv128_2']],
    ['conv256_down', ['conv256_1', 'conv256_2']],
    ['conv256_down_out', []],
  ];
  for (const [down, blocks] of stages) {
    const r = residualDown(g, x, weights, down, shape);
    x = r.out;
    shape = { channels: r.channels, size: r.size };
    for (const name of blocks) x = residual(g, x, weights, name);
  }

  // mean over H,W then [N,256] × [256,128]
  x = g.node('GlobalAveragePool', [x], {}, 'global_avg');
  x = g.node('Flatten', [x], { axis: { i: 1 } }, 'flatten');
  const fc = weights.get('fc');
  if (fc.shape[0] !== 256 || fc.shape[1] !== 128) throw new Error(`fc has shape [${fc.shape.join(',')}], expected [256,128]`);
  const y = g.node('MatMul', [x, g.constant('fc', fc.data, fc.shape)], {}, DESCRIPTOR_OUTPUT);
  g.output(y, ['N', 128]);
  return g.toBytes();
}

/** Converter for the model cache. Bump `version` whenever the graph changes. */
export const faceRecognitionConverter: ModelConverter = {
  model: 'face_recognition',
  version: 1,
  build: buildFaceRecognitionGraph,
};
