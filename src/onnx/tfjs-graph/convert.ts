/**
 * A generic tfjs graph model → ONNX converter.
 *
 * Layout: tensors stay NHWC, as in TF, so reshapes, flattens, concatenations
 * and per-channel constants need no rewriting at all. Only the ops ONNX defines
 * on NCHW (Conv, pooling, resize) are wrapped in a Transpose pair; ORT's
 * transpose optimizer cancels the back-to-back pairs between consecutive convs,
 * so the cost is paid about once at the input and once at the output.
 *
 * TF 'SAME' padding puts the odd extra pixel after the image: that is ONNX's
 * SAME_UPPER, for any stride and dilation. Unknown ops stop the conversion with
 * an error naming the op and the node.
 */
import { FacerecError } from '../../errors.js';
import { GraphBuilder, type Attr, type Dim } from '../graph-builder.js';
import type { ConstTensor, TfAttr, TfNode, TfjsGraphModel } from './graph-model.js';

/** One TF tensor during conversion: an ONNX value name, a constant, or both. */
interface Value {
  onnx?: string;
  konst?: ConstTensor;
}

export interface ConvertedGraph {
  bytes: Uint8Array;
  inputs: { name: string; dims: Dim[] }[];
  outputs: string[];
}

export interface ConvertOptions {
  /** Graph outputs by TF tensor name (`Identity` or `Identity:0`); default: the signature, else every unconsumed node. */
  outputs?: string[];
  /** Fixed input dims (NHWC) instead of the Placeholder's, e.g. a batch of 1. */
  inputDims?: Record<string, Dim[]>;
}

export const SUPPORTED_OPS = [
  'Placeholder', 'Const', 'Identity', 'NoOp', 'StopGradient',
  'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative',
  'MatMul', '_FusedMatMul', 'BiasAdd',
  'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Div', 'Maximum', 'Minimum', 'SquaredDifference', 'Pow',
  'Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Prelu', 'Sigmoid', 'Tanh', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal',
  'Softmax', 'LogSoftmax', 'MaxPool', 'AvgPool', 'Pad', 'PadV2', 'MirrorPad',
  'Reshape', 'Squeeze', 'ExpandDims', 'ConcatV2', 'Pack', 'Shape', 'StridedSlice', 'Cast', 'Transpose',
  'Mean', 'Sum', 'Max', 'Min', 'Prod', 'ResizeBilinear', 'ResizeNearestNeighbor',
] as const;

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

function decodeString(s: string | undefined): string {
  return s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8');
}

class Converter {
  readonly g: GraphBuilder;
  private readonly values = new Map<string, Value>();
  readonly inputs: { name: string; dims: Dim[] }[] = [];

  constructor(
    private readonly model: TfjsGraphModel,
    private readonly options: ConvertOptions,
  ) {
    this.g = new GraphBuilder(model.name);
  }

  private fail(node: TfNode, message: string): never {
    throw new FacerecError('MODEL_MISMATCH', `${this.model.name}: node "${node.name}" (${node.op}): ${message}`);
  }

  /** The value behind a TF input reference such as `conv/BiasAdd` or `split:1`. */
  value(ref: string, node?: TfNode): Value {
    const key = ref.endsWith(':0') ? ref.slice(0, -2) : ref;
    const v = this.values.get(key);
    if (!v) {
      const msg = `input "${ref}" is not produced by any converted node`;
      if (node) this.fail(node, msg);
      throw new FacerecError('MODEL_MISMATCH', `${this.model.name}: ${msg}`);
    }
    return v;
  }

  /** ONNX value name of a TF input, emitting constants as initializers on first use. */
  name(ref: string, node: TfNode): string {
    const v = this.value(ref, node);
    if (v.onnx) return v.onnx;
    const k = v.konst!;
    v.onnx = this.g.constant(ref, k.data, k.shape);
    return v.onnx;
  }

  konst(ref: string, node: TfNode, what: string): ConstTensor {
    const k = this.value(ref, node).konst;
    if (!k) this.fail(node, `${what} (input "${ref}") must be a constant; dynamic ${what} is not supported`);
    return k;
  }

  private attr(node: TfNode, key: string): TfAttr | undefined {
    return node.attr?.[key];
  }

  private attrInts(node: TfNode, key: string, fallback: number[]): number[] {
    const list = this.attr(node, key)?.list?.i;
    return list && list.length > 0 ? list.map(Number) : fallback;
  }

  private attrString(node: TfNode, key: string): string {
    return decodeString(this.attr(node, key)?.s);
  }

  private attrBool(node: TfNode, key: string): boolean {
    return this.attr(node, key)?.b === true;
  }

  private attrInt(node: TfNode, key: string, fallback = 0): number {
    const v = this.attr(node, key)?.i;
    return v === undefined ? fallback : Number(v);
  }

  private set(node: TfNode, onnx: string): void {
    this.values.set(node.name, { onnx });
  }

  private dataInputs(node: TfNode): string[] {
    return (node.input ?? []).filter((i) => !i.startsWith('^'));
  }

  private checkNhwc(node: TfNode): void {
    const format = this.attrString(node, 'data_format');
    if (format && format !== 'NHWC') this.fail(node, `data_format ${format} is not supported (only NHWC)`);
  }

  /** ONNX pad attributes for a TF spatial op on NCHW data. */
  private padAttrs(node: TfNode): Record<string, Attr> {
    const padding = this.attrString(node, 'padding');
    if (padding === 'SAME') return { auto_pad: { s: 'SAME_UPPER' } };
    if (padding === 'VALID') return { auto_pad: { s: 'VALID' } };
    if (padding === 'EXPLICIT') {
      const p = this.attrInts(node, 'explicit_paddings', []); // NHWC pairs: [0,0, top,bottom, left,right, 0,0]
      if (p.length !== 8) this.fail(node, `explicit_paddings needs 8 values, got ${p.length}`);
      return { pads: { ints: [p[2]!, p[4]!, p[3]!, p[5]!] } };
    }
    this.fail(node, `padding "${padding}" is not supported (SAME, VALID or EXPLICIT)`);
  }

  private spatial(node: TfNode, key: string): [number, number] {
    const v = this.attrInts(node, key, [1, 1, 1, 1]);
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) this.fail(node, `${key} [${v.join(',')}] must be [1,h,w,1]`);
    return [v[1]!, v[2]!];
  }

  private toNchw(x: string, hint: string): string {
    return this.g.node('Transpose', [x], { perm: { ints: NHWC_TO_NCHW } }, `${hint}/nchw`);
  }

  private toNhwc(x: string, hint: string): string {
    return this.g.node('Transpose', [x], { perm: { ints: NCHW_TO_NHWC } }, hint);
  }

  /** Activation named by a TF fused op, applied to `x`; `channelAxisRank4` reshapes per-channel alpha for NCHW. */
  private activation(node: TfNode, op: string, x: string, extraInput: string | undefined, nchw: boolean): string {
    const hint = `${node.name}/${op.toLowerCase()}`;
    switch (op) {
      case 'Relu':
        return this.g.node('Relu', [x], {}, hint);
      case 'Relu6':
        return this.g.node('Clip', [x, this.g.scalar(`${hint}/min`, 0), this.g.scalar(`${hint}/max`, 6)], {}, hint);
      case 'Elu':
        return this.g.node('Elu', [x], { alpha: { f: 1 } }, hint);
      case 'Sigmoid':
        return this.g.node('Sigmoid', [x], {}, hint);
      case 'Tanh':
        return this.g.node('Tanh', [x], {}, hint);
      case 'LeakyRelu': {
        const a = this.attr(node, 'leakyrelu_alpha')?.f ?? this.attr(node, 'alpha')?.f ?? 0.2;
        return this.g.node('LeakyRelu', [x], { alpha: { f: a } }, hint);
      }
      case 'Prelu': {
        if (!extraInput) this.fail(node, 'Prelu needs an alpha input');
        const alpha = this.konst(extraInput, node, 'Prelu alpha');
        // TF's alpha broadcasts over the last (channel) axis; in NCHW it must become [C,1,1].
        const dims = nchw && alpha.shape.length === 1 ? [alpha.shape[0]!, 1, 1] : alpha.shape;
        return this.g.node('PRelu', [x, this.g.constant(`${node.name}/alpha`, alpha.data, dims)], {}, hint);
      }
      default:
        this.fail(node, `fused activation ${op} is not supported (Relu, Relu6, Elu, LeakyRelu, Prelu, Sigmoid, Tanh)`);
    }
  }

  /** BiasAdd + one optional activation, as `_FusedConv2D`/`_FusedMatMul` describe them. */
  private fusedOps(node: TfNode): { bias: boolean; activation: string | undefined } {
    const ops = (this.attr(node, 'fused_ops')?.list?.s ?? []).map(decodeString);
    let bias = false;
    let activation: string | undefined;
    for (const op of ops) {
      if (op === 'BiasAdd' && !bias && !activation) bias = true;
      else if (op !== 'BiasAdd' && !activation) activation = op;
      else this.fail(node, `fused_ops [${ops.join(', ')}] is not supported (BiasAdd then one activation)`);
    }
    return { bias, activation };
  }

  private conv(node: TfNode, depthwise: boolean, fused: boolean): void {
    this.checkNhwc(node);
    const [x, filterRef, ...rest] = this.dataInputs(node);
    const filter = this.konst(filterRef!, node, 'the filter');
    if (filter.shape.length !== 4) this.fail(node, `filter shape [${filter.shape.join(',')}] is not 4-D`);
    const [h, w, ci, co] = filter.shape as [number, number, number, number];
    const f = filter.data;
    let weight: Float32Array;
    let dims: number[];
    let group = 1;
    if (depthwise) {
      // [h,w,c,m] → [c*m,1,h,w]; output channel c*m+k, as TF orders them.
      weight = new Float32Array(f.length);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++)
          for (let c = 0; c < ci; c++) for (let k = 0; k < co; k++) weight[((c * co + k) * h + y) * w + xx] = f[((y * w + xx) * ci + c) * co + k]!;
      dims = [ci * co, 1, h, w];
      group = ci;
    } else {
      weight = new Float32Array(f.length);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++)
          for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) weight[((o * ci + c) * h + y) * w + xx] = f[((y * w + xx) * ci + c) * co + o]!;
      dims = [co, ci, h, w];
    }
    const inputs = [this.toNchw(this.name(x!, node), node.name), this.g.constant(`${node.name}/weight`, weight, dims)];
    const { bias, activation } = fused ? this.fusedOps(node) : { bias: false, activation: undefined };
    if (bias) {
      const b = this.konst(rest[0]!, node, 'the bias');
      inputs.push(this.g.constant(`${node.name}/bias`, b.data, [b.data.length]));
    }
    let y = this.g.node(
      'Conv',
      inputs,
      {
        strides: { ints: this.spatial(node, 'strides') },
        dilations: { ints: this.spatial(node, 'dilations') },
        group: { i: group },
        ...this.padAttrs(node),
      },
      `${node.name}/conv`,
    );
    if (activation) y = this.activation(node, activation, y, rest[1], true);
    this.set(node, this.toNhwc(y, node.name));
  }

  private pool(node: TfNode, op: 'MaxPool' | 'AveragePool'): void {
    this.checkNhwc(node);
    const [x] = this.dataInputs(node);
    const y = this.g.node(
      op,
      [this.toNchw(this.name(x!, node), node.name)],
      { kernel_shape: { ints: this.spatial(node, 'ksize') }, strides: { ints: this.spatial(node, 'strides') }, ...this.padAttrs(node) },
      `${node.name}/pool`,
    );
    this.set(node, this.toNhwc(y, node.name));
  }

  private matMul(node: TfNode, fused: boolean): void {
    const [a, b, ...rest] = this.dataInputs(node);
    const inputs = [this.name(a!, node), this.name(b!, node)];
    const { bias, activation } = fused ? this.fusedOps(node) : { bias: false, activation: undefined };
    if (bias) inputs.push(this.name(rest[0]!, node));
    let y = this.g.node(
      'Gemm',
      inputs,
      { transA: { i: this.attrBool(node, 'transpose_a') ? 1 : 0 }, transB: { i: this.attrBool(node, 'transpose_b') ? 1 : 0 } },
      `${node.name}/gemm`,
    );
    if (activation) y = this.activation(node, activation, y, rest[1], false);
    this.set(node, y);
  }

  /** A 1-D int64 ONNX value from a TF int32 input (constant or computed). */
  private int64Input(ref: string, node: TfNode): string {
    const k = this.value(ref, node).konst;
    if (k) return this.g.int64s(`${node.name}/${ref}`, Array.from(k.data));
    return this.g.node('Cast', [this.name(ref, node)], { to: { i: 7 } }, `${node.name}/int64`);
  }

  private axes(node: TfNode, ref: string): number[] {
    return Array.from(this.konst(ref, node, 'the axes').data);
  }

  private reduce(node: TfNode, op: string): void {
    const [x, axesRef] = this.dataInputs(node);
    const axes = this.axes(node, axesRef!);
    const keepdims = { i: this.attrBool(node, 'keep_dims') ? 1 : 0 };
    // Opset 17: ReduceSum takes axes as an input, the others as an attribute.
    const y =
      op === 'ReduceSum'
        ? this.g.node(op, [this.name(x!, node), this.g.int64s(`${node.name}/axes`, axes)], { keepdims }, node.name)
        : this.g.node(op, [this.name(x!, node)], { axes: { ints: axes }, keepdims }, node.name);
    this.set(node, y);
  }

  private stridedSlice(node: TfNode): void {
    const [x, beginRef, endRef, stridesRef] = this.dataInputs(node);
    for (const mask of ['ellipsis_mask', 'new_axis_mask']) {
      if (this.attrInt(node, mask) !== 0) this.fail(node, `${mask} is not supported`);
    }
    const begin = Array.from(this.konst(beginRef!, node, 'begin').data);
    const end = Array.from(this.konst(endRef!, node, 'end').data);
    const strides = Array.from(this.konst(stridesRef!, node, 'strides').data);
    const beginMask = this.attrInt(node, 'begin_mask');
    const endMask = this.attrInt(node, 'end_mask');
    const shrink = this.attrInt(node, 'shrink_axis_mask');
    const big = 2 ** 31 - 1;
    const starts: number[] = [];
    const ends: number[] = [];
    const shrinkAxes: number[] = [];
    for (let a = 0; a < begin.length; a++) {
      const s = strides[a]!;
      if (shrink & (1 << a)) {
        starts.push(begin[a]!);
        ends.push(begin[a]! === -1 ? big : begin[a]! + 1);
        shrinkAxes.push(a);
        continue;
      }
      starts.push(beginMask & (1 << a) ? (s > 0 ? 0 : big) : begin[a]!);
      ends.push(endMask & (1 << a) ? (s > 0 ? big : -big) : end[a]!);
    }
    let y = this.g.node(
      'Slice',
      [
        this.name(x!, node),
        this.g.int64s(`${node.name}/starts`, starts),
        this.g.int64s(`${node.name}/ends`, ends),
        this.g.int64s(`${node.name}/axes`, starts.map((_, i) => i)),
        this.g.int64s(`${node.name}/steps`, strides),
      ],
      {},
      `${node.name}/slice`,
    );
    if (shrinkAxes.length > 0) y = this.g.node('Squeeze', [y, this.g.int64s(`${node.name}/squeeze`, shrinkAxes)], {}, node.name);
    this.set(node, y);
  }

  private resize(node: TfNode, mode: 'linear' | 'nearest'): void {
    const [x, sizeRef] = this.dataInputs(node);
    const size = Array.from(this.konst(sizeRef!, node, 'the output size').data);
    const alignCorners = this.attrBool(node, 'align_corners');
    const halfPixel = this.attrBool(node, 'half_pixel_centers');
    const transform = alignCorners ? 'align_corners' : halfPixel ? (mode === 'linear' ? 'half_pixel' : 'tf_half_pixel_for_nn') : 'asymmetric';
    const nchw = this.toNchw(this.name(x!, node), node.name);
    // Sizes need N and C too: take them from the input's runtime shape.
    const shape = this.g.node('Shape', [nchw], {}, `${node.name}/shape`);
    const nc = this.g.node('Slice', [shape, this.g.int64s(`${node.name}/s0`, [0]), this.g.int64s(`${node.name}/s1`, [2])], {}, `${node.name}/nc`);
    const sizes = this.g.node('Concat', [nc, this.g.int64s(`${node.name}/hw`, size)], { axis: { i: 0 } }, `${node.name}/sizes`);
    const attrs: Record<string, Attr> = { mode: { s: mode }, coordinate_transformation_mode: { s: transform } };
    if (mode === 'nearest') attrs.nearest_mode = { s: alignCorners ? 'round_prefer_ceil' : 'floor' };
    const y = this.g.node('Resize', [nchw, '', '', sizes], attrs, `${node.name}/resize`);
    this.set(node, this.toNhwc(y, node.name));
  }

  private pad(node: TfNode, mode: 'constant' | 'reflect'): void {
    const [x, padsRef, valueRef] = this.dataInputs(node);
    const p = this.konst(padsRef!, node, 'the paddings');
    const rank = p.shape[0]!;
    const pads = [...Array.from({ length: rank }, (_, i) => p.data[2 * i]!), ...Array.from({ length: rank }, (_, i) => p.data[2 * i + 1]!)];
    const inputs = [this.name(x!, node), this.g.int64s(`${node.name}/pads`, pads)];
    if (valueRef) inputs.push(this.name(valueRef, node));
    this.set(node, this.g.node('Pad', inputs, { mode: { s: mode } }, node.name));
  }

  convertNode(node: TfNode): void {
    const ins = this.dataInputs(node);
    const unary = (op: string, attrs: Record<string, Attr> = {}) => this.set(node, this.g.node(op, [this.name(ins[0]!, node)], attrs, node.name));
    const binary = (op: string) => this.set(node, this.g.node(op, [this.name(ins[0]!, node), this.name(ins[1]!, node)], {}, node.name));
    switch (node.op) {
      case 'Const': {
        const k = this.model.constants.get(node.name);
        if (!k) this.fail(node, 'its value is missing from the weights manifest');
        this.values.set(node.name, { konst: k });
        return;
      }
      case 'Placeholder': {
        const given = this.options.inputDims?.[node.name];
        const dims: Dim[] =
          given ?? (this.attr(node, 'shape')?.shape?.dim ?? []).map((d, i) => (Number(d.size) >= 0 ? Number(d.size) : i === 0 ? 'N' : `d${i}`));
        const dtype = this.attr(node, 'dtype')?.type;
        if (dtype && dtype !== 'DT_FLOAT') this.fail(node, `input dtype ${dtype} is not supported (DT_FLOAT)`);
        this.inputs.push({ name: this.g.input(node.name, dims), dims });
        this.values.set(node.name, { onnx: node.name });
        return;
      }
      case 'Identity':
      case 'StopGradient':
        this.values.set(node.name, this.value(ins[0]!, node));
        return;
      case 'NoOp':
        return;
      case 'Conv2D':
        return this.conv(node, false, false);
      case '_FusedConv2D':
        return this.conv(node, false, true);
      case 'DepthwiseConv2dNative':
        return this.conv(node, true, false);
      case 'FusedDepthwiseConv2dNative':
        return this.conv(node, true, true);
      case 'MatMul':
        return this.matMul(node, false);
      case '_FusedMatMul':
        return this.matMul(node, true);
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
        return binary('Add');
      case 'Sub':
        return binary('Sub');
      case 'Mul':
        return binary('Mul');
      case 'RealDiv':
      case 'Div':
        return binary('Div');
      case 'Maximum':
        return binary('Max');
      case 'Minimum':
        return binary('Min');
      case 'Pow':
        return binary('Pow');
      case 'SquaredDifference': {
        const d = this.g.node('Sub', [this.name(ins[0]!, node), this.name(ins[1]!, node)], {}, `${node.name}/diff`);
        return this.set(node, this.g.node('Mul', [d, d], {}, node.name));
      }
      case 'Relu':
      case 'Relu6':
      case 'Elu':
      case 'Sigmoid':
      case 'Tanh':
      case 'LeakyRelu':
        return this.set(node, this.activation(node, node.op, this.name(ins[0]!, node), undefined, false));
      case 'Prelu':
        return this.set(node, this.activation(node, 'Prelu', this.name(ins[0]!, node), ins[1], false));
      case 'Abs':
      case 'Neg':
      case 'Exp':
      case 'Log':
      case 'Sqrt':
      case 'Reciprocal':
        return unary(node.op);
      case 'Rsqrt':
        return this.set(node, this.g.node('Reciprocal', [this.g.node('Sqrt', [this.name(ins[0]!, node)], {}, `${node.name}/sqrt`)], {}, node.name));
      case 'Square': {
        const x = this.name(ins[0]!, node);
        return this.set(node, this.g.node('Mul', [x, x], {}, node.name));
      }
      case 'Softmax':
        return unary('Softmax', { axis: { i: -1 } });
      case 'LogSoftmax':
        return unary('LogSoftmax', { axis: { i: -1 } });
      case 'MaxPool':
        return this.pool(node, 'MaxPool');
      case 'AvgPool':
        return this.pool(node, 'AveragePool');
      case 'Pad':
      case 'PadV2':
        return this.pad(node, 'constant');
      case 'MirrorPad': {
        const mode = this.attrString(node, 'mode');
        if (mode !== 'REFLECT') this.fail(node, `MirrorPad mode ${mode} is not supported (REFLECT)`);
        return this.pad(node, 'reflect');
      }
      case 'Reshape':
        return this.set(node, this.g.node('Reshape', [this.name(ins[0]!, node), this.int64Input(ins[1]!, node)], {}, node.name));
      case 'Squeeze': {
        const axes = this.attrInts(node, 'squeeze_dims', this.attrInts(node, 'axis', []));
        const inputs = [this.name(ins[0]!, node)];
        if (axes.length > 0) inputs.push(this.g.int64s(`${node.name}/axes`, axes));
        return this.set(node, this.g.node('Squeeze', inputs, {}, node.name));
      }
      case 'ExpandDims':
        return this.set(node, this.g.node('Unsqueeze', [this.name(ins[0]!, node), this.g.int64s(`${node.name}/axes`, this.axes(node, ins[1]!))], {}, node.name));
      case 'ConcatV2': {
        const axis = this.axes(node, ins[ins.length - 1]!)[0]!;
        return this.set(node, this.g.node('Concat', ins.slice(0, -1).map((i) => this.name(i, node)), { axis: { i: axis } }, node.name));
      }
      case 'Pack': {
        const axis = this.attrInt(node, 'axis');
        const parts = ins.map((i, k) => this.g.node('Unsqueeze', [this.name(i, node), this.g.int64s(`${node.name}/axis${k}`, [axis])], {}, `${node.name}/item${k}`));
        return this.set(node, this.g.node('Concat', parts, { axis: { i: axis } }, node.name));
      }
      case 'Shape': {
        // TF's Shape is int32 by default; ORT folds it to a constant when the shape is static.
        const s = this.g.node('Shape', [this.name(ins[0]!, node)], {}, `${node.name}/int64`);
        return this.set(node, this.g.node('Cast', [s], { to: { i: 6 } }, node.name));
      }
      case 'Cast': {
        const to = this.attr(node, 'DstT')?.type;
        const code = to === 'DT_FLOAT' ? 1 : to === 'DT_INT32' ? 6 : to === 'DT_INT64' ? 7 : undefined;
        if (code === undefined) this.fail(node, `Cast to ${to} is not supported (DT_FLOAT, DT_INT32, DT_INT64)`);
        return unary('Cast', { to: { i: code } });
      }
      case 'StridedSlice':
        return this.stridedSlice(node);
      case 'Transpose':
        return this.set(node, this.g.node('Transpose', [this.name(ins[0]!, node)], { perm: { ints: this.axes(node, ins[1]!) } }, node.name));
      case 'Mean':
        return this.reduce(node, 'ReduceMean');
      case 'Sum':
        return this.reduce(node, 'ReduceSum');
      case 'Max':
        return this.reduce(node, 'ReduceMax');
      case 'Min':
        return this.reduce(node, 'ReduceMin');
      case 'Prod':
        return this.reduce(node, 'ReduceProd');
      case 'ResizeBilinear':
        return this.resize(node, 'linear');
      case 'ResizeNearestNeighbor':
        return this.resize(node, 'nearest');
      default:
        this.fail(node, `op ${node.op} is not supported by the tfjs graph converter (supported: ${SUPPORTED_OPS.join(', ')})`);
    }
  }

  finish(): ConvertedGraph {
    const consumed = new Set(this.model.nodes.flatMap((n) => (n.input ?? []).map((i) => i.replace(/^\^/, '').replace(/:0$/, ''))));
    const requested =
      this.options.outputs ??
      (this.model.signatureOutputs.length > 0
        ? this.model.signatureOutputs
        : this.model.nodes.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && !consumed.has(n.name)).map((n) => n.name));
    const outputs: string[] = [];
    for (const ref of requested) {
      const v = this.value(ref);
      if (!v.onnx && v.konst) throw new FacerecError('MODEL_MISMATCH', `${this.model.name}: output "${ref}" is a constant`);
      const name = this.g.node('Identity', [v.onnx!], {}, ref.replace(/:0$/, ''));
      this.g.output(name);
      outputs.push(name);
    }
    return { bytes: this.g.toBytes(), inputs: this.inputs, outputs };
  }
}

/** Converts a parsed tfjs graph model to ONNX bytes (opset 17). Deterministic: same model, same bytes. */
export function convertTfjsGraph(model: TfjsGraphModel, options: ConvertOptions = {}): ConvertedGraph {
  const c = new Converter(model, options);
  for (const node of topologicalOrder(model)) c.convertNode(node);
  return c.finish();
}

/** GraphDef JSON need not list producers before consumers: order the nodes so they do. */
function topologicalOrder(model: TfjsGraphModel): TfNode[] {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: TfNode[] = [];
  const visit = (start: TfNode) => {
    // Iterative DFS: real graphs are deeper than the JS call stack likes.
    const stack: { node: TfNode; next: number }[] = [{ node: start, next: 0 }];
    state.set(start.name, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inputs = top.node.input ?? [];
      if (top.next < inputs.length) {
        const ref = inputs[top.next++]!.replace(/^\^/, '').replace(/:\d+$/, '');
        const dep = byName.get(ref);
        if (!dep || state.get(ref) === 'done') continue;
        if (state.get(ref) === 'visiting') throw new FacerecError('MODEL_MISMATCH', `${model.name}: node "${ref}" is part of a cycle`);
        state.set(ref, 'visiting');
        stack.push({ node: dep, next: 0 });
      } else {
        state.set(top.node.name, 'done');
        order.push(top.node);
        stack.pop();
      }
    }
  };
  for (const n of model.nodes) if (!state.has(n.name)) visit(n);
  return order;
}
