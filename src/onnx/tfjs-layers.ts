/**
 * Emitters for the layer shapes that face-api's nets are made of. Weights arrive
 * in tfjs layout (HWIO filters, [h,w,c,1] depthwise filters); graphs run NCHW,
 * so filters are transposed here once, at conversion time.
 */
import type { GraphBuilder } from './graph-builder.js';
import type { WeightTensor } from '../models/tfjs-weights.js';

/** HWIO (tfjs conv filter) → OIHW (ONNX Conv weight). */
export function hwioToOihw(t: WeightTensor): { data: Float32Array; dims: number[] } {
  const [h, w, i, o] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ci = 0; ci < i; ci++)
        for (let co = 0; co < o; co++) out[((co * i + ci) * h + y) * w + x] = t.data[((y * w + x) * i + ci) * o + co]!;
  return { data: out, dims: [o, i, h, w] };
}

/** Depthwise [h,w,c,1] → ONNX grouped Conv weight [c,1,h,w]. */
export function depthwiseToOihw(t: WeightTensor): { data: Float32Array; dims: number[] } {
  const [h, w, c, m] = t.shape as [number, number, number, number];
  if (m !== 1) throw new Error(`${t.name}: depthwise multiplier ${m} is not supported`);
  const out = new Float32Array(t.data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[(ch * h + y) * w + x] = t.data[(y * w + x) * c + ch]!;
  return { data: out, dims: [c, 1, h, w] };
}

export type Padding = 'same' | 'valid';

export interface ConvOptions {
  stride?: number;
  padding?: Padding;
  name?: string;
}

function padAttrs(padding: Padding) {
  // TF 'SAME' puts the odd extra pixel at the end, exactly ONNX's SAME_UPPER.
  return padding === 'same' ? { auto_pad: { s: 'SAME_UPPER' } } : { auto_pad: { s: 'VALID' } };
}

/** A regular 2-D convolution from a tfjs HWIO filter (and optional bias). */
export function conv2d(g: GraphBuilder, x: string, filter: WeightTensor, bias: WeightTensor | undefined, opts: ConvOptions = {}): string {
  const stride = opts.stride ?? 1;
  const w = hwioToOihw(filter);
  const inputs = [x, g.constant(`${filter.name}`, w.data, w.dims)];
  if (bias) inputs.push(g.constant(`${bias.name}`, bias.data, [bias.data.length]));
  return g.node('Conv', inputs, { strides: { ints: [stride, stride] }, ...padAttrs(opts.padding ?? 'same') }, opts.name ?? filter.name);
}

/** A depthwise convolution (grouped Conv with group = channels). */
export function depthwiseConv2d(g: GraphBuilder, x: string, filter: WeightTensor, bias: WeightTensor | undefined, opts: ConvOptions = {}): string {
  const stride = opts.stride ?? 1;
  const w = depthwiseToOihw(filter);
  const inputs = [x, g.constant(`${filter.name}`, w.data, w.dims)];
  if (bias) inputs.push(g.constant(`${bias.name}`, bias.data, [bias.data.length]));
  return g.node(
    'Conv',
    inputs,
    { strides: { ints: [stride, stride] }, group: { i: w.dims[0]! }, ...padAttrs(opts.padding ?? 'same') },
    opts.name ?? filter.name,
  );
}

/** tfjs `separableConv2d(x, depthwise, pointwise) + bias`: depthwise then 1×1 pointwise with bias. */
export function separableConv2d(
  g: GraphBuilder,
  x: string,
  p: { depthwise: WeightTensor; pointwise: WeightTensor; bias?: WeightTensor },
  opts: ConvOptions = {},
): string {
  const dw = depthwiseConv2d(g, x, p.depthwise, undefined, opts);
  return conv2d(g, dw, p.pointwise, p.bias, { padding: 'valid' });
}

/** Per-channel constant shaped [1,C,1,1] so it broadcasts over NCHW. */
export function channelConstant(g: GraphBuilder, hint: string, values: Float32Array): string {
  return g.constant(hint, values, [1, values.length, 1, 1]);
}
