/**
 * face-api's TinyFaceDetector (a separable-conv Tiny-YOLOv2) as an ONNX graph.
 *
 * Input `image`: float32 [1,3,S,S] with S any multiple of 32 (the graph has a
 * symbolic size), normalised to `(v - meanRgb) / 255`. Output `grid`: float32
 * [1,25,G,G] NCHW raw predictions, G = S/32 (13 for 416);
 * channel a·5+k is anchor a's box value k (x, y, w, h, objectness logit),
 * exactly tfjs's reshape order. Sigmoid/exp decoding and NMS run in JS
 * (decode.ts) in face-api's double-precision arithmetic.
 *
 * face-api's `leaky` (relu(x − 0.1x) + 0.1x) is LeakyRelu(0.1); every
 * activation follows its Conv directly so ORT fuses them.
 */
import { GraphBuilder } from '../../onnx/graph-builder.js';
import { depthwiseToOihw, hwioToOihw } from '../../onnx/tfjs-layers.js';
import type { ModelConverter } from '../../models/model-cache.js';
import type { TfjsWeights, WeightTensor } from '../../models/tfjs-weights.js';

export const TINY_ANCHORS: readonly { x: number; y: number }[] = [
  { x: 1.603231, y: 2.094468 },
  { x: 6.041143, y: 7.080126 },
  { x: 2.882459, y: 3.518061 },
  { x: 4.266906, y: 5.178857 },
  { x: 9.041765, y: 10.66308 },
];
export const TINY_MEAN_RGB: readonly [number, number, number] = [117.001, 114.697, 97.404];
/** Leak of face-api's `leaky`: the float32 scalar 0.1. */
const LEAK = 0.10000000149011612;

function conv(g: GraphBuilder, x: string, w: { data: Float32Array; dims: number[] }, bias: WeightTensor | undefined, attrs: Record<string, { ints: number[] } | { i: number } | { s: string }>, hint: string): string {
  const inputs = [x, g.constant(`${hint}_w`, w.data, w.dims)];
  if (bias) inputs.push(g.constant(`${hint}_b`, bias.data, [bias.data.length]));
  return g.node('Conv', inputs, { kernel_shape: { ints: [w.dims[2]!, w.dims[3]!] }, ...attrs }, hint);
}

function leaky(g: GraphBuilder, x: string, hint: string): string {
  return g.node('LeakyRelu', [x], { alpha: { f: LEAK } }, hint);
}

/** tfjs SAME max-pool 2×2: padding (end side only) never wins the max, like ONNX's SAME_UPPER. */
function maxPool(g: GraphBuilder, x: string, stride: number, hint: string): string {
  return g.node('MaxPool', [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [stride, stride] }, auto_pad: { s: 'SAME_UPPER' } }, hint);
}

/** face-api's `depthwiseSeparableConv`: pad 1, depthwise 3×3 valid, pointwise 1×1 + bias, leaky. */
function separable(g: GraphBuilder, x: string, w: TfjsWeights, name: string): string {
  const dw = depthwiseToOihw(w.get(`${name}/depthwise_filter`));
  const y = conv(g, x, dw, undefined, { pads: { ints: [1, 1, 1, 1] }, group: { i: dw.dims[0]! } }, `${name}_dw`);
  const pw = hwioToOihw(w.get(`${name}/pointwise_filter`));
  return leaky(g, conv(g, y, pw, w.get(`${name}/bias`), {}, `${name}_pw`), name);
}

export function buildTinyFaceDetectorGraph(weights: TfjsWeights): Uint8Array {
  const g = new GraphBuilder('tiny_face_detector');
  g.input('image', [1, 3, 'size', 'size']);
  // conv0 is a plain 3×3 'valid' convolution (face-api: isFirstLayerConv2d).
  let x = leaky(g, conv(g, 'image', hwioToOihw(weights.get('conv0/filters')), weights.get('conv0/bias'), {}, 'conv0_conv'), 'conv0');
  x = maxPool(g, x, 2, 'pool0');
  for (const [i, stride] of [[1, 2], [2, 2], [3, 2], [4, 2], [5, 1]] as const) {
    x = separable(g, x, weights, `conv${i}`);
    x = maxPool(g, x, stride, `pool${i}`);
  }
  const out = conv(g, x, hwioToOihw(weights.get('conv8/filters')), weights.get('conv8/bias'), {}, 'grid');
  if (out !== 'grid') throw new Error(`tiny graph: output named ${out}, expected grid`);
  g.output('grid', [1, 25, 'cells', 'cells']);
  return g.toBytes();
}

export const tinyFaceDetectorConverter: ModelConverter = {
  model: 'tiny_face_detector',
  version: 1,
  build: buildTinyFaceDetectorGraph,
};
