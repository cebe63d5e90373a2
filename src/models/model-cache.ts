import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadTfjsWeights, tfjsWeightsSha256, type FaceApiModel, type TfjsWeights } from './tfjs-weights.js';

/** Turns a model's tfjs weights into ONNX bytes. Bump `version` whenever the graph changes. */
export interface ModelConverter {
  model: FaceApiModel;
  version: number;
  build(weights: TfjsWeights): Uint8Array;
}

interface CacheRecord {
  model: string;
  converterVersion: number;
  sourceSha256: string;
  onnxSha256: string;
}

/** Where converted models live: $FACEREC_CACHE_DIR, else $XDG_CACHE_HOME/facerec, else ~/.cache/facerec. */
export function modelCacheDir(): string {
  if (process.env.FACEREC_CACHE_DIR) return process.env.FACEREC_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'facerec', 'models');
}

export interface ConvertedModel {
  bytes: Uint8Array;
  sourceSha256: string;
  onnxSha256: string;
  /** True when the cache was (re)built by this call. */
  converted: boolean;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Returns the ONNX model for `converter`, converting it from the npm-shipped
 * weights only when the cache is missing or stale (different source weights,
 * converter version or a corrupted file). An unwritable cache only costs speed.
 */
export function loadConvertedModel(converter: ModelConverter, cacheDir = modelCacheDir()): ConvertedModel {
  // Only hash the weights here; dequantizing them is needed just when (re)converting.
  return loadOrConvertModel(
    { name: converter.model, converterVersion: converter.version, sourceSha256: tfjsWeightsSha256(converter.model) },
    () => converter.build(loadTfjsWeights(converter.model)),
    cacheDir,
  );
}

/**
 * The cache mechanism every converted model shares (face-api layers models and
 * tfjs graph models alike): `<name>.onnx` plus a `<name>.json` record of the
 * source sha256, converter version and onnx sha256. `convert` runs only when
 * the record is missing, stale or the bytes are corrupted.
 */
export function loadOrConvertModel(
  key: { name: string; converterVersion: number; sourceSha256: string },
  convert: () => Uint8Array,
  cacheDir = modelCacheDir(),
): ConvertedModel {
  const { name, converterVersion, sourceSha256 } = key;
  const onnxPath = join(cacheDir, `${name}.onnx`);
  const recordPath = join(cacheDir, `${name}.json`);
  try {
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as CacheRecord;
    if (record.converterVersion === converterVersion && record.sourceSha256 === sourceSha256) {
      const bytes = readFileSync(onnxPath);
      if (sha256(bytes) === record.onnxSha256) {
        return { bytes, sourceSha256, onnxSha256: record.onnxSha256, converted: false };
      }
    }
  } catch {
    // Missing or unreadable cache: fall through and convert.
  }
  const bytes = convert();
  const record: CacheRecord = { model: name, converterVersion, sourceSha256, onnxSha256: sha256(bytes) };
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Write then rename so a killed process never leaves a half-written model behind.
    const tmp = `${onnxPath}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, onnxPath);
    writeFileSync(`${recordPath}.${process.pid}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${recordPath}.${process.pid}.tmp`, recordPath);
  } catch {
    // Read-only home or cache folder: keep working from memory.
  }
  return { bytes, sourceSha256, onnxSha256: record.onnxSha256, converted: true };
}
