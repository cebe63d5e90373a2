/**
 * Reading a tfjs *graph* model: `model.json` (a TF GraphDef as JSON in
 * `modelTopology.node`, plus `weightsManifest`) and its `.bin` shards. Every
 * Const node's value lives in the weights, dequantized here exactly as tfjs
 * does (uint8/uint16: q * scale + min; float16: IEEE half → float32).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FacerecError } from '../../errors.js';
import { float16ToFloat32 } from '../../models/tfjs-weights.js';

/** One attribute value of a GraphDef node, as tfjs's converter writes it. */
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; type?: string[] };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface ConstTensor {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface TfjsGraphModel {
  /** Readable model name for messages (file name without `.json`). */
  name: string;
  nodes: TfNode[];
  /** Values of Const nodes, by node name. */
  constants: Map<string, ConstTensor>;
  /** `signature.inputs`/`outputs` tensor names (e.g. `Identity:0`) when present. */
  signatureOutputs: string[];
  sha256: string;
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

interface ModelJson {
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: { paths: string[]; weights: ManifestWeight[] }[];
  signature?: { outputs?: Record<string, { name: string }> };
}

/** sha256 of model.json and every weight shard (cache freshness), without decoding anything. */
export function tfjsGraphModelSha256(modelJsonPath: string): string {
  const text = readFileSync(modelJsonPath);
  const hash = createHash('sha256').update(text);
  const json = JSON.parse(text.toString('utf8')) as ModelJson;
  for (const group of json.weightsManifest ?? []) for (const p of group.paths) hash.update(readFileSync(join(dirname(modelJsonPath), p)));
  return hash.digest('hex');
}

/** Parses a model.json object whose weight shards are given as one concatenated buffer per group. */
export function parseTfjsGraphModel(name: string, json: unknown, shards: (path: string) => Uint8Array, sha256 = ''): TfjsGraphModel {
  const model = json as ModelJson;
  const nodes = model.modelTopology?.node;
  if (!Array.isArray(nodes)) {
    throw new FacerecError('MODEL_MISMATCH', `${name}: model.json has no modelTopology.node list (not a tfjs graph model; tfjs layers models are not handled here)`);
  }
  const constants = new Map<string, ConstTensor>();
  for (const group of model.weightsManifest ?? []) {
    const parts = group.paths.map((p) => shards(p));
    const blob = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      let data: Float32Array | Int32Array;
      if (w.dtype !== 'float32' && w.dtype !== 'int32' && w.dtype !== 'bool') {
        throw new FacerecError('MODEL_MISMATCH', `${name}: weight "${w.name}" has dtype ${w.dtype}; only float32, int32 and bool are supported`);
      }
      if (q) {
        const values = new Float64Array(count);
        if (q.dtype === 'float16') {
          for (let i = 0; i < count; i++) values[i] = float16ToFloat32(blob.readUInt16LE(offset + i * 2));
          offset += count * 2;
        } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
          const width = q.dtype === 'uint8' ? 1 : 2;
          const scale = q.scale ?? 1;
          const min = q.min ?? 0;
          for (let i = 0; i < count; i++) values[i] = (width === 1 ? blob[offset + i]! : blob.readUInt16LE(offset + i * 2)) * scale + min;
          offset += count * width;
        } else {
          throw new FacerecError('MODEL_MISMATCH', `${name}: weight "${w.name}" uses quantization ${q.dtype}; expected uint8, uint16 or float16`);
        }
        data = w.dtype === 'int32' ? Int32Array.from(values, Math.round) : Float32Array.from(values);
      } else if (w.dtype === 'bool') {
        data = Int32Array.from(blob.subarray(offset, offset + count));
        offset += count;
      } else {
        const bytes = blob.subarray(offset, offset + count * 4);
        if (bytes.length !== count * 4) throw new FacerecError('MODEL_MISMATCH', `${name}: weight shards end inside weight "${w.name}"`);
        const copy = new Uint8Array(bytes).buffer;
        data = w.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
        offset += count * 4;
      }
      constants.set(w.name, { dtype: w.dtype, shape: [...w.shape], data });
    }
  }
  const signatureOutputs = Object.values(model.signature?.outputs ?? {}).map((o) => o.name);
  return { name, nodes, constants, signatureOutputs, sha256 };
}

/** Loads `model.json` and its shards from disk. */
export function loadTfjsGraphModel(modelJsonPath: string): TfjsGraphModel {
  let text: Buffer;
  try {
    text = readFileSync(modelJsonPath);
  } catch (err) {
    throw new FacerecError('IO_ERROR', `cannot read tfjs graph model ${modelJsonPath}: ${(err as Error).message}`, { cause: err });
  }
  const name = modelJsonPath.split(/[\\/]/).pop()!.replace(/\.json$/, '');
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new FacerecError('MODEL_MISMATCH', `${modelJsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseTfjsGraphModel(name, json, (p) => readFileSync(join(dirname(modelJsonPath), p)), tfjsGraphModelSha256(modelJsonPath));
}
