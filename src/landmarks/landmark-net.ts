/**
 * 68-point face landmarks with face-api's landmark nets on ONNX Runtime.
 * Given face boxes, gives the same points as face-api's
 * `detectAllFaces(…).withFaceLandmarks(useTiny)` for those boxes.
 */
import type { FaceBox, Point, RgbImage } from '../types.js';
import { loadConvertedModel, type ModelConverter } from '../models/model-cache.js';
import { OnnxSession } from '../runtime/onnx-session.js';
import { cropFace, decodeLandmarks, writeFaceInput, type FaceCrop } from './face-crop.js';
import {
  faceLandmark68Converter,
  faceLandmark68TinyConverter,
  LANDMARK_INPUT_NAME,
  LANDMARK_INPUT_SIZE,
  LANDMARK_OUTPUT_NAME,
} from './graph.js';

/** 'full' = face_landmark_68 (more accurate), 'tiny' = face_landmark_68_tiny (faster). */
export type LandmarkModel = 'full' | 'tiny';
export const LANDMARK_MODEL_KINDS: readonly LandmarkModel[] = ['full', 'tiny'];

export interface LandmarkDetectorOptions {
  /** ORT intra-op threads for one run; default 1. */
  threads?: number;
  /** Folder of the converted-model cache (default: `modelCacheDir()`). */
  cacheDir?: string;
  /** Faces per ORT run; more boxes are run in chunks of this size. Default 64. */
  maxBatch?: number;
}

function converterFor(kind: unknown): ModelConverter {
  if (kind === 'full') return faceLandmark68Converter;
  if (kind === 'tiny') return faceLandmark68TinyConverter;
  throw new Error(`Unknown landmark model kind ${JSON.stringify(kind)}: use 'full' (face_landmark_68) or 'tiny' (face_landmark_68_tiny).`);
}

function checkImage(image: RgbImage): void {
  const { width, height, data } = image;
  const label = image.source ? ` (${image.source})` : '';
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`image${label} has size ${width}×${height}; width and height must be positive integers`);
  }
  if (!data || data.length !== width * height * 3) {
    throw new Error(`image${label} has ${data?.length} bytes but ${width}×${height} RGB needs ${width * height * 3}`);
  }
}

export class LandmarkDetector {
  /**
   * Reused input batch: allocating ~150 kB per face on every call costs more
   * than filling it. Taken while a run uses it; kept only up to 16 faces' worth.
   */
  private scratch: Float32Array | undefined;

  private constructor(
    private readonly session: OnnxSession,
    readonly kind: LandmarkModel,
    private readonly maxBatch: number,
  ) {}

  /** Converts (or loads from cache) the chosen landmark net and opens an ORT session on it. */
  static async create(kind: LandmarkModel = 'full', options: LandmarkDetectorOptions = {}): Promise<LandmarkDetector> {
    const converter = converterFor(kind);
    const { threads = 1, maxBatch = 64 } = options;
    if (!Number.isInteger(threads) || threads < 0) throw new Error(`threads must be a non-negative integer (0 lets ONNX Runtime choose), got ${threads}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
    const { bytes } = loadConvertedModel(converter, options.cacheDir);
    const session = await OnnxSession.create(converter.model, bytes, { threads });
    return new LandmarkDetector(session, kind, maxBatch);
  }

  /** The crops face-api takes for `boxes` (throws a sentence naming the bad box). */
  crops(image: RgbImage, boxes: readonly FaceBox[]): FaceCrop[] {
    checkImage(image);
    return boxes.map((box, i) => cropFace(box, image.width, image.height, i));
  }

  /**
   * 68 landmarks per box, in image pixels, in iBUG-300W order (0–16 chin, …,
   * 48–67 mouth). All boxes run as one batch (chunks of `maxBatch`). A box
   * partly outside the image is clipped like face-api does; one with no pixel
   * inside throws.
   */
  async detect(image: RgbImage, boxes: readonly FaceBox[]): Promise<Point[][]> {
    const crops = this.crops(image, boxes);
    const result: Point[][] = [];
    const per = 3 * LANDMARK_INPUT_SIZE * LANDMARK_INPUT_SIZE;
    if (crops.length === 0) return result;
    // Take the scratch buffer (a concurrent call finds it gone and allocates its own).
    let buffer = this.scratch;
    this.scratch = undefined;
    const needed = Math.min(crops.length, this.maxBatch) * per;
    if (!buffer || buffer.length < needed) buffer = new Float32Array(needed);
    try {
      for (let start = 0; start < crops.length; start += this.maxBatch) {
        const chunk = crops.slice(start, start + this.maxBatch);
        const input = buffer.subarray(0, chunk.length * per);
        chunk.forEach((crop, i) => writeFaceInput(image, crop, input, i * per));
        const out = await this.session.run({
          [LANDMARK_INPUT_NAME]: { data: input, dims: [chunk.length, 3, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE] },
        });
        const raw = out[LANDMARK_OUTPUT_NAME]!.data;
        chunk.forEach((crop, i) => result.push(decodeLandmarks(raw, i * 136, crop)));
      }
    } finally {
      // (A concurrent call may have put its own buffer back meanwhile: keep the larger.)
      const kept = this.scratch as Float32Array | undefined;
      if (buffer.length <= 16 * per && (!kept || kept.length < buffer.length)) this.scratch = buffer;
    }
    return result;
  }

  /** Runs the net on a prepared batch [N,3,112,112] of 0–255 pixel values (see `writeFaceInput`); returns the raw [N,136] outputs. */
  async runRaw(input: Float32Array, count: number): Promise<Float32Array> {
    const out = await this.session.run({
      [LANDMARK_INPUT_NAME]: { data: input, dims: [count, 3, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE] },
    });
    return out[LANDMARK_OUTPUT_NAME]!.data;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
