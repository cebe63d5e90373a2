/**
 * SSD-MobileNetV1 (face-api's `ssd_mobilenetv1`) as an ONNX graph.
 *
 * Input `image`: float32 [1,3,512,512], already normalised to `v/127.5 - 1`.
 * Outputs `head0`..`head5`: float32 [1, 5·A, H, W] NCHW, one per box predictor
 * (A = 3 anchors per cell for head 0, 6 for the others). Channels 0..4A-1 are
 * the raw box encodings (anchor-major, 4 per anchor, as tfjs's reshape reads
 * them); channels 4A..5A-1 are the raw logits of class 1 ("face") per anchor —
 * the only class face-api reads, so the other class filters are dropped at
 * conversion time. Box decoding, sigmoid and NMS run in JS (decode.ts), where
 * they reproduce tfjs's float32 arithmetic exactly and cost microseconds.
 *
 * Every batch norm is folded into its convolution, every activation is a
 * Clip(0,6) right after a Conv, so ORT fuses each layer into one FusedConv.
 */
import { GraphBuilder } from '../../onnx/graph-builder.js';
import { depthwiseToOihw, hwioToOihw } from '../../onnx/tfjs-layers.js';
import type { ModelConverter } from '../../models/model-cache.js';
import type { TfjsWeights } from '../../models/tfjs-weights.js';

export const SSD_INPUT_SIZE = 512;
/** face-api's batch-norm epsilon for the depthwise layers. */
const BN_EPSILON = 0.0010000000474974513;
export const SSD_HEADS = [
  { anchors: 3, grid: 32 },
  { anchors: 6, grid: 16 },
  { anchors: 6, grid: 8 },
  { anchors: 6, grid: 4 },
  { anchors: 6, grid: 2 },
  { anchors: 6, grid: 1 },
] as const;
export const SSD_ANCHOR_COUNT = SSD_HEADS.reduce((n, h) => n + h.anchors * h.grid * h.grid, 0); // 5118

interface Ctx {
  g: GraphBuilder;
  w: TfjsWeights;
  zero: string;
  six: string;
}

function convAttrs(kernel: number, stride: number, group?: number) {
  return {
    kernel_shape: { ints: [kernel, kernel] },
    strides: { ints: [stride, stride] },
    // TF 'SAME': the odd extra padding pixel goes at the end (SAME_UPPER).
    auto_pad: { s: kernel === 1 && stride === 1 ? 'VALID' : 'SAME_UPPER' },
    ...(group ? { group: { i: group } } : {}),
  };
}

function relu6(c: Ctx, x: string, hint: string): string {
  return c.g.node('Clip', [x, c.zero, c.six], {}, hint);
}

/** tfjs `clip(conv2d(x, filters, stride, 'same') + offset, 0, 6)`. */
function pointwiseConvLayer(c: Ctx, x: string, prefix: string, stride: number, hint: string): string {
  const filter = c.w.get(`${prefix}/weights`);
  const bias = c.w.get(`${prefix}/convolution_bn_offset`);
  const w = hwioToOihw(filter);
  const y = c.g.node(
    'Conv',
    [x, c.g.constant(`${hint}_w`, w.data, w.dims), c.g.constant(`${hint}_b`, bias.data, [bias.data.length])],
    convAttrs(w.dims[2]!, stride),
    `${hint}_conv`,
  );
  return relu6(c, y, hint);
}

/** tfjs `clip(batchNorm(depthwiseConv2d(x, f, stride, 'same')), 0, 6)` with the batch norm folded into the filter. */
function depthwiseConvLayer(c: Ctx, x: string, idx: number, stride: number): string {
  const prefix = `MobilenetV1/Conv2d_${idx}_depthwise`;
  const w = depthwiseToOihw(c.w.get(`${prefix}/depthwise_weights`));
  const gamma = c.w.get(`${prefix}/BatchNorm/gamma`).data;
  const beta = c.w.get(`${prefix}/BatchNorm/beta`).data;
  const mean = c.w.get(`${prefix}/BatchNorm/moving_mean`).data;
  const variance = c.w.get(`${prefix}/BatchNorm/moving_variance`).data;
  const channels = w.dims[0]!;
  const perChannel = w.data.length / channels;
  const filter = new Float32Array(w.data.length);
  const bias = new Float32Array(channels);
  for (let ch = 0; ch < channels; ch++) {
    const k = gamma[ch]! / Math.sqrt(variance[ch]! + BN_EPSILON);
    for (let i = 0; i < perChannel; i++) filter[ch * perChannel + i] = w.data[ch * perChannel + i]! * k;
    bias[ch] = beta[ch]! - mean[ch]! * k;
  }
  const hint = `dw${idx}`;
  const y = c.g.node(
    'Conv',
    [x, c.g.constant(`${hint}_w`, filter, w.dims), c.g.constant(`${hint}_b`, bias, [channels])],
    convAttrs(w.dims[2]!, stride, channels),
    `${hint}_conv`,
  );
  return relu6(c, y, hint);
}

/** One box predictor: box-encoding and face-logit 1×1 convolutions merged into a single Conv. */
function boxPredictor(c: Ctx, x: string, idx: number, anchors: number): string {
  const p = `Prediction/BoxPredictor_${idx}`;
  const box = hwioToOihw(c.w.get(`${p}/BoxEncodingPredictor/weights`));
  const boxBias = c.w.get(`${p}/BoxEncodingPredictor/biases`).data;
  const cls = hwioToOihw(c.w.get(`${p}/ClassPredictor/weights`));
  const clsBias = c.w.get(`${p}/ClassPredictor/biases`).data;
  const inCh = box.dims[1]!;
  if (box.dims[0] !== anchors * 4 || cls.dims[0] !== anchors * 3) {
    throw new Error(`${p}: expected ${anchors * 4} box and ${anchors * 3} class filters, got ${box.dims[0]} and ${cls.dims[0]}`);
  }
  const outCh = anchors * 5;
  const weight = new Float32Array(outCh * inCh);
  const bias = new Float32Array(outCh);
  weight.set(box.data, 0);
  bias.set(boxBias, 0);
  for (let a = 0; a < anchors; a++) {
    const src = a * 3 + 1; // class 1 = face (face-api slices off class 0, then takes the first)
    weight.set(cls.data.subarray(src * inCh, (src + 1) * inCh), (anchors * 4 + a) * inCh);
    bias[anchors * 4 + a] = clsBias[src]!;
  }
  const name = c.g.node(
    'Conv',
    [x, c.g.constant(`head${idx}_w`, weight, [outCh, inCh, 1, 1]), c.g.constant(`head${idx}_b`, bias, [outCh])],
    convAttrs(1, 1),
    `head${idx}`,
  );
  return name;
}

export function buildSsdMobilenetV1Graph(weights: TfjsWeights): Uint8Array {
  const g = new GraphBuilder('ssd_mobilenetv1');
  const c: Ctx = { g, w: weights, zero: g.scalar('zero', 0), six: g.scalar('six', 6) };
  g.input('image', [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);

  let x = pointwiseConvLayer(c, 'image', 'MobilenetV1/Conv2d_0_pointwise', 2, 'conv0');
  let conv11 = '';
  for (let idx = 1; idx <= 13; idx++) {
    const stride = [2, 4, 6, 12].includes(idx) ? 2 : 1;
    x = depthwiseConvLayer(c, x, idx, stride);
    x = pointwiseConvLayer(c, x, `MobilenetV1/Conv2d_${idx}_pointwise`, 1, `pw${idx}`);
    if (idx === 11) conv11 = x;
  }
  const p: string[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwiseConvLayer(c, y, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1, `pred${i}`);
    p.push(y);
  }
  const sources = [conv11, x, p[1]!, p[3]!, p[5]!, p[7]!];
  SSD_HEADS.forEach((h, idx) => {
    const out = boxPredictor(c, sources[idx]!, idx, h.anchors);
    const name = `head${idx}`;
    if (out !== name) throw new Error(`ssd graph: head output named ${out}, expected ${name}`);
    g.output(name, [1, h.anchors * 5, h.grid, h.grid]);
  });
  return g.toBytes();
}

export const ssdMobilenetV1Converter: ModelConverter = {
  model: 'ssd_mobilenetv1',
  version: 1,
  build: buildSsdMobilenetV1Graph,
};
