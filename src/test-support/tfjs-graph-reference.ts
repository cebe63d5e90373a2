/**
 * The reference for graph-model parity tests: @tensorflow/tfjs's own
 * `loadGraphModel` on the pure-JS CPU backend, fed through an in-memory IO
 * handler (no network, no file:// fetch). Test/bench code only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

let ready: Promise<void> | undefined;

export async function tfjsCpu(): Promise<typeof tf> {
  ready ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  await ready;
  return tf;
}

interface ModelJsonLike {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
  signature?: unknown;
  format?: string;
}

/** Loads a graph model from a model.json object plus a function returning each shard's bytes. */
export async function loadGraphModelFrom(json: ModelJsonLike, shard: (path: string) => Uint8Array): Promise<tf.GraphModel> {
  await tfjsCpu();
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => shard(p)));
  const total = buffers.reduce((a, b) => a + b.length, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const b of buffers) {
    weightData.set(b, o);
    o += b.length;
  }
  return tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology as never,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
      weightData: weightData.buffer,
      format: json.format ?? 'graph-model',
      signature: json.signature as never,
    }),
  });
}

/** Loads a graph model from its model.json path on disk. */
export async function loadGraphModelFile(modelJsonPath: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as ModelJsonLike;
  return loadGraphModelFrom(json, (p) => readFileSync(join(dirname(modelJsonPath), p)));
}

/** Runs a graph model on one float32 NHWC input; returns the first output's values. */
export async function runGraphModel(model: tf.GraphModel, data: Float32Array, dims: number[]): Promise<Float32Array> {
  const x = tf.tensor(data, dims, 'float32');
  const y = model.execute(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}
