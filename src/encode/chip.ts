/**
 * Face chips: the 150×150 RGB crops the recognition net reads, as float HWC
 * pixel values in 0..255 (not yet normalised), plus the network's input
 * normalisation and the small chip operations shared by the extractors.
 */
import type { Point, RgbImage } from '../types.js';

/** Side of a face chip in pixels. */
export const CHIP_SIZE = 150;
/** Values in one chip: 150 × 150 × 3. */
export const CHIP_VALUES = CHIP_SIZE * CHIP_SIZE * 3;

/** A 150×150×3 float RGB chip, row-major HWC, values 0..255. */
export type FaceChip = Float32Array;

/** face-api FaceRecognitionNet's mean RGB (as float32, the way tfjs stores them). */
const MEAN_RGB = [Math.fround(122.782), Math.fround(117.001), Math.fround(104.298)] as const;

export function assertChip(chip: Float32Array, what = 'face chip'): void {
  if (chip.length !== CHIP_VALUES) {
    throw new Error(`${what} has ${chip.length} values; a chip is ${CHIP_SIZE}×${CHIP_SIZE}×3 = ${CHIP_VALUES}`);
  }
}

/**
 * Writes a chip into an NCHW batch at image index `index`, normalised exactly
 * as face-api does in float32: `(v - meanRgb) / 255` (a float32 subtraction,
 * then a float32 division — not a multiplication by 1/255).
 */
export function writeNormalisedChip(chip: FaceChip, batch: Float32Array, index: number): void {
  assertChip(chip);
  const plane = CHIP_SIZE * CHIP_SIZE;
  const base = index * 3 * plane;
  const [mr, mg, mb] = MEAN_RGB;
  for (let i = 0; i < plane; i++) {
    batch[base + i] = Math.fround(chip[i * 3]! - mr) / 255;
    batch[base + plane + i] = Math.fround(chip[i * 3 + 1]! - mg) / 255;
    batch[base + 2 * plane + i] = Math.fround(chip[i * 3 + 2]! - mb) / 255;
  }
}

/** The chip mirrored left ↔ right. */
export function flipChip(chip: FaceChip): FaceChip {
  assertChip(chip);
  const out = new Float32Array(CHIP_VALUES);
  const row = CHIP_SIZE * 3;
  for (let y = 0; y < CHIP_SIZE; y++) {
    for (let x = 0; x < CHIP_SIZE; x++) {
      const s = y * row + x * 3;
      const d = y * row + (CHIP_SIZE - 1 - x) * 3;
      out[d] = chip[s]!;
      out[d + 1] = chip[s + 1]!;
      out[d + 2] = chip[s + 2]!;
    }
  }
  return out;
}

/** Checks an image and one face's 68 landmarks; throws a sentence naming the problem. */
export function assertFaceInputs(image: RgbImage, landmarks: readonly Point[], what: string): void {
  if (!image || !Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width <= 0 || image.height <= 0) {
    throw new Error(`${what}: the image must have positive integer width and height`);
  }
  if (!image.data || image.data.length !== image.width * image.height * 3) {
    throw new Error(
      `${what}: image data has ${image.data?.length ?? 0} bytes but ${image.width}×${image.height} RGB needs ${image.width * image.height * 3}`,
    );
  }
  if (!Array.isArray(landmarks) || landmarks.length !== 68) {
    throw new Error(`${what}: expected the 68 face landmarks of one face, got ${Array.isArray(landmarks) ? landmarks.length : typeof landmarks}`);
  }
  for (let i = 0; i < landmarks.length; i++) {
    const p = landmarks[i];
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new Error(`${what}: landmark ${i} is not a finite point`);
  }
}
