/**
 * The align + encode step: 68 landmarks → a 150×150 chip (dlib-style aligned,
 * or face-api's own crop) → the 128-d descriptor from the converted ResNet.
 * All faces of a call (and their jittered / mirrored variants) go through
 * ONNX Runtime together, in batches of at most `maxBatch`.
 */
import { FacerecError } from '../errors.js';
import { loadConvertedModel } from '../models/model-cache.js';
import { OnnxSession } from '../runtime/onnx-session.js';
import type { FaceEncoding, Point, RgbImage } from '../types.js';
import { dlibChip } from './align-chip.js';
import { CHIP_SIZE, CHIP_VALUES, assertChip, flipChip, writeNormalisedChip, type FaceChip } from './chip.js';
import { faceApiCrop } from './face-api-crop.js';
import { jitterChip } from './jitter.js';
import { DESCRIPTOR_INPUT, DESCRIPTOR_OUTPUT, faceRecognitionConverter } from './resnet-graph.js';

export const ALIGNMENTS = ['dlib', 'face-api', 'dlib+face-api'] as const;
/**
 * 'dlib': 5-point similarity-aligned chip (eyes level); 'face-api': face-api's
 * axis-aligned crop (bit-for-bit its descriptors); 'dlib+face-api': the average
 * of both chips' descriptors (test-time augmentation over two alignments).
 */
export type Alignment = (typeof ALIGNMENTS)[number];
export const DEFAULT_ALIGNMENT: Exclude<Alignment, 'dlib+face-api'> = 'dlib';

export interface FaceEncoderOptions {
  /** ORT intra-op threads for one run (default 1). */
  threads?: number;
  /** Largest number of chips per ORT run (default 64); bigger requests are split. */
  maxBatch?: number;
  /** Converted-model cache folder (default: the model cache's own default). */
  cacheDir?: string;
}

export interface ChipEncodeOptions {
  /** Like dlib's num_jitters: 1 (default) encodes the chip as is; n > 1 averages n randomly jittered chips. */
  numJitters?: number;
  /** Also encode the mirrored chip(s) and average (default false). */
  flip?: boolean;
  /** Seed of the jitter PRNG (default 0). Each face restarts from it, so results do not depend on the other faces. */
  seed?: number;
}

export interface EncodeOptions extends ChipEncodeOptions {
  alignment?: Alignment;
}

export function assertAlignment(alignment: unknown): asserts alignment is Alignment {
  if (!(ALIGNMENTS as readonly unknown[]).includes(alignment)) {
    const names = ALIGNMENTS.map((a) => `'${a}'`);
    throw new FacerecError('INVALID_ARGUMENT', `Unknown alignment ${JSON.stringify(alignment)}: use one of ${names.slice(0, -1).join(', ')} or ${names.at(-1)}.`);
  }
}

/** The 150×150 chip of one face with the chosen alignment. */
export function extractFaceChip(image: RgbImage, landmarks: readonly Point[], alignment: Exclude<Alignment, 'dlib+face-api'> = DEFAULT_ALIGNMENT): FaceChip {
  assertAlignment(alignment);
  return alignment === 'dlib' ? dlibChip(image, landmarks) : faceApiCrop(image, landmarks);
}

function chipVariants(chip: FaceChip, options: ChipEncodeOptions): FaceChip[] {
  const jitters = options.numJitters ?? 1;
  if (!Number.isInteger(jitters) || jitters < 0) throw new Error(`numJitters must be a whole number ≥ 1 (got ${jitters})`);
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number (got ${seed})`);
  const base = jitters > 1 ? jitterChip(chip, jitters, seed) : [chip];
  return options.flip ? [...base, ...base.map(flipChip)] : base;
}

export class FaceEncoder {
  private constructor(
    private readonly session: OnnxSession,
    readonly maxBatch: number,
  ) {}

  static async create(options: FaceEncoderOptions = {}): Promise<FaceEncoder> {
    const maxBatch = options.maxBatch ?? 64;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a whole number ≥ 1 (got ${maxBatch})`);
    const model = loadConvertedModel(faceRecognitionConverter, options.cacheDir);
    const session = await OnnxSession.create('face_recognition', model.bytes, { threads: options.threads ?? 1 });
    return new FaceEncoder(session, maxBatch);
  }

  /** Chips for every face of one image (throws on bad landmarks or an unknown alignment). */
  extractChips(image: RgbImage, landmarks: readonly (readonly Point[])[], alignment: Exclude<Alignment, 'dlib+face-api'> = DEFAULT_ALIGNMENT): FaceChip[] {
    assertAlignment(alignment);
    if (!Array.isArray(landmarks)) throw new Error('landmarks must be an array with one 68-point array per face');
    return landmarks.map((face) => extractFaceChip(image, face, alignment));
  }

  /** One descriptor per face, in the order of `landmarks` (one 68-point array per face). */
  async encode(image: RgbImage, landmarks: readonly (readonly Point[])[], options: EncodeOptions = {}): Promise<FaceEncoding[]> {
    const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
    assertAlignment(alignment);
    if (alignment !== 'dlib+face-api') return this.encodeChips(this.extractChips(image, landmarks, alignment), options);
    // Both chips of every face in one batch, then each face's two descriptors averaged.
    const both = await this.encodeChips([...this.extractChips(image, landmarks, 'dlib'), ...this.extractChips(image, landmarks, 'face-api')], options);
    const n = landmarks.length;
    return both.slice(0, n).map((a, i) => a.map((v, k) => (v + both[n + i]![k]!) / 2));
  }

  /**
   * One descriptor per chip (150×150×3 float RGB, 0..255). Chips from several
   * images can be passed together so they share ORT runs.
   */
  async encodeChips(chips: readonly FaceChip[], options: ChipEncodeOptions = {}): Promise<FaceEncoding[]> {
    chips.forEach((c, i) => assertChip(c, `chip ${i}`));
    const variants = chips.map((c) => chipVariants(c, options));
    const all = variants.flat();
    const raw = await this.runChips(all);
    const out: FaceEncoding[] = [];
    let k = 0;
    for (const v of variants) {
      if (v.length === 1) {
        out.push(raw[k++]!);
        continue;
      }
      const sum = new Float64Array(128);
      for (let j = 0; j < v.length; j++) {
        const d = raw[k++]!;
        for (let i = 0; i < 128; i++) sum[i]! += d[i]!;
      }
      out.push(Float32Array.from(sum, (s) => s / v.length));
    }
    return out;
  }

  private async runChips(chips: readonly FaceChip[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < chips.length; start += this.maxBatch) {
      const part = chips.slice(start, start + this.maxBatch);
      const batch = new Float32Array(part.length * CHIP_VALUES);
      part.forEach((c, i) => writeNormalisedChip(c, batch, i));
      const result = await this.session.run({ [DESCRIPTOR_INPUT]: { data: batch, dims: [part.length, 3, CHIP_SIZE, CHIP_SIZE] } });
      const desc = result[DESCRIPTOR_OUTPUT];
      if (!desc) throw new Error('face_recognition: the model produced no descriptor output');
      for (let i = 0; i < part.length; i++) out.push(desc.data.slice(i * 128, (i + 1) * 128));
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
