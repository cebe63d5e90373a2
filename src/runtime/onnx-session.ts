/**
 * The only module that imports onnxruntime-node. Everything else sees plain
 * Float32Arrays with shapes, so the runtime could be swapped in one place.
 */
import * as ort from 'onnxruntime-node';

export interface TensorData {
  data: Float32Array;
  dims: readonly number[];
}

export interface SessionOptions {
  /** Threads for one inference (ORT intra-op threads). 1 suits worker pools; 0 lets ORT pick all cores. */
  threads?: number;
}

/** One ONNX model loaded in ONNX Runtime. Call `dispose()` to free its native memory. */
export class OnnxSession {
  private disposed = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelName: string,
  ) {}

  static async create(modelName: string, modelBytes: Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
    const session = await ort.InferenceSession.create(modelBytes, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new OnnxSession(session, modelName);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the model; returns every output as float32 data with its shape. */
  async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    if (this.disposed) throw new Error(`${this.modelName}: session used after dispose()`);
    for (const name of this.session.inputNames) {
      if (!feeds[name]) throw new Error(`${this.modelName}: missing input "${name}"`);
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const expected = t.dims.reduce((a, b) => a * b, 1);
      if (t.data.length !== expected) {
        throw new Error(`${this.modelName}: input "${name}" has ${t.data.length} values but shape [${t.dims.join(',')}] needs ${expected}`);
      }
      ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(ortFeeds);
    } catch (err) {
      // ORT's own message rarely says which input was wrong: name every input's shape.
      const shapes = Object.entries(feeds).map(([n, t]) => `${n}: float32[${t.dims.join(',')}]`).join(', ');
      throw new Error(`${this.modelName}: inference failed for inputs ${shapes}: ${(err as Error).message}`);
    }
    const out: Record<string, TensorData> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
    }
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}
