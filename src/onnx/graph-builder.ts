import { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto.DataType values used here. */
export const OnnxType = { float: 1, int32: 6, int64: 7 } as const;
export type OnnxTypeName = keyof typeof OnnxType;

/** A node attribute, tagged by its ONNX kind so 1 and 1.0 never get confused. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] };

export type Dim = number | string;

interface Initializer {
  name: string;
  type: OnnxTypeName;
  dims: readonly number[];
  raw: Uint8Array;
}

interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, Attr>>;
  name: string;
}

interface ValueInfo {
  name: string;
  type: OnnxTypeName;
  dims: readonly Dim[] | undefined;
}

function rawBytes(data: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/**
 * Builds an ONNX model (opset 17) node by node. Output is deterministic:
 * the same calls produce the same bytes, so cached models can be compared.
 */
export class GraphBuilder {
  private readonly initializers: Initializer[] = [];
  private readonly nodes: NodeSpec[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** A unique value name derived from a readable hint. */
  uniqueName(hint: string): string {
    let name = hint;
    while (this.usedNames.has(name)) name = `${hint}_${++this.counter}`;
    this.usedNames.add(name);
    return name;
  }

  input(name: string, dims: readonly Dim[], type: OnnxTypeName = 'float'): string {
    this.inputs.push({ name: this.uniqueName(name), type, dims });
    return name;
  }

  output(name: string, dims?: readonly Dim[], type: OnnxTypeName = 'float'): void {
    this.outputs.push({ name, type, dims });
  }

  /** Adds a constant tensor (an initializer) and returns its value name. */
  constant(hint: string, data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`constant ${hint}: ${data.length} values do not fill shape [${dims.join(',')}]`);
    }
    const type: OnnxTypeName = data instanceof Float32Array ? 'float' : data instanceof Int32Array ? 'int32' : 'int64';
    const name = this.uniqueName(hint);
    this.initializers.push({ name, type, dims: [...dims], raw: rawBytes(data) });
    return name;
  }

  /** A 1-D int64 constant, the form ONNX wants for shapes, axes and pads. */
  int64s(hint: string, values: readonly number[]): string {
    return this.constant(hint, BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  scalar(hint: string, value: number): string {
    return this.constant(hint, Float32Array.of(value), []);
  }

  /** Appends a node; returns the name of its (first) output. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputHint?: string): string {
    return this.nodeMulti(op, inputs, 1, attrs, outputHint)[0]!;
  }

  nodeMulti(op: string, inputs: readonly string[], outputCount: number, attrs: Record<string, Attr> = {}, outputHint?: string): string[] {
    const base = outputHint ?? op.toLowerCase();
    const outputs = Array.from({ length: outputCount }, (_, k) => this.uniqueName(outputCount === 1 ? base : `${base}_out${k}`));
    this.nodes.push({ op, inputs, outputs, attrs, name: this.uniqueName(`${base}_node`) });
    return outputs;
  }

  /** Serialises the model to ONNX protobuf bytes. */
  toBytes(opset = 17): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, 8); // ir_version 8 pairs with opset 17
    w.string(2, 'facerec');
    w.message(7, (g) => this.writeGraph(g));
    w.message(8, (o) => o.string(1, '').int(2, opset));
    return w.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    for (const n of this.nodes) {
      g.message(1, (m) => {
        for (const i of n.inputs) m.string(1, i);
        for (const o of n.outputs) m.string(2, o);
        m.string(3, n.name);
        m.string(4, n.op);
        for (const [key, value] of Object.entries(n.attrs)) m.message(5, (a) => writeAttr(a, key, value));
      });
    }
    g.string(2, this.graphName);
    for (const t of this.initializers) {
      g.message(5, (m) => {
        m.packedInts(1, t.dims);
        m.int(2, OnnxType[t.type]);
        m.string(8, t.name);
        m.bytes(9, t.raw);
      });
    }
    for (const v of this.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of this.outputs) g.message(12, (m) => writeValueInfo(m, v));
  }
}

function writeAttr(a: ProtoWriter, key: string, value: Attr): void {
  a.string(1, key);
  if ('f' in value) a.float(2, value.f).int(20, 1);
  else if ('i' in value) a.int(3, value.i).int(20, 2);
  else if ('s' in value) a.string(4, value.s).int(20, 3);
  else if ('floats' in value) a.packedFloats(7, value.floats).int(20, 6);
  else a.packedInts(8, value.ints).int(20, 7);
}

function writeValueInfo(m: ProtoWriter, v: ValueInfo): void {
  m.string(1, v.name);
  m.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, OnnxType[v.type]);
      if (v.dims) {
        tensor.message(2, (shape) => {
          for (const d of v.dims!) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        });
      }
    }),
  );
}
