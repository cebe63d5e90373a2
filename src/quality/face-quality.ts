/**
 * How usable one face is for recognition: size (pixels between the eyes),
 * sharpness (variance of the Laplacian of the face crop, normalised), pose
 * (yaw/pitch/roll estimated from the 68 landmarks) and exposure (luminance of the
 * crop). Each component is in [0, 1]; the overall score is their geometric mean,
 * so one unusable component (0) makes the face unusable. Reasons name what is
 * wrong in words a user can act on.
 */
import { invalidArgument } from '../errors.js';
import type { FaceBox, Point, RgbImage } from '../types.js';

export interface FaceQualityComponents {
  size: number;
  sharpness: number;
  pose: number;
  exposure: number;
}

export interface FacePose {
  /** Turned to the side, degrees (sign: + = nose toward image right). */
  yaw: number;
  /** Looking up (−) or down (+), degrees; a rough estimate. */
  pitch: number;
  /** Head tilt (eye line vs horizontal), degrees. */
  roll: number;
}

export interface FaceQuality {
  /** Overall score in [0, 1]: geometric mean of the components. */
  score: number;
  components: FaceQualityComponents;
  interOcularPx: number;
  pose: FacePose;
  /** Variance of the Laplacian / variance of the crop (contrast-independent). */
  sharpnessRatio: number;
  /** Mean luminance of the crop (0–255) and fraction of clipped pixels. */
  meanLuminance: number;
  clippedFraction: number;
  /** Human-readable problems, e.g. "too small: 38 px between the eyes (min 40)"; empty when none. */
  reasons: string[];
}

export interface FaceQualityOptions {
  /** Pixels between the eye centres below which a face is "too small" (default 30). */
  minInterOcularPx?: number;
}

/** LFW's 250-px photos have 35–45 px between the eyes and verify at 98.5%: only clearly smaller faces are "too small". */
export const DEFAULT_MIN_INTER_OCULAR_PX = 30;
/** Side of the square the crop is resampled to before measuring sharpness: makes the measure scale-free. */
const SHARPNESS_SIDE = 64;
/** Sharpness ratio at which the component reaches 0.5 (measured on 80 LFW faces: sharp 0.10–0.70, after a σ = 3 px blur 0.011–0.032). */
const SHARPNESS_HALF = 0.05;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
/** 1 up to `ok`, 0 from `bad`, linear between. */
const ramp = (value: number, ok: number, bad: number) => clamp01((bad - value) / (bad - ok));
const mean = (pts: readonly Point[]): Point => ({ x: pts.reduce((s, p) => s + p.x, 0) / pts.length, y: pts.reduce((s, p) => s + p.y, 0) / pts.length });
const DEG = 180 / Math.PI;

/** Eye centres (image-left eye first) and pixels between them. */
export function interOcular(landmarks: readonly Point[]): { left: Point; right: Point; distance: number } {
  const left = mean(landmarks.slice(36, 42));
  const right = mean(landmarks.slice(42, 48));
  return { left, right, distance: Math.hypot(right.x - left.x, right.y - left.y) };
}

/** Pose from the 68 landmarks, in the face's own frame (roll removed first). */
export function estimatePose(landmarks: readonly Point[]): FacePose {
  const { left, right, distance } = interOcular(landmarks);
  const roll = Math.atan2(right.y - left.y, right.x - left.x);
  const cos = Math.cos(-roll);
  const sin = Math.sin(-roll);
  const c = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
  const un = (p: Point): Point => ({ x: (p.x - c.x) * cos - (p.y - c.y) * sin, y: (p.x - c.x) * sin + (p.y - c.y) * cos });
  const nose = un(landmarks[30]!);
  const jawL = un(landmarks[0]!);
  const jawR = un(landmarks[16]!);
  const mouth = un(mean([landmarks[48]!, landmarks[54]!]));
  // Yaw: the nose tip moves toward one jaw end as the head turns (ratio → ±1 at 90°).
  const dl = nose.x - jawL.x;
  const dr = jawR.x - nose.x;
  const yawRatio = dl + dr > 0 ? (dl - dr) / (dl + dr) : 0;
  const yaw = Math.asin(Math.max(-1, Math.min(1, yawRatio))) * DEG;
  // Pitch: where the nose tip sits between the eye line and the mouth (≈ 0.58 when frontal on LFW-like faces).
  const span = mouth.y > 1e-6 ? mouth.y : distance;
  const t = nose.y / span;
  const pitch = Math.asin(Math.max(-1, Math.min(1, (t - 0.58) / 0.5))) * DEG;
  return { yaw, pitch, roll: roll * DEG };
}

/** Luminance (BT.601) of the box region resampled by area averaging to side × side. */
export function luminanceCrop(image: RgbImage, box: FaceBox, side: number): Float64Array {
  const out = new Float64Array(side * side);
  const left = Math.max(0, Math.floor(box.left));
  const top = Math.max(0, Math.floor(box.top));
  const right = Math.min(image.width, Math.ceil(box.right));
  const bottom = Math.min(image.height, Math.ceil(box.bottom));
  const w = right - left;
  const h = bottom - top;
  if (w <= 0 || h <= 0) throw invalidArgument('box', 'a face box overlapping the image', box);
  const sums = new Float64Array(side * side);
  const counts = new Float64Array(side * side);
  const d = image.data;
  for (let y = top; y < bottom; y++) {
    const oy = Math.min(side - 1, Math.floor(((y - top) * side) / h));
    for (let x = left; x < right; x++) {
      const ox = Math.min(side - 1, Math.floor(((x - left) * side) / w));
      const i = (y * image.width + x) * 3;
      sums[oy * side + ox]! += 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
      counts[oy * side + ox]!++;
    }
  }
  // Upsampling (a box smaller than side): fill empty cells from the nearest source pixel.
  for (let k = 0; k < out.length; k++) {
    if (counts[k]! > 0) out[k] = sums[k]! / counts[k]!;
    else {
      const ox = k % side;
      const oy = Math.floor(k / side);
      const x = Math.min(right - 1, left + Math.floor(((ox + 0.5) * w) / side));
      const y = Math.min(bottom - 1, top + Math.floor(((oy + 0.5) * h) / side));
      const i = (y * image.width + x) * 3;
      out[k] = 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
    }
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian divided by the variance of the image (interior pixels). */
export function sharpnessRatio(gray: Float64Array, side: number): number {
  let n = 0;
  let s = 0;
  let ss = 0;
  let g = 0;
  let gg = 0;
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const i = y * side + x;
      const v = gray[i]!;
      const lap = gray[i - 1]! + gray[i + 1]! + gray[i - side]! + gray[i + side]! - 4 * v;
      n++;
      s += lap;
      ss += lap * lap;
      g += v;
      gg += v * v;
    }
  }
  const lapVar = ss / n - (s / n) ** 2;
  const imgVar = gg / n - (g / n) ** 2;
  return imgVar > 1e-9 ? lapVar / imgVar : 0;
}

/** Measures one face. `landmarks` are the 68 points of the face in `image`. */
export function faceQuality(image: RgbImage, box: FaceBox, landmarks: readonly Point[], options: FaceQualityOptions = {}): FaceQuality {
  if (!Array.isArray(landmarks) || landmarks.length !== 68) throw invalidArgument('landmarks', 'the 68 landmark points of the face', landmarks);
  const minIod = options.minInterOcularPx ?? DEFAULT_MIN_INTER_OCULAR_PX;
  const reasons: string[] = [];

  const { distance: iod } = interOcular(landmarks);
  // Half the minimum → 0, the minimum → 0.5, 1.5× the minimum → 1.
  const size = clamp01((iod - minIod / 2) / minIod);
  if (iod < minIod) reasons.push(`too small: ${Math.round(iod)} px between the eyes (min ${minIod})`);

  const gray = luminanceCrop(image, box, SHARPNESS_SIDE);
  const ratio = sharpnessRatio(gray, SHARPNESS_SIDE);
  const sharpness = ratio / (ratio + SHARPNESS_HALF);
  if (sharpness < 0.5) reasons.push('blurred');

  const pose = estimatePose(landmarks);
  const yawScore = ramp(Math.abs(pose.yaw), 20, 60);
  const pitchScore = ramp(Math.abs(pose.pitch), 20, 50);
  // Alignment undoes roll, so only a strong tilt (landmarks then fail) counts.
  const rollScore = ramp(Math.abs(pose.roll), 30, 70);
  const poseScore = Math.min(yawScore, pitchScore, rollScore);
  if (yawScore < 0.75) reasons.push(`turned ${Math.round(Math.abs(pose.yaw))}° to the side`);
  if (pitchScore < 0.75) reasons.push(`looking ${pose.pitch < 0 ? 'up' : 'down'} about ${Math.round(Math.abs(pose.pitch))}°`);
  if (rollScore < 0.75) reasons.push(`head tilted ${Math.round(Math.abs(pose.roll))}°`);

  let total = 0;
  let clipped = 0;
  for (const v of gray) {
    total += v;
    if (v <= 8 || v >= 247) clipped++;
  }
  const meanLum = total / gray.length;
  const clippedFraction = clipped / gray.length;
  const exposure = Math.min(ramp(-meanLum, -70, -25), ramp(meanLum, 195, 240)) * clamp01(1 - 2 * clippedFraction);
  if (meanLum < 70 && exposure < 0.75) reasons.push('too dark');
  else if (meanLum > 195 && exposure < 0.75) reasons.push('too bright');
  else if (clippedFraction > 0.125) reasons.push(`${Math.round(clippedFraction * 100)}% of the face is clipped black or white`);

  const components = { size, sharpness, pose: poseScore, exposure };
  const score = (size * sharpness * poseScore * exposure) ** 0.25;
  return { score, components, interOcularPx: iod, pose, sharpnessRatio: ratio, meanLuminance: meanLum, clippedFraction, reasons };
}

/** "0.42: blurred; too dark" — the one-line form used by CLI summaries and API errors. */
export function describeQuality(q: Pick<FaceQuality, 'score' | 'reasons'>): string {
  return `quality ${q.score.toFixed(2)}${q.reasons.length > 0 ? `: ${q.reasons.join('; ')}` : ''}`;
}
