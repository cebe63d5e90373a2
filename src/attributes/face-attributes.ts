/**
 * Age, gender and expression per face with face-api's `age_gender` and
 * `face_expression` nets on ONNX Runtime. Off by default everywhere: callers
 * ask for `attributes`. The face crop is the landmark net's (face-api's
 * `extractFaces` of the box, padded square, 112×112), so both nets see what
 * face-api gives them for a detection box.
 *
 * What these are worth: face-api's README reports age MAE ≈ 4.5 years on its
 * own test sets; gender and expression are per-face softmax guesses trained on
 * public photo sets, with the usual biases. They describe a photo, not a person.
 */
import { cropFace, writeFaceInput } from '../landmarks/face-crop.js';
import { loadConvertedModel } from '../models/model-cache.js';
import { OnnxSession } from '../runtime/onnx-session.js';
import type { FaceBox, RgbImage } from '../types.js';
import { ageGenderConverter, ATTRIBUTE_INPUT_NAME, EXPRESSION_LABELS, faceExpressionConverter, type Expression } from './graphs.js';

export interface FaceAttributes {
  /** Estimated age in years (face-api's regression output). */
  age: number;
  gender: 'male' | 'female';
  /** Probability of `gender`, 0.5–1. */
  genderProbability: number;
  /** Softmax over face-api's seven expressions; sums to 1. */
  expression: Record<Expression, number>;
}

export interface RawAttributes {
  age: Float32Array;
  /** [N,2]: male, female. */
  gender: Float32Array;
  /** [N,7] in EXPRESSION_LABELS order. */
  expression: Float32Array;
}

const SIDE = 112;
const PER_FACE = 3 * SIDE * SIDE;

export class FaceAttributesNet {
  private constructor(
    private readonly ageGender: OnnxSession,
    private readonly expression: OnnxSession,
  ) {}

  static async create(options: { threads?: number; cacheDir?: string } = {}): Promise<FaceAttributesNet> {
    const open = (c: typeof ageGenderConverter) => OnnxSession.create(c.model, loadConvertedModel(c, options.cacheDir).bytes, { threads: options.threads ?? 1 });
    const [a, e] = await Promise.all([open(ageGenderConverter), open(faceExpressionConverter)]);
    return new FaceAttributesNet(a, e);
  }

  /** Both nets on a prepared batch [N,3,112,112] of 0–255 values (see landmarks/face-crop.ts). */
  async runBatch(input: Float32Array, count: number): Promise<RawAttributes> {
    const feed = { [ATTRIBUTE_INPUT_NAME]: { data: input, dims: [count, 3, SIDE, SIDE] } };
    const [ag, ex] = await Promise.all([this.ageGender.run(feed), this.expression.run(feed)]);
    return { age: ag.age!.data, gender: ag.gender!.data, expression: ex.expression!.data };
  }

  /** The prepared input for `boxes` (exposed for parity tests). */
  static input(image: RgbImage, boxes: readonly FaceBox[]): Float32Array {
    const input = new Float32Array(boxes.length * PER_FACE);
    boxes.forEach((box, i) => writeFaceInput(image, cropFace(box, image.width, image.height, i), input, i * PER_FACE));
    return input;
  }

  /** One FaceAttributes per box, in order. */
  async attributes(image: RgbImage, boxes: readonly FaceBox[]): Promise<FaceAttributes[]> {
    if (boxes.length === 0) return [];
    const raw = await this.runBatch(FaceAttributesNet.input(image, boxes), boxes.length);
    return boxes.map((_, i) => toAttributes(raw, i));
  }

  async dispose(): Promise<void> {
    await Promise.all([this.ageGender.dispose(), this.expression.dispose()]);
  }
}

/** face-api's reading of the outputs: male when P(male) > 0.5. */
export function toAttributes(raw: RawAttributes, i: number): FaceAttributes {
  const male = raw.gender[i * 2]!;
  const isMale = male > 0.5;
  const expression = Object.fromEntries(EXPRESSION_LABELS.map((label, k) => [label, raw.expression[i * 7 + k]!])) as Record<Expression, number>;
  return { age: raw.age[i]!, gender: isMale ? 'male' : 'female', genderProbability: isMale ? male : 1 - male, expression };
}

let shared: Promise<FaceAttributesNet> | undefined;

/** One attribute net per process, created on first use (server and CLI). */
export function sharedFaceAttributes(): Promise<FaceAttributesNet> {
  shared ??= FaceAttributesNet.create().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

export async function disposeSharedFaceAttributes(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).dispose();
}

const r = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** Rounded for JSON: age to 0.1 year, probabilities to 4 decimals. */
export async function attributesFor(image: RgbImage, boxes: readonly FaceBox[]): Promise<FaceAttributes[]> {
  const list = await (await sharedFaceAttributes()).attributes(image, boxes);
  return list.map((a) => ({
    age: r(a.age, 1),
    gender: a.gender,
    genderProbability: r(a.genderProbability, 4),
    expression: Object.fromEntries(Object.entries(a.expression).map(([k, v]) => [k, r(v, 4)])) as Record<Expression, number>,
  }));
}
