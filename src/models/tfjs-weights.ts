import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A weight tensor from a tfjs weights manifest, dequantized to float32 exactly as tfjs does. */
export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TfjsWeights {
  /** Model name, e.g. `face_recognition`. */
  model: string;
  tensors: Map<string, WeightTensor>;
  /** sha256 of the manifest and every weight file, so a stale converted model is noticed. */
  sha256: string;
  get(name: string): WeightTensor;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number };
}

/** The face-api models this project converts, by the names of their manifest files. */
export const FACE_API_MODELS = [
  'ssd_mobilenetv1',
  'tiny_face_detector',
  'face_landmark_68',
  'face_landmark_68_tiny',
  'face_recognition',
  // Attributes (off by default): src/attributes/.
  'age_gender',
  'face_expression',
] as const;
export type FaceApiModel = (typeof FACE_API_MODELS)[number];

/** Folder of `@vladmandic/face-api`'s shipped weights. */
export function faceApiModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * sha256 of a model's manifest and weight files — the same value `loadTfjsWeights`
 * reports — without dequantizing anything: enough to tell whether a cache is fresh.
 */
export function tfjsWeightsSha256(model: FaceApiModel, dir = faceApiModelDir()): string {
  const manifestText = readFileSync(join(dir, `${model}_model-weights_manifest.json`));
  const hash = createHash('sha256').update(manifestText);
  for (const group of JSON.parse(manifestText.toString('utf8')) as { paths: string[] }[]) {
    for (const p of group.paths) hash.update(readFileSync(join(dir, p)));
  }
  return hash.digest('hex');
}

/** Loads and dequantizes a face-api weights manifest (`<model>_model-weights_manifest.json`). */
export function loadTfjsWeights(model: FaceApiModel, dir = faceApiModelDir()): TfjsWeights {
  const manifestPath = join(dir, `${model}_model-weights_manifest.json`);
  const manifestText = readFileSync(manifestPath);
  const groups = JSON.parse(manifestText.toString('utf8')) as { paths: string[]; weights: ManifestEntry[] }[];
  const hash = createHash('sha256').update(manifestText);
  const tensors = new Map<string, WeightTensor>();

  for (const group of groups) {
    const buffers = group.paths.map((p) => readFileSync(join(dir, p)));
    for (const b of buffers) hash.update(b);
    const blob = Buffer.concat(buffers);
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const q = entry.quantization;
      const data = new Float32Array(count);
      if (!q) {
        const bytes = blob.subarray(offset, offset + count * 4);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < count; i++) data[i] = entry.dtype === 'int32' ? view.getInt32(i * 4, true) : view.getFloat32(i * 4, true);
        offset += count * 4;
      } else if (q.dtype === 'float16') {
        for (let i = 0; i < count; i++) data[i] = float16ToFloat32(blob.readUInt16LE(offset + i * 2));
        offset += count * 2;
      } else {
        // tfjs: value = quantized * scale + min, computed in double, stored as float32.
        const width = q.dtype === 'uint8' ? 1 : 2;
        const scale = q.scale ?? 1;
        const min = q.min ?? 0;
        for (let i = 0; i < count; i++) {
          const v = width === 1 ? blob[offset + i]! : blob.readUInt16LE(offset + i * 2);
          data[i] = v * scale + min;
        }
        offset += count * width;
      }
      tensors.set(entry.name, { name: entry.name, shape: entry.shape, data });
    }
  }

  return {
    model,
    tensors,
    sha256: hash.digest('hex'),
    get(name: string): WeightTensor {
      const t = tensors.get(name);
      if (!t) throw new Error(`weights of ${model} have no tensor named ${name}`);
      return t;
    },
  };
}
