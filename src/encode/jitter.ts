/**
 * dlib's `jitter_image` (used by face_recognition's `num_jitters`), on a chip:
 * a crop of the chip shifted by up to ±2% of its size, zoomed by 0.97–1.0,
 * rotated by up to ±3° and mirrored half of the time, resampled back to
 * 150×150. Random numbers come from a small seeded PRNG, so a given seed
 * always gives the same jitters (dlib's own generator is not reproduced).
 */
import { CHIP_SIZE, assertChip, flipChip, type FaceChip } from './chip.js';
import { sampleAffine, type Affine } from './align-chip.js';

/** mulberry32: a tiny, fast, seedable 32-bit PRNG. `next()` is uniform in [0, 1). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
}

export interface JitterParams {
  /** Crop rectangle in chip pixels (inclusive corners, like a dlib rectangle). */
  left: number;
  top: number;
  boxSize: number;
  /** Rotation in radians. */
  angle: number;
  flip: boolean;
}

const MAX_ROTATION_DEGREES = 3;
const MIN_OBJECT_HEIGHT = 0.97;
const MAX_OBJECT_HEIGHT = 0.99999;
const TRANSLATE_AMOUNT = 0.02;

/** Draws one jitter exactly as dlib's jitter_image does (same ranges, same order of draws). */
export function drawJitter(rng: SeededRandom, size = CHIP_SIZE): JitterParams {
  // rect = shrink_rect(get_rect(img), 3)
  const rectLeft = 3;
  const rectRight = size - 1 - 3;
  const rectSize = rectRight - rectLeft + 1;
  const tx = Math.round(rng.range(-TRANSLATE_AMOUNT, TRANSLATE_AMOUNT) * rectSize);
  const ty = Math.round(rng.range(-TRANSLATE_AMOUNT, TRANSLATE_AMOUNT) * rectSize);
  const perturb = rng.range(MIN_OBJECT_HEIGHT, MAX_OBJECT_HEIGHT);
  const boxSize = Math.trunc(rectSize / perturb);
  const centre = Math.trunc((rectLeft + rectRight + 1) / 2);
  const angle = (rng.range(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES) * Math.PI) / 180;
  const flip = rng.next() > 0.5;
  // centered_rect(centre + t, boxSize, boxSize)
  return { left: centre + tx - Math.trunc(boxSize / 2), top: centre + ty - Math.trunc(boxSize / 2), boxSize, angle, flip };
}

/** Applies one jitter to a chip (extract_image_chip of the rotated crop rectangle, then the optional mirror). */
export function applyJitter(chip: FaceChip, j: JitterParams, size = CHIP_SIZE): FaceChip {
  assertChip(chip);
  const span = j.boxSize - 1; // inclusive rectangle: right = left + boxSize - 1
  const cx = j.left + span / 2;
  const cy = j.top + span / 2;
  const k = span / (size - 1);
  const cos = Math.cos(j.angle);
  const sin = Math.sin(j.angle);
  const half = (size - 1) / 2;
  // chip q → centre + R(angle)·(q − half)·k
  const a = cos * k,
    b = -sin * k,
    d = sin * k,
    e = cos * k;
  const map: Affine = { a, b, c: cx - a * half - b * half, d, e, f: cy - d * half - e * half };
  const out = sampleAffine(chip, size, size, map, size);
  return j.flip ? flipChip(out) : out;
}

/** `count` jittered copies of a chip, reproducible from `seed`. */
export function jitterChip(chip: FaceChip, count: number, seed: number): FaceChip[] {
  const rng = new SeededRandom(seed);
  const out: FaceChip[] = [];
  for (let i = 0; i < count; i++) out.push(applyJitter(chip, drawJitter(rng)));
  return out;
}
